#!/usr/bin/env bash
# The large run of the change feed's property test (engine-runtime RandomRowsTest): seeded random rows of every kind
# of column through a real PostgreSQL and Debezium; a canary row on another table must arrive after every batch of
# 25 and every value must equal to_jsonb in UTC. CI runs 150 rows with one seed; this runs ROWS (default 20000)
# for each seed in SEEDS (default "1 2 3"), one JVM per seed, and stops at the first failing seed (its seed is in the
# failure message, so `SEEDS=<n> bench/cdc/fuzz.sh` replays it). About 30 s per 10,000 rows on 2 cores.
#
#   bench/cdc/fuzz.sh
#   ROWS=100000 SEEDS="7" bench/cdc/fuzz.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROWS="${ROWS:-20000}"
SEEDS="${SEEDS:-1 2 3}"
mvn -B -ntp -q -pl engine-api,engine-runtime -am install -DskipTests
for seed in $SEEDS; do
  echo "== seed $seed, $ROWS rows"
  mvn -B -ntp -q -pl engine-runtime surefire:test -Dtest=RandomRowsTest -Dherald.fuzz.seed="$seed" -Dherald.fuzz.rows="$ROWS" \
    -Dsurefire.failIfNoSpecifiedTests=false
  grep -h "Tests run" engine-runtime/target/surefire-reports/*RandomRowsTest.txt
done
echo "== all seeds passed"
