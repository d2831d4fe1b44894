// Superblock: the byte-exact codec of the layout 6 superblock (REFERENCE 3.1).
//
// The superblock is the first 152 bytes of the 64 KiB superblock region at offset 0 of the database's memory.
// It is the only structure ever rewritten in place, and its rewrite is the commit point of every publish. All
// integers are little-endian; the last field is an FNV-1a 64 checksum over the 152 bytes with that field
// zeroed, so a reader can tell a superblock it may trust from bytes it must not touch.
//
// This file only converts between bytes and Meta. It never reads or writes stable memory.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/core/status.h"
#include "lib/layout/layout.h"

namespace stablevfs::layout6 {

inline constexpr uint32_t kVersion = 6;
inline constexpr uint64_t kLayoutVersion = 6;
inline constexpr std::array<uint8_t, 8> kMagic = {'I', 'C', 'S', 'Q', 'L', 'I', 'T', 'E'};

// The superblock region: [0, 64 KiB). Pages and tables live at or past its end.
inline constexpr uint64_t kSuperblockRegionBytes = 65536;
inline constexpr size_t kSuperblockBytes = 152;

// Field offsets (REFERENCE 3.1). Each field is a u64 unless noted.
inline constexpr size_t kMagicOffset = 0;  // 8 bytes
inline constexpr size_t kVersionOffset = 8;    // u32
inline constexpr size_t kPageSizeOffset = 12;  // u32
inline constexpr size_t kDbSizeOffset = 16;
inline constexpr size_t kSchemaVersionOffset = 24;
inline constexpr size_t kLastTxIdOffset = 32;
inline constexpr size_t kFlagsOffset = 40;
inline constexpr size_t kChecksumOffset = 48;
inline constexpr size_t kImportExpectedChecksumOffset = 56;
inline constexpr size_t kImportWrittenUntilOffset = 64;
inline constexpr size_t kImportTotalSizeOffset = 72;
inline constexpr size_t kImportBaseOffsetOffset = 80;
inline constexpr size_t kChecksumRefreshOffsetOffset = 88;
inline constexpr size_t kChecksumRefreshHashOffset = 96;
inline constexpr size_t kChecksumRefreshTxIdOffset = 104;
inline constexpr size_t kDbBaseOffsetOffset = 112;
inline constexpr size_t kPageTableOffsetOffset = 120;
inline constexpr size_t kPageCountOffset = 128;
inline constexpr size_t kLayoutVersionOffset = 136;
inline constexpr size_t kMetaChecksumOffset = 144;

// The fields tile the superblock exactly: each begins where the previous one ends.
static_assert(kMagicOffset + kMagic.size() == kVersionOffset);
static_assert(kVersionOffset + 4 == kPageSizeOffset);
static_assert(kPageSizeOffset + 4 == kDbSizeOffset);
static_assert(kDbSizeOffset + 8 == kSchemaVersionOffset);
static_assert(kSchemaVersionOffset + 8 == kLastTxIdOffset);
static_assert(kLastTxIdOffset + 8 == kFlagsOffset);
static_assert(kFlagsOffset + 8 == kChecksumOffset);
static_assert(kChecksumOffset + 8 == kImportExpectedChecksumOffset);
static_assert(kImportExpectedChecksumOffset + 8 == kImportWrittenUntilOffset);
static_assert(kImportWrittenUntilOffset + 8 == kImportTotalSizeOffset);
static_assert(kImportTotalSizeOffset + 8 == kImportBaseOffsetOffset);
static_assert(kImportBaseOffsetOffset + 8 == kChecksumRefreshOffsetOffset);
static_assert(kChecksumRefreshOffsetOffset + 8 == kChecksumRefreshHashOffset);
static_assert(kChecksumRefreshHashOffset + 8 == kChecksumRefreshTxIdOffset);
static_assert(kChecksumRefreshTxIdOffset + 8 == kDbBaseOffsetOffset);
static_assert(kDbBaseOffsetOffset + 8 == kPageTableOffsetOffset);
static_assert(kPageTableOffsetOffset + 8 == kPageCountOffset);
static_assert(kPageCountOffset + 8 == kLayoutVersionOffset);
static_assert(kLayoutVersionOffset == 136 && kMetaChecksumOffset == 144);
static_assert(kLayoutVersionOffset + 8 == kMetaChecksumOffset);
static_assert(kMetaChecksumOffset + 8 == kSuperblockBytes);
static_assert(kSuperblockBytes <= kSuperblockRegionBytes);

using SuperblockBytes = std::array<uint8_t, kSuperblockBytes>;

// The common part: bytes [0, 144), magic through layout_version. Layout 8 (REFERENCE 3.4) keeps these fields
// at the same offsets with the same meaning and puts its own fields (zero extents, and the meta checksum at a
// different place) after them, so both codecs encode and decode this part through the two functions below
// and cannot drift apart.
inline constexpr size_t kCommonFieldsBytes = kMetaChecksumOffset;
static_assert(kCommonFieldsBytes == 144);

// Writes magic, version, page size and every u64 field up to layout_version from `meta`, exactly as given.
void EncodeCommonFields(const Meta& meta, std::span<uint8_t, kCommonFieldsBytes> out);

// Reads version, page size and every u64 field up to layout_version into `meta` (its other members are left
// as they are). Checks nothing, not even the magic: validation is each codec's job, in its own order.
void DecodeCommonFields(std::span<const uint8_t, kCommonFieldsBytes> bytes, Meta* meta);

// The superblock of a fresh, empty database: version and layout version 6, page size 16 KiB, db_base_offset
// at the end of the superblock region, everything else zero.
Meta FreshMeta();

// Encodes `meta` exactly as given (including version, page size and layout version) and fills in the meta
// checksum. Never fails: validation is the decoder's job.
SuperblockBytes EncodeSuperblock(const Meta& meta);

// FNV-1a 64 over `bytes` with the meta checksum field (bytes 144..152) taken as zero.
uint64_t ComputeMetaChecksum(std::span<const uint8_t, kSuperblockBytes> bytes);

// True when `bytes` begins with the magic "ICSQLITE". REQUIRES: bytes.size() >= 8.
bool HasMagic(std::span<const uint8_t> bytes);

// Decodes and checks a superblock, in this order:
//   no magic                                  -> kForeignImage
//   version (u32 at 8) != 6                   -> kUnsupportedVersion naming the version
//   meta checksum mismatch                    -> kCorrupt naming stored and computed values
//   layout_version != 6, page size != 16 KiB  -> kUnsupportedVersion naming the value
// The version is checked before the checksum because another version's checksum covers other bytes
// (layout 8 keeps it at 152), so a newer image must be reported as newer, not as corrupt.
// Consistency of the page-map fields with the memory is the Layout's job, not the codec's.
Result<Meta> DecodeSuperblock(std::span<const uint8_t, kSuperblockBytes> bytes);

}  // namespace stablevfs::layout6
