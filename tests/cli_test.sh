#!/usr/bin/env bash
# The `ftl` binary from outside, as a user or a script sees it: outputs, exit codes, errors
# on stderr, nothing appended by a failed command, the writer lock.
# usage: cli_test.sh FTL CRASH_CHILD SOURCE_DIR
set -u
FTL=$1 CHILD=$2 SRC=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ftl-cli-XXXXXX")
trap 'kill $HOLDER 2>/dev/null; rm -rf "$WORK"' EXIT
HOLDER=
export FTL_DB="$WORK/db" FTL_ACTOR=tester NO_COLOR=1
PAGE="$SRC/examples/playbooks/enable-services.md"
passed=0 failed=0

check() {  # check NAME EXPECTED_EXIT PATTERN(for stdout+stderr, ERE, may be empty) -- CMD...
  local name=$1 want=$2 pattern=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [[ $rc -ne $want ]]; then
    echo "FAIL $name: exit $rc, wanted $want"; echo "$out" | head -20; failed=$((failed+1)); return
  fi
  if [[ -n $pattern ]] && ! grep -Eq -- "$pattern" <<<"$out"; then
    echo "FAIL $name: output does not match /$pattern/"; echo "$out" | head -20; failed=$((failed+1)); return
  fi
  passed=$((passed+1))
}

check "reading a missing ledger is exit 5 with a hint" 5 "no ledger at .*db" -- "$FTL" playbook list
check "no command is a usage error" 1 "" -- "$FTL"
check "an unknown option is a usage error" 1 "error:" -- "$FTL" playbook list --bogus
check "help lists exit codes" 0 "verification failed" -- "$FTL" --help
check "every level has an example" 0 "Example:" -- "$FTL" playbook tasks --help
check "import" 0 "imported enable-services.md: 8 steps, 86 tasks, 14 Refresh Summary rows" -- "$FTL" playbook import "$PAGE"
check "re-import says unchanged" 0 "unchanged" -- "$FTL" playbook import "$PAGE"
digest=$("$FTL" digest)
check "digest is one JSON object" 0 '^\{"hash":"[0-9a-f]{64}","sequence":109\}$' -- "$FTL" digest
check "list" 0 "enable-services +Enable Services +Enable +8 +86" -- "$FTL" playbook list
check "show" 0 "Primary Role: FastTrack Manager" -- "$FTL" playbook show enable-services
check "show json" 0 '"applies_to"' -- "$FTL" --format json playbook show enable-services
check "tasks filter" 0 "^1158 +M +Exchange - Configure EXO" -- "$FTL" playbook tasks --playbook enable-services --service Exchange --mandatory
n=$("$FTL" --format jsonl playbook tasks --service Exchange --mandatory | wc -l)
[[ $n -eq 7 ]] && passed=$((passed+1)) || { echo "FAIL mandatory Exchange tasks: $n rows, wanted 7"; failed=$((failed+1)); }
check "tasks jsonl rows carry the documented keys" 0 '^\{"id":1126,"listed":true,"mandatory":true,"name":"Meet with Customer PM' -- "$FTL" --format jsonl playbook tasks
check "tasks csv has a header" 0 "^id,mandatory,name,role,services,step,playbook" -- "$FTL" --format csv playbook tasks
check "history md is a Markdown table in playbook dates" 0 '^\| 3/25/2020 \| Ryan Meehan \| Added step inputs and outputs to all steps \|$' -- "$FTL" --format md playbook history enable-services
check "history since" 0 "" -- "$FTL" playbook history enable-services --since 2020-01-01
rows=$("$FTL" --format jsonl playbook history enable-services --since 2020-01-01 | wc -l)
[[ $rows -eq 6 ]] && passed=$((passed+1)) || { echo "FAIL history --since: $rows rows, wanted 6"; failed=$((failed+1)); }
check "log jsonl has envelopes" 0 '"event_id":.*"prev_hash":' -- bash -c "'$FTL' --format jsonl log | head -3"
check "log by stream" 0 "TaskAdded" -- "$FTL" log --stream playbook/enable-services --from 10 --limit 2
check "verify" 0 "^ok: 109 events" -- "$FTL" verify
echo "$digest" > "$WORK/digest.json"
check "verify --digest" 0 "digest at sequence 109 is part of this chain" -- "$FTL" verify --digest "$WORK/digest.json"
echo '{"sequence":3,"hash":"00"}' > "$WORK/bad-digest.json"
check "a malformed digest file is invalid input" 2 "is not a digest" -- "$FTL" verify --digest "$WORK/bad-digest.json"
printf '{"sequence":5,"hash":"%064d"}' 0 > "$WORK/other-digest.json"
check "a digest from another chain fails verification" 4 "event 5 breaks V10" -- "$FTL" verify --digest "$WORK/other-digest.json"
check "stats" 0 "events +109" -- "$FTL" stats
check "unknown playbook is invalid with a hint" 2 "hint: known playbooks: enable-services" -- "$FTL" playbook show enable-servics
check "a bad page is exit 2 with file:line" 2 "bad-task-id.md:10: task id '11x6' is not a number" -- "$FTL" playbook import "$SRC/tests/data/playbooks/errors/bad-task-id.md"
check "one bad page among good ones appends nothing" 2 "bad-date.md:16" -- "$FTL" playbook import "$SRC/tests/data/playbooks/german.md" "$SRC/tests/data/playbooks/errors/bad-date.md"
[[ $("$FTL" digest) == "$digest" ]] && passed=$((passed+1)) || { echo "FAIL: a failed import appended"; failed=$((failed+1)); }
check "--id with two files is a usage error" 1 "--id names one playbook" -- "$FTL" playbook import --id x "$PAGE" "$SRC/tests/data/playbooks/german.md"
check "repairs are warnings with file:line" 0 "warning: .*oddities.md:34: 2 table rows are run together" -- "$FTL" playbook import "$SRC/tests/data/playbooks/oddities.md"
check "--quiet silences warnings" 0 "" -- "$FTL" --quiet playbook import "$SRC/tests/data/playbooks/oddities.md" --id oddities2
[[ -z $("$FTL" --quiet playbook import "$SRC/tests/data/playbooks/spanish.md" 2>&1 >/dev/null) ]] && passed=$((passed+1)) || { echo "FAIL --quiet printed to stderr"; failed=$((failed+1)); }

# Another process holds the writer's lock: readers still work, a writer waits then exits 5.
"$CHILD" hold "$WORK/db" 30 > "$WORK/holder.out" &
HOLDER=$!
for _ in $(seq 100); do grep -q HOLDING "$WORK/holder.out" 2>/dev/null && break; sleep 0.05; done
check "reading while another process writes" 0 "enable-services" -- "$FTL" playbook list
start=$(date +%s%N)
check "a second writer waits, then exits 5 naming the path" 5 "ledger at .*db is locked by another writer \(waited 1s\)" -- "$FTL" --wait 1 playbook import "$SRC/tests/data/playbooks/german.md"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[[ $elapsed_ms -ge 1000 ]] && passed=$((passed+1)) || { echo "FAIL writer did not wait ($elapsed_ms ms)"; failed=$((failed+1)); }
kill $HOLDER; wait $HOLDER 2>/dev/null; HOLDER=
check "the writer proceeds once the lock is free" 0 "imported german.md" -- "$FTL" playbook import "$SRC/tests/data/playbooks/german.md"

# --follow prints what another process appends, without taking the lock; stopped by its pid.
"$FTL" --format jsonl log --follow --interval 0.05 --from 110 > "$WORK/follow.out" 2>&1 &
FOLLOWER=$!
"$FTL" --quiet playbook import "$SRC/tests/data/playbooks/japanese.md" >/dev/null
for _ in $(seq 200); do grep -q '"stream":"playbook/japanese"' "$WORK/follow.out" && break; sleep 0.05; done
kill $FOLLOWER; wait $FOLLOWER 2>/dev/null
if grep -q '"stream":"playbook/japanese"' "$WORK/follow.out" && ! grep -q '"sequence":109,' "$WORK/follow.out"; then
  passed=$((passed+1))
else
  echo "FAIL log --follow did not print the new events"; head -5 "$WORK/follow.out"; failed=$((failed+1))
fi
check "--follow refuses one-document json" 1 "use --format jsonl" -- "$FTL" --format json log --follow

# Any program can recompute the chain from the log alone (ledger/FORMAT.md).
if command -v python3 >/dev/null; then
  check "the chain recomputes from ftl log without ftl's code" 0 "^ok: [0-9]+ events recomputed" -- bash -c "'$FTL' --format jsonl log | python3 '$SRC/tools/recompute_chain.py'"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
