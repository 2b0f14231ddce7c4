#!/usr/bin/env bash
# The docs check (run by scripts/test-all.sh after the Maven build; needs the built artifacts, never builds Herald):
#  0. no file of the repository carries merge-conflict markers (checked first; needs no build);
#  1. the generated reference tables (configuration keys of Herald and of every bundled plugin, error codes) are
#     current: ReferenceDocs --check, run from the built herald.jar;
#  2. relative links between the markdown files resolve;
#  2b. the plugin guide's example builds from the guide's text alone: its file=<path> blocks are extracted into a
#     temporary folder and built with `mvn package` (compile and PluginHarness tests) against the Herald artifacts
#     installed in the local Maven repository (scripts/guide-example/build.sh, which can also be run by itself);
#  3. the getting-started run step (docs/getting-started.md, between the check:run-step markers) starts Herald from
#     the built archive, probes readiness and stops it; and the README's run command starts the built jar.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

echo "== merge-conflict markers"
# A marker is a line that starts with seven '<' or '>' (or '|', diff3's base marker) followed by a space or the end
# of the line; '=======' counts only between such markers, so markdown underlines and separator comments pass.
# Tracked files of a git checkout (the working-tree content), else every text file outside build output.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  MARKED=$(git grep -I -l -E '^(<<<<<<<|>>>>>>>|[|]{7})( |$)' -- . || true)
else
  MARKED=$(grep -rIl -E '^(<<<<<<<|>>>>>>>|[|]{7})( |$)' --exclude-dir=.git --exclude-dir=node_modules --exclude-dir=target . || true)
fi
if [ -n "$MARKED" ]; then
  echo "check-docs: merge-conflict markers left in:" >&2
  while IFS= read -r f; do
    awk -v f="$f" '
      /^(<<<<<<<|[|][|][|][|][|][|][|])( |$)/ { inside = 1 }
      inside && /^(<<<<<<<|[|][|][|][|][|][|][|]|=======|>>>>>>>)( |$)/ { print "  " f ":" FNR ": " $0 }
      /^>>>>>>>( |$)/ { if (!inside) print "  " f ":" FNR ": " $0; inside = 0 }' "$f" >&2
  done <<<"$MARKED"
  exit 1
fi
echo "no merge-conflict markers"

JAR="$ROOT/dist/standalone/target/herald.jar"
ARCHIVE=$(ls "$ROOT"/dist/standalone/target/herald-*.tar.gz 2>/dev/null | head -n1 || true)
[ -f "$JAR" ] && [ -n "$ARCHIVE" ] || { echo "check-docs: build first (mvn -B install); $JAR or the archive is missing" >&2; exit 1; }

echo "== generated reference tables"
PLUGIN_ARGS=()
[ -d "$ROOT/dist/standalone/target/plugins" ] && PLUGIN_ARGS=(--plugins-dir "$ROOT/dist/standalone/target/plugins")
java -cp "$JAR" dev.herald.runtime.docs.ReferenceDocs --check "$ROOT/docs" "${PLUGIN_ARGS[@]}"

echo "== links between docs"
node - "$ROOT" <<'JS'
const fs = require('fs'), path = require('path')
const root = process.argv[2]
const files = [path.join(root, 'README.md'), ...walk(path.join(root, 'docs'))]
function walk(d) { return fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.md') ? [path.join(d, e.name)] : []) }
const bad = []
for (const f of files) {
  const text = fs.readFileSync(f, 'utf8').replace(/```[\s\S]*?```/g, '')
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]
    if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue
    const p = path.resolve(path.dirname(f), target.split('#')[0])
    if (!fs.existsSync(p)) bad.push(`${path.relative(root, f)}: ${target}`)
  }
}
if (bad.length) { console.error('broken links:\n  ' + bad.join('\n  ')); process.exit(1) }
console.log(`${files.length} files, links resolve`)
JS

echo "== the plugin guide's example builds from the guide's text alone (docs/plugin-guide.md)"
scripts/guide-example/build.sh docs/plugin-guide.md

free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

echo "== getting-started run step (docs/getting-started.md) against the built archive"
STEP=$(awk '/<!-- check:run-step -->/{f=1;next}/<!-- \/check:run-step -->/{f=0}f' docs/getting-started.md | sed '/^```/d')
[ -n "$STEP" ] || { echo "check-docs: no check:run-step block in docs/getting-started.md" >&2; exit 1; }
WORK=$(mktemp -d)
PORT=$(free_port)
cleanup() { [ -x "$WORK/home/bin/herald" ] && HERALD_HOME="$WORK/home" "$WORK/home/bin/herald" stop >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
# The documented default ports are replaced by free ones; everything else runs as written.
HERALD_HOME="$WORK/home" HERALD_HTTP_PORT="$PORT" HERALD_DB_EMBEDDED_PORT=0 \
  bash -euo pipefail -c "${STEP//127.0.0.1:4000/127.0.0.1:$PORT}"
if pgrep -f "$WORK/home/data/postgres" >/dev/null; then echo "check-docs: PostgreSQL still running after bin/herald stop" >&2; exit 1; fi

echo "== README run command (the built jar)"
RUN=$(grep -m1 -o 'java -jar dist/standalone/target/herald.jar' README.md) || { echo "check-docs: README run command not found" >&2; exit 1; }
PORT=$(free_port)
mkdir -p "$WORK/readme" && cd "$WORK/readme"
HERALD_HTTP_PORT="$PORT" HERALD_DB_EMBEDDED_PORT=0 ${RUN/dist/$ROOT/dist} > run.log 2>&1 &
PID=$!
for _ in $(seq 1 240); do
  if curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1; then break; fi
  kill -0 "$PID" 2>/dev/null || { echo "check-docs: the README's run command exited:" >&2; tail -n 20 run.log >&2; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/health/ready"; echo
kill -TERM "$PID"; wait "$PID" || true
cd "$ROOT"
echo "== docs check passed"
