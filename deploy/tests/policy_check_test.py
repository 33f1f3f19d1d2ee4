#!/usr/bin/python3
"""The policy check catches each breach it promises to: a good pod passes,
and each of its settings broken alone is named."""

import copy
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import policy_check  # noqa: E402

NAMESPACE = {
    "kind": "Namespace",
    "metadata": {
        "name": "training",
        "labels": {"pod-security.kubernetes.io/enforce": "restricted"},
    },
}

GOOD = {
    "kind": "Deployment",
    "metadata": {"name": "catalogue", "namespace": "training"},
    "spec": {"template": {"spec": {
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True, "runAsUser": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [{
            "name": "catalogue",
            "image": "registry.example.org/training/catalogue:0.1.0",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
            "readinessProbe": {"grpc": {"port": 7151}},
            "livenessProbe": {"grpc": {"port": 7151}},
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": "1", "memory": "256Mi"},
            },
        }],
    }}},
}


def breaking(change):
    pod = copy.deepcopy(GOOD)
    change(pod["spec"]["template"]["spec"],
           pod["spec"]["template"]["spec"]["containers"][0])
    return policy_check.check([NAMESPACE, pod])


class PolicyCheckTest(unittest.TestCase):
    def test_a_good_pod_passes(self):
        self.assertEqual(policy_check.check([NAMESPACE, GOOD]), [])

    def test_each_breach_is_named(self):
        cases = {
            "runAsNonRoot": lambda p, c: p["securityContext"].pop("runAsNonRoot"),
            "runAsUser": lambda p, c: p["securityContext"].update(runAsUser=0),
            "seccompProfile": lambda p, c: p["securityContext"].pop("seccompProfile"),
            "allowPrivilegeEscalation":
                lambda p, c: c["securityContext"].update(allowPrivilegeEscalation=True),
            "drop ALL": lambda p, c: c["securityContext"].pop("capabilities"),
            "root filesystem": lambda p, c: c["securityContext"].pop("readOnlyRootFilesystem"),
            "automountServiceAccountToken":
                lambda p, c: p.pop("automountServiceAccountToken"),
            "hostPath": lambda p, c: p.update(volumes=[{"name": "h", "hostPath": {"path": "/"}}]),
            "version tag": lambda p, c: c.update(image="training/catalogue:latest"),
            "no readinessProbe": lambda p, c: c.pop("readinessProbe"),
            "no livenessProbe": lambda p, c: c.pop("livenessProbe"),
            "no memory limit": lambda p, c: c["resources"]["limits"].pop("memory"),
            "no cpu request": lambda p, c: c["resources"]["requests"].pop("cpu"),
            "inlined": lambda p, c: c.update(env=[{"name": "TRAINING_SMTP_PASSWORD", "value": "x"}]),
        }
        for words, change in cases.items():
            with self.subTest(words):
                found = breaking(change)
                self.assertTrue(any(words in b for b in found), found)

    def test_an_untagged_image_is_named(self):
        found = breaking(lambda p, c: c.update(image="registry.example.org:5000/training/catalogue"))
        self.assertTrue(any("version tag" in b for b in found), found)

    def test_a_namespace_without_the_label_and_an_inlined_secret(self):
        loose = copy.deepcopy(NAMESPACE)
        loose["metadata"]["labels"] = {}
        secret = {"kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "dg=="}}
        found = policy_check.check([loose, GOOD, secret])
        self.assertTrue(any("does not enforce restricted" in b for b in found), found)
        self.assertTrue(any("its namespace" in b for b in found), found)
        self.assertTrue(any("values inlined" in b for b in found), found)


if __name__ == "__main__":
    unittest.main()
