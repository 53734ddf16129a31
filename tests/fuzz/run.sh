#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each, two at a time, from its seed corpus and the
# inputs kept in tests/data/fuzz/, into a working corpus in a temp dir. Prints each target's
# runs and coverage; exits 1 if any target found a crash, leaving the input in WORK/crash-<target>/.
# usage: tests/fuzz/run.sh BUILD_DIR SECONDS
set -u
cd "$(dirname "$0")/../.."
build=$1 seconds=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/ftl-fuzz-XXXXXX")
targets=(record snapshot payload importer parsers)
run() {
  local t=$1
  mkdir -p "$work/corpus-$t" "$work/crash-$t"
  local seeds=(tests/fuzz/corpus/$t)
  [[ -d tests/data/fuzz/$t ]] && seeds+=(tests/data/fuzz/$t)
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/crash-$t/" "$work/corpus-$t" "${seeds[@]}" > "$work/$t.log" 2>&1
  local rc=$?
  local runs cov
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$t.log" | awk '{print $2}')
  cov=$(grep -o 'cov: [0-9]*' "$work/$t.log" | tail -1 | awk '{print $2}')
  if [[ $rc -ne 0 ]]; then
    echo "FAIL fuzz_$t: exit $rc after ${runs:-?} runs; input in $work/crash-$t/, log $work/$t.log"
    grep -E "ERROR|fuzz property|SUMMARY" "$work/$t.log" | head -5
    return 1
  fi
  echo "ok fuzz_$t: ${runs:-0} runs in ${seconds}s, coverage ${cov:-?} edges, corpus $(ls "$work/corpus-$t" | wc -l) new inputs"
}
failed=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[i]}" & a=$!
  b=
  if ((i + 1 < ${#targets[@]})); then run "${targets[i+1]}" & b=$!; fi
  wait $a || failed=1
  [[ -n $b ]] && { wait $b || failed=1; }
done
[[ $failed -eq 0 ]] && rm -rf "$work"
exit $failed
