#!/usr/bin/env bash
# Renders each kustomization given (kubectl 1.32's kustomize, as council
# IT will apply it) and checks what comes out: the API's schemas with no
# unknown field, the policy check (Pod
# Security, probes, resources, Secrets), the reachability model of the
# network policies, and, when given a build directory in TRAINING_BIN_DIR,
# that every TRAINING_* setting names a flag of the binary it is given to.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kubectl="${KUBECTL:-}"
for candidate in /usr/lib/google-cloud-sdk/bin/kubectl.1.32 kubectl; do
  [[ -n "$kubectl" ]] && break
  command -v "$candidate" >/dev/null && kubectl="$candidate"
done
if [[ -z "$kubectl" ]]; then
  echo "kubectl 1.32 not found: it is not a Debian package; install it from Kubernetes' own packages" >&2
  exit 1
fi
for dir in "$@"; do
  out="$(mktemp)"
  trap 'rm -f "$out"' EXIT
  "$kubectl" kustomize "$dir" >"$out"
  echo "$dir:"
  node "$here/validate_manifests.mjs" "$out"
  /usr/bin/python3 "$here/policy_check.py" "$out"
  /usr/bin/python3 "$here/reachability.py" "$out"
  if [[ -n "${TRAINING_BIN_DIR:-}" ]]; then
    /usr/bin/python3 "$here/settings_check.py" "$out" "$TRAINING_BIN_DIR"
  fi
  rm -f "$out"
done
