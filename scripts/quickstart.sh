#!/usr/bin/env bash
# The main job: install what is missing, build, then import the sample playbook into the
# default ledger (./ftl-data), browse the catalog it built, and prove nothing was rewritten.
# Run it again: the import appends nothing and says so.
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
ftl verify
ftl digest
ftl stats
