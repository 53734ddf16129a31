#!/usr/bin/env bash
# The main job: install what is missing, build, then on the default ledger (./ftl-data):
# import the sample playbook, browse the catalog it built, open a sample engagement and
# record a week of work on it (several people, each fact on its business day), show where it
# stands, and prove nothing was rewritten. Run it again: nothing is recorded twice.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build
ftl() { echo "\$ ftl $*" >&2; build/cli/ftl "$@"; }
export FTL_DB=${FTL_DB:-./ftl-data}

ftl playbook import examples/playbooks/enable-services.md
ftl playbook list
ftl playbook tasks --playbook enable-services --service Exchange --mandatory
ftl playbook history enable-services --format md --since 2019-10-01

day() { date -u -d "$1 days ago" +%F; }   # the business days of the past week
if ! build/cli/ftl engagement show contoso >/dev/null 2>&1; then
  ftl --as ryan engagement open contoso --customer "Contoso Ltd" --seats 25000 \
      --services "Exchange, Teams, SharePoint" --motions RFA --effective "$(day 6)"
  ftl --as ryan task done contoso 1126 --note "Kick-off held with PM and tech leads" --effective "$(day 6)"
  ftl --as ryan contact add contoso --name "Ana Silva" --role "Customer PM" --survey-eligible yes \
      --language pt --country BR --services Teams --effective "$(day 6)"
  ftl --as ryan status contoso --l1 "In Progress" --l2 "Technical Onboarding and Deployment" \
      --target "$(date -u -d '+30 days' +%F)" --effective "$(day 6)"
  ftl --as rosie task done contoso 1158 --effective "$(day 5)"
  ftl --as mark task done contoso 1672 --note "Questionnaire validated on the collaboration site" --effective "$(day 5)"
  ftl --as rosie note add contoso --kind technical-enablement --text "ViewPoint validated Directory Sync" \
      --step "Perform Enablement Tasks" --item 2 --effective "$(day 5)"
  ftl --as rosie task na contoso 3222 --reason "No SharePoint hybrid" --effective "$(day 4)"
  ftl --as rosie task done contoso 1235 --effective "$(day 4)"
  ftl --as rosie service status contoso Exchange Enable --effective "$(day 4)"
  ftl --as sam status contoso --service Teams --l1 Blocked --l2 "Adoption Readiness" --effective "$(day 3)"
  ftl --as ryan note add contoso --kind engagement-management --text "Teams adoption blocked on training plan" --effective "$(day 3)"
  ftl --as sam task done contoso 3687 --effective "$(day 2)"
  ftl --as mark task done contoso 2474 --effective "$(day 2)"
  ftl --as ryan usage contoso --active-users 1800 --source Lynx --effective "$(day 1)"
  ftl --as rosie status contoso --service Exchange --l1 "In Progress" --l2 Migration --effective "$(day 1)"
fi
ftl engagement show contoso
ftl task list contoso --open --service Exchange
ftl verify
ftl digest
ftl stats
