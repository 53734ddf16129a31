#!/usr/bin/env bash
# Everything the quick start does, then every test: the normal build and an
# AddressSanitizer + UndefinedBehaviorSanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/quickstart.sh
echo "== tests"
ctest --test-dir build --output-on-failure
echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer"
scripts/build.sh build-asan -DFTL_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-asan --output-on-failure
