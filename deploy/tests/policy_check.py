#!/usr/bin/python3
"""Checks rendered manifests (a kustomize build on stdin or in a file)
against what the suite promises council IT: every pod meets the restricted
Pod Security Standard, every container has probes, requests and limits,
every image has a version tag, no Secret value is inlined, and the
namespace enforces the restricted standard. Prints each breach and exits 1
when there is one; exits 0 and prints a count otherwise."""

import sys

import yaml

POD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}


def pod_spec(obj):
    return obj["spec"]["template"]["spec"]


def check_pod(where, spec, breaches):
    pod_ctx = spec.get("securityContext", {})
    if spec.get("automountServiceAccountToken") is not False:
        breaches.append(f"{where}: automountServiceAccountToken is not false")
    if spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC"):
        breaches.append(f"{where}: shares a host namespace")
    for volume in spec.get("volumes", []):
        if "hostPath" in volume:
            breaches.append(f"{where}: hostPath volume {volume['name']}")
    containers = spec.get("initContainers", []) + spec.get("containers", [])
    for c in containers:
        name = f"{where}/{c['name']}"
        ctx = c.get("securityContext", {})

        def setting(key):
            return ctx.get(key, pod_ctx.get(key))

        if setting("runAsNonRoot") is not True:
            breaches.append(f"{name}: runAsNonRoot is not true")
        if setting("runAsUser") in (None, 0):
            breaches.append(f"{name}: runAsUser is unset or 0")
        seccomp = (setting("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            breaches.append(f"{name}: seccompProfile is not RuntimeDefault")
        if ctx.get("allowPrivilegeEscalation") is not False:
            breaches.append(f"{name}: allowPrivilegeEscalation is not false")
        if ctx.get("privileged"):
            breaches.append(f"{name}: privileged")
        caps = ctx.get("capabilities", {})
        if "ALL" not in caps.get("drop", []):
            breaches.append(f"{name}: capabilities do not drop ALL")
        if caps.get("add"):
            breaches.append(f"{name}: adds capabilities {caps['add']}")
        if ctx.get("readOnlyRootFilesystem") is not True:
            breaches.append(f"{name}: root filesystem is writable")
        image = c.get("image", "")
        tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
        if not tag or tag == "latest":
            breaches.append(f"{name}: image {image!r} has no version tag")
        if c in spec.get("containers", []):
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in c:
                    breaches.append(f"{name}: no {probe}")
        resources = c.get("resources", {})
        for kind in ("requests", "limits"):
            for what in ("cpu", "memory"):
                if what not in resources.get(kind, {}):
                    breaches.append(f"{name}: no {what} {kind[:-1]}")
        for env in c.get("env", []):
            if "value" in env and any(
                    word in env["name"].upper()
                    for word in ("SECRET", "PASSWORD", "KEY", "TOKEN")):
                breaches.append(f"{name}: {env['name']} inlined, not from a Secret")


def check(docs):
    breaches = []
    enforced = set()
    for obj in docs:
        kind = obj.get("kind")
        meta = obj.get("metadata", {})
        where = f"{kind}/{meta.get('name')}"
        if kind == "Namespace":
            labels = meta.get("labels", {})
            if labels.get("pod-security.kubernetes.io/enforce") == "restricted":
                enforced.add(meta["name"])
            else:
                breaches.append(f"{where}: does not enforce restricted")
        if kind == "Secret" and (obj.get("data") or obj.get("stringData")):
            breaches.append(f"{where}: a Secret with its values inlined")
        if kind in POD_KINDS:
            check_pod(where, pod_spec(obj), breaches)
    for obj in docs:
        ns = obj.get("metadata", {}).get("namespace")
        if obj.get("kind") in POD_KINDS and ns not in enforced:
            breaches.append(
                f"{obj['kind']}/{obj['metadata']['name']}: its namespace "
                f"{ns!r} is not one that enforces restricted")
    return breaches


def main():
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    docs = [d for d in yaml.safe_load_all(text) if d]
    breaches = check(docs)
    for b in breaches:
        print(b)
    if breaches:
        return 1
    print(f"policy: {len(docs)} objects, no breach")
    return 0


if __name__ == "__main__":
    sys.exit(main())
