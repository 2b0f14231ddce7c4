#!/usr/bin/env bash
# Every Herald benchmark in one command, bounded to about 30 minutes (TOTAL_S, default 1800):
#
#   bench/run-all.sh
#
#   1. bench/fanout/run.sh — fan-out ladder and idle connections, Herald next to nats-server (ws), nginx + nchan,
#      Socket.IO and a trivial ws server (the generator's ceiling); ~13 min, capped at FANOUT_MAX_S (960)
#   2. bench/cdc/run.sh    — postgres_changes latency, sustained rate, bulk drain (if present); scenario "all"
#      (~8 min) when at least CDC_ALL_MIN_S (660) remain before the JMH reserve, else "classic" (~3 min)
#   3. bench/jmh/run.sh    — JMH microbenchmarks of the hot paths (if present); ~3-4 min, gets what is left
#
# Each part runs under `timeout` with the time left (parts clean up their own processes on TERM); a part that
# fails or runs out of time is reported as such and the next one still runs. Writes
# bench/results/all-<UTC timestamp>.md (the combined summary, also printed) and one .log per part next to it.
# Knobs: TOTAL_S, FANOUT_MAX_S, JMH_RESERVE_S (360), CDC_SCENARIO (overrides the choice above), SKIP="cdc jmh", and
# those of each part (see bench/fanout/README.md). `bench/run-all.sh --summarize <timestamp>` rebuilds the summary.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
RESULTS="$HERE/results"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
TOTAL_S="${TOTAL_S:-1800}"
FANOUT_MAX_S="${FANOUT_MAX_S:-960}"
JMH_RESERVE_S="${JMH_RESERVE_S:-360}"
CDC_ALL_MIN_S="${CDC_ALL_MIN_S:-660}"
SKIP="${SKIP:-}"
START=$(date +%s)
PART_PID=""

SUMMARY_ONLY=""
case "${1:-}" in
  -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
  --summarize) SUMMARY_ONLY=1; STAMP="${2:?--summarize needs the timestamp of a run (all-<timestamp>.md)}" ;;
  "") ;;
  *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac
ALL="$RESULTS/all-$STAMP"

mkdir -p "$RESULTS"
cleanup() {
  local rc=$?
  if [ -n "$PART_PID" ] && kill -0 "$PART_PID" 2>/dev/null; then
    kill -TERM "$PART_PID" 2>/dev/null
    for _ in $(seq 1 300); do kill -0 "$PART_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '[run-all] %s\n' "$*"; }
left() { echo $((TOTAL_S - ($(date +%s) - START))); }
row() { printf '%s\n' "$1" >>"$ALL.parts"; } # status rows of the summary, kept in a file for --summarize

# run_part name limit-seconds command...: runs it under timeout, logs to $ALL-<name>.log, records status
run_part() {
  local name="$1" limit="$2" t0 rc status
  shift 2
  if [ "$limit" -lt 60 ]; then
    row "| $name | skipped: only ${limit} s of the ${TOTAL_S} s budget left | – |"
    say "$name skipped (${limit} s left)"
    return
  fi
  say "$name: $* (at most ${limit} s)"
  t0=$(date +%s)
  timeout -s TERM -k 30 "$limit" "$@" > >(tee "$ALL-$name.log") 2>&1 &
  PART_PID=$!
  wait "$PART_PID"
  rc=$?
  PART_PID=""
  case "$rc" in
    0) status="ok" ;;
    124|137) status="stopped at the ${limit} s limit (partial results)" ;;
    *) status="failed (exit $rc; see ${ALL#"$ROOT"/}-$name.log)" ;;
  esac
  row "| $name | $status | $(( $(date +%s) - t0 )) s |"
  say "$name: $status after $(( $(date +%s) - t0 )) s"
}

skip() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }

export FANOUT_OUT="$RESULTS/fanout-$STAMP"
if [ -z "$SUMMARY_ONLY" ]; then
echo "$START" >"$ALL.start"
# ---- 1. fan-out + connections ------------------------------------------------------------------------------------
if skip fanout; then row "| fanout | skipped (SKIP) | – |"; else
  lim=$(left); [ "$lim" -gt "$FANOUT_MAX_S" ] && lim="$FANOUT_MAX_S"
  run_part fanout "$lim" "$HERE/fanout/run.sh"
fi

# ---- 2. postgres_changes -----------------------------------------------------------------------------------------
if skip cdc; then row "| cdc | skipped (SKIP) | – |"; elif [ -x "$HERE/cdc/run.sh" ]; then
  lim=$(( $(left) - JMH_RESERVE_S ))
  [ -x "$HERE/jmh/run.sh" ] || lim=$(left)
  scenario="${CDC_SCENARIO:-}"
  if [ -z "$scenario" ]; then if [ "$lim" -ge "$CDC_ALL_MIN_S" ]; then scenario=all; else scenario=classic; fi; fi
  run_part cdc "$lim" "$HERE/cdc/run.sh" --scenario "$scenario"
else
  row "| cdc | not present (bench/cdc/run.sh) | – |"
fi

# ---- 3. JMH ------------------------------------------------------------------------------------------------------
if skip jmh; then row "| jmh | skipped (SKIP) | – |"; elif [ -x "$HERE/jmh/run.sh" ]; then
  run_part jmh "$(left)" "$HERE/jmh/run.sh"
else
  row "| jmh | not present (bench/jmh/run.sh) | – |"
fi
echo "$(date +%s)" >"$ALL.end"
fi

# ---- combined summary --------------------------------------------------------------------------------------------
# Output files are taken from each part's own log ("[run.sh]   cdc-....md", "results: bench/results/jmh-....json"),
# not from modification times: other runs may write into bench/results at the same time.
cdc_mds() { [ -f "$ALL-cdc.log" ] && sed -n 's#^\[run.sh\] *\(cdc-[^ ]*\.md\)$#\1#p' "$ALL-cdc.log"; }
jmh_json() { [ -f "$ALL-jmh.log" ] && sed -n 's#^results: *.*/\(jmh-[^ ]*\.json\)$#\1#p' "$ALL-jmh.log" | tail -1; }
T0="$(cat "$ALL.start" 2>/dev/null || echo "$START")"
T1="$(cat "$ALL.end" 2>/dev/null || date +%s)"
{
  echo "# Herald benchmarks — $(date -u -d "@$T0" +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Command: \`bench/run-all.sh\` (budget ${TOTAL_S} s) on $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr); total $((T1 - T0)) s."
  echo
  echo "Where things ran: **Herald on CPU 0** in every part (\`taskset -c 0\`, \`java -Xms1g -Xmx1g\`), and so did each fan-out"
  echo "peer (nats-server, nginx + nchan, Socket.IO, the ws baseline — one server at a time). **Load generators on CPU 1**"
  echo "(\`taskset -c 1\`). **PostgreSQL** (postgres_changes part only; Herald's embedded server) is started on CPU 0 with"
  echo "Herald and then moved to **CPU 1**, next to the generators (bench/cdc/run.sh, \`PG_CORE=1\`). **JMH** forks run on"
  echo "CPU 1 (\`HERALD_BENCH_CPU\`, default 1) with nothing else of the benchmark running. Each part's own header says what"
  echo "it saw in /proc."
  echo
  echo "| part | status | runtime |"
  echo "|---|---|---|"
  cat "$ALL.parts" 2>/dev/null
  echo
  f="$FANOUT_OUT.md"
  if [ -f "$f" ]; then echo "---"; echo; sed '1s/^# /## /; 2,$s/^## /### /; 2,$s/^### \([0-9]\)/#### \1/' "$f"; echo; fi
  for f in $(cdc_mds); do
    [ -f "$RESULTS/$f" ] || continue
    echo "---"; echo; echo "## postgres_changes ($f)"; echo; sed 's/^# /### /; s/^## /### /' "$RESULTS/$f"; echo
  done
  j="$(jmh_json)"
  if [ -f "$ALL-jmh.log" ] && grep -q '==> summary' "$ALL-jmh.log"; then
    echo "---"; echo; echo "## JMH microbenchmarks${j:+ ($j)}"; echo; echo '```'
    sed -n '/==> summary/,/^results:/p' "$ALL-jmh.log" | sed '1d;$d'
    echo '```'; echo
  fi
} >"$ALL.md"
cat "$ALL.md"
say "combined summary: ${ALL#"$ROOT"/}.md"
