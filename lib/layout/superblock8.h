// Superblock8: the byte-exact codec of the layout 8 superblock (REFERENCE 3.4, ic-sqlite-vfs 2.x).
//
// The superblock lives at offset 0 of the 64 KiB superblock region. Its first 144 bytes are the common part
// of layout 6 (magic through layout_version, with version and layout_version 8, page_table_offset always 0 and
// page_count = ceil(db_size / 16 KiB)); then come the zero extent count (u64 at 144), the meta checksum (u64 at
// 152) and the extents themselves, 16 bytes each from 160 on (start_page u64, end_page u64, half-open). The
// encoding therefore has a variable length, 160 + 16 * count bytes, at most 16,544; the meta checksum is FNV-1a
// 64 over exactly those bytes with the checksum field taken as zero. A store writes only the encoded length, so
// bytes of an older, longer extent list may follow it: the decoder never looks past the encoded length.
//
// This file only converts between bytes and (Meta, ZeroExtents). It never reads or writes stable memory.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "lib/core/status.h"
#include "lib/layout/layout.h"
#include "lib/layout/superblock.h"
#include "lib/layout/zero_extents.h"

namespace stablevfs::layout8 {

inline constexpr uint32_t kVersion = 8;
inline constexpr uint64_t kLayoutVersion = 8;

// The superblock region: [0, 64 KiB), as in layout 6. Logical page 0 of a fresh image lives at its end.
inline constexpr uint64_t kSuperblockRegionBytes = layout6::kSuperblockRegionBytes;
static_assert(kSuperblockRegionBytes == 65536);

// Offsets past the common part (REFERENCE 3.4). Offsets 0..144 are layout 6's (superblock.h), shared through
// layout6::EncodeCommonFields and DecodeCommonFields.
inline constexpr size_t kZeroExtentCountOffset = 144;
inline constexpr size_t kMetaChecksumOffset = 152;
inline constexpr size_t kExtentsOffset = 160;
inline constexpr size_t kExtentBytes = 16;  // start_page u64, then end_page u64
inline constexpr size_t kExtentStartOffsetInEntry = 0;
inline constexpr size_t kExtentEndOffsetInEntry = 8;

// The common part ends where the count begins, the count where the checksum begins, and so on: no gaps.
static_assert(layout6::kLayoutVersionOffset == 136);
static_assert(layout6::kLayoutVersionOffset + 8 == kZeroExtentCountOffset);
static_assert(layout6::kCommonFieldsBytes == kZeroExtentCountOffset);
static_assert(kZeroExtentCountOffset + 8 == kMetaChecksumOffset);
static_assert(kMetaChecksumOffset + 8 == kExtentsOffset);
static_assert(kExtentStartOffsetInEntry + 8 == kExtentEndOffsetInEntry && kExtentEndOffsetInEntry + 8 == kExtentBytes);

// Bytes an encoding with `extent_count` extents occupies.
constexpr size_t EncodedBytes(uint64_t extent_count) { return kExtentsOffset + kExtentBytes * extent_count; }
// The longest encoding (1,024 extents): what a loader reads so that any valid superblock is inside it.
inline constexpr size_t kMaxSuperblockBytes = EncodedBytes(kMaxZeroExtents);
static_assert(kMaxSuperblockBytes == 16544);
static_assert(kMaxSuperblockBytes <= kSuperblockRegionBytes, "the longest superblock fits its region");

// The superblock of a fresh, empty database: version and layout version 8, page size 16 KiB, db_base_offset
// at the end of the superblock region, no extents, everything else zero. layout_fields says so.
Meta FreshMeta();

// Meta::layout_fields for `extents`: {"zero_extent_count", n}, then {"zero_extent.<i>.start", s} and
// {"zero_extent.<i>.end", e} for each extent i, in on-disk order.
std::vector<MetaField> ExtentFields(const ZeroExtents& extents);

// Encodes `meta`'s common fields exactly as given (meta.layout_fields is ignored: the extents come from
// `extents`), the count and the extents, and fills in the meta checksum. The result is exactly
// EncodedBytes(extents.size()) long. REQUIRES: extents.size() <= kMaxZeroExtents (a commit that would need
// more fails before it encodes anything).
std::vector<uint8_t> EncodeSuperblock(const Meta& meta, const ZeroExtents& extents);

// FNV-1a 64 over `encoded` with the meta checksum field (bytes 152..160) taken as zero.
// REQUIRES: encoded.size() >= kExtentsOffset.
uint64_t ComputeMetaChecksum(std::span<const uint8_t> encoded);

struct DecodedSuperblock {
  Meta meta;  // layout_fields filled in from the extents (ExtentFields)
  ZeroExtents zero_extents;
};

// Decodes and checks the superblock at the start of `bytes` (pass at least kMaxSuperblockBytes, or whatever
// the memory holds if less; bytes past the encoded length are ignored). Checks, in the order ic-sqlite-vfs
// 2.x loads (so an image is refused for the same reason it would refuse it):
//   no magic "ICSQLITE"                              -> kForeignImage
//   version (u32 at 8) != 8                          -> kUnsupportedVersion naming the version
//   layout_version (u64 at 136) != 8                 -> kUnsupportedVersion naming it
//   zero_extent_count > 1,024                        -> kCorrupt naming the count and the limit
//   fewer bytes than the encoded length              -> kCorrupt
//   meta checksum mismatch                           -> kCorrupt naming stored and computed values
//   extents not normalized                           -> kCorrupt naming the first bad extent
//   page size != 16 KiB                              -> kUnsupportedVersion naming the value
// (ic-sqlite-vfs does not check the page size at all; the Layout contract asks for it, so it comes last, behind
// the checksum, as in layout 6.)
// Consistency with the memory (page_count, db_base_offset, the import staging area) is the Layout's job.
Result<DecodedSuperblock> DecodeSuperblock(std::span<const uint8_t> bytes);

}  // namespace stablevfs::layout8
