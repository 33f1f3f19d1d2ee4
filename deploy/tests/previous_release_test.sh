#!/usr/bin/env bash
# A rolling update runs the previous release's pods beside this release's
# on one database. This builds the previous release's catalogue (the
# commit named in deploy/previous-release, from this repository's
# history, reusing this build's ccache for what did not change) and runs
# it beside this build's catalogue on one PostgreSQL database migrated by
# the new binary: both serve, each reads what the other wrote, and the old
# one restarts against the new schema. Then this release's binary is run
# on a database the old one made (the rollout's first step).
#
# Usage: previous_release_test.sh SOURCE_DIR BUILD_DIR
# Needs TRAINING_TEST_POSTGRES_URL (./dev test starts PostgreSQL), git
# history (a full clone), ccache, psql.
set -euo pipefail
source_dir="$1"
build_dir="$2"
url="${TRAINING_TEST_POSTGRES_URL:?TRAINING_TEST_POSTGRES_URL is not set (./dev test sets it)}"
# The tests' Redis (events are relayed there), never a developer's.
redis_url="${TRAINING_TEST_REDIS_URL:?TRAINING_TEST_REDIS_URL is not set (./dev test sets it)}"
previous="$(sed -e 's/#.*//' "$source_dir/deploy/previous-release" | tr -d '[:space:]')"
if ! git -C "$source_dir" cat-file -e "$previous^{commit}"; then
  echo "the previous release $previous cannot be read from this clone's history (a clone made with --depth lacks it)" >&2
  exit 1
fi
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/previous-release.XXXXXX")"
pids=()
databases=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for db in "${databases[@]}"; do
    psql -X -q -v ON_ERROR_STOP=1 "$url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
# A failing step says where, with the services' last words, before the
# cleanup removes their logs.
trap 'echo "previous release test: failed at line $LINENO" >&2
      tail -n 30 "$work"/*.log >&2 2>/dev/null || true' ERR

echo "previous release: building training_catalogue at ${previous:0:12}"
mkdir -p "$work/src"
git -C "$source_dir" archive "$previous" | tar -x -C "$work/src"
ln -s "$source_dir/node_modules" "$work/src/node_modules"
# Hashed relative to each tree, so objects this build made are reused.
export CCACHE_BASEDIR="$work/src" CCACHE_NOHASHDIR=true
# Configured as this build was, for the same compiler flags.
cached() { sed -n "s/^$1:[A-Z]*=//p" "$build_dir/CMakeCache.txt"; }
cmake -S "$work/src" -B "$work/src/build" -G Ninja \
  -DCMAKE_BUILD_TYPE="$(cached CMAKE_BUILD_TYPE)" \
  -DTRAINING_WERROR="$(cached TRAINING_WERROR)" >/dev/null
ccache_counts() {
  ccache --print-stats 2>/dev/null | awk -F'\t' '
    $1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { h += $2 }
    $1 == "cache_miss" { m = $2 }
    END { print h + 0, m + 0 }'
}
read -r hits_before misses_before < <(ccache_counts)
started=$SECONDS
cmake --build "$work/src/build" --target training_catalogue >"$work/build.log" 2>&1
read -r hits_after misses_after < <(ccache_counts)
echo "previous release: built in $((SECONDS - started)) s" \
  "($((hits_after - hits_before)) compilations from ccache, $((misses_after - misses_before)) compiled)"
old="$work/src/build/services/catalogue/training_catalogue"
new="$build_dir/services/catalogue/training_catalogue"

admin_key="trk_previous_release_test_admin_key_0001"
keys="$(/usr/bin/python3 -c "import hashlib,json,sys;print(json.dumps({'keys':[{'name':'admin','sha256':hashlib.sha256(sys.argv[1].encode()).hexdigest(),'role':'ADMIN'}]}))" "$admin_key")"
free_ports() {
  /usr/bin/python3 -c "
import socket
s=[socket.socket() for _ in range(3)]
[x.bind(('127.0.0.1',0)) for x in s]
print(*[x.getsockname()[1] for x in s])"
}
# start NAME BINARY DATABASE: starts a catalogue and waits for SERVING;
# sets port_NAME.
start() {
  local name="$1" binary="$2" db="$3" grpc health metrics
  read -r grpc health metrics < <(free_ports)
  TRAINING_API_KEYS="$keys" TRAINING_REDIS_URL="$redis_url" \
    "$binary" --host=127.0.0.1 --port="$grpc" \
    --health_port="$health" --metrics_port="$metrics" \
    --data_dir="$work/data-$name" --database_url="${url%/*}/$db" \
    >"$work/$name.log" 2>&1 &
  pids+=($!)
  eval "pid_$name=$!"
  eval "port_$name=$grpc"
  for _ in $(seq 1 120); do
    if "$build_dir/tools/training_grpc" health "127.0.0.1:$health" >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$!" 2>/dev/null; then break; fi
    sleep 0.25
  done
  echo "catalogue $name did not serve; its log:" >&2
  cat "$work/$name.log" >&2
  return 1
}
stop() {
  local pid_var="pid_$1"
  kill -TERM "${!pid_var}"
  wait "${!pid_var}" || true
}
call() {
  TRAINING_KEY="$admin_key" "$build_dir/tools/training_grpc" call "127.0.0.1:$1" \
    "training.catalogue.v1.CatalogueService/$2" "$3"
}
create_course() {
  call "$1" CreateCourse "{\"courseId\":\"$2\",\"course\":{\"title\":\"Course $2\",\"duration\":\"10800s\",\"level\":\"INTRODUCTORY\",\"eligibleAgencyTypes\":[\"EARLY_HELP\"]}}" >/dev/null
}
has_course() {
  local course
  course="$(call "$1" GetCourse "{\"name\":\"courses/$2\"}")"
  [[ "$course" == *"\"courses/$2\""* ]]
}
# new_database NAME: a fresh database, dropped at the end; sets db.
new_database() {
  # t_… like every test database, so ./dev's leftover check sees one left.
  db="t_prev_release_$$_$1"
  psql -X -q -v ON_ERROR_STOP=1 "$url" -c "CREATE DATABASE $db" >/dev/null
  databases+=("$db")
}

echo "previous release: the new schema, both releases side by side"
new_database a
start new "$new" "$db"
create_course "$port_new" written-by-new
start old "$old" "$db"
create_course "$port_old" written-by-old
has_course "$port_old" written-by-new
has_course "$port_new" written-by-old
stop old
start old "$old" "$db"
has_course "$port_old" written-by-new
stop old
stop new

echo "previous release: the old schema, then the new release on it"
new_database b
start old "$old" "$db"
create_course "$port_old" before-the-update
start new "$new" "$db"
has_course "$port_new" before-the-update
create_course "$port_new" during-the-update
has_course "$port_old" during-the-update
stop old
stop new

# This build as the next release's previous one: the next release's
# expand migration (a column added, recorded as one more catalogue
# migration) leaves it running; a contract migration (recorded in
# schema_readers) makes it refuse to start, naming the migration.
echo "previous release: this build beside the next release's expand, then its contract"
new_database c
start new "$new" "$db"
create_course "$port_new" before-the-expand
stop new
known="$(psql -X -Atq -v ON_ERROR_STOP=1 "${url%/*}/$db" -c "SELECT max(version) FROM schema_migrations WHERE component = 'catalogue'")"
psql -X -q -v ON_ERROR_STOP=1 --single-transaction "${url%/*}/$db" >/dev/null <<SQL
ALTER TABLE courses ADD COLUMN next_release_note TEXT;
INSERT INTO schema_migrations (component, version, description, applied_at_us)
  VALUES ('catalogue', $((known + 1)), 'the next release: a note on courses', 0);
SQL
start new "$new" "$db"
has_course "$port_new" before-the-expand
create_course "$port_new" after-the-expand
stop new
psql -X -q -v ON_ERROR_STOP=1 --single-transaction "${url%/*}/$db" >/dev/null <<SQL
INSERT INTO schema_migrations (component, version, description, applied_at_us)
  VALUES ('catalogue', $((known + 2)), 'the release after: a column dropped', 0);
UPDATE schema_readers SET oldest_version = $((known + 2)) WHERE component = 'catalogue';
SQL
if start new "$new" "$db" 2>/dev/null; then
  echo "this build started against a schema a contract migration took away from" >&2
  exit 1
fi
grep -q "its migration $((known + 2)) took away what this binary uses" "$work/new.log" || {
  echo "the refusal does not name the contract migration:" >&2
  cat "$work/new.log" >&2
  exit 1
}
echo "previous release: ${previous:0:12} and this build ran side by side on one database, each way; this build runs beside an expanded schema and refuses a contracted one"
