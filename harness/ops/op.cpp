#include "harness/ops/op.h"

#include <array>
#include <cassert>
#include <utility>

namespace stablevfs::ops {
namespace {

// Keywords in OpKind order. Permanent: scenario files name them.
constexpr std::array<std::string_view, kOpKindCount> kOpKindNames = {
    "update",         "query",   "kv-put",        "kv-get",        "kv-delete",           "migrate",
    "integrity-check", "checksum", "checksum-chunk", "export-import", "import-bad-checksum", "import-cancel",
    "compact",        "upgrade", "arm",           "capacity",      "budget",
};


}  // namespace

ValueSpec ValueSpec::Hex(std::string bytes) {
  assert(bytes.size() <= kValueSizeMaxBytes);
  ValueSpec spec;
  spec.kind = Kind::kHex;
  spec.literal = std::move(bytes);
  return spec;
}

ValueSpec ValueSpec::Text(std::string text) {
  assert(text.size() <= kValueSizeMaxBytes);
  ValueSpec spec;
  spec.kind = Kind::kText;
  spec.literal = std::move(text);
  return spec;
}

ValueSpec ValueSpec::Fill(uint64_t size_bytes, uint8_t byte) {
  assert(size_bytes <= kValueSizeMaxBytes);
  ValueSpec spec;
  spec.kind = Kind::kFill;
  spec.size_bytes = size_bytes;
  spec.fill_byte = byte;
  return spec;
}

ValueSpec ValueSpec::Pattern(uint64_t size_bytes, uint64_t seed) {
  assert(size_bytes <= kValueSizeMaxBytes);
  ValueSpec spec;
  spec.kind = Kind::kPattern;
  spec.size_bytes = size_bytes;
  spec.seed = seed;
  return spec;
}

uint64_t ValueSpec::size() const {
  switch (kind) {
    case Kind::kHex:
    case Kind::kText:
      return literal.size();
    case Kind::kFill:
    case Kind::kPattern:
      return size_bytes;
  }
  return 0;
}

std::vector<uint8_t> ValueSpec::Bytes() const {
  switch (kind) {
    case Kind::kHex:
    case Kind::kText:
      return std::vector<uint8_t>(literal.begin(), literal.end());
    case Kind::kFill:
      return std::vector<uint8_t>(size_bytes, fill_byte);
    case Kind::kPattern: {
      // SplitMix64 (Steele, Lea, Flood 2014): documented in op.h so a value can be rebuilt from its line.
      std::vector<uint8_t> out(size_bytes);
      uint64_t state = seed;
      for (uint64_t i = 0; i < size_bytes; i += 8) {
        state += 0x9e3779b97f4a7c15ull;
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        for (uint64_t b = 0; b < 8 && i + b < size_bytes; ++b) out[i + b] = static_cast<uint8_t>(z >> (8 * b));
      }
      return out;
    }
  }
  return {};
}

OpKind KindOf(const Op& op) {
  assert(!op.valueless_by_exception());
  return static_cast<OpKind>(op.index());
}

std::string_view OpKindName(OpKind kind) {
  const auto index = static_cast<size_t>(kind);
  assert(index < kOpKindNames.size());
  return kOpKindNames[index];
}

bool ParseOpKind(std::string_view name, OpKind* out) {
  for (size_t i = 0; i < kOpKindNames.size(); ++i) {
    if (kOpKindNames[i] == name) {
      *out = static_cast<OpKind>(i);
      return true;
    }
  }
  return false;
}

bool IsMessage(OpKind kind) {
  return kind != OpKind::kArm && kind != OpKind::kCapacity && kind != OpKind::kBudget;
}

}  // namespace stablevfs::ops
