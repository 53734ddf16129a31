#!/usr/bin/env bash
# Times single-engagement views on a generated ledger: each view is one whole `ftl` process
# (start, open, read, print), run RUNS times; prints the median and worst wall time in ms and
# the peak RSS. "cold" drops the page cache before every run (needs root; skipped otherwise).
#
# usage: bench/views.sh BUILD_DIR LEDGER ENGAGEMENT ACTOR [RUNS]
#   bench/views.sh build /tmp/gen10 eng-1 person-3 9
set -euo pipefail
BUILD=$1 DB=$2 ENG=$3 ACTOR=$4 RUNS=${5:-9}
FTL="$BUILD/cli/ftl"
can_drop=0
if [[ -w /proc/sys/vm/drop_caches ]]; then can_drop=1; fi

measure() {  # measure LABEL cold|warm ARGS...
  local label=$1 mode=$2; shift 2
  local times=() rss=0
  "$FTL" --db "$DB" "$@" >/dev/null  # once, so that warm means warm
  for ((i = 0; i < RUNS; i++)); do
    if [[ $mode == cold ]]; then sync; echo 3 >/proc/sys/vm/drop_caches; fi
    local t0 t1 r
    t0=$(date +%s%N)
    r=$( { /usr/bin/time -f "%M" "$FTL" --db "$DB" "$@" >/dev/null; } 2>&1 | tail -1)
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
    (( r > rss )) && rss=$r
  done
  local sorted
  sorted=($(printf '%s\n' "${times[@]}" | sort -n))
  awk -v l="$label" -v m="$mode" -v n="$RUNS" -v med="${sorted[$((RUNS / 2))]}" -v max="${sorted[$((RUNS - 1))]}" -v rss="$rss" \
    'BEGIN { printf "{\"view\":\"%s\",\"cache\":\"%s\",\"runs\":%d,\"median_ms\":%.1f,\"max_ms\":%.1f,\"peak_rss_kb\":%d}\n", l, m, n, med / 1000, max / 1000, rss }' 
}

# The middle of the engagement's life, for --as-of.
first=$("$FTL" --db "$DB" --format jsonl log --stream "engagement/$ENG" --limit 1 | sed 's/.*"sequence":\([0-9]*\).*/\1/')
last=$("$FTL" --db "$DB" --format json engagement show "$ENG" | sed -n 's/^  "last_sequence": \([0-9]*\).*/\1/p')
middle=$(( (first + last) / 2 ))

modes=(warm)
(( can_drop )) && modes+=(cold)
for mode in "${modes[@]}"; do
  measure "engagement show $ENG" "$mode" engagement show "$ENG"
  measure "engagement show $ENG --as-of $((last - 1)) (a full fold: its snapshot covers more)" "$mode" engagement show "$ENG" --as-of "$((last - 1))"
  measure "task list $ENG" "$mode" task list "$ENG"
  measure "history $ENG" "$mode" history "$ENG"
  measure "audit --engagement $ENG" "$mode" audit --engagement "$ENG"
  measure "engagement show $ENG --as-of $middle" "$mode" engagement show "$ENG" --as-of "$middle"
done
measure "audit --actor $ACTOR" warm audit --actor "$ACTOR"
