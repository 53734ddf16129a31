#!/usr/bin/env bash
# A disk that fills during appends, on a 4 MB file system this test makes itself (tmpfs in a
# private mount namespace, so nothing outside it is touched): each failing command exits 5 with
# one error sentence and never aborts, appends nothing (the digest does not move), and once
# space is freed the ledger takes appends again and verifies.
# usage: diskfull_test.sh FTL SOURCE_DIR
set -u
FTL=$1 SRC=$2
if [[ ${FTL_DISKFULL_INSIDE:-} != 1 ]]; then
  # A private mount namespace: as root directly, otherwise as a user namespace's root.
  if unshare -m true 2>/dev/null; then exec unshare -m env FTL_DISKFULL_INSIDE=1 bash "$0" "$@"; fi
  if unshare -rm true 2>/dev/null; then exec unshare -rm env FTL_DISKFULL_INSIDE=1 bash "$0" "$@"; fi
  echo "FAIL: cannot make a private mount namespace (unshare -m / -rm) for the small file system"; exit 1
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ftl-diskfull-XXXXXX")
trap 'umount "$WORK/fs" 2>/dev/null; rm -rf "$WORK"' EXIT
mkdir "$WORK/fs"
mount -t tmpfs -o size=4m tmpfs "$WORK/fs" || { echo "FAIL: cannot mount a tmpfs"; exit 1; }
export FTL_DB="$WORK/fs/db" FTL_ACTOR=tester NO_COLOR=1 FTL_SNAPSHOT_KEY="$WORK/snapshot.key"
passed=0 failed=0
ok() { passed=$((passed+1)); }
bad() { echo "FAIL $*"; failed=$((failed+1)); }

"$FTL" playbook import "$SRC/examples/playbooks/enable-services.md" >/dev/null || bad "import"
"$FTL" engagement open contoso --customer "Contoso Ltd" --seats 100 --services Exchange >/dev/null || bad "open"
avail=$(df -k --output=avail "$WORK/fs" | tail -1)
head -c $(( avail * 1024 - 64 * 1024 )) /dev/zero > "$WORK/fs/filler" 2>/dev/null
sync

# Notes of ~12 KB each until the disk refuses one; a few more after that must fail the same way.
failures=0 appended=0
for i in $(seq 1 40); do
  before=$("$FTL" digest 2>/dev/null)
  text="note $i $(head -c 9000 /dev/urandom | base64 -w0)"
  out=$("$FTL" note add contoso --kind environment --text "$text" 2>&1); rc=$?
  if [[ $rc -eq 0 ]]; then appended=$((appended+1)); continue; fi
  failures=$((failures+1))
  [[ $rc -eq 5 ]] && ok || bad "a full disk gave exit $rc, wanted 5: $out"
  grep -q "Assertion\|Aborted\|terminate called" <<<"$out" && bad "the process aborted: $out" || ok
  [[ $(grep -c '^error:' <<<"$out") -eq 1 ]] && ok || bad "not one error sentence: $out"
  grep -qi "full" <<<"$out" && ok || bad "the error does not say the disk is full: $out"
  after=$("$FTL" digest 2>/dev/null)
  if [[ -n $before && -n $after && $before != "$after" ]]; then bad "a failed append moved the digest: $before -> $after"; else ok; fi
  [[ $failures -ge 4 ]] && break
done
[[ $failures -ge 1 ]] && ok || bad "the disk never filled ($appended notes appended)"

rm -f "$WORK/fs/filler"
out=$("$FTL" note add contoso --kind environment --text "after the disk was freed" 2>&1) && ok || bad "no append once space was freed: $out"
out=$("$FTL" verify 2>&1) && ok || bad "verify after the disk was freed: $out"
n=$("$FTL" --format jsonl log --stream engagement/contoso | wc -l)
[[ $n -eq $((appended + 2)) ]] && ok || bad "the engagement has $n events, wanted $((appended + 2)): a failed append left something"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
