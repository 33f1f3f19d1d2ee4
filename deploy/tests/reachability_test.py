#!/usr/bin/python3
"""The reachability model catches what it promises to: over the rendered
production overlay, a missing allow is named as a blocked path, an extra
allow as an open unused one, and a gap in the webhook ranges as a path to
the metadata service. Also the model's own NetworkPolicy rules."""

import copy
import os
import subprocess
import sys
import unittest

import yaml

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import reachability  # noqa: E402

KUBECTL = os.environ.get("KUBECTL",
                         "/usr/lib/google-cloud-sdk/bin/kubectl.1.32")


def rendered():
    out = subprocess.run(
        [KUBECTL, "kustomize", os.path.join(here, "..", "overlays", "production")],
        check=True, capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


DOCS = rendered()


def policy(docs, name):
    return next(d for d in docs
                if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == name)


class ReachabilityTest(unittest.TestCase):
    def test_the_rendered_overlay_passes(self):
        problems, tried, expected = reachability.check(DOCS)
        self.assertEqual(problems, [])
        self.assertGreater(tried, 300)
        self.assertGreater(expected, 30)

    def test_a_missing_ingress_allow_blocks_the_callers(self):
        docs = [d for d in copy.deepcopy(DOCS)
                if not (d["kind"] == "NetworkPolicy"
                        and d["metadata"]["name"] == "booking-callers")]
        problems, _, _ = reachability.check(docs)
        self.assertIn("blocked: training/gateway -> training/booking TCP/7052",
                      problems)
        self.assertIn("blocked: training/content -> training/booking TCP/7052",
                      problems)

    def test_an_allow_all_egress_is_open_but_unused(self):
        docs = copy.deepcopy(DOCS)
        policy(docs, "content-calls")["spec"]["egress"].append({})
        problems, _, _ = reachability.check(docs)
        self.assertIn("open but unused: training/content -> other-team/other TCP/8080",
                      problems)
        self.assertIn("open but unused: training/content -> metadata(169.254.169.254) TCP/80",
                      problems)

    def test_a_webhook_range_without_exceptions_reaches_the_metadata_service(self):
        docs = copy.deepcopy(DOCS)
        del policy(docs, "webhooks-egress")["spec"]["egress"][0]["to"][0]["ipBlock"]["except"]
        problems, _, _ = reachability.check(docs)
        self.assertIn(
            "open but unused: training/notification -> metadata(169.254.169.254) TCP/443",
            problems)
        self.assertIn(
            "open but unused: training/notification -> private(10.0.0.1) TCP/443",
            problems)

    def test_the_gateway_open_to_every_namespace_is_open_but_unused(self):
        docs = copy.deepcopy(DOCS)
        del policy(docs, "gateway-ingress")["spec"]["ingress"][0]["from"]
        problems, _, _ = reachability.check(docs)
        self.assertIn("open but unused: other-team/other -> training/gateway TCP/8080",
                      problems)

    def test_a_store_reached_by_no_stand_in_is_blocked(self):
        docs = [d for d in copy.deepcopy(DOCS)
                if not (d["kind"] == "NetworkPolicy"
                        and d["metadata"]["name"] == "redis-clients")]
        problems, _, _ = reachability.check(docs)
        self.assertIn("blocked: training/gateway -> redis TCP/6379", problems)

    def test_metrics_by_number_on_every_pod_opens_ports_nothing_serves(self):
        docs = copy.deepcopy(DOCS)
        rule = policy(docs, "metrics-scraping")["spec"]["ingress"][0]
        rule["ports"] = [{"protocol": "TCP", "port": n} for n in range(9101, 9106)]
        problems, _, _ = reachability.check(docs)
        self.assertIn("open but unused: monitoring/prometheus -> training/booking TCP/9101",
                      problems)

    def test_egress_without_policy_types_still_isolates(self):
        docs = copy.deepcopy(DOCS)
        del policy(docs, "content-calls")["spec"]["policyTypes"]
        problems, _, _ = reachability.check(docs)
        self.assertEqual(problems, [])
        spec = policy(docs, "content-calls")["spec"]
        self.assertEqual(reachability.policy_types({"spec": spec}),
                         ["Ingress", "Egress"])

    def test_a_call_to_a_service_that_does_not_exist_is_refused(self):
        docs = copy.deepcopy(DOCS)
        for d in docs:
            if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("booking-"):
                d["data"]["TRAINING_CATALOGUE_ADDRESS"] = "dns:///catalog:7051"
        with self.assertRaises(SystemExit):
            reachability.check(docs)

    def test_selectors(self):
        labels = {"app.kubernetes.io/name": "booking"}
        self.assertTrue(reachability.selector_matches({}, labels))
        self.assertTrue(reachability.selector_matches(
            {"matchExpressions": [{"key": "app.kubernetes.io/name",
                                   "operator": "In", "values": ["booking"]}]},
            labels))
        self.assertFalse(reachability.selector_matches(
            {"matchExpressions": [{"key": "app.kubernetes.io/name",
                                   "operator": "NotIn", "values": ["booking"]}]},
            labels))
        self.assertFalse(reachability.selector_matches(
            {"matchLabels": {"app.kubernetes.io/name": "gateway"}}, labels))

    def test_a_pod_selected_by_no_policy_is_open(self):
        pod = reachability.Pod("x", "training", {"a": "b"}, {("TCP", 1)})
        self.assertTrue(reachability.allowed([], "Egress", pod, pod, "TCP", 1))

    def test_named_ports_match_the_destination_s_names(self):
        rule = {"ports": [{"protocol": "TCP", "port": "metrics"}]}
        self.assertTrue(reachability.port_matches(rule, "TCP", 9102,
                                                  {"metrics": ("TCP", 9102)}))
        self.assertFalse(reachability.port_matches(rule, "TCP", 9101,
                                                   {"metrics": ("TCP", 9102)}))
        self.assertFalse(reachability.port_matches(rule, "TCP", 9102, {}))

    def test_ports_and_ranges(self):
        rule = {"ports": [{"protocol": "TCP", "port": 5000, "endPort": 5010}]}
        self.assertTrue(reachability.port_matches(rule, "TCP", 5005))
        self.assertFalse(reachability.port_matches(rule, "UDP", 5005))
        self.assertFalse(reachability.port_matches(rule, "TCP", 5011))
        self.assertTrue(reachability.port_matches({}, "UDP", 53))


if __name__ == "__main__":
    unittest.main()
