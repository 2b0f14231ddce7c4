#!/usr/bin/env bash
# The plugin guide's example builds from the guide's text alone (run by scripts/check-docs.sh; can be run by itself).
# Extracts every fenced block whose info string carries file=<path> (```java file=src/main/java/...) from the guide
# into a fresh temporary folder, then runs `mvn -B -ntp -q package` there: it compiles the example plugin and runs its
# PluginHarness test against the Herald artifacts installed in the local Maven repository (mvn install first).
# MAVEN_OPTS is passed on as usual (e.g. -Dmaven.repo.local=...); MAVEN_ARGS, if set, is added to the command line
# (e.g. MAVEN_ARGS=-o on a machine without network; Maven 3.9+ reads it by itself as well).
# Usage: scripts/guide-example/build.sh [guide.md]   (default docs/plugin-guide.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
GUIDE="${1:-docs/plugin-guide.md}"
[ -f "$GUIDE" ] || { echo "guide-example: no such file: $GUIDE" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/herald-guide-example.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

node - "$GUIDE" "$WORK" <<'JS'
const fs = require('fs'), path = require('path')
const [guide, out] = process.argv.slice(2)
const lines = fs.readFileSync(guide, 'utf8').split('\n')
const files = new Map()
const fail = (msg) => { console.error(`guide-example: ${guide}: ${msg}`); process.exit(1) }
for (let i = 0; i < lines.length; i++) {
  const open = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(lines[i])
  if (!open) continue
  const [, indent, fence, info] = open
  const close = new RegExp('^\\s*' + (fence[0] === '`' ? '`' : '~') + '{' + fence.length + ',}\\s*$')
  let j = i + 1
  while (j < lines.length && !close.test(lines[j])) j++
  if (j >= lines.length) fail(`line ${i + 1}: code block never closed`)
  const m = /(?:^|\s)file=(\S+)/.exec(info)
  if (m) {
    const p = m[1]
    if (p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.includes('\\') || p.split('/').some((s) => s === '..' || s === '.' || s === '')) {
      fail(`line ${i + 1}: file=${p} must be a plain relative path (no absolute path, no '..')`)
    }
    if (files.has(p)) fail(`line ${i + 1}: file=${p} appears twice (first at line ${files.get(p).line})`)
    const body = lines.slice(i + 1, j).map((l) => l.startsWith(indent) ? l.slice(indent.length) : l)
    files.set(p, { line: i + 1, text: body.join('\n') + '\n' })
  }
  i = j
}
const names = [...files.keys()]
const missing = []
if (!files.has('pom.xml')) missing.push('pom.xml')
if (!files.has('src/main/resources/META-INF/services/dev.herald.api.plugin.Plugin')) missing.push('src/main/resources/META-INF/services/dev.herald.api.plugin.Plugin')
if (!names.some((n) => n.startsWith('src/main/java/') && n.endsWith('.java'))) missing.push('a .java file under src/main/java/')
if (!names.some((n) => n.startsWith('src/test/java/') && n.endsWith('.java'))) missing.push('a .java file under src/test/java/')
if (missing.length) fail('the example lacks ' + missing.join(', '))
for (const [p, f] of files) {
  const target = path.join(out, p)
  if (!target.startsWith(out + path.sep)) fail(`file=${p} leaves the example folder`)
  fs.mkdirSync(path.dirname(target), { recursive: true })
  fs.writeFileSync(target, f.text)
}
console.log(`extracted ${files.size} files from ${guide}:`)
for (const [p, f] of files) console.log(`  ${p} (line ${f.line}, ${f.text.split('\n').length - 1} lines)`)
JS

echo "building the example: mvn -B -ntp -q package ${MAVEN_ARGS:-}"
# shellcheck disable=SC2086 # MAVEN_ARGS is a list of options
if ! (cd "$WORK" && mvn ${MAVEN_ARGS:-} -B -ntp -q package > "$WORK/build.log" 2>&1); then
  echo "guide-example: the plugin guide's example does not build or its tests fail (mvn package in the extracted folder):" >&2
  tail -n 80 "$WORK/build.log" >&2
  for r in "$WORK"/target/surefire-reports/*.txt; do [ -f "$r" ] && grep -q -E 'FAILURE|ERROR' "$r" && cat "$r" >&2; done
  exit 1
fi
JAR=$(ls "$WORK"/target/*.jar 2>/dev/null | head -n1 || true)
[ -n "$JAR" ] || { echo "guide-example: mvn package produced no jar" >&2; exit 1; }
TESTS=$(cat "$WORK"/target/surefire-reports/*.txt 2>/dev/null | grep -E '^Tests run:' | awk -F'[ ,]+' '{r+=$3; f+=$5; e+=$7; s+=$9} END {printf "%d run, %d failed, %d errors, %d skipped", r, f, e, s}')
[ -n "$TESTS" ] && ! grep -q '^0 run' <<<"$TESTS" || { echo "guide-example: the example's tests did not run" >&2; exit 1; }
echo "built $(basename "$JAR") from $GUIDE; tests: $TESTS"
