#!/usr/bin/env bash
# bench-serve.sh -- the inference server against KServe's Python ModelServer, same model, same load,
# one run. Serves MODEL (default: trains the Fashion-MNIST sample's model, 784-256-128-10, with the
# release ringmaster-worker on one rank) with `ringmaster-worker serve`, then with the team's KServe
# peer (bench/peers/serve_kserve.py, numpy), one server at a time on 127.0.0.1, and loads each with
# bench/peers/serve_load.sh (wrk, one UINT8 test image per request, concurrency 1, 8 and 64).
#
#   swift build -c release --product ringmaster-worker
#   bash hack/bench-serve.sh                          # trains the model first (EPOCHS=20, ~1-2 min)
#   MODEL=path/to/model.safetensors bash hack/bench-serve.sh
#   CONNS="1 8 64" DURATION=10 SERVE_ARGS="--max-batch-size 64" bash hack/bench-serve.sh
#
# Environment: PEERS (bench/peers directory, default ../shared/bench/peers), WORKER (default
# .build/release/ringmaster-worker), PYTHON (with kserve and safetensors; default .tools/venv/bin/python3),
# PORT (18080), EPOCHS (20). Prints the two TSV tables and, per concurrency, our requests/s over the
# peer's and both p99s. Logs go to stderr and $OUT (default /tmp/bench-serve).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=${PEERS:-$ROOT/../shared/bench/peers}
WORKER=${WORKER:-$ROOT/.build/release/ringmaster-worker}
PYTHON=${PYTHON:-$ROOT/.tools/venv/bin/python3}
PORT=${PORT:-18080}
EPOCHS=${EPOCHS:-20}
OUT=${OUT:-/tmp/bench-serve}
export CONNS=${CONNS:-"1 8 64"} DURATION=${DURATION:-10}
mkdir -p "$OUT"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
[ -x "$WORKER" ] || { echo "no $WORKER: run swift build -c release --product ringmaster-worker" >&2; exit 2; }
[ -f "$PEERS/serve_load.sh" ] || { echo "no $PEERS/serve_load.sh: set PEERS to the bench/peers directory" >&2; exit 2; }
"$PYTHON" -c 'import kserve, safetensors' 2>/dev/null || { echo "$PYTHON lacks kserve or safetensors: run make deps" >&2; exit 2; }

SERVER_PID=
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}
trap stop_server EXIT

wait_ready() {  # URL
    for _ in $(seq 1 300); do
        if curl -sf -o /dev/null "$1/v2/health/ready"; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server exited; see $OUT" >&2; exit 1; }
        sleep 0.2
    done
    echo "the server did not become ready; see $OUT" >&2
    exit 1
}

if [ -z "${MODEL:-}" ]; then
    log "training the sample's model (784-256-128-10, Adam 1e-3 cosine, batch 128, $EPOCHS epochs, seed 42) on one rank"
    rm -rf "$OUT/train"
    RANK=0 WORLD_SIZE=1 RINGMASTER_PEERS=127.0.0.1:$((PORT + 7)) RINGMASTER_AUTH_TOKEN=bench \
    RINGMASTER_DATASET_SOURCE=builtin RINGMASTER_DATASET_NAME=fashion-mnist RINGMASTER_HIDDEN_LAYERS=256,128 \
    RINGMASTER_EPOCHS="$EPOCHS" RINGMASTER_BATCH_SIZE=128 RINGMASTER_LEARNING_RATE=0.001 \
    RINGMASTER_LEARNING_RATE_SCHEDULE=cosine RINGMASTER_OPTIMIZER=adam RINGMASTER_SEED=42 \
    RINGMASTER_CHECKPOINT_EVERY_STEPS=0 RINGMASTER_ARTIFACT_DIR="$OUT/train/artifacts" \
    RINGMASTER_TERMINATION_MESSAGE_PATH="$OUT/train/termination" \
        "$WORKER" 2> "$OUT/train.log"
    MODEL=$OUT/train/artifacts/model.safetensors
    log "trained: $(cat "$OUT/train/termination")"
fi

URL=http://127.0.0.1:$PORT
# shellcheck disable=SC2086
"$WORKER" serve --model "$MODEL" --model-name served --port "$PORT" ${SERVE_ARGS:-} > "$OUT/ringmaster.log" 2>&1 &
SERVER_PID=$!
wait_ready "$URL"
log "ringmaster-worker serve ready on $URL"
NAME=ringmaster bash "$PEERS/serve_load.sh" "$URL" served | tee "$OUT/ringmaster.tsv"
stop_server

# The peer's numpy gets the machine's best kernels: without the OPENBLAS_* overrides some machines set.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" "$PEERS/serve_kserve.py" "$MODEL" --name served --port "$PORT" \
    > "$OUT/kserve.log" 2>&1 &
SERVER_PID=$!
wait_ready "$URL"
log "KServe ModelServer ready on $URL"
NAME=kserve bash "$PEERS/serve_load.sh" "$URL" served | tee "$OUT/kserve.tsv"
stop_server

echo "# ringmaster vs kserve: conns, requests/s ratio, p99 ms ringmaster, p99 ms kserve"
join -t $'\t' -1 1 -2 1 \
    <(grep -v '^#' "$OUT/ringmaster.tsv" | awk -F'\t' '{print $2"\t"$3"\t"$5"\t"$6}' | sort) \
    <(grep -v '^#' "$OUT/kserve.tsv" | awk -F'\t' '{print $2"\t"$3"\t"$5"\t"$6}' | sort) |
    sort -n | awk -F'\t' '{ printf "%s\t%.2fx\t%s\t%s\t(errors %s / %s)\n", $1, ($5 > 0 ? $2 / $5 : 0), $3, $6, $4, $7 }'
