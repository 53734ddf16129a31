#!/usr/bin/env bash
# Proofs on a large ledger, each as one whole `ftl` process (start, open, read, print): the
# median wall time of N runs, one JSON line per figure. The ledger gains its tree first if it
# has none (a writing open, timed). A signing key is made in a temporary directory.
# usage: bench/proofs.sh BUILD_DIR LEDGER ENGAGEMENT [N]
#   e.g. bench/proofs.sh build /tmp/gen10 eng-2 15   (after ftl-bench generate, see PERFORMANCE.md)
set -eu
BUILD=$1 DB=$2 ENG=$3 N=${4:-15}
FTL="$BUILD/cli/ftl"
T=$(mktemp -d "${TMPDIR:-/tmp}/ftl-proofs-XXXXXX")
trap 'rm -rf "$T"' EXIT
export FTL_LEDGER_KEY="$T/ledger.key" FTL_SNAPSHOT_KEY=${FTL_SNAPSHOT_KEY:-$T/snapshot.key}
VKEY=$("$FTL" --quiet key generate --origin bench.ledger --out "$FTL_LEDGER_KEY")

# Clocks read from bash's own EPOCHREALTIME (µs): no process is started to read the time, so a
# figure is the command's own wall time (its fork and exec included), nothing more.
us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
ms() { echo $(( $(us) - $1 )); }  # µs since $1 (for the one-time steps)
median() {  # median µs of N runs of "$@"
  local ts=() s e
  for ((i = 0; i < N; i++)); do
    s=${EPOCHREALTIME/./}
    "$@" > /dev/null 2>&1
    e=${EPOCHREALTIME/./}
    ts+=("$(( 10#$e - 10#$s ))")
  done
  printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(( (N + 1) / 2 ))p"
}
emit() { printf '{"figure":"%s","median_ms":%s}\n' "$1" "$(awk -v u="$2" 'BEGIN { printf "%.1f", u / 1000 }')"; }

if ! "$FTL" --db "$DB" checkpoint > "$T/cp0.txt" 2> /dev/null; then
  s=$(us)
  "$FTL" --db "$DB" --quiet --as bench note add "$ENG" --kind environment --text "tree upgrade" > /dev/null
  printf '{"figure":"tree upgrade (a writing open)","seconds":%s}\n' "$(awk -v u="$(ms "$s")" 'BEGIN { printf "%.1f", u / 1e6 }')"
  "$FTL" --db "$DB" checkpoint > "$T/cp0.txt"
fi
"$FTL" --db "$DB" --quiet --as bench note add "$ENG" --kind environment --text "after the first checkpoint" > /dev/null
"$FTL" --db "$DB" checkpoint > "$T/cp1.txt"
size=$(sed -n 2p "$T/cp1.txt")
mid=$(( size / 2 ))
"$FTL" --db "$DB" proof inclusion "$mid" --checkpoint "$T/cp1.txt" > "$T/e.proof"
"$FTL" --db "$DB" proof consistency "$T/cp0.txt" "$T/cp1.txt" > "$T/c.proof"
"$FTL" --db "$DB" bundle "$ENG" --out "$T/b.ftlbundle"

echo "{\"ledger\":\"$DB\",\"events\":$size,\"runs\":$N}"
emit "ftl --version (process start)" "$(median "$FTL" --version)"
emit "ftl stats (open)" "$(median "$FTL" --db "$DB" stats)"
emit "ftl checkpoint (sign the head)" "$(median "$FTL" --db "$DB" checkpoint)"
emit "ftl proof inclusion (given checkpoint)" "$(median "$FTL" --db "$DB" proof inclusion "$mid" --checkpoint "$T/cp1.txt")"
emit "ftl proof inclusion (signing one)" "$(median "$FTL" --db "$DB" proof inclusion "$mid")"
emit "ftl proof consistency" "$(median "$FTL" --db "$DB" proof consistency "$T/cp0.txt" "$T/cp1.txt")"
emit "ftl proof verify inclusion (no ledger)" "$(median "$FTL" proof verify "$T/e.proof" --key "$VKEY")"
emit "ftl proof verify consistency (no ledger)" "$(median "$FTL" proof verify "$T/c.proof" --key "$VKEY")"
N=$(( N < 5 ? N : 5 ))
emit "ftl bundle $ENG" "$(median "$FTL" --db "$DB" bundle "$ENG")"
emit "ftl bundle verify ($(wc -c < "$T/b.ftlbundle") bytes)" "$(median "$FTL" bundle verify "$T/b.ftlbundle" --key "$VKEY")"
"$FTL" bundle verify "$T/b.ftlbundle" --key "$VKEY" | head -1
