#!/usr/bin/env bash
# Builds the suite's images from deploy/Containerfile with podman, on a
# Debian 12 base made here by mmdebstrap (no registry is reachable), and
# starts the catalogue from its image the way the manifests run it: as
# uid 10001, read-only root, every capability dropped, no new privileges,
# scratch on tmpfs. Passes when its plaintext health port answers SERVING;
# also checks each image holds no compiler and that each binary's
# libraries resolve in its image.
#
# Usage: image_test.sh SOURCE_DIR BUILD_DIR (root; podman, mmdebstrap, runc)
set -euo pipefail
source_dir="$1"
build_dir="$2"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/image-test.XXXXXX")"
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
# The host gives no CAP_SYS_RESOURCE, so podman's default limits (above
# the hard ones) cannot be set: ask for what the services need.
limits=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
# Podman refuses a run root over 50 characters, and its sockets (in the
# run root and its temporary directory) must fit 108: both go in a short
# directory of their own, not the test's deep one.
runroot="$(mktemp -d /tmp/podman-run.XXXXXX)"
podman=(podman --root "$work/storage" --runroot "$runroot/run" --tmpdir "$runroot/tmp"
  --storage-driver overlay --cgroup-manager cgroupfs --events-backend file
  --runtime runc)
container=""
cleanup() {
  # Only what this test made: no `system reset`, which would also remove
  # the host's podman networks.
  "${podman[@]}" rm --all --force >/dev/null 2>&1 || true
  "${podman[@]}" rmi --all --force >/dev/null 2>&1 || true
  findmnt -rn -o TARGET | grep -e "^$work/" -e "^$runroot/" | sort -r |
    xargs -r umount -l || true
  rm -rf "$work" "$runroot"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# The build context as it is now (tracked and new files, not ignored
# ones), so that edits made while the test runs do not rebuild the
# builder stage for each image.
mkdir -p "$work/context"
git -C "$source_dir" ls-files -z --cached --others --exclude-standard |
  tar -C "$source_dir" -c --null --no-recursion --ignore-failed-read -T - -f - 2>/dev/null |
  tar -x -C "$work/context"
cp "$source_dir/.containerignore" "$work/context/" 2>/dev/null || true

echo "image test: Debian 12 base from mmdebstrap"
mmdebstrap --quiet --variant=minbase --include=ca-certificates,tzdata \
  bookworm "$work/base.tar"
"${podman[@]}" import --quiet "$work/base.tar" localhost/training/debian:12 >/dev/null
rm -f "$work/base.tar"

# npm behind a TLS-inspecting proxy needs the host's CA bundle.
ca_args=()
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
  ca_args=(--volume /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro
    --build-arg NPM_CONFIG_CAFILE=/run/host-ca.crt)
fi
for part in catalogue booking notification content gateway; do
  echo "image test: building training/$part"
  if ! "${podman[@]}" build --isolation chroot --network host --pull=never \
    "${limits[@]}" "${ca_args[@]}" \
    --build-arg DEBIAN_IMAGE=localhost/training/debian:12 \
    --target "$part" --tag "localhost/training/$part:test" \
    --file "$work/context/deploy/Containerfile" "$work/context" \
    >"$work/build-$part.log" 2>&1; then
    echo "the $part image did not build:" >&2
    tail -n 60 "$work/build-$part.log" >&2
    exit 1
  fi
done

run=("${podman[@]}" run --rm --network none "${limits[@]}" --read-only
  --cap-drop all --security-opt no-new-privileges)
for part in catalogue booking notification content gateway; do
  image="localhost/training/$part:test"
  # Every library resolves, and the help lists the flags.
  help="$("${run[@]}" "$image" --help 2>&1)" || true
  [[ "$help" == *"(TRAINING_"* ]] ||
    { echo "training_$part does not start in its image: $help" >&2; exit 1; }
  user="$("${run[@]}" --entrypoint /usr/bin/id "$image" -u)"
  [[ "$user" == 10001 ]] || { echo "$part runs as uid $user" >&2; exit 1; }
  for tool in gcc g++ cc cmake; do
    if "${run[@]}" --entrypoint /bin/sh "$image" -c "command -v $tool" >/dev/null; then
      echo "$part's image holds $tool" >&2
      exit 1
    fi
  done
  "${run[@]}" --entrypoint /bin/ls "$image" /usr/share/zoneinfo/Europe/London \
    /etc/ssl/certs/ca-certificates.crt >/dev/null
done
stop_signal="$("${podman[@]}" image inspect --format '{{.Config.StopSignal}}' \
  localhost/training/catalogue:test)"
[[ "$stop_signal" == SIGTERM ]] || { echo "stop signal is $stop_signal" >&2; exit 1; }

echo "image test: starting the catalogue"
read -r grpc_port health_port metrics_port < <(/usr/bin/python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
PY
)
# Its data directory as Kubernetes gives it (a volume the user owns; a
# podman tmpfs would take the image directory's mode but root's owner).
mkdir -p "$work/data"
chown 10001:10001 "$work/data"
# The tests' Redis when there is one, never a developer's on 6379.
redis_url="${TRAINING_TEST_REDIS_URL:-redis://127.0.0.1:1}"
container="$("${podman[@]}" run -d --network host "${limits[@]}" --read-only \
  --cap-drop all --security-opt no-new-privileges \
  --tmpfs /tmp:mode=1777 --volume "$work/data:/var/lib/training" \
  -e TRAINING_HOST=127.0.0.1 -e TRAINING_PORT="$grpc_port" \
  -e TRAINING_HEALTH_PORT="$health_port" -e TRAINING_METRICS_PORT="$metrics_port" \
  -e TRAINING_REDIS_URL="$redis_url" \
  localhost/training/catalogue:test)"
for _ in $(seq 1 120); do
  if "$build_dir/tools/training_grpc" health "127.0.0.1:$health_port" 2>/dev/null |
    grep -q SERVING; then
    echo "image test: the catalogue's image serves (health SERVING on $health_port)"
    "${podman[@]}" stop --time 30 "$container" >/dev/null
    code="$("${podman[@]}" inspect --format '{{.State.ExitCode}}' "$container")"
    [[ "$code" == 0 ]] || { echo "catalogue exited $code on SIGTERM" >&2; exit 1; }
    echo "image test: stopped by SIGTERM, exit 0"
    exit 0
  fi
  sleep 0.5
done
echo "the catalogue's image never served; its log:" >&2
"${podman[@]}" logs "$container" >&2 || true
exit 1
