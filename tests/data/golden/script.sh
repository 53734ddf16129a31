#!/usr/bin/env bash
# A scripted engagement whose history tests/cli_test.sh compares with history.txt and
# history.md: every command names its actor and its business date, so the output is the same
# on every run. usage: script.sh FTL PAGE (with FTL_DB set)
set -eu
FTL=$1 PAGE=$2
"$FTL" playbook import "$PAGE" >/dev/null
f() { "$FTL" "$@" >/dev/null; }
f --as ryan engagement open fabrikam --customer "Fabrikam Inc" --seats 800 --services "Exchange, Teams" --motions RFA --effective 2024-11-02
f --as ryan task done fabrikam 1126 --note "Kick-off held" --effective 2024-11-02
f --as ryan task done fabrikam 1672 --effective 2024-11-02
f --as ryan status fabrikam --service Teams --l1 "In Progress" --l2 "Technical Onboarding and Deployment" --target 2026-12-15 --effective 2024-11-02
f --as rosie note add fabrikam --kind technical-enablement --text "Directory sync validated" --effective 2024-11-03
f --as rosie task done fabrikam 1158 --effective 2024-11-03
f --as ryan service status fabrikam Exchange Migrate --effective 2024-11-04
f --as ryan service target fabrikam Teams 2027-01-15 --effective 2024-11-04
f --as rosie usage fabrikam --active-users 90 --source Lynx --effective 2024-11-05
f --as rosie task na fabrikam 1159 --reason "Mail flow stays on premises" --effective 2024-11-05
wrong=$("$FTL" --format jsonl log --stream engagement/fabrikam | grep '"type":"TaskCompleted"' | grep '"task":1158' | sed 's/.*"event_id":"\([^"]*\)".*/\1/')
f --as ryan correct "$wrong" --reason "wrong task" --task 1235 --effective 2024-11-06
f --as ryan status fabrikam --service Teams --l1 Blocked --l2 "Adoption Readiness" --effective 2024-11-06
