#!/usr/bin/env bash
# `make run`: start the local Neo4j (unless NEO4J_URI points elsewhere), load the bundled
# reports, serve the API. Ctrl-C stops the API and the local Neo4j this script started.
set -euo pipefail
HOST=${1:-127.0.0.1}
PORT=${2:-8000}
BIN=.venv/bin
started=0
if [ -z "${NEO4J_URI:-}" ] && ! $BIN/rightsgraph neo4j status >/dev/null 2>&1; then
  $BIN/rightsgraph neo4j start
  started=1
fi
cleanup() {
  if [ "$started" = 1 ]; then
    $BIN/rightsgraph neo4j stop || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
$BIN/rightsgraph ingest reports/
$BIN/rightsgraph serve --host "$HOST" --port "$PORT"
