#!/usr/bin/env bash
# Runs Herald's whole test suite from a clean clone: Java unit tests, the WAR on embedded GlassFish (Arquillian),
# and the wire suite that drives the real @supabase/realtime-js client against the standalone server.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh

echo "== Java build, unit and Arquillian tests"
mvn -B -ntp install

echo "== Docs check (generated tables, links, the getting-started run step on the built archive)"
scripts/check-docs.sh

echo "== Wire suite (real realtime-js / supabase-js under Node)"
(cd e2e && npm test)

echo "== Fault suite (drops, retention, slow reader, drain and crash restarts)"
(cd e2e && npm run test:faults)

echo "== All tests passed"
