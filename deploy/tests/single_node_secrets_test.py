#!/usr/bin/python3
"""make_secrets.py makes every Secret the single-node overlay refers to,
with the keys it names, and what it makes works: the API key file lists
each service's key with its role, and a real redis-server loads the ACL
file and lets each part's URL in as its own user (and nobody by default).
"""

import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from urllib.parse import urlparse

import yaml

here = os.path.dirname(os.path.abspath(__file__))
overlay = os.path.join(here, "..", "overlays", "single-node")
sys.path.insert(0, overlay)
import make_secrets  # noqa: E402

KUBECTL = os.environ.get("KUBECTL",
                         "/usr/lib/google-cloud-sdk/bin/kubectl.1.32")


def rendered():
    out = subprocess.run([KUBECTL, "kustomize", overlay], check=True,
                         capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def references(docs):
    """{(secret, key or None)} every pod needs (optional ones left out)."""
    needed = set()
    for obj in docs:
        if obj.get("kind") not in ("Deployment", "StatefulSet"):
            continue
        spec = obj["spec"]["template"]["spec"]
        for c in spec["containers"]:
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    needed.add((ref["name"], ref["key"]))
        for v in spec.get("volumes", []):
            if "secret" in v and not v["secret"].get("optional"):
                needed.add((v["secret"]["secretName"], None))
    return needed


def resp(sock, *args):
    sock.sendall(f"*{len(args)}\r\n".encode() + b"".join(
        f"${len(a)}\r\n{a}\r\n".encode() for a in args))
    return sock.recv(4096).decode()


class SingleNodeSecretsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs, cls.admin = make_secrets.make()
        cls.made = {d["metadata"]["name"]: d["stringData"] for d in cls.docs}

    def test_every_reference_is_made(self):
        needed = references(rendered())
        self.assertGreater(len(needed), 10)
        for name, key in sorted(needed, key=str):
            self.assertIn(name, self.made, f"Secret {name} is not made")
            if key is not None:
                self.assertIn(key, self.made[name], f"{name} has no key {key}")

    def test_the_key_file_holds_each_service_and_the_admin(self):
        keys = json.loads(self.made["training-api-keys"]["api-keys.json"])["keys"]
        by_hash = {k["sha256"]: k for k in keys}
        admin = by_hash[hashlib.sha256(self.admin.encode()).hexdigest()]
        self.assertEqual(admin["role"], "ADMIN")
        for part, key in self.made["training-service-keys"].items():
            self.assertRegex(key, r"^trk_[A-Za-z0-9_-]{43}$")
            entry = by_hash[hashlib.sha256(key.encode()).hexdigest()]
            self.assertEqual((entry["role"], entry["service"]), ("SERVICE", part))

    def test_two_runs_share_nothing(self):
        again, admin = make_secrets.make()
        self.assertNotEqual(admin, self.admin)
        again = {d["metadata"]["name"]: d["stringData"] for d in again}
        self.assertNotEqual(again["training-manage-tokens"],
                            self.made["training-manage-tokens"])

    def test_redis_lets_each_part_in_as_itself(self):
        acl = self.made["training-redis-acl"]["users.acl"]
        self.assertNotIn("PASSWORD_SHA256", acl)
        with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as d:
            with open(os.path.join(d, "users.acl"), "w") as f:
                f.write(acl)
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            server = subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                 "--aclfile", os.path.join(d, "users.acl"), "--save", "",
                 "--appendonly", "no", "--dir", d],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.time() + 20
                while True:
                    try:
                        sock = socket.create_connection(("127.0.0.1", port))
                        break
                    except OSError:
                        self.assertLess(time.time(), deadline, "redis never started")
                        time.sleep(0.1)
                with sock:
                    self.assertIn("NOAUTH", resp(sock, "PING"))
                for part, url in self.made["training-redis"].items():
                    u = urlparse(url)
                    self.assertEqual((u.username, u.hostname, u.port),
                                     (part, "redis", 6379))
                    with socket.create_connection(("127.0.0.1", port)) as sock:
                        self.assertEqual(resp(sock, "AUTH", u.username, u.password),
                                         "+OK\r\n", part)
                        self.assertEqual(resp(sock, "PING"), "+PONG\r\n")
                    with socket.create_connection(("127.0.0.1", port)) as sock:
                        self.assertIn("WRONGPASS",
                                      resp(sock, "AUTH", u.username, "not-it"))
            finally:
                server.kill()
                server.wait()


if __name__ == "__main__":
    unittest.main()
