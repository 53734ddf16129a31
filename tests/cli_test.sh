#!/usr/bin/env bash
# The `ftl` binary from outside, as a user or a script sees it: outputs, exit codes, errors
# on stderr, nothing appended by a failed command, the writer lock.
# usage: cli_test.sh FTL CRASH_CHILD SOURCE_DIR [server]
# With "server", every command that can goes through `ftl serve` (tests/via_server.sh starts
# one per ledger on a free loopback port, with a token per actor: six more events on that
# ledger, counted in OFF) and must print the same and exit the same.
set -u
FTL=$1 CHILD=$2 SRC=$3 MODE=${4:-local}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ftl-cli-XXXXXX")
OFF=0
stop_server() { :; }
if [[ $MODE == server ]]; then
  export FTL_REAL=$FTL VIA_STATE="$WORK/via"
  FTL="$SRC/tests/via_server.sh" OFF=6
  stop_server() { "$FTL" --stop "$1"; }
fi
trap 'kill $HOLDER 2>/dev/null; [[ $MODE == server ]] && "$FTL" --stop-all; rm -rf "$WORK"' EXIT
HOLDER=
export FTL_DB="$WORK/db" FTL_ACTOR=tester NO_COLOR=1 FTL_SNAPSHOT_KEY="$WORK/snapshot.key"
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
# The log's signing key and a witness's, before any ledger (and so before any server) exists.
VKEY=$("$FTL" --quiet key generate --origin cli.test --out "$WORK/ledger.key")
WKEY=$("$FTL" --quiet key generate --cosigner --origin cli.witness/w1 --out "$WORK/w.key")
check "key generate prints a verifier key NAME+ID+KEY" 0 "" -- bash -c "[[ '$VKEY' =~ ^cli\.test\+[0-9a-f]{8}\+A ]] && [[ '$WKEY' =~ ^cli\.witness/w1\+[0-9a-f]{8}\+B ]]"
check "a key is never written over another" 2 "exists; a key is never written over another" -- "$FTL" key generate --origin cli.test --out "$WORK/ledger.key"
export FTL_LEDGER_KEY="$WORK/ledger.key"
check "import" 0 "imported enable-services.md: added 8 steps and 86 tasks; 14 Refresh Summary rows; 109 events, sequences 1-109" -- "$FTL" playbook import "$PAGE"
check "re-import says unchanged" 0 "unchanged" -- "$FTL" playbook import "$PAGE"
digest=$("$FTL" digest)
check "digest is one JSON object" 0 '^\{"hash":"[0-9a-f]{64}","sequence":'$((109 + OFF))'\}$' -- "$FTL" digest
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
check "verify" 0 "^ok: $((109 + OFF)) events" -- "$FTL" verify
echo "$digest" > "$WORK/digest.json"
check "verify --digest" 0 "digest at sequence $((109 + OFF)) is part of this chain" -- "$FTL" verify --digest "$WORK/digest.json"
echo '{"sequence":3,"hash":"00"}' > "$WORK/bad-digest.json"
check "a malformed digest file is invalid input" 2 "is not a digest" -- "$FTL" verify --digest "$WORK/bad-digest.json"
printf '{"sequence":5,"hash":"%064d"}' 0 > "$WORK/other-digest.json"
check "a digest from another chain fails verification" 4 "event 5 breaks V10" -- "$FTL" verify --digest "$WORK/other-digest.json"
check "stats" 0 "events +$((109 + OFF))" -- "$FTL" stats
check "unknown playbook is invalid with a hint" 2 "hint: known playbooks: enable-services" -- "$FTL" playbook show enable-servics
check "a page with no task that reads is exit 2 with file:line" 2 "bad-task-id.md:10: task id '11x6' is not a number, and no other task on the page could be read" -- "$FTL" playbook import "$SRC/tests/data/playbooks/errors/bad-task-id.md"
check "one bad page among good ones appends nothing" 2 "merged-cell.md:10: the task row has 3 cells where the header has 4" -- "$FTL" playbook import "$SRC/tests/data/playbooks/german.md" "$SRC/tests/data/playbooks/errors/merged-cell.md"
[[ $("$FTL" digest) == "$digest" ]] && passed=$((passed+1)) || { echo "FAIL: a failed import appended"; failed=$((failed+1)); }
check "--id with two files is a usage error" 1 "--id names one playbook" -- "$FTL" playbook import --id x "$PAGE" "$SRC/tests/data/playbooks/german.md"
check "repairs are warnings with file:line" 0 "warning: .*oddities.md:34: 2 table rows are run together" -- "$FTL" playbook import "$SRC/tests/data/playbooks/oddities.md"
UNTIDY="$SRC/tests/data/playbooks/untidy"
check "a missing page is exit 2 naming it" 2 "cannot read playbook file $WORK/nowhere.md: No such file or directory" -- "$FTL" playbook import "$WORK/nowhere.md"
truncate -s $((64 * 1024 * 1024 + 1)) "$WORK/huge.md"
before=$("$FTL" digest)
check "a page over 64 MB is refused by its size" 2 "huge.md holds 67108865 bytes, more than the 67108864 a playbook file may" -- "$FTL" playbook import "$WORK/huge.md"
check "--strict refuses a page that needed repairs" 2 "placeholders.md:11: the task id 'None' is a placeholder; the row was skipped \(and 5 more warnings\)" -- "$FTL" playbook import --strict "$UNTIDY/placeholders.md"
check "--strict says how to import anyway" 2 "hint: drop --strict" -- "$FTL" playbook import --strict "$UNTIDY/placeholders.md"
[[ $("$FTL" digest) == "$before" ]] && passed=$((passed+1)) || { echo "FAIL: a refused import appended"; failed=$((failed+1)); }
check "skipped rows are one warning each on stderr" 0 "warning: .*placeholders.md:17: task 4105 is marked 'Perhaps'" -- "$FTL" playbook import "$UNTIDY/placeholders.md"
check "--strict imports a tidy page" 0 "imported german.md" -- "$FTL" playbook import --strict --id german-strict "$SRC/tests/data/playbooks/german.md"
out=$("$FTL" --format json playbook import "$UNTIDY/legend-portuguese.md" 2>/dev/null)
if jq -e '(.[0].warnings | length) == 2 and .[0].warnings[0].line == 16 and (.[0].warnings[1].message | test("O FastTrack Manager")) ' <<<"$out" >/dev/null \
   && jq -e '.[0].changes.tasks_added == 4' <<<"$out" >/dev/null; then passed=$((passed+1)); else echo "FAIL: --format json lists the warnings and counts"; echo "$out" | head -30; failed=$((failed+1)); fi
check "a date not understood keeps its row, with a warning" 0 "refresh-dates.md:19: Refresh Summary date '5/12/202' is not a date" -- "$FTL" playbook import "$UNTIDY/refresh-dates.md"
out=$("$FTL" playbook history refresh-dates)
if grep -Eq "2021-06-30 .*Renamed task 3101" <<<"$out" && [[ $(grep -nE "^(5/12/202|5/101/2021|105/3/2021|2021-04-01) " <<<"$out" | cut -d: -f2 | cut -c1-10 | tr -s ' ' | tr '\n' ',') == "5/12/202 ,5/101/2021,105/3/2021,2021-04-01," ]]; then passed=$((passed+1)); else echo "FAIL: history order"; echo "$out"; failed=$((failed+1)); fi
# A page cut off part-way would unlist most of a playbook: refused unless meant.
head -c 6200 "$PAGE" > "$WORK/enable-services.md"
before=$("$FTL" digest)
check "a re-import that removes more than half is refused, naming it" 2 "would remove [0-9]+ of its 86 tasks \(1[0-9]+, .* more\).* from playbook enable-services, more than half" -- "$FTL" playbook import "$WORK/enable-services.md"
check "and says how to accept it" 2 "hint: .*--accept-removals" -- "$FTL" playbook import "$WORK/enable-services.md"
[[ $("$FTL" digest) == "$before" ]] && passed=$((passed+1)) || { echo "FAIL: a refused re-import appended"; failed=$((failed+1)); }
check "--accept-removals imports it and says what it removed" 0 "new revision from enable-services.md: .*removed [0-9]+ steps and [0-9]+ tasks" -- "$FTL" playbook import --accept-removals "$WORK/enable-services.md"
check "the full page again adds them back" 0 "added [0-9]+ steps and [0-9]+ tasks" -- "$FTL" playbook import "$PAGE"
"$FTL" --quiet playbook import "$UNTIDY/legend-ambiguous.md" >/dev/null 2>&1
out=$("$FTL" playbook history legend-ambiguous)
if [[ $(grep -oE "^(2021-05-01|2/30/2021|2020-01-01) " <<<"$out" | tr -d ' ' | tr '\n' ,) == "2021-05-01,2/30/2021,2020-01-01," ]]; then passed=$((passed+1)); else echo "FAIL: an undated row of an oldest-first table keeps its place"; echo "$out"; failed=$((failed+1)); fi
# Ten processes create one new ledger at once: one imports, the others find it made and the page recorded.
for i in $(seq 10); do ( "$FTL" --db "$WORK/race" --quiet playbook import "$PAGE" > "$WORK/race.$i" 2>&1; echo "rc=$?" >> "$WORK/race.$i" ) & done; wait
if [[ $(cat "$WORK"/race.* | grep -c "^rc=0") == 10 && $(cat "$WORK"/race.* | grep -c "^enable-services: imported") == 1 ]]; then passed=$((passed+1)); else echo "FAIL: concurrent creation of a ledger"; cat "$WORK"/race.*; failed=$((failed+1)); fi
# Through a server, the harness grants its tokens on the raced ledger while the importers may
# still hold it: a grant that waits too long fails after some others went in (0 to 6 events).
raced="^ok: 109 events"; ((OFF == 0)) || raced="^ok: 1(09|1[0-5]) events"
check "the raced ledger verifies" 0 "$raced" -- "$FTL" --db "$WORK/race" verify
check "--quiet silences warnings" 0 "" -- "$FTL" --quiet playbook import "$SRC/tests/data/playbooks/oddities.md" --id oddities2
[[ -z $("$FTL" --quiet playbook import "$SRC/tests/data/playbooks/spanish.md" 2>&1 >/dev/null) ]] && passed=$((passed+1)) || { echo "FAIL --quiet printed to stderr"; failed=$((failed+1)); }

# Another process holds the writer's lock: readers still work, a writer waits then exits 5.
stop_server "$WORK/db"
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

# Engagements: the issue's walk-through, exit codes and messages.
check "open an engagement" 0 "opened contoso for Contoso Ltd" -- "$FTL" engagement open contoso --customer "Contoso Ltd" --seats 25000 --services "Exchange, Teams, SharePoint" --motions RFA
check "opening it again is a conflict" 3 "already open" -- "$FTL" engagement open contoso --customer "Contoso Ltd" --seats 25000 --services "Exchange"
check "task done" 0 "completed task 1126" -- "$FTL" task done contoso 1126 --note "Kick-off held with PM and tech leads"
check "task done twice records nothing" 0 "already done" -- "$FTL" task done contoso 1126
check "task na" 0 "marked task 3222 not applicable" -- "$FTL" task na contoso 3222 --reason "No SharePoint hybrid"
before=$("$FTL" digest)
check "a mandatory task cannot be not applicable" 2 "task 1235 .* is mandatory" -- "$FTL" task na contoso 1235 --reason "..."
check "an unknown task is refused with a suggestion" 2 "hint: did you mean task" -- "$FTL" task done contoso 9999
check "an L2 of another L1 is refused with the valid ones" 2 "hint: L2 values of In Progress: Technical Onboarding and Deployment, Migration, Solution or User Adoption" -- "$FTL" status contoso --l1 "In Progress" --l2 "Legal/Regulatory" --target 2026-12-15
check "1701 needs the mandatory tasks done" 2 "still open" -- "$FTL" task done contoso 1701
check "an unknown engagement is refused" 2 "no engagement fabrikam" -- "$FTL" task done fabrikam 1126
check "a bad --survey-eligible is refused" 2 "neither yes nor no" -- "$FTL" contact add contoso --name "Ana Silva" --survey-eligible maybe
check "correcting an unknown event" 2 "no event nope" -- "$FTL" correct nope --reason "typo"
check "an engagement id must be a slug" 2 "use contoso-ltd" -- "$FTL" engagement open "Contoso Ltd" --customer "Contoso Ltd" --seats 10 --services Exchange
check "--effective must be a date" 2 "--effective 'yesterday' is not a date" -- "$FTL" task done contoso 1159 --effective yesterday
check "updating an unknown contact" 2 "no contact 'zed' on contoso" -- "$FTL" contact update contoso zed --role Sponsor
check "a contact service outside the scope" 2 "not in contoso's scope" -- "$FTL" contact add contoso --name "Cy Doe" --services Yammer
[[ $("$FTL" digest) == "$before" ]] && passed=$((passed+1)) || { echo "FAIL: a refused command appended"; failed=$((failed+1)); }
check "status for every service" 0 "for 3 services" -- "$FTL" status contoso --l1 "In Progress" --l2 "Solution or User Adoption" --target 2026-12-15
check "status for one service" 0 "for 1 service" -- "$FTL" status contoso --service Teams --l1 Blocked --l2 "Adoption Readiness"
check "service status" 0 "Service Status of Exchange to Migrate" -- "$FTL" service status contoso Exchange Migrate
check "note with a checklist item" 0 "added Technical Enablement note" -- "$FTL" note add contoso --kind technical-enablement --text "ViewPoint validated Directory Sync" --step "Perform Enablement Tasks" --item 2
check "contact" 0 "added contact ana-silva" -- "$FTL" contact add contoso --name "Ana Silva" --role "Customer PM" --survey-eligible yes --language pt --country BR --services Teams
check "usage reaches the milestone" 0 "milestone \(100\) is reached" -- "$FTL" usage contoso --active-users 1800 --source Lynx
check "back-dated completion shows as such" 0 "back-dated: recorded" -- bash -c "'$FTL' task done contoso 1158 --effective 2026-11-02 >/dev/null && '$FTL' engagement show contoso"
check "show" 0 "Teams +Blocked +Adoption Readiness" -- "$FTL" engagement show contoso
check "show json" 0 '"milestone_reached":true' -- "$FTL" --format jsonl engagement show contoso
check "list" 0 "contoso +Contoso Ltd +Enable +25000 +2/[0-9]+" -- "$FTL" engagement list
check "task list filters" 0 "^1159 +open +O +Exchange - \{Wizard\} Configure Mail flow" -- "$FTL" task list contoso --open --service Exchange
wrong=$("$FTL" --format jsonl log --stream engagement/contoso | grep '"type":"TaskCompleted"' | grep '"task":1158' | head -1 | sed 's/.*"event_id":"\([^"]*\)".*/\1/')
check "a correction" 0 "recorded a correction" -- "$FTL" correct "$wrong" --reason "wrong task" --task 2474
check "the correction shows" 0 "done 2474" -- "$FTL" engagement show contoso
# Two people record at the same moment from two processes: both land, neither is lost.
"$FTL" --as ana task done contoso 3306 > "$WORK/p1.out" 2>&1 &
p1=$!
"$FTL" --as bo task done contoso 1235 > "$WORK/p2.out" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
if [[ $r1 -eq 0 && $r2 -eq 0 ]] && "$FTL" --format jsonl task list contoso --done | grep -q '"id":3306' && "$FTL" --format jsonl task list contoso --done | grep -q '"id":1235'; then
  passed=$((passed+1))
else
  echo "FAIL concurrent task done from two processes: $r1 $r2"; cat "$WORK/p1.out" "$WORK/p2.out"; failed=$((failed+1))
fi
check "the ledger still verifies" 0 "^ok:" -- "$FTL" verify
check "engagement history" 0 "Completed tasks? [0-9]" -- "$FTL" history contoso
check "engagement history in md" 0 "^\| [0-9]+/[0-9]+/[0-9]{4} \| tester \| " -- "$FTL" --format md history contoso
check "the correction in the history" 0 "[Cc]orrected the completion of task 1158 on 11/2/2026 \\(wrong task; now task 2474\\)" -- "$FTL" history contoso
check "playbook history through ftl history" 0 "Ryan Meehan" -- "$FTL" history --playbook enable-services
check "history needs an engagement or a playbook" 1 "name an engagement or --playbook" -- "$FTL" history
check "audit of a task, from what to what" 0 "task 1126 +open +done" -- "$FTL" audit --task 1126
check "audit by type as csv" 0 "^sequence,recorded_at,effective_date,actor,stream,type,field,from,to" -- "$FTL" --format csv audit --type status
check "audit by actor" 0 "bo +engagement/contoso +TaskCompleted +task 1235" -- "$FTL" audit --actor bo
check "show as of a time before anything" 2 "nothing was recorded by 1999-01-01" -- "$FTL" engagement show contoso --as-of 1999-01-01
check "show as of a time after everything is the current state" 0 "Teams +Blocked +Adoption Readiness" -- "$FTL" engagement show contoso --as-of 2999-01-01T00:00:00Z
first_at=$("$FTL" --format jsonl log --stream engagement/contoso --limit 1 | sed 's/.*"recorded_at":"\([^"]*\)".*/\1/')
check "show as of the time of the first event has only that event" 0 "version $((1))\)" -- "$FTL" engagement show contoso --as-of "$first_at"
second=$("$FTL" --format jsonl log --stream engagement/contoso --limit 2 | tail -1 | sed 's/.*"sequence":\([0-9]*\).*/\1/')
check "task list as of a sequence: 1126 done then" 0 "^1126 +done" -- "$FTL" task list contoso --done --as-of "$second"
check "task list as of a sequence: 1158 not yet done" 0 "" -- bash -c "! '$FTL' task list contoso --done --as-of $second | grep -q '^1158'"
check "history as of a sequence holds what was recorded by then" 0 "completed task 1126$" -- "$FTL" history contoso --as-of "$second"
check "history as of a sequence leaves out what came later" 0 "" -- bash -c "! '$FTL' history contoso --as-of $second | grep -q 1158"
check "an engagement not yet open at the as-of point says when it was" 2 "^hint: it was opened at sequence [0-9]+, recorded " -- "$FTL" engagement show contoso --as-of 5
check "engagement list as of before it was opened leaves it out" 0 "" -- bash -c "! '$FTL' engagement list --as-of 5 | grep -q contoso"
check "engagement list as of now has it" 0 "^contoso +Contoso Ltd" -- "$FTL" engagement list --as-of 2999-01-01
check "as of sequence 0 is refused" 2 "^hint: its events are 1 to [0-9]+$" -- "$FTL" playbook show enable-services --as-of 0
check "the catalog as of a time" 0 "Primary Role: FastTrack Manager" -- "$FTL" playbook show enable-services --as-of 2999-01-01
check "playbook tasks as of a sequence" 0 "^1158 +M" -- "$FTL" playbook tasks --as-of 109 --service Exchange
check "playbook history as of a sequence" 0 "Ryan Meehan" -- "$FTL" playbook history enable-services --as-of 109
head_seq=$("$FTL" --format json digest | sed -E 's/.*"sequence":([0-9]+).*/\1/')
check "diff between two sequences" 0 "task 1126 +open +done" -- "$FTL" diff contoso 1 "$head_seq"
check "diff refuses a bad point" 2 "from 'yesterday' is neither a sequence number nor a time" -- "$FTL" diff contoso yesterday 5
check "diff refuses a sequence past the head, with the range" 2 "to 99999999999999999999999 is not a sequence number of this ledger" -- "$FTL" diff contoso 1 99999999999999999999999
check "replay shows each event's change" 0 "TaskCompleted +task 1126 +open +done" -- "$FTL" replay contoso
check "rebuild refolds and reports its rate" 0 "^rebuilt [0-9]+ playbooks and 1 engagements from [0-9]+ events in .* events/s on [0-9]+ threads; dropped [0-9]+ snapshots, wrote 1" -- "$FTL" rebuild
check "after a rebuild the state is the same" 0 "Teams +Blocked +Adoption Readiness" -- "$FTL" engagement show contoso
check "audit filters combine" 0 "Teams L2 +Solution or User Adoption +Adoption Readiness" -- "$FTL" audit --engagement contoso --type status --since 2020-01-01

# Golden output: a scripted engagement's history (table and Markdown) and audit trail.
golden() {  # golden NAME FILE CMD...
  local name=$1 file=$2; shift 2
  if diff -u "$SRC/tests/data/golden/$file" <("$@" 2>&1) > "$WORK/golden.diff"; then
    passed=$((passed+1))
  else
    echo "FAIL $name differs from tests/data/golden/$file:"; head -40 "$WORK/golden.diff"; failed=$((failed+1))
  fi
}
if FTL_DB="$WORK/golden" bash "$SRC/tests/data/golden/script.sh" "$FTL" "$PAGE" > "$WORK/golden.out" 2>&1; then
  golden "golden history table" history.txt env FTL_DB="$WORK/golden" "$FTL" history fabrikam
  golden "golden history md" history.md env FTL_DB="$WORK/golden" "$FTL" --format md history fabrikam
  golden "golden audit (recorded times and event ids vary)" audit.csv bash -c "FTL_DB='$WORK/golden' '$FTL' --format csv audit --engagement fabrikam | cut -d, -f1,3- | sed -E 's/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/EVENT_ID/g' | awk -F, -v OFS=, -v off=$OFF 'NR > 1 { \$1 -= off } 1'"
else
  echo "FAIL the golden script failed:"; cat "$WORK/golden.out"; failed=$((failed+1))
fi

# Numbers, times and files are bounded and checked; nothing wraps, nothing aborts.
check "a negative count is a usage error, not 18446744073709551611" 1 "active-users: '-5' is not a whole number" -- "$FTL" usage contoso --active-users -5
check "hex is not a number here" 1 "'0x10' is not a whole number" -- "$FTL" engagement seats contoso 0x10
check "--wait inf is refused" 1 "'inf' is not a number" -- "$FTL" --wait inf task done contoso 1158
check "a digest file that is a directory is invalid input" 2 "is a directory, not a digest file" -- "$FTL" verify --digest "$WORK"
check "a page that never ends is refused at its limit" 2 "/dev/zero holds more than" -- "$FTL" playbook import /dev/zero
check "a missing page is exit 2 naming it" 2 "cannot read playbook file $WORK/nope.md" -- "$FTL" playbook import "$WORK/nope.md"
check "verify --from past the head is a usage error" 1 "--from 99999 is past the last event" -- "$FTL" verify --from 99999
check "an empty engagement id is refused" 2 "the engagement id is empty" -- "$FTL" engagement open "" --customer X --seats 5 --services Exchange
check "an unknown service is refused with the catalog's" 2 "service 'Nosuch' is in no playbook" -- "$FTL" engagement open nosuch --customer X --seats 5 --services "Exchange, Nosuch"
check "text that is not UTF-8 is refused" 2 "text is not valid UTF-8" -- "$FTL" note add contoso --kind environment --text $'caf\xe9'
check "verify checks the snapshots too" 0 "snapshots: 1 vouched for by the snapshot key" -- "$FTL" verify
check "verify --refold refolds them" 0 "0 vouched for by the snapshot key, 1 equal to a fold" -- "$FTL" verify --refold

# Bytes only a forged ledger holds (not UTF-8) are shown, never a crash.
stop_server "$WORK/db"
cp -r "$WORK/db" "$WORK/forged"
"$CHILD" forge-text "$WORK/forged" >/dev/null 2>&1
check "json output of bytes that are not UTF-8 does not abort, and is JSON" 0 '^"Bad \\ufffd\\ufffd Name' -- bash -c "FTL_DB='$WORK/forged' '$FTL' --format json engagement show forged | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[\"customer\"]))'"
check "a table of them carries no control character to the terminal" 0 "" -- bash -c "FTL_DB='$WORK/forged' '$FTL' engagement show forged | grep -q 'Bad .*Name' && ! FTL_DB='$WORK/forged' '$FTL' engagement show forged | grep -qP '[\\x00-\\x08\\x0b-\\x1f\\x7f]'"
check "verify names the payload that is not text (E1)" 4 "breaks E1: customer is not valid UTF-8" -- env FTL_DB="$WORK/forged" "$FTL" verify
check "jsonl log of them does not abort" 0 "EngagementOpened" -- bash -c "FTL_DB='$WORK/forged' '$FTL' --format jsonl log --stream engagement/forged | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]; print(\"EngagementOpened\")'"

# A damaged write-ahead log: refused, named, untouched; ftl recover accepts and records the loss.
cp -r "$WORK/db" "$WORK/damaged"
for i in 1 2 3; do "$FTL" --db "$WORK/damaged" note add contoso --kind environment --text "kept or lost $i" >/dev/null; done
stop_server "$WORK/damaged"
wal=$(ls "$WORK/damaged"/*.log | tail -1)
size=$(stat -c %s "$wal")
printf '\xde\xad\xbe\xef' | dd of="$wal" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
check "a damaged WAL fails every command, naming it and the last good sequence" 5 "write-ahead log $(basename "$wal") of the ledger .* cannot be replayed in full.*can be read up to sequence [0-9]+" -- "$FTL" --db "$WORK/damaged" engagement show contoso
check "and hints at recover" 5 "hint: accept the loss with \`ftl recover --reason TEXT\`" -- "$FTL" --db "$WORK/damaged" note add contoso --kind environment --text x
check "recover needs a reason" 1 "reason" -- "$FTL" --db "$WORK/damaged" recover
check "recover keeps what can be read and records the loss" 0 "^recovered the ledger at .*: kept events 1 to [0-9]+; lost [0-9]+ acknowledged event" -- "$FTL" --db "$WORK/damaged" --as admin recover --reason "disk fault, ticket 118"
check "the loss is an event in the log" 0 "LedgerRecovered +admin" -- "$FTL" --db "$WORK/damaged" log --stream ledger
check "the recovered ledger verifies" 0 "^ok: " -- "$FTL" --db "$WORK/damaged" verify
check "the damaged log was kept aside" 0 "" -- bash -c "ls '$WORK/damaged'/lost-*/$(basename "$wal")"
check "a directory that holds files but no ledger is refused" 5 "holds files but no ledger" -- "$FTL" --db "$SRC/tests" playbook import "$PAGE"
mkdir "$WORK/empty"
check "only an import starts a ledger: other writes say there is none" 5 "no ledger at" -- "$FTL" --db "$WORK/empty" engagement open x --customer X --seats 5 --services Exchange
check "and leave the directory empty" 0 "" -- bash -c "[[ -z \$(ls -A '$WORK/empty') ]]"
check "replay refuses a range this ledger does not have" 2 "is not a range of this ledger's sequences" -- "$FTL" replay contoso --from 5 --to 1

# Proofs, a witness, a bundle and a redaction, as an auditor, a witness and an admin use them.
"$FTL" checkpoint > "$WORK/cp1.txt"
check "a checkpoint is the log's signed note of its tree" 0 "^— cli\.test " -- cat "$WORK/cp1.txt"
"$FTL" proof inclusion 110 > "$WORK/e110.proof"
check "an inclusion proof verifies with the key alone" 0 "^ok: event 110 " -- "$FTL" proof verify "$WORK/e110.proof" --key "$VKEY"
"$FTL" --format jsonl log --from 110 --limit 1 --payload > "$WORK/e110.json"
check "so does the event it proves" 0 "^ok: event 110 " -- "$FTL" proof verify "$WORK/e110.proof" --key "$VKEY" --event "$WORK/e110.json"
sed 's/"actor":"[^"]*"/"actor":"mallory"/' "$WORK/e110.json" > "$WORK/e110-forged.json"
check "an event file that was changed fails" 4 "event file's actor" -- "$FTL" proof verify "$WORK/e110.proof" --key "$VKEY" --event "$WORK/e110-forged.json"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); e["data"]={"forged": True}; print(json.dumps(e))' "$WORK/e110.json" > "$WORK/e110-data.json"
check "so does one whose data was changed" 4 "data is not what its payload holds" -- "$FTL" proof verify "$WORK/e110.proof" --key "$VKEY" --event "$WORK/e110-data.json"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); e.pop("payload"); e["data"]=None; e["redacted_by"]="garbage"; print(json.dumps(e))' "$WORK/e110.json" > "$WORK/e110-redby.json"
check "an event file's redacted_by must name a later event" 2 "redacted_by is \"garbage\", not the sequence of an event after 110" -- "$FTL" proof verify "$WORK/e110.proof" --key "$VKEY" --event "$WORK/e110-redby.json"
python3 - "$WORK/e110.proof" > "$WORK/e110-forged.proof" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
i = next(n for n, l in enumerate(lines) if n > 3 and len(l) == 44)  # the first hash of the path
lines[i] = ("B" if lines[i][0] == "A" else "A") + lines[i][1:]
print("\n".join(lines), end="")
PY
check "a proof with a hash changed fails" 4 "" -- "$FTL" proof verify "$WORK/e110-forged.proof" --key "$VKEY"
check "--witness needs the witness's cosignature" 4 "not cosigned by the witness cli.witness/w1" -- "$FTL" proof verify "$WORK/e110.proof" --key "$VKEY" --witness "$WKEY"
check "a witness cosigns the first checkpoint it sees" 0 "first of this log" -- bash -c "'$FTL' witness cosign '$WORK/cp1.txt' --state '$WORK/wstate' --key '$WORK/w.key' --log-key '$VKEY' > '$WORK/cp1w.txt'"
SEQ=$("$FTL" --format json note add contoso --kind environment --text "Jane Doe, +1 555 0100" | python3 -c 'import json,sys; print(json.load(sys.stdin)["first_sequence"])')
# A server serves the checkpoint it signed last (at most a tick behind a count of events).
for _ in $(seq 100); do
  "$FTL" checkpoint > "$WORK/cp2.txt"
  (( $(sed -n 2p "$WORK/cp2.txt") >= SEQ )) && break
  sleep 0.2
done
check "a later one needs a consistency proof from the last" 2 "consistency proof from the tree of" -- "$FTL" witness cosign "$WORK/cp2.txt" --state "$WORK/wstate" --key "$WORK/w.key" --log-key "$VKEY"
"$FTL" proof consistency "$WORK/cp1w.txt" "$WORK/cp2.txt" > "$WORK/step.proof"
check "with it, the witness cosigns" 0 "extends the tree of" -- bash -c "'$FTL' witness cosign '$WORK/cp2.txt' --proof '$WORK/step.proof' --state '$WORK/wstate' --key '$WORK/w.key' --log-key '$VKEY' > '$WORK/cp2w.txt'"
check "an older checkpoint is another history: exit 4, nothing cosigned" 4 "another history" -- "$FTL" witness cosign "$WORK/cp1.txt" --state "$WORK/wstate" --key "$WORK/w.key" --log-key "$VKEY"
"$FTL" proof consistency "$WORK/digest.json" "$WORK/cp2.txt" > "$WORK/digest.proof"
check "a digest saved before checkpoints is carried into the signed tree" 0 "the event whose chain hash is" -- "$FTL" proof verify "$WORK/digest.proof" --key "$VKEY" --digest "$WORK/digest.json"
check "against another digest it fails" 4 "not of the one in" -- "$FTL" proof verify "$WORK/digest.proof" --key "$VKEY" --digest "$WORK/other-digest.json"
check "--digest is for a digest proof only" 1 "another kind of proof" -- "$FTL" proof verify "$WORK/step.proof" --key "$VKEY" --digest "$WORK/digest.json"
"$FTL" proof inclusion "$SEQ" --checkpoint "$WORK/cp2w.txt" > "$WORK/note.proof"
check "a proof against the cosigned checkpoint passes --witness" 0 "^ok: event $SEQ " -- "$FTL" proof verify "$WORK/note.proof" --key "$VKEY" --witness "$WKEY"
check "bundle" 0 "" -- "$FTL" bundle contoso --out "$WORK/c.ftlbundle"
check "a bundle is never written over a file" 2 "exists" -- "$FTL" bundle contoso --out "$WORK/c.ftlbundle"
check "a bundle holds payloads, so only its owner may read it" 0 "^600$" -- stat -c %a "$WORK/c.ftlbundle"
check "a bundle is never written inside the ledger" 2 "would be inside the ledger directory" -- "$FTL" bundle contoso --out "$FTL_DB/c.ftlbundle"
check "nor is a key, whichever ledger --db names" 2 "is inside a ledger's directory" -- "$FTL" --db "$WORK/elsewhere" key generate --origin x.test --out "$FTL_DB/x.key"
check "bundle verify needs no ledger" 0 "^ok: [0-9]+ events of contoso and [0-9]+ catalog events" -- env FTL_DB="$WORK/none" "$FTL" bundle verify "$WORK/c.ftlbundle" --key "$VKEY"
check "bundle show history is the live history" 0 "" -- bash -c "diff <('$FTL' bundle show '$WORK/c.ftlbundle' history --key '$VKEY') <('$FTL' history contoso)"
python3 - "$WORK/c.ftlbundle" > "$WORK/c-forged.ftlbundle" <<'PY'
import base64, json, sys
b = json.load(open(sys.argv[1]))
e = b["events"][-1]
p = bytearray(base64.b64decode(e["payload"])); p[len(p) // 2] ^= 1
e["payload"] = base64.b64encode(bytes(p)).decode()
print(json.dumps(b))
PY
check "a bundle with a payload byte changed fails, naming the event" 4 "event $SEQ's payload does not match" -- "$FTL" bundle verify "$WORK/c-forged.ftlbundle" --key "$VKEY"
check "redact needs a reason" 1 "reason" -- "$FTL" --as admin redact "$SEQ"
check "redact removes the payload and keeps the chain" 0 "^redacted event $SEQ \(NoteAdded on engagement/contoso\)" -- "$FTL" --as admin redact "$SEQ" --reason "personal data, request 2026-118"
check "verify lists the redaction" 0 "event $SEQ is redacted by event" -- "$FTL" verify
check "history shows it as [redacted]" 0 "\[redacted\]" -- "$FTL" history contoso
check "no view shows the text any more" 1 "" -- bash -c "{ '$FTL' --format jsonl log; '$FTL' --format json engagement show contoso; '$FTL' audit --engagement contoso; } | grep -q 'Jane Doe'"
check "its proof still verifies" 0 "^ok: event $SEQ " -- "$FTL" proof verify "$WORK/note.proof" --key "$VKEY"
check "a redaction is not redacted again" 2 "redacted already" -- "$FTL" --as admin redact "$SEQ" --reason again

# Any program can recompute the chain from the log alone (ledger/FORMAT.md).
if command -v python3 >/dev/null; then
  check "the chain recomputes from ftl log without ftl's code" 0 "^ok: [0-9]+ events recomputed" -- bash -c "'$FTL' --format jsonl log | python3 '$SRC/tools/recompute_chain.py'"
fi

if [[ $MODE == server ]]; then
  through=$(grep -c '^server$' "$VIA_STATE/calls") here=$(grep -c '^local$' "$VIA_STATE/calls")
  echo "through the server: $through calls; locally: $here"
  ((through >= 150)) && passed=$((passed+1)) || { echo "FAIL only $through calls went through a server"; failed=$((failed+1)); }
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
