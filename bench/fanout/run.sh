#!/usr/bin/env bash
# Fan-out (case A) and connection-scale (case B) benchmark: Herald side by side with nats-server (websocket),
# nginx + nchan, Socket.IO 4 and a trivial `ws` fan-out server (the load generator's own ceiling), one server at a
# time, all driven by the same Node load generator.  One command, from the repository root:
#
#   bench/fanout/run.sh                 # everything, ~13 minutes
#   SERVERS="herald nats" bench/fanout/run.sh
#   SERVERS="herald-shipped nats" bench/fanout/run.sh   # Herald as shipped: the archive's bin/herald, its defaults
#   QUICK=1 bench/fanout/run.sh         # short steps, to try the script (figures not comparable)
#
# Installs what is missing (Debian: nats-server nginx libnginx-mod-nchan; npm ci in bench/fanout), builds Herald if
# dist/standalone/target/herald.jar is missing or older than the sources (BUILD=1 forces it), starts each server on 127.0.0.1 pinned to CPU 0
# with its own configuration in a temporary folder, runs the generators pinned to CPU 1, stops the server by its PID,
# and writes bench/results/fanout-<UTC timestamp>.{jsonl,md} (+ server logs). Knobs: see bench/fanout/README.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RESULTS="$ROOT/bench/results"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${FANOUT_OUT:-$RESULTS/fanout-$STAMP}"
SERVERS="${SERVERS:-herald nats nchan sio ws}"
SERVER_CPU="${SERVER_CPU:-0}"
GEN_CPU="${GEN_CPU:-1}"
HERALD_JVM_OPTS="${HERALD_JVM_OPTS:--Xms1g -Xmx1g}"

say() { printf '[fanout] %s\n' "$*"; }

case "${1:-}" in
  -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
  "") ;;
  *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac

if [ "${QUICK:-0}" = 1 ]; then
  export STEP_S="${STEP_S:-3}" WARMUP_S="${WARMUP_S:-2}" B_STEPS="${B_STEPS:-1000,2000}" STEPS="${STEPS:-10000,50000,100000}"
  export MC_CHANNELS="${MC_CHANNELS:-10}" DRAIN_MAX_S="${DRAIN_MAX_S:-4}"
fi

for tool in node npm java taskset timeout; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then echo "needs at least 2 CPUs (server on CPU $SERVER_CPU, generators on CPU $GEN_CPU)" >&2; exit 1; fi
# every connection is a file descriptor in the server and in a generator process
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---- dependencies ------------------------------------------------------------------------------------------------
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
need_pkgs=""
case " $SERVERS " in *" nats "*) command -v nats-server >/dev/null || need_pkgs="$need_pkgs nats-server" ;; esac
case " $SERVERS " in *" nchan "*)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_pkgs="$need_pkgs nginx"
  [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] || need_pkgs="$need_pkgs libnginx-mod-nchan" ;;
esac
if [ -n "$need_pkgs" ]; then
  say "installing Debian packages:$need_pkgs"
  # keep the package scripts from starting a system-wide nginx (it would listen on all interfaces, port 80)
  POLICY=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null && $SUDO chmod +x "$POLICY" && made_policy=1
  fi
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need_pkgs; } \
    >"${TMPDIR:-/tmp}/fanout-apt-$STAMP.log" 2>&1 || say "apt-get failed (see ${TMPDIR:-/tmp}/fanout-apt-$STAMP.log); peers that are missing are skipped"
  [ "$made_policy" = 1 ] && $SUDO rm -f "$POLICY"
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

say "installing Node packages (npm ci)"
(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

# HERALD_JAR measures another build (e.g. an older commit's jar) with the herald server and skips the build.
JAR="${HERALD_JAR:-$ROOT/dist/standalone/target/herald.jar}"
case " $SERVERS " in *" herald "*|*" herald-shipped "*)
  why=""
  if [ -n "${HERALD_JAR:-}" ]; then [ -f "$JAR" ] || { echo "HERALD_JAR=$JAR does not exist" >&2; exit 1; }
  elif [ "${BUILD:-0}" = 1 ]; then why="BUILD=1"
  elif [ ! -f "$JAR" ]; then why="no jar yet"
  else
    # sources newer than the jar: measure what is checked out, not an older build
    newer="$(find "$ROOT" \( -path "$ROOT/bench" -o -name node_modules -o -name target -o -name .git \) -prune -o \
      \( -path '*/src/main/*' -o -name pom.xml \) -type f -newer "$JAR" -print -quit 2>/dev/null)"
    [ -n "$newer" ] && why="sources changed since the last build (${newer#"$ROOT"/})"
  fi
  if [ -n "$why" ]; then
    say "building Herald ($why)"
    if ! (cd "$ROOT" && { mvn -B -q -o install -DskipTests || mvn -B -q install -DskipTests; }); then
      [ -f "$JAR" ] || { echo "Herald build failed" >&2; exit 1; }
      say "Herald build failed; measuring the existing jar"
    fi
  fi ;;
esac

# ---- processes and cleanup ---------------------------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/herald-bench-fanout.XXXXXX")"
SERVER_PID=""
BENCH_PID=""
SERVER_LOG=""
SERVER_NAME=""

stop_pid() { # pid signal grace-seconds
  local pid="$1" sig="$2" grace="$3" i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  local sig=TERM
  [ "$SERVER_NAME" = nchan ] && sig=QUIT # nginx: graceful stop of master and workers
  stop_pid "$SERVER_PID" "$sig" 20
  SERVER_PID=""
  if [ -n "$SERVER_LOG" ] && [ -f "$SERVER_LOG" ] && [ -d "$RESULTS" ]; then cp "$SERVER_LOG" "$OUT-$SERVER_NAME.log"; fi
  if [ -f "$WORK/herald-gc.log" ] && [ "$SERVER_NAME" = herald ]; then cp "$WORK/herald-gc.log" "$OUT-herald-gc.log"; fi
}
cleanup() {
  local rc=$?
  set +e
  stop_pid "$BENCH_PID" TERM 5
  stop_server
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_port() { # port pid seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
SECRET="$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')"

start_herald() {
  cp "$JAR" "$WORK/herald.jar" # a private copy: a rebuild during the run cannot pull the jar from under the JVM
  SERVER_LOG="$WORK/herald.log"
  # shellcheck disable=SC2086
  env HERALD_HTTP_HOST=127.0.0.1 HERALD_HTTP_PORT=0 HERALD_DATA_DIR="$WORK/herald-data" HERALD_JWT_SECRET="$SECRET" \
    HERALD_CDC_ENABLED=false \
    taskset -c "$SERVER_CPU" java $HERALD_JVM_OPTS -Xlog:gc:file="$WORK/herald-gc.log" -jar "$WORK/herald.jar" \
    >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  PORT=""
  local i
  for ((i = 0; i < 900; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    PORT="$(sed -n 's#^Herald listening on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$SERVER_LOG" | head -1)"
    [ -n "$PORT" ] && return 0
    sleep 0.1
  done
  return 1
}
# The archive as an operator unpacks it, started with `bin/herald run` and nothing added to the JVM: its own heap
# default, the embedded PostgreSQL (a child process, on the same CPU) and change capture on. Only what the bench needs
# to reach it is configured: loopback, a free port, the JWT secret the generator signs with.
start_herald_shipped() {
  local archive
  archive="$(ls "$ROOT"/dist/standalone/target/herald-*.tar.gz 2>/dev/null | head -1)"
  [ -n "$archive" ] || { say "no archive in dist/standalone/target (build first)"; return 1; }
  rm -rf "$WORK/shipped" && mkdir -p "$WORK/shipped"
  tar -xzf "$archive" -C "$WORK/shipped" --strip-components=1
  SERVER_LOG="$WORK/shipped-stdout.log"
  local t0 ready i
  t0=$(date +%s.%N)
  env -u HERALD_JAVA_OPTS -u JAVA_TOOL_OPTIONS -u JDK_JAVA_OPTIONS HERALD_HTTP_HOST=127.0.0.1 HERALD_HTTP_PORT=0 \
    HERALD_JWT_SECRET="$SECRET" taskset -c "$SERVER_CPU" "$WORK/shipped/bin/herald" run >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  PORT=""
  for ((i = 0; i < 1800; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    [ -n "$PORT" ] || PORT="$(sed -n 's#^Herald listening on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$SERVER_LOG" | head -1)"
    if [ -n "$PORT" ] && curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/ready" 2>/dev/null; then
      ready=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
      say "herald-shipped ready after ${ready} s (first start: includes initdb of the embedded PostgreSQL)"
      return 0
    fi
    sleep 0.1
  done
  return 1
}
start_nats() {
  command -v nats-server >/dev/null || return 1
  PORT="$(free_port)"
  local tcp
  tcp="$(free_port)"
  cat >"$WORK/nats.conf" <<EOF
listen: "127.0.0.1:$tcp"
max_payload: 1048576
websocket {
  listen: "127.0.0.1:$PORT"
  no_tls: true
  compression: false
}
EOF
  SERVER_LOG="$WORK/nats.log"
  taskset -c "$SERVER_CPU" nats-server -c "$WORK/nats.conf" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  wait_port "$PORT" "$SERVER_PID" 30
}
start_nchan() {
  [ -x "$NGINX" ] && [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] || return 1
  PORT="$(free_port)"
  local p="$WORK/nginx" user=""
  mkdir -p "$p/tmp" "$p/logs"
  chmod 777 "$p/tmp"
  [ "$(id -u)" = 0 ] && user="user nobody nogroup;"
  cat >"$p/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
$user
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 20000;
pid $p/nginx.pid;
error_log $p/logs/error.log warn;
events { worker_connections 19500; multi_accept on; }
http {
  access_log off;
  client_body_temp_path $p/tmp/body;
  proxy_temp_path $p/tmp/proxy;
  fastcgi_temp_path $p/tmp/fastcgi;
  uwsgi_temp_path $p/tmp/uwsgi;
  scgi_temp_path $p/tmp/scgi;
  nchan_max_reserved_memory 256M;
  server {
    listen 127.0.0.1:$PORT backlog=4096;
    location ~ ^/sub/(\w+)$ {
      nchan_subscriber websocket;
      nchan_channel_id \$1;
      nchan_subscriber_first_message newest;
    }
    location ~ ^/pub/(\w+)$ {
      nchan_publisher websocket http;
      nchan_channel_id \$1;
      nchan_message_buffer_length 10;
      nchan_message_timeout 30s;
    }
  }
}
EOF
  SERVER_LOG="$p/logs/error.log"
  taskset -c "$SERVER_CPU" "$NGINX" -p "$p" -c "$p/nginx.conf" -e "$p/logs/error.log" >"$p/logs/stdout.log" 2>&1 &
  SERVER_PID=$!
  wait_port "$PORT" "$SERVER_PID" 30
}
start_sio() {
  PORT="$(free_port)"
  SERVER_LOG="$WORK/sio.log"
  taskset -c "$SERVER_CPU" node "$HERE/sio-server.js" "$PORT" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  wait_port "$PORT" "$SERVER_PID" 30
}
start_ws() {
  PORT="$(free_port)"
  SERVER_LOG="$WORK/ws.log"
  taskset -c "$SERVER_CPU" node "$HERE/ws-server.js" "$PORT" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  wait_port "$PORT" "$SERVER_PID" 30
}

# ---- run ---------------------------------------------------------------------------------------------------------
mkdir -p "$RESULTS"
ver() { "$@" 2>&1 | head -1 | tr -d '\r' || true; }
if [ -n "${HERALD_JAR:-}" ]; then VERSIONS="Herald jar $(basename "$HERALD_JAR")"
else VERSIONS="Herald $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && git diff --quiet HEAD -- . ':!bench' 2>/dev/null || echo '+local changes')"; fi
VERSIONS="$VERSIONS ($(ver java -version)); $(ver nats-server --version); $(ver "$NGINX" -v | sed 's#nginx version: ##') with nchan $(dpkg-query -W -f '${Version}' libnginx-mod-nchan 2>/dev/null || echo '?')"
VERSIONS="$VERSIONS; socket.io $(node -p "require('$HERE/node_modules/socket.io/package.json').version"); ws $(node -p "require('$HERE/node_modules/ws/package.json').version"); Node $(node --version)"
PINNING="Each server runs alone, pinned to CPU $SERVER_CPU (taskset -c $SERVER_CPU); Herald with java $HERALD_JVM_OPTS (HERALD_CDC_ENABLED=false, default outbound queue); herald-shipped is the archive's bin/herald run with its defaults (no JVM flags, embedded PostgreSQL on the same CPU, change capture on). The load generator (coordinator, $((${SUB_PROCS:-2})) subscriber processes and 1 publisher process; ${B_PROCS:-2} connection processes in case B, source addresses 127.0.0.2-127.0.0.11) is pinned to CPU $GEN_CPU (taskset -c $GEN_CPU). Both CPUs of this machine are otherwise shared with whatever else runs on it (see the busy columns)."
OUT="$OUT" PINNING="$PINNING" VERSIONS="$VERSIONS" node "$HERE/bench.js" meta

say "results: ${OUT#"$ROOT"/}.{jsonl,md}"
for s in $SERVERS; do
  SERVER_NAME="$s"
  say "---- $s: starting on CPU $SERVER_CPU"
  if ! "start_${s//-/_}"; then
    say "$s did not start; skipped. Log tail:"
    [ -n "$SERVER_LOG" ] && [ -f "$SERVER_LOG" ] && tail -20 "$SERVER_LOG" >&2
    OUT="$OUT" node "$HERE/bench.js" skip "$s" "did not start or is not installed"
    stop_server
    continue
  fi
  say "$s pid $SERVER_PID listening on 127.0.0.1:$PORT"
  set +e
  GC_LOG=""
  [ "$s" = herald ] && GC_LOG="$WORK/herald-gc.log"
  OUT="$OUT" PORT="$PORT" SERVER_PID="$SERVER_PID" SERVER_LOG="$SERVER_LOG" GC_LOG="$GC_LOG" JWT_SECRET="$SECRET" \
    timeout -k 10 "${SERVER_TIMEOUT_S:-600}" taskset -c "$GEN_CPU" node "$HERE/bench.js" run "$s" &
  BENCH_PID=$!
  wait "$BENCH_PID"
  rc=$?
  BENCH_PID=""
  set -e
  if [ "$rc" -ne 0 ]; then
    say "$s: benchmark failed (exit $rc); server log tail:"
    tail -20 "$SERVER_LOG" >&2 || true
    OUT="$OUT" node "$HERE/bench.js" skip "$s" "generator exited with $rc (partial results above)"
  fi
  stop_server
  SERVER_LOG=""
done

OUT="$OUT" node "$HERE/bench.js" report
say "wrote ${OUT#"$ROOT"/}.md and .jsonl"
