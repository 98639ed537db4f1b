#!/usr/bin/env bash
# `make run`: start the local Neo4j (unless NEO4J_URI points elsewhere), load the bundled
# reports, serve the API. Ctrl-C (SIGINT), SIGTERM (which make passes on to this script) and
# SIGHUP stop the API and the local Neo4j this script started, as does any failure.
# Usage: scripts/run.sh [HOST] [PORT] [BIN: folder of the `rightsgraph` command, default .venv/bin]
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${1:-127.0.0.1}
PORT=${2:-8000}
BIN=${3:-.venv/bin}
started=0
child=

# Each step runs in the background and is waited for: bash runs a trap only once the command
# in the foreground has ended, so a signal would otherwise wait for the API to stop by itself.
step() {
  "$@" &
  child=$!
  wait "$child"
  child=
}

cleanup() {
  trap '' INT TERM HUP  # a second Ctrl-C does not cut the shutdown short
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  if [ "$started" = 1 ]; then
    "$BIN/rightsgraph" neo4j stop || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ -z "${NEO4J_URI:-}" ] && ! "$BIN/rightsgraph" neo4j status >/dev/null 2>&1; then
  started=1  # before the start: a signal during it still stops what it started
  step "$BIN/rightsgraph" neo4j start
fi
step "$BIN/rightsgraph" ingest reports/
step "$BIN/rightsgraph" serve --host "$HOST" --port "$PORT"
