#!/usr/bin/python3
"""The package lists agree with what uses them:
 - ./dev installs deploy/packages/build.txt and test.txt, and the
   Containerfile's builder installs build.txt: one list for both builds;
 - every shared library the built binaries load (ldd) comes from a package
   the runtime image gets: one in runtime.txt, a dependency of one, or one
   every Debian system has (Priority: required);
 - every library package in runtime.txt is loaded by some binary (no stale
   entry).

Usage: packages_check.py SOURCE_DIR BUILD_DIR"""

import os
import re
import subprocess
import sys

BINARIES = [
    "services/catalogue/training_catalogue",
    "services/booking/training_booking",
    "services/notification/training_notification",
    "services/content/training_content",
    "gateway/training_gateway",
    "tools/training_grpc",
]


def read_list(path):
    names = []
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


def installed():
    out = subprocess.run(
        ["dpkg-query", "-W", "-f",
         "${db:Status-Abbrev}\t${Package}\t${Priority}\t${Depends}\t${Pre-Depends}\n"],
        capture_output=True, text=True, check=True).stdout
    packages = {}
    for line in out.splitlines():
        status, name, priority, depends, pre = (line.split("\t") + ["", "", ""])[:5]
        if not status.startswith("ii"):
            continue  # removed, configuration files left
        deps = []
        for clause in filter(None, (depends + "," + pre).split(",")):
            # The first alternative that is installed stands for the clause.
            deps.append([re.sub(r"[ (:].*", "", alt.strip())
                         for alt in clause.split("|")])
        packages[name.split(":")[0]] = (priority, deps)
    return packages


def closure(roots, packages):
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in packages:
            continue
        seen.add(name)
        for alternatives in packages[name][1]:
            todo.extend(a for a in alternatives[:1] if a in packages)
            todo.extend(a for a in alternatives[1:] if a in packages and
                        not any(x in packages for x in alternatives[:1]))
    return seen


def owners(paths):
    """{path: package} for the paths dpkg knows (by the path or the file
    it links to: /lib is a link to /usr/lib on Debian 12)."""
    result = {}
    candidates = {}
    for path in paths:
        for c in {path, os.path.realpath(path),
                  re.sub(r"^/usr/lib/", "/lib/", os.path.realpath(path))}:
            candidates.setdefault(c, set()).add(path)
    out = subprocess.run(["dpkg", "-S"] + sorted(candidates),
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("diversion ") or ": " not in line:
            continue
        package, found = line.split(": ", 1)
        for path in candidates.get(found.strip(), ()):
            result[path] = package.split(":")[0].split(",")[0].strip()
    return result


def main():
    source, build = sys.argv[1], sys.argv[2]
    problems = []
    dev = open(os.path.join(source, "dev")).read()
    containerfile = open(os.path.join(source, "deploy/Containerfile")).read()
    for listed in ("deploy/packages/build.txt", "deploy/packages/test.txt"):
        if listed not in dev:
            problems.append(f"./dev does not install {listed}")
    if "COPY deploy/packages/build.txt" not in containerfile:
        problems.append("the Containerfile's builder does not install build.txt")
    if "COPY deploy/packages/runtime.txt" not in containerfile:
        problems.append("the Containerfile's runtime does not install runtime.txt")

    packages = installed()
    runtime = read_list(os.path.join(source, "deploy/packages/runtime.txt"))
    # The runtime's libraries are here because the build's -dev packages
    # bring them; the rest of runtime.txt (certificates) need not be.
    for name in read_list(os.path.join(source, "deploy/packages/build.txt")) + \
            [n for n in runtime if n.startswith("lib")]:
        if name not in packages:
            problems.append(f"{name} is listed but not installed here")
    required = {n for n, (prio, _) in packages.items() if prio == "required"}
    image = closure(runtime, packages) | closure(required, packages)
    used = set()
    loaded = {}
    for binary in BINARIES:
        out = subprocess.run(["ldd", os.path.join(build, binary)],
                             capture_output=True, text=True, check=True).stdout
        for m in re.finditer(r"=> (/\S+)", out):
            loaded.setdefault(m.group(1), binary)
        for m in re.finditer(r"^\s*(\S+) => not found", out, re.M):
            problems.append(f"{binary}: {m.group(1)} is not found at all")
    package_of = owners(loaded)
    for path, binary in sorted(loaded.items()):
        package = package_of.get(path)
        if package is None:
            problems.append(f"{binary}: {path} belongs to no package")
            continue
        used.add(package)
        if package not in image:
            problems.append(f"{binary}: {path} is in {package}, "
                            "which the runtime image does not get")
    libraries = len(loaded)
    for name in runtime:
        if name.startswith("lib") and name not in used:
            problems.append(f"runtime.txt: {name} is loaded by no binary")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"packages: {len(runtime)} runtime packages cover the "
          f"{len(used)} packages of {libraries} libraries the binaries load; "
          "./dev and the Containerfile share build.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
