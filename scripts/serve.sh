#!/usr/bin/env bash
# Local Prefect for chibo: a server, the `chibo-pool` process work pool, the
# `chibo-nightly` deployment (prefect.yaml: cron 0 2 * * *, Asia/Ho_Chi_Minh) and a worker.
#
#   bash scripts/serve.sh            # start everything in the background (make serve)
#   bash scripts/serve.sh stop       # stop the worker and the server
#   bash scripts/serve.sh status
#
# Settings (environment): CHIBO_PREFECT_PORT (default 4200), PREFECT_HOME (default
# <repo>/.prefect, git-ignored), CHIBO_PREFECT_BIN (default <repo>/.venv/bin).
# The server listens on 127.0.0.1 only, without the UI, telemetry off. The server and
# the worker run in their own sessions (setsid); `stop` kills those process groups.
# Logs and pid files: $PREFECT_HOME/serve/.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${CHIBO_PREFECT_BIN:-$REPO/.venv/bin}"
PORT="${CHIBO_PREFECT_PORT:-4200}"
POOL="chibo-pool"
export PREFECT_HOME="${PREFECT_HOME:-$REPO/.prefect}"
export PREFECT_API_URL="http://127.0.0.1:${PORT}/api"
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export DO_NOT_TRACK=1
export PREFECT_CLI_PROMPT=false
export CHIBO_HOME="$REPO"          # the worker's flow runs start in this clone
STATE="$PREFECT_HOME/serve"
mkdir -p "$STATE"

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_group() {  # $1: pid file; kills the process group started under setsid
  local pidfile="$1" pid
  if alive "$pidfile"; then
    pid="$(cat "$pidfile")"
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

healthy() {
  "$BIN/python" - "$PREFECT_API_URL/health" <<'PY' >/dev/null 2>&1
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
}

case "${1:-start}" in
  stop)
    rm -f "$STATE/api_url"
    stop_group "$STATE/worker.pid"
    stop_group "$STATE/server.pid"
    echo "chibo: Prefect worker and server stopped"
    exit 0 ;;
  status)
    alive "$STATE/server.pid" && echo "server: running (pid $(cat "$STATE/server.pid")) at $PREFECT_API_URL" || echo "server: stopped"
    alive "$STATE/worker.pid" && echo "worker: running (pid $(cat "$STATE/worker.pid"))" || echo "worker: stopped"
    exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac

cd "$REPO"
if alive "$STATE/server.pid"; then
  echo "chibo: server already running (pid $(cat "$STATE/server.pid"))"
else
  if healthy; then
    echo "chibo: something else already answers on port $PORT; set CHIBO_PREFECT_PORT" >&2
    exit 1
  fi
  # setsid: the server gets its own process group, killed as a whole by `stop`
  setsid "$BIN/prefect" server start --host 127.0.0.1 --port "$PORT" --no-ui \
    >"$STATE/server.log" 2>&1 < /dev/null &
  echo $! >"$STATE/server.pid"
fi

printf 'chibo: waiting for %s/health ' "$PREFECT_API_URL"
for _ in $(seq 1 240); do
  if healthy; then break; fi
  if ! alive "$STATE/server.pid"; then
    echo; echo "chibo: the server exited; see $STATE/server.log" >&2; tail -n 20 "$STATE/server.log" >&2; exit 1
  fi
  printf '.'; sleep 0.5
done
if ! healthy; then
  echo; echo "chibo: the server did not become healthy in 120 s; see $STATE/server.log" >&2
  stop_group "$STATE/server.pid"; exit 1
fi
echo " ok"
# `chibo run` by hand reports to this server instead of starting its own (chibo.prefect_env)
echo "$PREFECT_API_URL" >"$STATE/api_url"

"$BIN/prefect" work-pool create "$POOL" --type process --overwrite >/dev/null
"$BIN/prefect" --no-prompt deploy --all

if alive "$STATE/worker.pid"; then
  echo "chibo: worker already running (pid $(cat "$STATE/worker.pid"))"
else
  setsid "$BIN/prefect" worker start --pool "$POOL" --type process \
    >"$STATE/worker.log" 2>&1 < /dev/null &
  echo $! >"$STATE/worker.pid"
fi

cat <<EOF

chibo: Prefect is serving the nightly job
  API        $PREFECT_API_URL   (server log: $STATE/server.log)
  worker     pool $POOL, pid $(cat "$STATE/worker.pid")   (log: $STATE/worker.log)
  schedule   chibo-nightly/chibo-nightly at 02:00 Asia/Ho_Chi_Minh

  run now:   PREFECT_API_URL=$PREFECT_API_URL $BIN/prefect deployment run chibo-nightly/chibo-nightly
  hand runs: \`chibo run\` reports here by itself while this server answers (no server start)
  stop:      bash scripts/serve.sh stop
EOF
