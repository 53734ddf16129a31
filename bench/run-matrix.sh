#!/usr/bin/env bash
# Runs the append benchmark matrix of docs/PERFORMANCE.md: 1, 8, 32, 128 writers and a bulk
# batch of 1000, ftl and raw in turn, each three times; prints one JSON line per run.
# usage: bench/run-matrix.sh [BUILD_DIR]
set -eu
BENCH=${1:-build}/bench/ftl-bench
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ftl-bench-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
run() { local dir="$TMP/$RANDOM$RANDOM"; "$BENCH" append "$@" --db "$dir"; rm -rf "$dir"; }
for rep in 1 2 3; do
  for w in 1 8 32 128; do
    n=$(( w == 1 ? 5000 : 40000 ))
    run --writers $w --events $n --payload 300
    run --writers $w --events $n --payload 300 --raw
  done
  run --writers 1 --events 300000 --payload 300 --batch 1000
  run --writers 1 --events 300000 --payload 300 --batch 1000 --raw
done
