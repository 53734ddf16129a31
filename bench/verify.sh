#!/usr/bin/env bash
# Times `ftl verify` (and `verify --refold`) on a ledger, RUNS times each, warm, and once with the
# page cache dropped (root only); prints one JSON line per run: seconds, events/s, peak RSS.
# A second binary (OTHER, e.g. an older ftl) is timed alternately in the same run, for comparison.
#
# usage: bench/verify.sh FTL LEDGER [RUNS] [OTHER_FTL]
#   FTL_SNAPSHOT_KEY=/tmp/gen10.key bench/verify.sh build/cli/ftl /tmp/gen10 3 /tmp/ftl-old
set -euo pipefail
FTL=$1 DB=$2 RUNS=${3:-3} OTHER=${4:-}
events=$("$FTL" --db "$DB" --format json digest | sed -E 's/.*"sequence":([0-9]+).*/\1/')
run() {  # run LABEL CACHE BINARY ARGS...
  local label=$1 cache=$2 bin=$3; shift 3
  if [[ $cache == cold ]]; then sync; echo 3 >/proc/sys/vm/drop_caches; fi
  local out
  out=$( { /usr/bin/time -f "%e %M" "$bin" --db "$DB" "$@" >/dev/null; } 2>&1 | tail -1)
  awk -v l="$label" -v c="$cache" -v n="$events" -v s="${out% *}" -v m="${out#* }" \
    'BEGIN { printf "{\"run\":\"%s\",\"cache\":\"%s\",\"events\":%d,\"seconds\":%.2f,\"events_per_s\":%.0f,\"peak_rss_kb\":%d}\n", l, c, n, s, n / s, m }'
}
for ((i = 0; i < RUNS; i++)); do
  run "verify" warm "$FTL" verify
  [[ -n $OTHER ]] && run "verify (other)" warm "$OTHER" verify
done
run "verify --refold" warm "$FTL" verify --refold
if [[ -w /proc/sys/vm/drop_caches ]]; then
  run "verify" cold "$FTL" verify
  [[ -n $OTHER ]] && run "verify (other)" cold "$OTHER" verify
fi
