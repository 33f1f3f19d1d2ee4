#!/usr/bin/env bash
# Renders each kustomization given (kubectl 1.32's kustomize, as council
# IT will apply it) and runs the policy check over what comes out.
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
  "$kubectl" kustomize "$dir" >"$out"
  echo "$dir:"
  /usr/bin/python3 "$here/policy_check.py" "$out"
  rm -f "$out"
done
