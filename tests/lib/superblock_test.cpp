// Superblock codec tests (layout 6, REFERENCE 3.1).
//
// Goal: the encoder writes every field at its byte-exact offset in little-endian order, the meta checksum is
// FNV-1a 64 over the 152 bytes with the checksum field zeroed, and the decoder tells apart foreign bytes, an
// unsupported version and a damaged superblock. Method: encode a Meta whose fields all differ, read the bytes
// back by hand at the offsets the REFERENCE table gives (not through the codec's own constants), and check
// the checksum against a separate FNV-1a written in this file and against the published FNV-1a test vectors.
#include "lib/layout/superblock.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace stablevfs::layout6 {
namespace {

// An FNV-1a 64 written independently of lib/, so a bug shared by encoder and decoder cannot hide.
uint64_t ReferenceFnv(const uint8_t* data, size_t n) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= data[i];
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t ReadLe(const SuperblockBytes& b, size_t offset, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= static_cast<uint64_t>(b[offset + i]) << (8 * i);
  return v;
}

Meta DistinctMeta() {
  Meta m = FreshMeta();
  m.db_size = 0x0102030405060708ull;
  m.schema_version = 11;
  m.last_tx_id = 0xA1A2A3A4A5A6A7A8ull;
  m.flags = kFlagChecksumStale | kFlagChecksumRefreshing;
  m.checksum = 0xDEADBEEFCAFEF00Dull;
  m.import_expected_checksum = 21;
  m.import_written_until = 22;
  m.import_total_size = 23;
  m.import_base_offset = 24;
  m.checksum_refresh_offset = 25;
  m.checksum_refresh_hash = 26;
  m.checksum_refresh_tx_id = 27;
  m.db_base_offset = 65536;
  m.page_table_offset = 0x20000;
  m.page_count = 3;
  return m;
}

TEST(Fnv1a64Test, PublishedVectors) {
  auto hash = [](const std::string& s) {
    Fnv1a64 h;
    h.Update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
    return h.value();
  };
  EXPECT_EQ(hash(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(hash("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(hash("foobar"), 0x85944171f73967e8ull);
  // Feeding in pieces equals one pass.
  Fnv1a64 pieces;
  pieces.Update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("foo"), 3));
  pieces.Update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("bar"), 3));
  EXPECT_EQ(pieces.value(), 0x85944171f73967e8ull);
}

TEST(SuperblockTest, EncodesEveryFieldAtItsReferenceOffset) {
  const Meta m = DistinctMeta();
  const SuperblockBytes b = EncodeSuperblock(m);
  ASSERT_EQ(b.size(), 152u);
  EXPECT_EQ(std::memcmp(b.data(), "ICSQLITE", 8), 0);
  EXPECT_EQ(ReadLe(b, 8, 4), 6u);
  EXPECT_EQ(ReadLe(b, 12, 4), 16384u);
  // Little-endian: the low byte first.
  EXPECT_EQ(b[16], 0x08);
  EXPECT_EQ(b[23], 0x01);
  EXPECT_EQ(ReadLe(b, 16, 8), m.db_size);
  EXPECT_EQ(ReadLe(b, 24, 8), 11u);
  EXPECT_EQ(ReadLe(b, 32, 8), m.last_tx_id);
  EXPECT_EQ(ReadLe(b, 40, 8), 6u);
  EXPECT_EQ(ReadLe(b, 48, 8), m.checksum);
  for (uint64_t i = 0; i < 7; ++i) EXPECT_EQ(ReadLe(b, 56 + 8 * i, 8), 21 + i) << "field at " << 56 + 8 * i;
  EXPECT_EQ(ReadLe(b, 112, 8), 65536u);
  EXPECT_EQ(ReadLe(b, 120, 8), 0x20000u);
  EXPECT_EQ(ReadLe(b, 128, 8), 3u);
  EXPECT_EQ(ReadLe(b, 136, 8), 6u);

  SuperblockBytes zeroed = b;
  std::memset(zeroed.data() + 144, 0, 8);
  EXPECT_EQ(ReadLe(b, 144, 8), ReferenceFnv(zeroed.data(), zeroed.size()));
  EXPECT_EQ(ComputeMetaChecksum(b), ReadLe(b, 144, 8));
}

TEST(SuperblockTest, FreshMetaIsEmptyVersionSix) {
  const Meta m = FreshMeta();
  EXPECT_EQ(m.version, 6u);
  EXPECT_EQ(m.layout_version, 6u);
  EXPECT_EQ(m.page_size, 16384u);
  EXPECT_EQ(m.db_size, 0u);
  EXPECT_EQ(m.page_table_offset, 0u);
  EXPECT_EQ(m.page_count, 0u);
  EXPECT_EQ(m.flags, 0u);
  EXPECT_EQ(m.db_base_offset, 65536u);
}

TEST(SuperblockTest, DecodeRoundTrips) {
  const Meta m = DistinctMeta();
  Result<Meta> decoded = DecodeSuperblock(EncodeSuperblock(m));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, m);
}

TEST(SuperblockTest, MissingMagicIsForeign) {
  SuperblockBytes b = EncodeSuperblock(FreshMeta());
  std::memcpy(b.data(), "SQLite f", 8);
  EXPECT_EQ(DecodeSuperblock(b).status().code(), ErrorCode::kForeignImage);
  EXPECT_FALSE(HasMagic(b));
}

TEST(SuperblockTest, OtherVersionIsUnsupportedEvenWithoutOurChecksum) {
  SuperblockBytes b = EncodeSuperblock(FreshMeta());
  b[8] = 8;  // layout 8's version; its checksum lives elsewhere, so ours no longer matches
  Result<Meta> decoded = DecodeSuperblock(b);
  EXPECT_EQ(decoded.status().code(), ErrorCode::kUnsupportedVersion);
  EXPECT_NE(decoded.status().message().find("version 8"), std::string::npos) << decoded.status().message();
}

TEST(SuperblockTest, OtherLayoutVersionIsUnsupported) {
  Meta m = FreshMeta();
  m.layout_version = 7;
  Result<Meta> decoded = DecodeSuperblock(EncodeSuperblock(m));
  EXPECT_EQ(decoded.status().code(), ErrorCode::kUnsupportedVersion);
  EXPECT_NE(decoded.status().message().find("7"), std::string::npos);
}

TEST(SuperblockTest, OtherPageSizeIsUnsupported) {
  Meta m = FreshMeta();
  m.page_size = 4096;
  EXPECT_EQ(DecodeSuperblock(EncodeSuperblock(m)).status().code(), ErrorCode::kUnsupportedVersion);
}

TEST(SuperblockTest, AnyFlippedBitIsCorrupt) {
  const SuperblockBytes good = EncodeSuperblock(DistinctMeta());
  // Every bit past the version field (which is checked first) is covered by the checksum.
  for (size_t byte = 12; byte < kSuperblockBytes; ++byte) {
    SuperblockBytes b = good;
    b[byte] ^= 0x10;
    EXPECT_EQ(DecodeSuperblock(b).status().code(), ErrorCode::kCorrupt) << "byte " << byte;
  }
}

}  // namespace
}  // namespace stablevfs::layout6
