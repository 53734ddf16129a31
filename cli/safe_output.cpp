#include "cli/safe_output.h"

#include <utf8cpp/utf8.h>

#include <cstdio>
#include <iostream>

namespace ftl::cli {
namespace {

constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the colour sequence ESC [ [0-9;]* m at the start of `s`, 0 if there is none,
// or -1 if `s` may still become one (more bytes are to come).
int colour_sequence(std::string_view s) {
  if (s.size() < 2) return -1;
  if (s[1] != '[') return 0;
  for (std::size_t i = 2; i < s.size() && i < 16; ++i) {
    if (s[i] == 'm') return static_cast<int>(i + 1);
    if (!(s[i] == ';' || (s[i] >= '0' && s[i] <= '9'))) return 0;
  }
  return s.size() < 16 ? -1 : 0;
}

// Appends the printable form of `in` to `out`; returns how many bytes at the end of `in` were
// left because they may begin a character or a colour sequence that continues (`final`: none).
std::size_t filter(std::string_view in, std::string& out, bool final) {
  std::size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (c == 0x1b) {
      const int n = colour_sequence(in.substr(i));
      if (n < 0 && !final) return in.size() - i;
      if (n > 0) {
        out.append(in.substr(i, static_cast<std::size_t>(n)));
        i += static_cast<std::size_t>(n);
        continue;
      }
      out += kReplacement;
      ++i;
      continue;
    }
    if (c < 0x80) {  // another control character, or DEL
      out += kReplacement;
      ++i;
      continue;
    }
    // A multi-byte character: whole and valid, cut off by the end of what came so far, or not UTF-8.
    const std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (i + len > in.size() && !final) {
      const auto tail = in.substr(i);
      if (utf8::find_invalid(tail.begin(), tail.end()) == tail.end() || len > 1) return tail.size();
    }
    const auto piece = in.substr(i, std::min(len, in.size() - i));
    const bool c1 = len == 2 && piece.size() == 2 && c == 0xc2 && static_cast<unsigned char>(piece[1]) <= 0x9f;  // U+0080..U+009F
    if (len > 1 && piece.size() == len && !c1 && utf8::find_invalid(piece.begin(), piece.end()) == piece.end()) {
      out.append(piece);
      i += len;
    } else {
      out += kReplacement;
      i += c1 ? 2 : 1;
    }
  }
  return 0;
}

}  // namespace

std::string printable(const std::string& bytes) {
  std::string out;
  filter(bytes, out, true);
  return out;
}

std::string one_line(const std::string& text, std::size_t max) {
  const auto shown = printable(text);
  std::string out;
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const auto c = static_cast<unsigned char>(shown[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == 0xe2 && i + 2 < shown.size()) {
      const auto b1 = static_cast<unsigned char>(shown[i + 1]), b2 = static_cast<unsigned char>(shown[i + 2]);
      const unsigned cp = 0x2000u | (static_cast<unsigned>(b1 & 0x3f) << 6) | (b2 & 0x3fu);
      const bool hides = b1 >= 0x80 && b1 <= 0x81 && (cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069));
      if (hides) {
        char buf[12];
        std::snprintf(buf, sizeof buf, "<U+%04X>", cp);
        out += buf;
        i += 2;
      } else {
        out.push_back(static_cast<char>(c));
      }
    } else {
      out.push_back(static_cast<char>(c));
    }
    if (out.size() >= max) {
      // Never cut a character in two.
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80) out.pop_back();
      if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xc0) out.pop_back();
      return out + "...";
    }
  }
  return out;
}

class SafeOutput::Filter final : public std::streambuf {
 public:
  explicit Filter(std::ostream& stream) : stream_(stream), sink_(stream.rdbuf()) { stream_.rdbuf(this); }
  ~Filter() override {
    drain(true);
    stream_.rdbuf(sink_);
  }

 protected:
  int_type overflow(int_type ch) override {
    if (ch == traits_type::eof()) return traits_type::not_eof(ch);
    pending_.push_back(traits_type::to_char_type(ch));
    if (pending_.size() >= 1 << 16) drain(false);
    return ch;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    pending_.append(s, static_cast<std::size_t>(n));
    if (pending_.size() >= 1 << 16 || pending_.find('\n') != std::string::npos) drain(false);
    return n;
  }
  int sync() override {
    drain(false);
    return sink_->pubsync();
  }

 private:
  void drain(bool final) {
    if (pending_.empty()) return;
    std::string out;
    out.reserve(pending_.size());
    const auto kept = filter(pending_, out, final);
    sink_->sputn(out.data(), static_cast<std::streamsize>(out.size()));
    pending_.erase(0, pending_.size() - kept);
  }
  std::ostream& stream_;
  std::streambuf* sink_;
  std::string pending_;
};

SafeOutput::SafeOutput() : out_(std::make_unique<Filter>(std::cout)), err_(std::make_unique<Filter>(std::cerr)) {}

SafeOutput::~SafeOutput() {
  std::cout.flush();
  std::cerr.flush();
  err_.reset();
  out_.reset();
}

}  // namespace ftl::cli
