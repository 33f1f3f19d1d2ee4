#!/usr/bin/python3
"""A small model of Kubernetes NetworkPolicy over rendered manifests: which
pod may open which port of which other pod or address. It checks that every
path the suite uses is open and that nothing else is.

The paths the suite uses come from the rendered objects themselves where
they can (each part's dns:/// addresses in its ConfigMap, its SMTP port,
its metrics port) and from the suite's design otherwise (every service
owns its database, every part uses Redis). Peers outside the namespace are
stand-ins: kube-dns, Prometheus in `monitoring`, an ingress controller, a
pod of another team, the council's PostgreSQL, Redis and mail relay (as
pods labelled as data-stores.yaml asks, and as addresses in the
documentation ranges the production overlay's placeholders use), and
addresses on the internet, in private ranges and the cloud metadata
service. A store is reached when any one of its stand-ins is; the others
may be open too, to that store's clients on that store's port only.

Every pod is tried on every port any pod declares (not only its own), so
a rule opening a port the pod does not listen on is reported too.
ipBlocks are taken to match only addresses outside the cluster, as
Kubernetes defines them; some network plugins (Calico) also match pod
addresses with them, which would open nothing more here because every
ipBlock of ours excludes the private ranges or names one documentation
range.

Usage: reachability.py RENDERED.yaml  (exit 1 listing each difference)."""

import ipaddress
import re
import sys

import yaml

NAMESPACE = "training"
PARTS = ("catalogue", "booking", "notification", "content", "gateway")
# The suite's design: each service owns a database (SQLite or PostgreSQL); every
# part publishes or reads events, and the gateway keeps rate limits, in
# Redis.
USES_POSTGRESQL = ("catalogue", "booking", "notification", "content")
USES_REDIS = PARTS
WEBHOOK_SENDER = "notification"


class Pod:
    def __init__(self, name, namespace, labels, ports, ns_labels=None,
                 port_names=None):
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.ports = ports  # {(protocol, port)} it listens on
        self.port_names = port_names or {}  # {name: (protocol, port)}
        self.ns_labels = ns_labels or {
            "kubernetes.io/metadata.name": namespace}

    def __repr__(self):
        return f"{self.namespace}/{self.name}"


class Address:
    def __init__(self, name, ip, ports):
        self.name = name
        self.ip = ipaddress.ip_address(ip)
        self.ports = ports
        self.port_names = {}

    def __repr__(self):
        return f"{self.name}({self.ip})"


def selector_matches(selector, labels):
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op = expr["key"], expr["operator"]
        values = expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def peer_matches(peer, policy_ns, target):
    if "ipBlock" in peer:
        # ipBlock is for addresses outside the cluster; pods are not
        # matched by it (as most network plugins do).
        if not isinstance(target, Address):
            return False
        block = peer["ipBlock"]
        if target.ip not in ipaddress.ip_network(block["cidr"]):
            return False
        return not any(target.ip in ipaddress.ip_network(e)
                       for e in block.get("except", []))
    if isinstance(target, Address):
        return False
    if "namespaceSelector" in peer:
        if not selector_matches(peer["namespaceSelector"], target.ns_labels):
            return False
    elif target.namespace != policy_ns:
        return False
    if "podSelector" in peer:
        return selector_matches(peer["podSelector"], target.labels)
    return True


def port_matches(rule, protocol, port, port_names=None):
    """Whether the rule's ports admit protocol/port on a pod whose named
    container ports are `port_names` (a named port matches only a pod
    that names one so)."""
    ports = rule.get("ports")
    if not ports:
        return True
    for p in ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        if "port" not in p:
            return True
        if isinstance(p["port"], str):
            if (port_names or {}).get(p["port"]) == (protocol, port):
                return True
            continue
        low = p["port"]
        high = p.get("endPort", low)
        if low <= port <= high:
            return True
    return False


def policy_types(policy):
    """policyTypes, or its default: Ingress, and Egress when the policy
    has an egress section."""
    spec = policy["spec"]
    if "policyTypes" in spec:
        return spec["policyTypes"]
    return ["Ingress"] + (["Egress"] if "egress" in spec else [])


def allowed(policies, direction, pod, peer, protocol, port):
    """Whether `pod` lets traffic go out to (Egress) or come in from
    (Ingress) `peer` on protocol/port. Pods outside the namespace and
    addresses are not isolated by our policies."""
    if isinstance(pod, Address) or pod.namespace != NAMESPACE:
        return True
    key = "egress" if direction == "Egress" else "ingress"
    side = "to" if direction == "Egress" else "from"
    selecting = [p for p in policies
                 if direction in policy_types(p)
                 and selector_matches(p["spec"]["podSelector"], pod.labels)]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get(key) or []:
            peers = rule.get(side)
            if peers and not any(peer_matches(x, NAMESPACE, peer)
                                 for x in peers):
                continue
            # Named ports are the destination's.
            target = peer if direction == "Egress" else pod
            if port_matches(rule, protocol, port, target.port_names):
                return True
    return False


def reachable(policies, source, target, protocol, port):
    return (allowed(policies, "Egress", source, target, protocol, port) and
            allowed(policies, "Ingress", target, source, protocol, port))


def workloads(docs):
    pods = []
    for obj in docs:
        if obj.get("kind") not in ("Deployment", "StatefulSet"):
            continue
        template = obj["spec"]["template"]
        ports, names = set(), {}
        for c in template["spec"]["containers"]:
            for p in c.get("ports", []):
                port = (p.get("protocol", "TCP"), p["containerPort"])
                ports.add(port)
                if "name" in p:
                    names[p["name"]] = port
        pods.append(Pod(obj["metadata"]["name"], NAMESPACE,
                        template["metadata"]["labels"], ports,
                        port_names=names))
    return pods


def config_of(docs, name):
    for obj in docs:
        if obj.get("kind") == "ConfigMap" and \
                obj["metadata"]["name"].startswith(name + "-"):
            return obj.get("data", {})
    return {}


def service_pods(docs, pods, service_name):
    for obj in docs:
        if obj.get("kind") == "Service" and \
                obj["metadata"]["name"] == service_name:
            return [p for p in pods
                    if selector_matches({"matchLabels": obj["spec"]["selector"]},
                                        p.labels)]
    return []


def database_from_secret(docs, part):
    """Whether the part is given a database URL (PostgreSQL); without one
    it keeps SQLite in its data directory."""
    for obj in docs:
        if obj.get("kind") == "Deployment" and obj["metadata"]["name"] == part:
            env = obj["spec"]["template"]["spec"]["containers"][0].get("env", [])
            return any(e["name"] == "TRAINING_DATABASE_URL" for e in env)
    return False


class Expected:
    """What the suite uses: paths that must be open, and groups of which
    at least one must be open (a store and its stand-ins); every path of a
    group may be open."""

    def __init__(self):
        self.required = set()
        self.groups = []  # [(what, {path})]

    def require(self, path):
        self.required.add(path)

    def any_of(self, what, paths):
        self.groups.append((what, set(paths)))

    def permits(self, path):
        return path in self.required or any(path in g for _, g in self.groups)

    def count(self):
        return len(self.required) + len(self.groups)


def expected_paths(docs, pods, outside):
    by_name = {p.labels.get("app.kubernetes.io/name"): p for p in pods}
    expected = Expected()
    stores = {
        "postgresql": [outside["postgresql"], outside["council-postgresql"]],
        "redis": [by_name["redis"]] if "redis" in by_name else
                 [outside["redis"], outside["council-redis"]],
        "smtp": [by_name["mail-sink"]] if "mail-sink" in by_name else
                [outside["smtp"], outside["council-smtp"]],
    }

    def use_store(source, store, port):
        expected.any_of(f"{source} -> {store} TCP/{port}",
                        [(source, t, "TCP", port) for t in stores[store]])

    for part in PARTS:
        source = by_name[part]
        config = config_of(docs, part)
        for key, value in config.items():
            m = re.fullmatch(r"dns:///([a-z0-9-]+):(\d+)", value)
            if key.endswith("_ADDRESS") and m:
                targets = service_pods(docs, pods, m.group(1))
                if not targets:
                    raise SystemExit(f"{part}: {key} names no Service {m.group(1)}")
                for t in targets:
                    expected.require((source, t, "TCP", int(m.group(2))))
        for proto in ("UDP", "TCP"):
            expected.require((source, outside["kube-dns"], proto, 53))
        metrics = int(config["TRAINING_METRICS_PORT"])
        expected.require((outside["prometheus"], source, "TCP", metrics))
        if part in USES_POSTGRESQL and database_from_secret(docs, part):
            use_store(source, "postgresql", 5432)
        if part in USES_REDIS:
            use_store(source, "redis", 6379)
    smtp_port = int(config_of(docs, "notification")["TRAINING_SMTP_PORT"])
    use_store(by_name["notification"], "smtp", smtp_port)
    expected.require((by_name[WEBHOOK_SENDER], outside["internet"], "TCP", 443))
    expected.require((by_name[WEBHOOK_SENDER], outside["internet-v6"], "TCP", 443))
    # The gateway is the one way in, through the ingress controller.
    http = int(config_of(docs, "gateway")["TRAINING_HTTP_PORT"])
    expected.require((outside["ingress-controller"], by_name["gateway"], "TCP", http))
    return expected


def stand_ins():
    def pod(name, ns, labels, ports):
        return Pod(name, ns, labels, ports)
    return {
        "kube-dns": pod("kube-dns", "kube-system", {"k8s-app": "kube-dns"},
                        {("UDP", 53), ("TCP", 53)}),
        "prometheus": pod("prometheus", "monitoring",
                          {"app.kubernetes.io/name": "prometheus"}, set()),
        "ingress-controller": pod("ingress", "ingress-nginx",
                                  {"app.kubernetes.io/name": "ingress-nginx"},
                                  set()),
        "other-team": pod("other", "other-team", {"app": "other"},
                          {("TCP", 8080), ("TCP", 443)}),
        "postgresql": pod("postgresql", "databases",
                          {"training.example.org/data": "postgresql"},
                          {("TCP", 5432)}),
        "redis": pod("redis", "databases",
                     {"training.example.org/data": "redis"}, {("TCP", 6379)}),
        "smtp": pod("smtp-relay", "mail",
                    {"training.example.org/data": "smtp"},
                    {("TCP", 25), ("TCP", 587), ("TCP", 465)}),
        # Outside the cluster, in the production overlay's placeholder
        # ranges (documentation addresses, RFC 5737).
        "council-postgresql": Address("council-postgresql", "192.0.2.10",
                                      {("TCP", 5432), ("TCP", 6379)}),
        "council-redis": Address("council-redis", "192.0.2.11",
                                 {("TCP", 6379), ("TCP", 5432)}),
        "council-smtp": Address("council-smtp", "198.51.100.25",
                                {("TCP", 25), ("TCP", 587)}),
        "internet": Address("internet", "93.184.216.34",
                            {("TCP", 443), ("TCP", 80)}),
        "internet-v6": Address("internet-v6", "2606:2800:220:1::1",
                               {("TCP", 443)}),
        "metadata": Address("metadata", "169.254.169.254",
                            {("TCP", 80), ("TCP", 443)}),
        "private": Address("private", "10.0.0.1", {("TCP", 443), ("TCP", 5432)}),
        "shared": Address("carrier-nat", "100.64.0.1", {("TCP", 443)}),
        "loopback": Address("loopback", "127.0.0.1", {("TCP", 443)}),
        "private-v6": Address("private-v6", "fd00::1", {("TCP", 443)}),
        "mapped-v6": Address("mapped-v6", "::ffff:10.0.0.1", {("TCP", 443)}),
    }


def check(docs):
    policies = [d for d in docs if d.get("kind") == "NetworkPolicy"]
    pods = workloads(docs)
    outside = stand_ins()
    expected = expected_paths(docs, pods, outside)
    everyone = pods + list(outside.values())
    # Every port any pod listens on, tried on every pod.
    pod_ports = set().union(*(p.ports for p in everyone if isinstance(p, Pod)))
    problems = []
    opened = set()
    tried = 0
    for source in everyone:
        if isinstance(source, Address):
            continue
        for target in everyone:
            if target is source:
                continue
            # Paths between two pods outside the namespace are not ours.
            ours = source.namespace == NAMESPACE or \
                (isinstance(target, Pod) and target.namespace == NAMESPACE)
            if not ours:
                continue
            ports = target.ports if isinstance(target, Address) else pod_ports
            for protocol, port in sorted(ports):
                tried += 1
                path = (source, target, protocol, port)
                if reachable(policies, source, target, protocol, port):
                    opened.add(path)
                    if not expected.permits(path):
                        problems.append(f"open but unused: {source} -> {target} "
                                        f"{protocol}/{port}")
    for path in sorted(expected.required, key=str):
        if path not in opened:
            problems.append(f"blocked: {path[0]} -> {path[1]} {path[2]}/{path[3]}")
        if (path[2], path[3]) not in path[1].ports:
            problems.append(f"{path[0]} -> {path[1]}: nothing listens on {path[3]}")
    for what, group in expected.groups:
        if not group & opened:
            problems.append(f"blocked: {what}")
    return problems, tried, expected.count()


def main():
    docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
    problems, tried, expected = check(docs)
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"reachability: {tried} pairs of pod and port tried, the "
          f"{expected} paths the suite uses open, nothing else")
    return 0


if __name__ == "__main__":
    sys.exit(main())
