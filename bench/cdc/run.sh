#!/usr/bin/env bash
# postgres_changes benchmark for Herald — one command: bench/cdc/run.sh
#
# Installs its Node packages, builds Herald if its jar is missing (BUILD=1 forces a build), starts Herald with its
# embedded PostgreSQL pinned to core 0, moves PostgreSQL to core 1 (PG_CORE=0 leaves it on core 0 with Herald), runs
# the load generators pinned to core 1 and writes bench/results/cdc-<timestamp>.{jsonl,md}.
# Everything listens on 127.0.0.1; every process started here is stopped by its PID on exit. Bounded: < 10 minutes.
#
# Knobs (environment): PG_CORE=1|0, BUILD=1, QUICK=1 (short phases, to try the script), SUB_PROCS (subscriber
# processes, default 2), RAMP_STEPS (default 1000,2000,4000,8000,12000,16000), PAD_BYTES (default 100),
# HERALD_CDC_POLL_INTERVAL_MS (passed to Herald, default 10), DEADLINE_S (phases not started after it are skipped).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RESULTS="$(cd "$HERE/.." && pwd)/results"
PG_CORE="${PG_CORE:-1}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$RESULTS/cdc-$STAMP"

say() { printf '[run.sh] %s\n' "$*"; }

for tool in node npm java taskset; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then echo "needs at least 2 cores (server on core 0, generators on core 1)" >&2; exit 1; fi

# ---- dependencies ------------------------------------------------------------------------------------------------
say "installing Node packages (npm ci)"
(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

JAR="$ROOT/dist/standalone/target/herald.jar"
if [ "${BUILD:-0}" = 1 ] || [ ! -f "$JAR" ]; then
  say "building Herald"
  (cd "$ROOT" && { mvn -B -q -o install -DskipTests || mvn -B -q install -DskipTests; })
fi

# ---- processes and cleanup ---------------------------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/herald-bench-cdc.XXXXXX")"
HERALD_PID=""
BENCH_PID=""
PM_PID=""

stop_pid() { # pid signal grace-seconds
  local pid="$1" sig="$2" grace="$3" i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  set +e
  stop_pid "$BENCH_PID" TERM 5
  stop_pid "$HERALD_PID" TERM 30
  # Herald stops its embedded PostgreSQL; if it could not, stop the postmaster (SIGINT = fast shutdown).
  stop_pid "$PM_PID" INT 10
  if [ -f "$WORK/herald.log" ] && [ -d "$RESULTS" ]; then cp "$WORK/herald.log" "$OUT-herald.log"; fi
  if [ -f "$WORK/gc.log" ] && [ -d "$RESULTS" ]; then cp "$WORK/gc.log" "$OUT-gc.log"; fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
SECRET="$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')"
PG_PORT="$(free_port)"
cp "$JAR" "$WORK/herald.jar" # a private copy: a rebuild during the run cannot pull the jar from under the JVM

say "starting Herald on core 0 (java -Xms1g -Xmx1g, embedded PostgreSQL on port $PG_PORT)"
HERALD_HTTP_HOST=127.0.0.1 HERALD_HTTP_PORT=0 HERALD_DATA_DIR="$WORK/data" HERALD_JWT_SECRET="$SECRET" \
HERALD_DB_EMBEDDED_PORT="$PG_PORT" HERALD_CDC_POLL_INTERVAL_MS="${HERALD_CDC_POLL_INTERVAL_MS:-10}" \
  taskset -c 0 java -Xms1g -Xmx1g -Xlog:gc:file="$WORK/gc.log" -jar "$WORK/herald.jar" >"$WORK/herald.log" 2>&1 &
HERALD_PID=$!

HTTP_PORT=""
for ((i = 0; i < 900; i++)); do
  if ! kill -0 "$HERALD_PID" 2>/dev/null; then echo "Herald exited during start; last log lines:" >&2; tail -30 "$WORK/herald.log" >&2; exit 1; fi
  HTTP_PORT="$(sed -n 's#^Herald listening on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$WORK/herald.log" | head -1)"
  [ -n "$HTTP_PORT" ] && break
  sleep 0.1
done
[ -n "$HTTP_PORT" ] || { echo "Herald did not start within 90 s" >&2; tail -30 "$WORK/herald.log" >&2; exit 1; }
PG_URL_LINE="$(sed -n 's#.*connect with: psql \(postgresql://[^ ]*\).*#\1#p' "$WORK/herald.log" | head -1)"
PG_URL="${PG_URL_LINE:-postgresql://postgres:postgres@127.0.0.1:$PG_PORT/postgres}"
PG_DATA="$WORK/data/postgres"
PM_PID="$(head -1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
say "Herald pid $HERALD_PID on http://127.0.0.1:$HTTP_PORT; PostgreSQL postmaster pid ${PM_PID:-?}"

# ---- pinning -----------------------------------------------------------------------------------------------------
# PostgreSQL is started by Herald and inherits core 0. With PG_CORE=1 the postmaster and all its current processes
# are moved to core 1 (new backends fork from the postmaster and inherit it), so core 0 measures Herald alone.
if [ -n "$PM_PID" ] && [ "$PG_CORE" = 1 ]; then
  for pid in "$PM_PID" $(ps -o pid= --ppid "$PM_PID"); do taskset -a -pc 1 "$pid" >/dev/null 2>&1 || true; done
  PINNING="Herald pinned to core 0 (taskset -c 0); its embedded PostgreSQL was moved to core 1 (taskset -pc 1), next to the load generators (taskset -c 1)"
else
  PINNING="Herald pinned to core 0 (taskset -c 0) together with its embedded PostgreSQL (a child process, inherits core 0); load generators on core 1 (taskset -c 1)"
fi
say "$PINNING"

# ---- benchmark ---------------------------------------------------------------------------------------------------
mkdir -p "$RESULTS"
HERALD_URL="http://127.0.0.1:$HTTP_PORT" HERALD_PID="$HERALD_PID" HERALD_LOG="$WORK/herald.log" PG_URL="$PG_URL" \
HERALD_GC_LOG="$WORK/gc.log" PG_DATA="$PG_DATA" JWT_SECRET="$SECRET" OUT="$OUT" PINNING="$PINNING" DEADLINE_S="${DEADLINE_S:-420}" \
HERALD_CDC_POLL_INTERVAL_MS="${HERALD_CDC_POLL_INTERVAL_MS:-10}" \
  timeout -k 5 540 taskset -c 1 node "$HERE/bench.js" &
BENCH_PID=$!
set +e
wait "$BENCH_PID"
BENCH_RC=$?
set -e
BENCH_PID=""
if [ "$BENCH_RC" -ne 0 ]; then echo "benchmark failed (exit $BENCH_RC); Herald log tail:" >&2; tail -20 "$WORK/herald.log" >&2; exit "$BENCH_RC"; fi
say "results: ${OUT#"$ROOT"/}.jsonl, ${OUT#"$ROOT"/}.md (Herald log and GC log: ${OUT#"$ROOT"/}-herald.log, -gc.log)"
