// Event ids the ledger generates. Internal: only ledger/*.cpp include this.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace ftl {

// A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 bits that rise by a
// random step with each id (the monotonic counter of its section 6.2), starting at a random
// value. Ids made by one appender sort in the order they were made, so the event id index
// grows at its end like the others. Not thread-safe: the appender owns one.
class EventIdGenerator {
 public:
  std::string next(std::int64_t recorded_us);

 private:
  std::mt19937_64 rng_{std::random_device{}()};
  std::uint64_t last_ms_ = 0, hi_ = 0, lo_ = 0;
};

}  // namespace ftl
