#include "harness/cli/sqlite_header.h"

#include <cstdio>
#include <cstring>

namespace stablevfs::cli {
namespace {

// Bytes as text for a message: printable ASCII as is, anything else as \xNN.
std::string Shown(std::span<const uint8_t> bytes) {
  std::string out;
  for (const uint8_t b : bytes) {
    if (b >= 0x20 && b < 0x7F && b != '\\') {
      out += static_cast<char>(b);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", b);
      out += escaped;
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> SqliteHeaderProblem(std::span<const uint8_t> header, uint64_t page_bytes) {
  if (header.size() < kSqliteHeaderBytes) {
    return "the file is " + std::to_string(header.size()) + " bytes, shorter than SQLite's 100-byte header";
  }
  static constexpr char kMagic[] = "SQLite format 3";  // and its terminating NUL: 16 bytes
  if (std::memcmp(header.data(), kMagic, sizeof kMagic) != 0) {
    return "logical offset 0 holds \"" + Shown(header.first(16)) + "\", not SQLite's magic \"SQLite format 3\\x00\"";
  }
  const uint32_t stored = (uint32_t{header[16]} << 8) | header[17];
  const uint64_t size = stored == 1 ? 65536 : stored;  // 1 stands for 65536
  if (size != page_bytes) {
    return "the page size at logical offset 16 is " + std::to_string(stored) + ", not " +
           std::to_string(page_bytes == 65536 ? 1 : page_bytes) + " (the VFS's page size)";
  }
  for (const size_t at : {size_t{18}, size_t{19}}) {
    if (header[at] != 1 && header[at] != 2) {
      return std::string("the file format ") + (at == 18 ? "write" : "read") + " version at logical offset " +
             std::to_string(at) + " is " + std::to_string(header[at]) + ", not 1 or 2";
    }
  }
  static constexpr uint8_t kFractions[3] = {64, 32, 32};
  for (size_t i = 0; i < 3; ++i) {
    if (header[21 + i] != kFractions[i]) {
      return "the payload fraction at logical offset " + std::to_string(21 + i) + " is " +
             std::to_string(header[21 + i]) + ", not " + std::to_string(kFractions[i]);
    }
  }
  return std::nullopt;
}

}  // namespace stablevfs::cli
