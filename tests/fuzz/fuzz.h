// libFuzzer targets (tests/fuzz/README.md). Each target's entry point is
// LLVMFuzzerTestOneInput when built for libFuzzer, and FTL_FUZZ_ENTRY(name) otherwise, so that
// fuzz_regress_test runs every target over its seed corpus and the inputs kept under
// tests/data/fuzz/ in one ordinary binary. A target returns 0; a broken property aborts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#ifdef FTL_LIBFUZZER
#define FTL_FUZZ_ENTRY(name) extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
#else
#define FTL_FUZZ_ENTRY(name) int name(const std::uint8_t* data, std::size_t size)
#endif

// A property every input must keep: on failure, say which and abort, so libFuzzer keeps the input.
#define FTL_FUZZ_CHECK(cond)                                                         \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                  \
    }                                                                                \
  } while (false)
