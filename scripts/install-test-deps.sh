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

# System packages. Each one is installed only when the tool it provides is missing, and then exactly that package,
# with --no-upgrade (a package already installed is left at its version) and --no-install-recommends (nothing the
# tests do not use: with recommends, chromium alone would pull in and upgrade systemd, udev and perl). The package
# lists are refreshed only when apt does not know a package yet. HERALD_APT_SIMULATE=1 prints what apt-get would do
# (apt-get -s) instead of doing it.
SIMULATE="${HERALD_APT_SIMULATE:-}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
LISTS_REFRESHED=""

apt_known() {
  local candidate
  candidate=$(apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" {print $2}')
  [ -n "$candidate" ] && [ "$candidate" != "(none)" ]
}

refresh_lists_once() {
  [ -n "$LISTS_REFRESHED" ] && return 0
  LISTS_REFRESHED=1
  if [ -n "$SIMULATE" ]; then echo "(simulated) apt-get update"; return 0; fi
  $SUDO apt-get update -q
}

# The postgresql-client metapackage is not installed on many machines that have psql (from postgresql-client-NN),
# and installing it can upgrade the server packages; so the versioned client it names is what gets installed.
psql_package() {
  apt-cache depends --no-recommends --no-suggests postgresql-client 2>/dev/null \
    | sed -n 's/^ *Depends: \(postgresql-client-[0-9][0-9]*\)$/\1/p' | head -n1
}

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

# Every system package follows one pattern (a later one too): look for the tool; only when it is missing, want the
# exact package that provides it.
found() { # found <command>...: prints the first one on the PATH
  local c
  for c in "$@"; do command -v "$c" 2>/dev/null && return 0; done
  return 1
}
MISSING=()
want() { # want <package> <why>
  echo "-- $2: missing, installing $1"
  MISSING+=("$1")
}

installed ca-certificates || want ca-certificates "CA certificates (npm ci over https)"
# psql: e2e/test/11-embedded-default.test.js writes rows with it.
if path=$(found psql); then
  echo "-- psql: found ($path)"
else
  apt_known postgresql-client || refresh_lists_once
  pkg=$(psql_package)
  [ -n "$pkg" ] || { echo "install-test-deps: apt knows no postgresql-client-NN package; install psql and run again" >&2; exit 1; }
  want "$pkg" "psql"
fi
# The browser suite (e2e/browser) drives Debian's chromium through playwright-core, which downloads no browser.
# A chromium already on the PATH (e.g. chromium-browser elsewhere) is used as it is.
if path=$(found chromium chromium-browser); then
  echo "-- chromium: found ($path)"
else
  want chromium "chromium (browser suite)"
fi

if [ ${#MISSING[@]} -gt 0 ]; then
  for pkg in "${MISSING[@]}"; do apt_known "$pkg" || refresh_lists_once; done
  if [ -n "$SIMULATE" ]; then
    echo "(simulated) apt-get install -y --no-upgrade --no-install-recommends ${MISSING[*]}"
    apt-get -s install -y --no-upgrade --no-install-recommends "${MISSING[@]}"
  else
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-upgrade --no-install-recommends "${MISSING[@]}"
  fi
fi

echo "== npm ci (e2e)"
(cd e2e && npm ci --no-audit --no-fund)
