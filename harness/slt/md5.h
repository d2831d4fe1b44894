// Md5: the MD5 message digest (RFC 1321), for sqllogictest's "N values hashing to <md5>" result lines.
//
// sqllogictest replaces a large result by the MD5 of its rendered values, so a runner must compute exactly
// that digest to compare with the file. MD5 is used here as a checksum of text, not for security. The
// implementation follows the RFC's description (four rounds of sixteen operations on 512-bit blocks, the
// message padded with a 1 bit, zeros and its 64-bit little-endian bit length); the RFC's test suite is in
// tests/harness/slt_md5_test.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace stablevfs::slt {

class Md5 {
 public:
  static constexpr size_t kDigestBytes = 16;
  using Digest = std::array<uint8_t, kDigestBytes>;

  Md5();

  // Appends `bytes` to the message. REQUIRES: Finish has not been called.
  void Update(std::string_view bytes);
  // Pads the message and returns its digest. REQUIRES: called at most once.
  Digest Finish();
  // Finish, as 32 lowercase hex digits (the spelling sqllogictest files use).
  std::string FinishHex();

  // The digest of `bytes` as 32 lowercase hex digits.
  static std::string Hex(std::string_view bytes);

 private:
  static constexpr size_t kBlockBytes = 64;

  // Mixes one 64-byte block into the state.
  void Transform(const uint8_t* block);

  std::array<uint32_t, 4> state_;
  uint64_t length_bytes_ = 0;  // message length so far; the padding encodes it in bits
  std::array<uint8_t, kBlockBytes> buffer_{};
  size_t buffered_bytes_ = 0;
  bool finished_ = false;
};

}  // namespace stablevfs::slt
