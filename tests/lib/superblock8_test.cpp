// Layout 8 superblock codec tests (REFERENCE 3.4).
//
// Goal: the encoder writes every field at its byte-exact offset (the common part as layout 6, the zero extent
// count at 144, the meta checksum at 152, extent i at 160 + 16 i), the encoding is exactly 160 + 16 * count
// bytes long, the meta checksum is FNV-1a 64 over exactly those bytes with the checksum field zeroed (so it
// covers the extents and nothing after them), and the decoder refuses every image ic-sqlite-vfs 2.x refuses,
// with the code the Layout contract asks for, while ignoring whatever lies past the encoded length. Method:
// a fresh superblock compared with a hex image and a checksum computed outside this project (a few lines of
// Python over the REFERENCE table); a Meta whose fields all differ, read back by hand at the REFERENCE offsets
// (not through the codec's constants); an FNV-1a written in this file; damaged images re-sealed with that
// FNV-1a so that each check behind the checksum is reached on its own.
#include "lib/layout/superblock8.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "lib/layout/superblock.h"

namespace stablevfs::layout8 {
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

uint64_t ReadLe(const std::vector<uint8_t>& b, size_t offset, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= static_cast<uint64_t>(b.at(offset + i)) << (8 * i);
  return v;
}

void WriteLe(std::vector<uint8_t>& b, size_t offset, size_t width, uint64_t v) {
  for (size_t i = 0; i < width; ++i) b.at(offset + i) = static_cast<uint8_t>(v >> (8 * i));
}

// Recomputes the meta checksum of `b` by hand over [0, 160 + 16 * count) with bytes 152..160 zeroed, where
// count is whatever u64 offset 144 holds: an image damaged on purpose still passes the checksum.
void Reseal(std::vector<uint8_t>& b) {
  const uint64_t count = ReadLe(b, 144, 8);
  const size_t length = 160 + 16 * count;
  WriteLe(b, 152, 8, 0);
  WriteLe(b, 152, 8, ReferenceFnv(b.data(), length));
}

std::vector<uint8_t> FromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  return out;
}

ZeroExtents Extents(std::vector<ZeroExtent> list) { return ZeroExtents::Normalize(std::move(list)); }

Meta DistinctMeta() {
  Meta m = FreshMeta();
  m.db_size = 0x0102030405060708ull;
  m.schema_version = 11;
  m.last_tx_id = 0xA1A2A3A4A5A6A7A8ull;
  m.flags = kFlagImporting | kFlagChecksumStale;
  m.checksum = 0xDEADBEEFCAFEF00Dull;
  m.import_expected_checksum = 21;
  m.import_written_until = 22;
  m.import_total_size = 23;
  m.import_base_offset = 24;
  m.checksum_refresh_offset = 25;
  m.checksum_refresh_hash = 26;
  m.checksum_refresh_tx_id = 27;
  m.db_base_offset = 0x30000;
  m.page_table_offset = 0;
  m.page_count = 0x040812;  // not ceil(db_size / 16 KiB): the codec does not check it, the layout does
  return m;
}

Result<DecodedSuperblock> Decode(const std::vector<uint8_t>& bytes) { return DecodeSuperblock(bytes); }

// ---- Encoding ----

TEST(Superblock8Test, FreshSuperblockMatchesTheHandComputedImage) {
  // magic "ICSQLITE", version 8, page size 16384, db_base_offset 65536 at 112, layout_version 8 at 136, count 0,
  // and the FNV-1a of those 160 bytes (0x303ad12efe4a1bdc) at 152, computed outside this project.
  const std::vector<uint8_t> expected = FromHex(
      "494353514c495445080000000040000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000100000000000000000000000000"
      "000000000000000008000000000000000000000000000000dc1b4afe2ed13a30");
  ASSERT_EQ(expected.size(), 160u);
  EXPECT_EQ(EncodeSuperblock(FreshMeta(), ZeroExtents()), expected);
  EXPECT_EQ(ReadLe(expected, 152, 8), 0x303ad12efe4a1bdcull);
}

TEST(Superblock8Test, SuperblockWithExtentsMatchesAnOutsideChecksum) {
  // The same computation outside this project, with two extents: the checksum covers all 192 bytes.
  Meta m = FreshMeta();
  m.db_size = 10 * 16384 + 100;
  m.schema_version = 3;
  m.last_tx_id = 7;
  m.flags = kFlagChecksumStale;
  m.checksum = 0x1122334455667788ull;
  m.page_count = 11;
  const std::vector<uint8_t> b = EncodeSuperblock(m, Extents({{2, 4}, {9, 20}}));
  ASSERT_EQ(b.size(), 192u);
  EXPECT_EQ(ReadLe(b, 152, 8), 0xfe545e706d0d033eull);
}

TEST(Superblock8Test, EncodesEveryFieldAtItsReferenceOffset) {
  const Meta m = DistinctMeta();
  const ZeroExtents extents = Extents({{0x10, 0x20}, {0x1000000000ull, 0x1000000001ull}, {0x2000000000ull, 0x3000000000ull}});
  const std::vector<uint8_t> b = EncodeSuperblock(m, extents);
  ASSERT_EQ(b.size(), 160u + 3 * 16);
  EXPECT_EQ(std::memcmp(b.data(), "ICSQLITE", 8), 0);
  EXPECT_EQ(ReadLe(b, 8, 4), 8u);
  EXPECT_EQ(ReadLe(b, 12, 4), 16384u);
  EXPECT_EQ(b[16], 0x08) << "little-endian: the low byte first";
  EXPECT_EQ(b[23], 0x01);
  EXPECT_EQ(ReadLe(b, 16, 8), m.db_size);
  EXPECT_EQ(ReadLe(b, 24, 8), 11u);
  EXPECT_EQ(ReadLe(b, 32, 8), m.last_tx_id);
  EXPECT_EQ(ReadLe(b, 40, 8), 3u);
  EXPECT_EQ(ReadLe(b, 48, 8), m.checksum);
  for (uint64_t i = 0; i < 7; ++i) EXPECT_EQ(ReadLe(b, 56 + 8 * i, 8), 21 + i) << "field at " << 56 + 8 * i;
  EXPECT_EQ(ReadLe(b, 112, 8), 0x30000u);
  EXPECT_EQ(ReadLe(b, 120, 8), 0u);
  EXPECT_EQ(ReadLe(b, 128, 8), 0x040812u);
  EXPECT_EQ(ReadLe(b, 136, 8), 8u);
  EXPECT_EQ(ReadLe(b, 144, 8), 3u);
  EXPECT_EQ(ReadLe(b, 160, 8), 0x10u);
  EXPECT_EQ(ReadLe(b, 168, 8), 0x20u);
  EXPECT_EQ(ReadLe(b, 176, 8), 0x1000000000ull);
  EXPECT_EQ(ReadLe(b, 184, 8), 0x1000000001ull);
  EXPECT_EQ(ReadLe(b, 192, 8), 0x2000000000ull);
  EXPECT_EQ(ReadLe(b, 200, 8), 0x3000000000ull);

  std::vector<uint8_t> zeroed = b;
  WriteLe(zeroed, 152, 8, 0);
  EXPECT_EQ(ReadLe(b, 152, 8), ReferenceFnv(zeroed.data(), zeroed.size()));
  EXPECT_EQ(ComputeMetaChecksum(b), ReadLe(b, 152, 8));
}

TEST(Superblock8Test, CommonFieldsAreLayoutSixsBytes) {
  // Offsets 0..144 are shared: the same Meta encodes to the same first 144 bytes under both codecs.
  const Meta m = DistinctMeta();
  const layout6::SuperblockBytes six = layout6::EncodeSuperblock(m);
  const std::vector<uint8_t> eight = EncodeSuperblock(m, ZeroExtents());
  EXPECT_TRUE(std::equal(six.begin(), six.begin() + 144, eight.begin()));
}

TEST(Superblock8Test, FreshMetaIsEmptyVersionEight) {
  const Meta m = FreshMeta();
  EXPECT_EQ(m.version, 8u);
  EXPECT_EQ(m.layout_version, 8u);
  EXPECT_EQ(m.page_size, 16384u);
  EXPECT_EQ(m.db_size, 0u);
  EXPECT_EQ(m.page_count, 0u);
  EXPECT_EQ(m.page_table_offset, 0u);
  EXPECT_EQ(m.flags, 0u);
  EXPECT_EQ(m.db_base_offset, 65536u);
  EXPECT_EQ(m.layout_fields, (std::vector<MetaField>{{"zero_extent_count", 0}}));
}

TEST(Superblock8Test, ExtentFieldsAreInOnDiskOrder) {
  EXPECT_EQ(ExtentFields(Extents({{3, 5}, {9, 12}})),
            (std::vector<MetaField>{{"zero_extent_count", 2},
                                    {"zero_extent.0.start", 3},
                                    {"zero_extent.0.end", 5},
                                    {"zero_extent.1.start", 9},
                                    {"zero_extent.1.end", 12}}));
}

// ---- Decoding ----

TEST(Superblock8Test, DecodeRoundTrips) {
  Meta m = DistinctMeta();
  const ZeroExtents extents = Extents({{1, 2}, {4, 8}});
  m.layout_fields = ExtentFields(extents);
  Result<DecodedSuperblock> decoded = Decode(EncodeSuperblock(m, extents));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->meta, m);
  EXPECT_EQ(decoded->zero_extents, extents);
}

TEST(Superblock8Test, DecodeRoundTripsTheLongestList) {
  std::vector<ZeroExtent> list;
  for (uint64_t i = 0; i < kMaxZeroExtents; ++i) list.push_back({3 * i, 3 * i + 2});
  const ZeroExtents extents = Extents(list);
  ASSERT_EQ(extents.size(), 1024u);
  const std::vector<uint8_t> b = EncodeSuperblock(FreshMeta(), extents);
  EXPECT_EQ(b.size(), 16544u);
  Result<DecodedSuperblock> decoded = Decode(b);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->zero_extents, extents);
  EXPECT_EQ(decoded->meta.layout_fields.size(), 1u + 2 * 1024);
}

TEST(Superblock8Test, BytesPastTheEncodedLengthAreIgnored) {
  // What a store of a shorter list leaves behind a longer one: the old tail stays, the checksum excludes it.
  Meta m = FreshMeta();
  const ZeroExtents three = Extents({{1, 2}, {4, 5}, {7, 9}});
  const ZeroExtents one = Extents({{1, 2}});
  std::vector<uint8_t> region(kMaxSuperblockBytes, 0xEE);
  const std::vector<uint8_t> long_form = EncodeSuperblock(m, three);
  std::copy(long_form.begin(), long_form.end(), region.begin());
  const std::vector<uint8_t> short_form = EncodeSuperblock(m, one);
  std::copy(short_form.begin(), short_form.end(), region.begin());
  ASSERT_EQ(ReadLe(region, 176, 8), 4u) << "extent 1 of the older list is still there";

  Result<DecodedSuperblock> decoded = Decode(region);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->zero_extents, one);
  // And any byte past the encoded length may change without effect.
  for (size_t offset : {size_t{176}, size_t{200}, region.size() - 1}) {
    std::vector<uint8_t> changed = region;
    changed[offset] ^= 0xFF;
    EXPECT_TRUE(Decode(changed).ok()) << offset;
  }
}

TEST(Superblock8Test, TheChecksumCoversEveryEncodedByte) {
  const std::vector<uint8_t> good = EncodeSuperblock(DistinctMeta(), Extents({{1, 2}, {4, 8}}));
  ASSERT_TRUE(Decode(good).ok());
  // Every byte but the count (changing it changes the length, checked below) and the magic, version and
  // layout version (checked before the checksum, with their own codes).
  for (size_t offset = 0; offset < good.size(); ++offset) {
    if (offset < 12 || (offset >= 136 && offset < 152)) continue;
    std::vector<uint8_t> damaged = good;
    damaged[offset] ^= 0x01;
    Result<DecodedSuperblock> decoded = Decode(damaged);
    ASSERT_EQ(decoded.status().code(), ErrorCode::kCorrupt) << "byte " << offset << " is not covered";
    EXPECT_NE(decoded.status().message().find("checksum"), std::string::npos) << decoded.status().message();
  }
}

TEST(Superblock8Test, MissingMagicIsForeign) {
  std::vector<uint8_t> b = EncodeSuperblock(FreshMeta(), ZeroExtents());
  std::memcpy(b.data(), "SQLite f", 8);
  EXPECT_EQ(Decode(b).status().code(), ErrorCode::kForeignImage);
  EXPECT_EQ(Decode(std::vector<uint8_t>(100, 0)).status().code(), ErrorCode::kForeignImage) << "too short";
  EXPECT_EQ(Decode(std::vector<uint8_t>(200, 0)).status().code(), ErrorCode::kForeignImage) << "zeros";
}

TEST(Superblock8Test, OtherVersionsAreUnsupportedBeforeTheChecksumIsTried) {
  // A layout 6 superblock: version 6, and its checksum sits at 144 where layout 8 keeps the count.
  const layout6::SuperblockBytes six = layout6::EncodeSuperblock(layout6::FreshMeta());
  std::vector<uint8_t> b(six.begin(), six.end());
  b.resize(kMaxSuperblockBytes, 0);
  Result<DecodedSuperblock> decoded = Decode(b);
  EXPECT_EQ(decoded.status().code(), ErrorCode::kUnsupportedVersion) << decoded.status().ToString();
  EXPECT_NE(decoded.status().message().find("version 6"), std::string::npos) << decoded.status().message();

  for (uint32_t version : {0u, 7u, 9u}) {
    b = EncodeSuperblock(FreshMeta(), ZeroExtents());
    WriteLe(b, 8, 4, version);
    Reseal(b);
    decoded = Decode(b);
    EXPECT_EQ(decoded.status().code(), ErrorCode::kUnsupportedVersion) << version;
    EXPECT_NE(decoded.status().message().find(std::to_string(version)), std::string::npos);
  }
}

TEST(Superblock8Test, OtherLayoutVersionsAreUnsupported) {
  for (uint64_t layout_version : {6ull, 7ull, 9ull}) {
    std::vector<uint8_t> b = EncodeSuperblock(FreshMeta(), ZeroExtents());
    WriteLe(b, 136, 8, layout_version);
    Reseal(b);
    Result<DecodedSuperblock> decoded = Decode(b);
    EXPECT_EQ(decoded.status().code(), ErrorCode::kUnsupportedVersion) << layout_version;
    EXPECT_NE(decoded.status().message().find("layout version " + std::to_string(layout_version)),
              std::string::npos)
        << decoded.status().message();
    // Also without a valid checksum: the version is reported, not damage.
    WriteLe(b, 152, 8, 12345);
    EXPECT_EQ(Decode(b).status().code(), ErrorCode::kUnsupportedVersion) << layout_version;
  }
}

TEST(Superblock8Test, MoreThanTheMaximumExtentCountIsCorrupt) {
  std::vector<uint8_t> b = EncodeSuperblock(FreshMeta(), ZeroExtents());
  b.resize(kMaxSuperblockBytes + 16, 0);
  for (uint64_t count : {1025ull, 1ull << 40, ~0ull}) {
    WriteLe(b, 144, 8, count);
    Result<DecodedSuperblock> decoded = Decode(b);
    EXPECT_EQ(decoded.status().code(), ErrorCode::kCorrupt) << count;
    EXPECT_NE(decoded.status().message().find("1024"), std::string::npos) << decoded.status().message();
  }
}

TEST(Superblock8Test, BadChecksumIsCorrupt) {
  std::vector<uint8_t> b = EncodeSuperblock(FreshMeta(), Extents({{5, 6}}));
  b[152] ^= 0x80;  // the stored checksum itself
  Result<DecodedSuperblock> decoded = Decode(b);
  EXPECT_EQ(decoded.status().code(), ErrorCode::kCorrupt);
  EXPECT_NE(decoded.status().message().find("checksum"), std::string::npos);
}

TEST(Superblock8Test, AListLongerThanTheBytesGivenIsCorrupt) {
  std::vector<uint8_t> b = EncodeSuperblock(FreshMeta(), Extents({{1, 2}, {4, 5}, {7, 8}}));
  b.resize(160 + 2 * 16);
  EXPECT_EQ(Decode(b).status().code(), ErrorCode::kCorrupt);
}

TEST(Superblock8Test, ExtentsThatAreNotNormalizedAreCorrupt) {
  struct Case {
    std::vector<ZeroExtent> extents;
    const char* why;
  };
  const std::vector<Case> cases = {
      {{{5, 5}}, "empty"},
      {{{6, 5}}, "reversed"},
      {{{1, 3}, {3, 5}}, "adjacent"},
      {{{1, 4}, {3, 5}}, "overlapping"},
      {{{7, 9}, {1, 2}}, "descending"},
      {{{1, 2}, {1, 2}}, "duplicated"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> b = EncodeSuperblock(FreshMeta(), ZeroExtents());
    WriteLe(b, 144, 8, c.extents.size());
    for (size_t i = 0; i < c.extents.size(); ++i) {
      b.resize(160 + 16 * (i + 1));
      WriteLe(b, 160 + 16 * i, 8, c.extents[i].start_page);
      WriteLe(b, 168 + 16 * i, 8, c.extents[i].end_page);
    }
    Reseal(b);
    Result<DecodedSuperblock> decoded = Decode(b);
    EXPECT_EQ(decoded.status().code(), ErrorCode::kCorrupt) << c.why;
    EXPECT_NE(decoded.status().message().find("zero extent"), std::string::npos) << decoded.status().message();
  }
}

TEST(Superblock8Test, OtherPageSizesAreUnsupported) {
  for (uint32_t page_size : {0u, 4096u, 65536u}) {
    std::vector<uint8_t> b = EncodeSuperblock(FreshMeta(), ZeroExtents());
    WriteLe(b, 12, 4, page_size);
    Reseal(b);
    Result<DecodedSuperblock> decoded = Decode(b);
    EXPECT_EQ(decoded.status().code(), ErrorCode::kUnsupportedVersion) << page_size;
    EXPECT_NE(decoded.status().message().find(std::to_string(page_size)), std::string::npos);
  }
}

}  // namespace
}  // namespace stablevfs::layout8
