#!/usr/bin/env bash
# Builds and runs Herald's JMH microbenchmarks.
#
#   bench/jmh/run.sh                    # everything (~3 minutes)
#   bench/jmh/run.sh FilterBench        # a subset: any JMH arguments are passed through (regex, -p, -wi, -i, -prof ...)
#
# 1. Installs engine-api / engine-runtime into the local Maven repository when they are missing or older than their
#    sources (HERALD_REBUILD_ENGINE=1 forces it).
# 2. Builds bench/jmh/target/benchmarks.jar.
# 3. Runs it pinned to CPU 1 with taskset when possible (HERALD_BENCH_CPU=<list> picks other CPUs, "none" disables),
#    writing bench/results/jmh-<UTC timestamp>.json (+ .log with the full JMH output), then prints a summary.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
results="$root/bench/results"
m2="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
version="0.1.0-SNAPSHOT"

mvn_try_offline() {
  # Offline first (fast, no network); online only if something is not in the local repository yet.
  mvn -B -q -o "$@" >/dev/null 2>&1 || mvn -B -q "$@"
}

# ---- 1. engine artifacts ---------------------------------------------------------------------------------------
engine_jar="$m2/dev/herald/engine-runtime/$version/engine-runtime-$version.jar"
api_jar="$m2/dev/herald/engine-api/$version/engine-api-$version.jar"
parent_pom="$m2/dev/herald/herald-parent/$version/herald-parent-$version.pom"
reason=""
if [[ "${HERALD_REBUILD_ENGINE:-0}" == "1" ]]; then
  reason="HERALD_REBUILD_ENGINE=1"
elif [[ ! -f "$engine_jar" || ! -f "$api_jar" || ! -f "$parent_pom" ]]; then
  reason="not installed in $m2"
else
  oldest="$engine_jar"
  [[ "$api_jar" -ot "$oldest" ]] && oldest="$api_jar"
  newer="$(find "$root/engine-runtime/src/main" "$root/engine-api/src/main" "$root/pom.xml" \
    "$root/engine-runtime/pom.xml" "$root/engine-api/pom.xml" -type f -newer "$oldest" -print -quit)"
  [[ -n "$newer" ]] && reason="sources changed since the last install (${newer#"$root"/})"
fi
if [[ -n "$reason" ]]; then
  echo "==> installing engine-api and engine-runtime ($reason)"
  mvn_try_offline -f "$root/pom.xml" install -DskipTests -pl engine-runtime -am
fi

# ---- 2. benchmark jar ------------------------------------------------------------------------------------------
echo "==> building bench/jmh/target/benchmarks.jar"
mvn_try_offline -f "$here/pom.xml" package
jar="$here/target/benchmarks.jar"

# ---- 3. run ----------------------------------------------------------------------------------------------------
mkdir -p "$results"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
json="$results/jmh-$stamp.json"
log="$results/jmh-$stamp.log"

pin=()
cpu="${HERALD_BENCH_CPU:-1}"
if [[ "$cpu" != "none" ]] && command -v taskset >/dev/null 2>&1 && taskset -c "$cpu" true 2>/dev/null; then
  pin=(taskset -c "$cpu")
  echo "==> pinned to CPU $cpu (the forked benchmark JVMs inherit the affinity)"
else
  echo "==> not pinned (taskset unavailable, CPU $cpu absent, or HERALD_BENCH_CPU=none)"
fi

cmd=("${pin[@]}" java -jar "$jar" -rf json -rff "$json" "$@")
echo "==> ${cmd[*]#"$root"/}"
"${cmd[@]}" 2>&1 | tee "$log"

# ---- summary ---------------------------------------------------------------------------------------------------
echo
echo "==> summary (ops/s = operations per second, ± = 99.9% confidence half-width)"
if command -v jq >/dev/null 2>&1 && [[ -s "$json" ]]; then
  jq -r '.[] | [
      (.benchmark | sub("^dev\\.herald\\.bench\\.jmh\\."; "")),
      ((.params // {}) | to_entries | map("\(.key)=\(.value)") | join(" ") | if . == "" then "-" else . end),
      (.primaryMetric.score | . * 10 | round / 10 | tostring),
      ("± " + (.primaryMetric.scoreError | if type == "number" then (. * 10 | round / 10 | tostring) else "n/a" end)),
      .primaryMetric.scoreUnit
    ] | @tsv' "$json" | column -t -s $'\t'
else
  # No jq: JMH's own table at the end of the log.
  sed -n '/^Benchmark .*Mode .*Cnt .*Score/,$p' "$log"
fi
echo
echo "results: ${json#"$root"/}"
echo "log:     ${log#"$root"/}"
