#!/usr/bin/python3
"""Every TRAINING_* setting the rendered manifests give a container (its
ConfigMap and its env) names a flag of the binary in that container's
image: a misspelt setting would otherwise be ignored silently. The flags
are read from each binary's --help, which lists them with their
environment names.

Usage: settings_check.py RENDERED.yaml BUILD_DIR"""

import os
import re
import subprocess
import sys

import yaml

BINARIES = {
    "catalogue": "services/catalogue/training_catalogue",
    "booking": "services/booking/training_booking",
    "notification": "services/notification/training_notification",
    "content": "services/content/training_content",
    "gateway": "gateway/training_gateway",
}


def known_settings(binary):
    out = subprocess.run([binary, "--help"], capture_output=True, text=True,
                         check=True).stdout
    return set(re.findall(r"\((TRAINING_[A-Z0-9_]+)\)", out))


def check(docs, build_dir):
    config_maps = {d["metadata"]["name"]: d.get("data", {})
                   for d in docs if d.get("kind") == "ConfigMap"}
    problems = []
    checked = 0
    for obj in docs:
        if obj.get("kind") != "Deployment":
            continue
        for c in obj["spec"]["template"]["spec"]["containers"]:
            # Each part's container is named after it (its image may be
            # renamed or pinned by digest).
            part = c["name"]
            if part not in BINARIES:
                continue
            known = known_settings(os.path.join(build_dir, BINARIES[part]))
            names = [e["name"] for e in c.get("env", [])]
            for source in c.get("envFrom", []):
                ref = source.get("configMapRef", {}).get("name")
                if ref is None:
                    continue
                if ref not in config_maps:
                    problems.append(f"{obj['metadata']['name']}: ConfigMap {ref} "
                                    "is not in the rendered objects")
                    continue
                names += list(config_maps[ref])
            for name in names:
                if not name.startswith("TRAINING_"):
                    continue
                checked += 1
                if name not in known:
                    problems.append(f"{obj['metadata']['name']}: {name} is no "
                                    f"flag of training_{part}")
    return problems, checked


def main():
    docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
    problems, checked = check(docs, sys.argv[2])
    if checked == 0:
        problems.append("no setting of any part was checked")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"settings: {checked} settings, each a flag of its binary")
    return 0


if __name__ == "__main__":
    sys.exit(main())
