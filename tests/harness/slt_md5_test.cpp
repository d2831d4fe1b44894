// MD5 for sqllogictest result hashes.
//
// Goal: Md5 computes RFC 1321's digest exactly, since a single wrong bit would turn every hashed result of the
// corpus into a mismatch. Method: the RFC's own test suite (appendix A.5), then the same messages fed in every
// split into two Update calls, and messages whose lengths straddle the padding boundaries (55, 56, 63, 64 and
// 65 bytes) fed whole and byte by byte; digests of those were computed with an independent implementation
// (Python's hashlib).
#include "harness/slt/md5.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace stablevfs::slt {
namespace {

const std::vector<std::pair<std::string, std::string>>& RfcSuite() {
  static const std::vector<std::pair<std::string, std::string>> suite = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  return suite;
}

TEST(SltMd5Test, RfcTestSuite) {
  for (const auto& [message, digest] : RfcSuite()) EXPECT_EQ(Md5::Hex(message), digest) << "message: " << message;
}

TEST(SltMd5Test, EverySplitOfTheRfcMessagesGivesTheSameDigest) {
  for (const auto& [message, digest] : RfcSuite()) {
    for (size_t cut = 0; cut <= message.size(); ++cut) {
      Md5 md5;
      md5.Update(std::string_view(message).substr(0, cut));
      md5.Update(std::string_view(message).substr(cut));
      EXPECT_EQ(md5.FinishHex(), digest) << "message: " << message << " cut at " << cut;
    }
  }
}

TEST(SltMd5Test, LengthsAroundThePaddingBoundary) {
  // 'x' repeated n times; digests from Python's hashlib.
  const std::vector<std::pair<size_t, std::string>> cases = {
      {55, "04364420e25c512fd958a70738aa8f72"},  {56, "668a72d5ba17f08e62dabcafad6db14b"},
      {63, "7dc2ca208106a2f703567bdff99d8981"},  {64, "c1bb4f81d892b2d57947682aeb252456"},
      {65, "1bc932052302d074bdec39795fe00cf6"},  {119, "ab347a5f68c8a443cfcddc633f12c24f"},
      {120, "fb98667f98096de92620b64f46e1c5b5"}, {128, "d69cb61a6ee87200676eb0d4b90edbcb"},
  };
  for (const auto& [length, digest] : cases) {
    const std::string message(length, 'x');
    EXPECT_EQ(Md5::Hex(message), digest) << length << " bytes whole";
    Md5 md5;
    for (char c : message) md5.Update(std::string_view(&c, 1));
    EXPECT_EQ(md5.FinishHex(), digest) << length << " bytes one at a time";
  }
}

TEST(SltMd5Test, EveryByteValue) {
  // Bytes 0..255 in order: high bytes must be read unsigned. Digest from Python's hashlib.
  std::string message;
  for (int b = 0; b < 256; ++b) message += static_cast<char>(b);
  EXPECT_EQ(Md5::Hex(message), "e2c865db4162bed963bfaa9ef6ac18f0");
}

TEST(SltMd5Test, FinishReturnsTheBytesOfTheHexDigest) {
  Md5 md5;
  md5.Update("abc");
  const Md5::Digest digest = md5.Finish();
  EXPECT_EQ(digest[0], 0x90);
  EXPECT_EQ(digest[15], 0x72);
}

}  // namespace
}  // namespace stablevfs::slt
