#include "lib/layout/superblock.h"

#include <algorithm>
#include <string>

#include "lib/layout/little_endian.h"

namespace stablevfs::layout6 {
namespace {

// Every u64 field after the page size, with its offset and its place in Meta, in on-disk order. One table
// drives both directions so the encoder and the decoder cannot disagree about a field.
struct U64Field {
  size_t offset;
  uint64_t Meta::*member;
};

constexpr std::array<U64Field, 16> kU64Fields = {{
    {kDbSizeOffset, &Meta::db_size},
    {kSchemaVersionOffset, &Meta::schema_version},
    {kLastTxIdOffset, &Meta::last_tx_id},
    {kFlagsOffset, &Meta::flags},
    {kChecksumOffset, &Meta::checksum},
    {kImportExpectedChecksumOffset, &Meta::import_expected_checksum},
    {kImportWrittenUntilOffset, &Meta::import_written_until},
    {kImportTotalSizeOffset, &Meta::import_total_size},
    {kImportBaseOffsetOffset, &Meta::import_base_offset},
    {kChecksumRefreshOffsetOffset, &Meta::checksum_refresh_offset},
    {kChecksumRefreshHashOffset, &Meta::checksum_refresh_hash},
    {kChecksumRefreshTxIdOffset, &Meta::checksum_refresh_tx_id},
    {kDbBaseOffsetOffset, &Meta::db_base_offset},
    {kPageTableOffsetOffset, &Meta::page_table_offset},
    {kPageCountOffset, &Meta::page_count},
    {kLayoutVersionOffset, &Meta::layout_version},
}};
// 16 u64 fields + magic + two u32 + the checksum cover the 152 bytes; all but the checksum are common.
static_assert(kU64Fields.size() * 8 + kMagic.size() + 2 * 4 + 8 == kSuperblockBytes);
static_assert(kU64Fields.size() * 8 + kMagic.size() + 2 * 4 == kCommonFieldsBytes);

}  // namespace

Meta FreshMeta() {
  Meta meta;
  meta.version = kVersion;
  meta.page_size = kDbPageBytes;
  meta.layout_version = kLayoutVersion;
  meta.db_base_offset = kSuperblockRegionBytes;
  return meta;
}

uint64_t ComputeMetaChecksum(std::span<const uint8_t, kSuperblockBytes> bytes) {
  Fnv1a64 hash;
  hash.Update(bytes.first(kMetaChecksumOffset));
  const std::array<uint8_t, 8> zero{};
  hash.Update(zero);
  return hash.value();
}

void EncodeCommonFields(const Meta& meta, std::span<uint8_t, kCommonFieldsBytes> out) {
  const std::span<uint8_t> bytes(out);
  std::copy(kMagic.begin(), kMagic.end(), out.begin() + kMagicOffset);
  StoreU32Le(bytes.subspan(kVersionOffset), meta.version);
  StoreU32Le(bytes.subspan(kPageSizeOffset), meta.page_size);
  for (const U64Field& field : kU64Fields) StoreU64Le(bytes.subspan(field.offset), meta.*field.member);
}

void DecodeCommonFields(std::span<const uint8_t, kCommonFieldsBytes> bytes, Meta* meta) {
  const std::span<const uint8_t> in(bytes);
  meta->version = LoadU32Le(in.subspan(kVersionOffset));
  meta->page_size = LoadU32Le(in.subspan(kPageSizeOffset));
  for (const U64Field& field : kU64Fields) meta->*field.member = LoadU64Le(in.subspan(field.offset));
}

SuperblockBytes EncodeSuperblock(const Meta& meta) {
  SuperblockBytes out{};
  EncodeCommonFields(meta, std::span<uint8_t>(out).first<kCommonFieldsBytes>());
  StoreU64Le(std::span<uint8_t>(out).subspan(kMetaChecksumOffset), ComputeMetaChecksum(out));
  return out;
}

bool HasMagic(std::span<const uint8_t> bytes) {
  return bytes.size() >= kMagic.size() && std::equal(kMagic.begin(), kMagic.end(), bytes.begin());
}

Result<Meta> DecodeSuperblock(std::span<const uint8_t, kSuperblockBytes> bytes) {
  if (!HasMagic(bytes)) {
    return Status::ForeignImage("memory does not start with the magic \"ICSQLITE\"; it holds something else");
  }
  Meta meta;
  meta.version = LoadU32Le(bytes.subspan(kVersionOffset));
  if (meta.version != kVersion) {
    return Status::UnsupportedVersion("superblock version " + std::to_string(meta.version) +
                                      " is not supported by this build (it reads version " +
                                      std::to_string(kVersion) + ")");
  }
  const uint64_t stored = LoadU64Le(bytes.subspan(kMetaChecksumOffset));
  const uint64_t computed = ComputeMetaChecksum(bytes);
  if (stored != computed) {
    return Status::Corrupt("superblock meta checksum mismatch: stored " + std::to_string(stored) +
                           ", computed " + std::to_string(computed));
  }
  DecodeCommonFields(bytes.first<kCommonFieldsBytes>(), &meta);
  if (meta.layout_version != kLayoutVersion) {
    return Status::UnsupportedVersion("layout version " + std::to_string(meta.layout_version) +
                                      " is not supported by this build (it reads layout " +
                                      std::to_string(kLayoutVersion) + ")");
  }
  if (meta.page_size != kDbPageBytes) {
    return Status::UnsupportedVersion("SQLite page size " + std::to_string(meta.page_size) +
                                      " is not supported (only " + std::to_string(kDbPageBytes) + ")");
  }
  return meta;
}

}  // namespace stablevfs::layout6
