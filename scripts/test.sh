#!/usr/bin/env bash
# Everything the quick start does, then every test: the normal build, an AddressSanitizer +
# UndefinedBehaviorSanitizer build, the append queue under ThreadSanitizer, and a smoke of
# each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/quickstart.sh
echo "== tests"
ctest --test-dir build --output-on-failure
echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer"
scripts/build.sh build-asan -DFTL_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-asan --output-on-failure
# ThreadSanitizer checks the append queue and its hand-offs (ledger_test). Tests whose threads
# read RocksDB memtables while another thread writes them are left out: Debian's RocksDB is not
# instrumented, so TSan cannot see how it publishes memtable entries (tests/tsan.supp).
echo "== append queue under ThreadSanitizer"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFTL_TSAN=ON >/dev/null
cmake --build build-tsan -j2 --target ledger_test
TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/tsan.supp" ctest --test-dir build-tsan --output-on-failure -R "^ledger_test$"
# Every libFuzzer target for a short smoke from its corpus (tests/fuzz/README.md).
echo "== fuzz targets (libFuzzer, clang 14), 20 s each"
CC=clang-14 CXX=clang++-14 scripts/build.sh build-fuzz -DFTL_FUZZ=ON -DFTL_BUILD_TESTS=OFF
tests/fuzz/run.sh build-fuzz 20
