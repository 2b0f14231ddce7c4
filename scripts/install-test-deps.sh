#!/usr/bin/env bash
# Installs what the tests need beyond Java 17, Maven and Node 20: the Node packages of the wire suite (pinned by
# e2e/package-lock.json). System packages are installed with apt only when missing, with sudo only when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "missing required tool: $1 ($2)" >&2; exit 1; }; }
need java "Java 17"
need mvn "Apache Maven"
need node "Node.js 20"
need npm "npm"

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
}
# psql (e2e/test/11-embedded-default.test.js) comes from postgresql-client.
apt_install ca-certificates postgresql-client
# The browser suite (e2e/browser) drives Debian's chromium through playwright-core, which downloads no browser.
# A chromium already on the PATH (e.g. chromium-browser elsewhere) is used as it is.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  apt_install chromium
fi

echo "== npm ci (e2e)"
(cd e2e && npm ci --no-audit --no-fund)
