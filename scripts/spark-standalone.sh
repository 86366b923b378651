#!/usr/bin/env bash
# A Spark standalone master and one worker on loopback, from the pyspark install (spark-class).
#   scripts/spark-standalone.sh start|stop|status
# Then: HEALTHLAKE_SPARK_MASTER=spark://127.0.0.1:${SPARK_MASTER_PORT:-7077} healthlake run
set -euo pipefail
cd "$(dirname "$0")/.."

HOME_DIR=${HEALTHLAKE_HOME:-$PWD/.healthlake}
STATE=$HOME_DIR/spark-standalone
MASTER_PORT=${SPARK_MASTER_PORT:-7077}
MASTER_UI_PORT=${SPARK_MASTER_WEBUI_PORT:-8081}
WORKER_UI_PORT=${SPARK_WORKER_WEBUI_PORT:-8082}
WORKER_CORES=${SPARK_WORKER_CORES:-2}
WORKER_MEMORY=${SPARK_WORKER_MEMORY:-4g}
SPARK_CLASS=.venv/bin/spark-class
MASTER_URL=spark://127.0.0.1:$MASTER_PORT

[ -x "$SPARK_CLASS" ] || { echo "spark-standalone: run \`make setup\` first ($SPARK_CLASS is missing)" >&2; exit 1; }
export SPARK_HOME=${SPARK_HOME:-$(.venv/bin/python -c 'import pyspark, os; print(os.path.dirname(pyspark.__file__))')}
export SPARK_LOCAL_IP=127.0.0.1

running() { [ -f "$STATE/$1.pid" ] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }

wait_for_port() {
  for _ in $(seq 1 60); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 1
  done
  echo "spark-standalone: nothing listens on port $1 after 60 s; see $STATE/*.log" >&2
  return 1
}

case "${1:-}" in
  start)
    mkdir -p "$STATE/work"
    if ! running master; then
      setsid "$SPARK_CLASS" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$MASTER_PORT" \
        --webui-port "$MASTER_UI_PORT" >"$STATE/master.log" 2>&1 &
      echo $! >"$STATE/master.pid"
    fi
    wait_for_port "$MASTER_PORT"
    if ! running worker; then
      setsid "$SPARK_CLASS" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores "$WORKER_CORES" \
        --memory "$WORKER_MEMORY" --work-dir "$STATE/work" --webui-port "$WORKER_UI_PORT" "$MASTER_URL" \
        >"$STATE/worker.log" 2>&1 &
      echo $! >"$STATE/worker.pid"
    fi
    wait_for_port "$WORKER_UI_PORT"
    echo "Spark standalone master $MASTER_URL (UI http://127.0.0.1:$MASTER_UI_PORT) with one worker."
    echo "Run jobs on it with HEALTHLAKE_SPARK_MASTER=$MASTER_URL"
    ;;
  stop)
    for role in worker master; do
      if running "$role"; then kill "$(cat "$STATE/$role.pid")"; fi
      rm -f "$STATE/$role.pid"
    done
    ;;
  status)
    for role in master worker; do
      if running "$role"; then echo "$role: running (pid $(cat "$STATE/$role.pid"))"; else echo "$role: stopped"; fi
    done
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
