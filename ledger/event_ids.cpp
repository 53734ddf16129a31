#include "ledger/event_ids.h"

namespace ftl {

std::string EventIdGenerator::next(std::int64_t recorded_us) {
  const auto ms = static_cast<std::uint64_t>(recorded_us / 1000);
  if (ms > last_ms_) {  // a new millisecond: start anywhere in the lower half
    last_ms_ = ms;
    hi_ = rng_() & 0x1ff;  // 10 bits after the version nibble, top bit clear
    lo_ = rng_() >> 1;
  }
  const std::uint64_t step = 1 + (rng_() & 0xffff);
  if (lo_ > ~std::uint64_t{0} - step) ++hi_;
  lo_ += step;
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  auto put = [&](std::uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) s.push_back(kDigits[(v >> (4 * i)) & 15]);
  };
  put(last_ms_ >> 16, 8);  // 48-bit time, as 8 and 4 digits
  s.push_back('-');
  put(last_ms_ & 0xffff, 4);
  s.push_back('-');
  s.push_back('7');  // version
  put(hi_, 3);       // 12 bits
  s.push_back('-');
  s.push_back(kDigits[8 + ((lo_ >> 62) & 3)]);  // variant 10xx
  put(lo_ >> 48, 3);
  s.push_back('-');
  put(lo_ & 0xffffffffffffULL, 12);  // 60 bits in all
  return s;
}

}  // namespace ftl
