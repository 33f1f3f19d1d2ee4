#!/usr/bin/python3
"""Makes every Secret the single-node overlay refers to, with fresh random
values, as YAML on standard output:

    python3 deploy/overlays/single-node/make_secrets.py | kubectl apply -f -

The training team's admin key is printed once on standard error; only its
SHA-256 is kept (in the API key file). Nothing is written to disk. Run it
once: running it again makes new values, so every key, token secret and
password changes (existing manage links stop working).

Production takes its Secrets from the council's secret store instead;
deploy/README.md lists each one."""

import base64
import hashlib
import json
import os
import secrets
import sys

import yaml

NAMESPACE = "training"
PARTS = ("catalogue", "booking", "notification", "content", "gateway")
CALLERS = ("booking", "notification", "content", "gateway")
ACL_TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "..", "redis", "users.acl")


def random_b64url(n=32):
    return base64.urlsafe_b64encode(secrets.token_bytes(n)).rstrip(b"=").decode()


def api_key():
    return "trk_" + random_b64url()


def secret(name, values):
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "type": "Opaque",
        "stringData": values,
    }


def make():
    """(Secrets, the admin key)."""
    admin = api_key()
    service_keys = {part: api_key() for part in CALLERS}
    key_file = {"keys": [{"name": "training-team",
                          "sha256": hashlib.sha256(admin.encode()).hexdigest(),
                          "role": "ADMIN"}]}
    for part, key in service_keys.items():
        key_file["keys"].append({"name": f"{part}-service",
                                 "sha256": hashlib.sha256(key.encode()).hexdigest(),
                                 "role": "SERVICE", "service": part})

    passwords = {user: random_b64url() for user in PARTS + ("operator",)}
    acl = open(ACL_TEMPLATE).read()
    for user, password in passwords.items():
        acl = acl.replace(f"#PASSWORD_SHA256_{user.upper()}",
                          "#" + hashlib.sha256(password.encode()).hexdigest())
    # Each part's URL, and the operator's (for redis-cli and the events
    # tool), under its own ACL user.
    redis_urls = {user: f"redis://{user}:{password}@redis:6379"
                  for user, password in passwords.items()}
    docs = [
        secret("training-api-keys", {"api-keys.json": json.dumps(key_file, indent=1)}),
        secret("training-service-keys", service_keys),
        secret("training-manage-tokens", {"secrets": "k1:" + random_b64url()}),
        secret("training-address-hash", {"secrets": "k1:" + random_b64url()}),
        secret("training-webhook-keys", {"secrets": "k1:" + random_b64url()}),
        secret("training-web-form-keys", {"keys": "k1:" + random_b64url()}),
        secret("training-redis", redis_urls),
        secret("training-redis-acl", {"users.acl": acl}),
    ]
    return docs, admin


def main():
    docs, admin = make()
    yaml.safe_dump_all(docs, sys.stdout, sort_keys=False)
    print(f"The training team's admin key (shown once, keep it safe): {admin}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
