#!/usr/bin/env bash
# One machine, the layout of a cluster: a Ray Serve application with the zoo, N Streamlit replicas that
# send it their predictions and explanations, and nginx in front (deploy/nginx.conf).
#   deploy/run_local.sh [replicas=2] [port=8080]       then open http://127.0.0.1:8080; Ctrl-C stops all
# Needs: scripts/setup.sh --tests (Ray Serve is in requirements-test.txt) and nginx (apt-get install nginx).
set -euo pipefail
cd "$(dirname "$0")/.."
REPLICAS="${1:-2}"
PORT="${2:-8080}"
SERVE_PORT="${SERVE_PORT:-8000}"
RUN="$(mktemp -d -t fusionlab-deploy.XXXXXX)"
PIDS=()
stop() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$RUN/nginx.pid" ] && kill "$(cat "$RUN/nginx.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap stop EXIT INT TERM

.venv/bin/python -m fusion_core.serving --port "$SERVE_PORT" --replicas 1 >"$RUN/serve.log" 2>&1 &
PIDS+=($!)
until curl -sf "http://127.0.0.1:$SERVE_PORT/health" >/dev/null; do
    kill -0 "${PIDS[0]}" 2>/dev/null || { cat "$RUN/serve.log"; exit 1; }
    sleep 1
done

# Every replica signs cookies (XSRF) with the same secret, so any of them accepts an upload's token.
SECRET="$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(16))')"
UPSTREAMS=""
for i in $(seq 1 "$REPLICAS"); do
    port=$((8500 + i))
    FUSIONLAB_SERVE="http://127.0.0.1:$SERVE_PORT" STREAMLIT_SERVER_COOKIE_SECRET="$SECRET" .venv/bin/python -m ui.serve \
        --server.headless true --server.address 127.0.0.1 --server.port "$port" \
        --browser.gatherUsageStats false >"$RUN/app-$i.log" 2>&1 &
    PIDS+=($!)
    UPSTREAMS+="        server 127.0.0.1:$port;"$'\n'
done
for i in $(seq 1 "$REPLICAS"); do
    until curl -sf "http://127.0.0.1:$((8500 + i))/_stcore/health" >/dev/null; do sleep 1; done
done

mkdir -p "$RUN"/{body,proxy,fastcgi,uwsgi,scgi}
.venv/bin/python - "$RUN" "$PORT" "$UPSTREAMS" <<'PY'
import sys
from pathlib import Path
run, port, upstreams = sys.argv[1:]
text = Path("deploy/nginx.conf").read_text().replace("@RUN@", run).replace("@PORT@", port).replace("@UPSTREAMS@", upstreams.rstrip("\n"))
Path(run, "nginx.conf").write_text(text)
PY
nginx -c "$RUN/nginx.conf" -p "$RUN"
echo "FusionLab: http://127.0.0.1:$PORT ($REPLICAS app replicas, models at http://127.0.0.1:$SERVE_PORT; logs in $RUN)"
echo "server processes: ${PIDS[*]} $(cat "$RUN/nginx.pid")" > "$RUN/pids"
wait "${PIDS[@]}"
