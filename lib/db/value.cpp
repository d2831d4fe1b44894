#include "lib/db/value.h"

#include <charconv>
#include <cmath>
#include <string_view>
#include <type_traits>

namespace stablevfs {
namespace {

// BLOBs longer than this are shown by their first bytes and their size.
constexpr size_t kBlobShownBytes = 16;

void AppendHex(std::string& out, const std::vector<uint8_t>& bytes, size_t count) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  for (size_t i = 0; i < count; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0x0f];
  }
}

std::string FormatReal(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
  char buffer[64];
  // The shortest text that reads back as the same double.
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string out(buffer, ec == std::errc() ? end : buffer);
  // Keep a REAL distinguishable from an INTEGER: 2.0 prints as "2.0", not "2".
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

}  // namespace

std::string ToDisplayString(const Value& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "NULL";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          return FormatReal(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          // An SQL string literal: quotes doubled.
          std::string out = "'";
          for (char c : v) {
            out += c;
            if (c == '\'') out += '\'';
          }
          out += '\'';
          return out;
        } else {
          // An SQL BLOB literal; a long one is cut after kBlobShownBytes and followed by its size.
          std::string out = "x'";
          const bool cut = v.bytes.size() > kBlobShownBytes;
          AppendHex(out, v.bytes, cut ? kBlobShownBytes : v.bytes.size());
          if (cut) out += "...";
          out += '\'';
          if (cut) out += " (" + std::to_string(v.bytes.size()) + " bytes)";
          return out;
        }
      },
      value);
}

}  // namespace stablevfs
