#include "harness/slt/md5.h"

#include <cassert>
#include <cmath>
#include <cstring>

namespace stablevfs::slt {
namespace {

// The per-operation left rotations of RFC 1321 section 3.4, four per round.
constexpr uint32_t kShift[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

// The 64 additive constants T[i] = floor(2^32 * |sin(i + 1)|) of the RFC. They are computed once rather than
// transcribed: a mistyped digit in a table of 64 hex numbers is easy to make and hard to see, while the
// double-precision sine is exact to far more than the 32 bits kept (the test vectors prove the result).
struct SineTable {
  uint32_t t[64];
  SineTable() {
    for (int i = 0; i < 64; ++i) {
      t[i] = static_cast<uint32_t>(std::floor(std::fabs(std::sin(static_cast<double>(i + 1))) * 4294967296.0));
    }
  }
};

const SineTable& Sines() {
  static const SineTable table;
  return table;
}

constexpr uint32_t RotateLeft(uint32_t x, uint32_t n) { return (x << n) | (x >> (32 - n)); }

uint32_t LoadLittle32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

Md5::Md5() : state_{0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u} {}

void Md5::Transform(const uint8_t* block) {
  uint32_t x[16];
  for (int i = 0; i < 16; ++i) x[i] = LoadLittle32(block + 4 * i);
  const uint32_t* t = Sines().t;
  uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
  for (uint32_t i = 0; i < 64; ++i) {
    const uint32_t round = i / 16;
    uint32_t f = 0;
    uint32_t k = 0;  // which word of the block this operation adds
    switch (round) {
      case 0: f = (b & c) | (~b & d); k = i; break;
      case 1: f = (b & d) | (c & ~d); k = (5 * i + 1) % 16; break;
      case 2: f = b ^ c ^ d; k = (3 * i + 5) % 16; break;
      default: f = c ^ (b | ~d); k = (7 * i) % 16; break;
    }
    const uint32_t rotated = RotateLeft(a + f + x[k] + t[i], kShift[round][i % 4]);
    a = d;
    d = c;
    c = b;
    b = b + rotated;
  }
  state_[0] += a;
  state_[1] += b;
  state_[2] += c;
  state_[3] += d;
}

void Md5::Update(std::string_view bytes) {
  assert(!finished_);
  length_bytes_ += bytes.size();
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t left = bytes.size();
  if (buffered_bytes_ > 0) {
    const size_t take = std::min(left, kBlockBytes - buffered_bytes_);
    std::memcpy(buffer_.data() + buffered_bytes_, p, take);
    buffered_bytes_ += take;
    p += take;
    left -= take;
    if (buffered_bytes_ < kBlockBytes) return;
    Transform(buffer_.data());
    buffered_bytes_ = 0;
  }
  for (; left >= kBlockBytes; left -= kBlockBytes, p += kBlockBytes) Transform(p);
  if (left > 0) std::memcpy(buffer_.data(), p, left);
  buffered_bytes_ = left;
}

Md5::Digest Md5::Finish() {
  assert(!finished_);
  const uint64_t length_bits = length_bytes_ * 8;
  // One 0x80 byte, zeros up to 56 mod 64, then the length: the padding always adds at least 9 bytes.
  uint8_t padding[kBlockBytes + 8] = {0x80};
  const size_t pad_bytes = buffered_bytes_ < 56 ? 56 - buffered_bytes_ : 120 - buffered_bytes_;
  Update(std::string_view(reinterpret_cast<const char*>(padding), pad_bytes));
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(length_bits >> (8 * i));
  Update(std::string_view(reinterpret_cast<const char*>(length), 8));
  assert(buffered_bytes_ == 0);
  finished_ = true;
  Digest digest;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) digest[4 * i + j] = static_cast<uint8_t>(state_[i] >> (8 * j));
  }
  return digest;
}

std::string Md5::FinishHex() {
  static constexpr char kHex[] = "0123456789abcdef";
  const Digest digest = Finish();
  std::string out;
  out.reserve(2 * kDigestBytes);
  for (uint8_t byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

std::string Md5::Hex(std::string_view bytes) {
  Md5 md5;
  md5.Update(bytes);
  return md5.FinishHex();
}

}  // namespace stablevfs::slt
