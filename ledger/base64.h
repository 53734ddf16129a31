// Standard base64 (RFC 4648 section 4, with padding) through OpenSSL. Decoding is strict: only
// the alphabet, padding only at the end, and the one canonical encoding of the bytes, so two
// different texts never stand for the same bytes (checkpoints and proofs are compared as text).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ftl {

std::string to_base64(std::string_view bytes);
std::optional<std::string> from_base64(std::string_view text);

}  // namespace ftl
