#!/usr/bin/env bash
# postgres_changes benchmark for Herald — one command: bench/cdc/run.sh [--scenario all|classic|authorised|authorised-policy|authorised-rls]
#
# Installs its Node packages, builds Herald if its jar is missing (BUILD=1 forces a build), starts Herald with its
# embedded PostgreSQL pinned to core 0, moves PostgreSQL to core 1 (PG_CORE=0 leaves it on core 0 with Herald), runs
# the load generators pinned to core 1 and writes bench/results/cdc-<timestamp>*.{jsonl,md}.
#   classic     — latency with 1,000 subscribers, ramp, 100 tx/s, bulk drain (bench.js, one Herald): ~3 min, < 10
#   authorised  — 3,000 subscribers of 300 users, delivery decided by authorisation only (authorised.js), two modes,
#                 each on a fresh Herald: A in-engine row policy, B PostgreSQL RLS: ~2.5 min, < 10
#   all         — both (default): ~6 min, < 15
# Everything listens on 127.0.0.1; every process started here is stopped by its PID on exit.
#
# Knobs (environment): SCENARIO (same as --scenario), PG_CORE=1|0, BUILD=1, QUICK=1 (short phases, to try the script),
# SUB_PROCS (classic subscriber processes, default 2), RAMP_STEPS (default 1000,2000,4000,8000,12000,16000),
# PAD_BYTES (default 100), HERALD_CDC_POLL_INTERVAL_MS (passed to Herald, default 10), DEADLINE_S (classic phases not
# started after it are skipped), AUTH_STEPS_POLICY (default 250,500,750,1000,1500,2000,3000,4000,5000),
# AUTH_STEPS_RLS (default 10,20,50,100,200,500,1000,2000,4000,5000),
# AUTH_STEP_S (10), AUTH_WARMUP_S (8), AUTH_SUB_PROCS (3), AUTH_USERS (300), AUTH_CONNS_PER_USER (10).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RESULTS="$(cd "$HERE/.." && pwd)/results"
PG_CORE="${PG_CORE:-1}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$RESULTS/cdc-$STAMP"
SCENARIO="${SCENARIO:-all}"

say() { printf '[run.sh] %s\n' "$*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) SCENARIO="${2:-}"; shift 2 ;;
    --scenario=*) SCENARIO="${1#--scenario=}"; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
case "$SCENARIO" in
  all) PARTS="classic policy rls" ;;
  classic) PARTS="classic" ;;
  authorised) PARTS="policy rls" ;;
  authorised-policy) PARTS="policy" ;;
  authorised-rls) PARTS="rls" ;;
  authorised-open) PARTS="open" ;; # self-check of the leak counter: no policy, no RLS, every row leaks to all but its owner
  *) echo "unknown scenario: $SCENARIO (all, classic, authorised, authorised-policy, authorised-rls, authorised-open)" >&2; exit 2 ;;
esac

for tool in node npm java taskset; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then echo "needs at least 2 cores (server on core 0, generators on core 1)" >&2; exit 1; fi

# ---- dependencies ------------------------------------------------------------------------------------------------
say "installing Node packages (npm ci)"
(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

# HERALD_JAR measures another build (e.g. an older commit's jar) and skips the build.
JAR="${HERALD_JAR:-$ROOT/dist/standalone/target/herald.jar}"
if [ -n "${HERALD_JAR:-}" ]; then
  [ -f "$JAR" ] || { echo "HERALD_JAR=$JAR does not exist" >&2; exit 1; }
elif [ "${BUILD:-0}" = 1 ] || [ ! -f "$JAR" ]; then
  say "building Herald"
  (cd "$ROOT" && { mvn -B -q -o install -DskipTests || mvn -B -q install -DskipTests; })
fi

# ---- processes and cleanup ---------------------------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/herald-bench-cdc.XXXXXX")"
HERALD_PID=""
BENCH_PID=""
PM_PID=""
TAG=""   # suffix of the current Herald's log files in results ("" for classic, "-authorised-policy", ...)

stop_pid() { # pid signal grace-seconds
  local pid="$1" sig="$2" grace="$3" i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
stop_herald() {
  stop_pid "$HERALD_PID" TERM 30
  # Herald stops its embedded PostgreSQL; if it could not, stop the postmaster (SIGINT = fast shutdown).
  stop_pid "$PM_PID" INT 10
  HERALD_PID=""
  PM_PID=""
  if [ -d "$RESULTS" ]; then
    if [ -f "$WORK/herald.log" ]; then cp "$WORK/herald.log" "$OUT$TAG-herald.log"; fi
    if [ -f "$WORK/gc.log" ]; then cp "$WORK/gc.log" "$OUT$TAG-gc.log"; fi
  fi
  rm -rf "$WORK/data" "$WORK/herald.log" "$WORK/gc.log"
}
cleanup() {
  local rc=$?
  set +e
  stop_pid "$BENCH_PID" TERM 5
  stop_herald
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
SECRET="$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')"
cp "$JAR" "$WORK/herald.jar" # a private copy: a rebuild during the run cannot pull the jar from under the JVM

# start_herald [VAR=value ...]: a fresh Herald (new data directory, new embedded PostgreSQL) with extra environment
start_herald() {
  local pg_port i
  pg_port="$(free_port)"
  say "starting Herald on core 0 (java -Xms1g -Xmx1g, embedded PostgreSQL on port $pg_port)${*:+ with $*}"
  env "$@" HERALD_HTTP_HOST=127.0.0.1 HERALD_HTTP_PORT=0 HERALD_DATA_DIR="$WORK/data" HERALD_JWT_SECRET="$SECRET" \
  HERALD_DB_EMBEDDED_PORT="$pg_port" HERALD_CDC_POLL_INTERVAL_MS="${HERALD_CDC_POLL_INTERVAL_MS:-10}" \
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
  local url_line
  url_line="$(sed -n 's#.*connect with: psql \(postgresql://[^ ]*\).*#\1#p' "$WORK/herald.log" | head -1)"
  PG_URL="${url_line:-postgresql://postgres:postgres@127.0.0.1:$pg_port/postgres}"
  PG_DATA="$WORK/data/postgres"
  PM_PID="$(head -1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
  say "Herald pid $HERALD_PID on http://127.0.0.1:$HTTP_PORT; PostgreSQL postmaster pid ${PM_PID:-?}"

  # PostgreSQL is started by Herald and inherits core 0. With PG_CORE=1 the postmaster and all its current processes
  # are moved to core 1 (new backends fork from the postmaster and inherit it), so core 0 measures Herald alone.
  if [ -n "$PM_PID" ] && [ "$PG_CORE" = 1 ]; then
    for pid in "$PM_PID" $(ps -o pid= --ppid "$PM_PID"); do taskset -a -pc 1 "$pid" >/dev/null 2>&1 || true; done
    PINNING="Herald pinned to core 0 (taskset -c 0); its embedded PostgreSQL was moved to core 1 (taskset -pc 1), next to the load generators (taskset -c 1)"
  else
    PINNING="Herald pinned to core 0 (taskset -c 0) together with its embedded PostgreSQL (a child process, inherits core 0); load generators on core 1 (taskset -c 1)"
  fi
  say "$PINNING"
}

# run_bench seconds script [args]: the coordinator on core 1, bounded by `timeout`, against the current Herald
run_bench() {
  local limit="$1" rc
  shift
  HERALD_URL="http://127.0.0.1:$HTTP_PORT" HERALD_PID="$HERALD_PID" HERALD_LOG="$WORK/herald.log" PG_URL="$PG_URL" \
  HERALD_GC_LOG="$WORK/gc.log" PG_DATA="$PG_DATA" JWT_SECRET="$SECRET" OUT="$OUT" PINNING="$PINNING" \
  HERALD_CDC_POLL_INTERVAL_MS="${HERALD_CDC_POLL_INTERVAL_MS:-10}" \
    timeout -k 5 "$limit" taskset -c 1 node "$@" &
  BENCH_PID=$!
  set +e
  wait "$BENCH_PID"
  rc=$?
  set -e
  BENCH_PID=""
  if [ "$rc" -ne 0 ]; then echo "benchmark failed (exit $rc); Herald log tail:" >&2; tail -20 "$WORK/herald.log" >&2; exit "$rc"; fi
}

# authorised modes share one budget, so the authorised scenario ends within 10 minutes even if a start or a stop is slow
AUTH_BUDGET_S=570
AUTH_T0=""
auth_limit() { # prints the seconds the next authorised coordinator may run (0: no time left for it)
  local left=$((AUTH_BUDGET_S - ($(date +%s) - AUTH_T0) - 45)) # 45 s kept for stopping Herald
  if [ "$left" -gt 200 ]; then left=200; fi
  if [ "$left" -lt 60 ]; then left=0; fi
  echo "$left"
}

mkdir -p "$RESULTS"
for part in $PARTS; do
  if [ "$part" != classic ] && [ -z "$AUTH_T0" ]; then AUTH_T0="$(date +%s)"; fi
  case "$part" in
    classic)
      TAG=""
      start_herald
      DEADLINE_S="${DEADLINE_S:-420}" run_bench 540 "$HERE/bench.js"
      stop_herald
      ;;
    policy|rls|open)
      TAG="-authorised-$part"
      if [ "$part" = policy ]; then
        printf '%s\n' '{"comment":"herald bench: owners only","rows":[{"table":"public.owned","column":"user_id","claim":"sub"}]}' >"$WORK/policy.json"
        start_herald HERALD_POLICY_FILE="$WORK/policy.json"
      else
        start_herald
      fi
      LIMIT="$(auth_limit)"
      if [ "$LIMIT" -eq 0 ]; then
        say "authorised $part skipped: the 10-minute budget of the authorised scenario is spent"
        printf '{"type":"skipped","mode":"%s","why":"the 10-minute budget of the authorised scenario was spent"}\n' "$part" >>"$OUT-authorised.jsonl"
      else
        # no step starts after LIMIT - 50 s (a step takes at most ~35 s: 10 s writer, <= 20 s drain, reports)
        DL=$((LIMIT - 50))
        if [ -n "${AUTH_DEADLINE_S:-}" ] && [ "$AUTH_DEADLINE_S" -lt "$DL" ]; then DL="$AUTH_DEADLINE_S"; fi
        MODE="$part" AUTH_DEADLINE_S="$DL" run_bench "$LIMIT" "$HERE/authorised.js" run
      fi
      stop_herald
      ;;
  esac
done
if [ -f "$OUT-authorised.jsonl" ]; then OUT="$OUT" node "$HERE/authorised.js" report; fi

say "results (in ${RESULTS#"$ROOT"/}/):"
for f in "$OUT"*; do say "  $(basename "$f")"; done
