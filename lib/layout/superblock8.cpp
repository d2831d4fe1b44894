#include "lib/layout/superblock8.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "lib/layout/little_endian.h"

namespace stablevfs::layout8 {

Meta FreshMeta() {
  Meta meta;
  meta.version = kVersion;
  meta.page_size = kDbPageBytes;
  meta.layout_version = kLayoutVersion;
  meta.db_base_offset = kSuperblockRegionBytes;
  meta.layout_fields = ExtentFields(ZeroExtents());
  return meta;
}

std::vector<MetaField> ExtentFields(const ZeroExtents& extents) {
  std::vector<MetaField> fields;
  fields.reserve(1 + 2 * extents.size());
  fields.push_back({"zero_extent_count", extents.size()});
  for (size_t i = 0; i < extents.size(); ++i) {
    const std::string prefix = "zero_extent." + std::to_string(i);
    fields.push_back({prefix + ".start", extents.extents()[i].start_page});
    fields.push_back({prefix + ".end", extents.extents()[i].end_page});
  }
  return fields;
}

uint64_t ComputeMetaChecksum(std::span<const uint8_t> encoded) {
  assert(encoded.size() >= kExtentsOffset);
  Fnv1a64 hash;
  hash.Update(encoded.first(kMetaChecksumOffset));
  const std::array<uint8_t, 8> zero{};
  hash.Update(zero);
  hash.Update(encoded.subspan(kExtentsOffset));
  return hash.value();
}

std::vector<uint8_t> EncodeSuperblock(const Meta& meta, const ZeroExtents& extents) {
  assert(extents.size() <= kMaxZeroExtents);
  std::vector<uint8_t> out(EncodedBytes(extents.size()), 0);
  const std::span<uint8_t> bytes(out);
  layout6::EncodeCommonFields(meta, bytes.first<layout6::kCommonFieldsBytes>());
  StoreU64Le(bytes.subspan(kZeroExtentCountOffset), extents.size());
  for (size_t i = 0; i < extents.size(); ++i) {
    const std::span<uint8_t> entry = bytes.subspan(kExtentsOffset + kExtentBytes * i, kExtentBytes);
    StoreU64Le(entry.subspan(kExtentStartOffsetInEntry), extents.extents()[i].start_page);
    StoreU64Le(entry.subspan(kExtentEndOffsetInEntry), extents.extents()[i].end_page);
  }
  StoreU64Le(bytes.subspan(kMetaChecksumOffset), ComputeMetaChecksum(out));
  return out;
}

Result<DecodedSuperblock> DecodeSuperblock(std::span<const uint8_t> bytes) {
  if (bytes.size() < kExtentsOffset || !layout6::HasMagic(bytes)) {
    return Status::ForeignImage("memory does not start with a layout 8 superblock (magic \"ICSQLITE\")");
  }
  DecodedSuperblock out;
  Meta& meta = out.meta;
  layout6::DecodeCommonFields(bytes.first<layout6::kCommonFieldsBytes>(), &meta);
  if (meta.version != kVersion) {
    return Status::UnsupportedVersion("superblock version " + std::to_string(meta.version) +
                                      " is not layout 8's (it reads version " + std::to_string(kVersion) + ")");
  }
  // Checked before the checksum, as ic-sqlite-vfs does: a layout_version other than 8 is an image of another
  // format (or a future one), which must be reported as unsupported, not as damaged.
  if (meta.layout_version != kLayoutVersion) {
    return Status::UnsupportedVersion("superblock version 8 with layout version " +
                                      std::to_string(meta.layout_version) +
                                      " is not supported (layout 8 reads layout version " +
                                      std::to_string(kLayoutVersion) + ")");
  }
  const uint64_t count = LoadU64Le(bytes.subspan(kZeroExtentCountOffset));
  if (count > kMaxZeroExtents) {
    return Status::Corrupt("zero extent count " + std::to_string(count) + " exceeds the limit of " +
                           std::to_string(kMaxZeroExtents));
  }
  const size_t encoded_bytes = EncodedBytes(count);
  if (bytes.size() < encoded_bytes) {
    return Status::Corrupt("superblock with " + std::to_string(count) + " zero extents needs " +
                           std::to_string(encoded_bytes) + " bytes, only " + std::to_string(bytes.size()) +
                           " are available");
  }
  const std::span<const uint8_t> encoded = bytes.first(encoded_bytes);
  const uint64_t stored = LoadU64Le(encoded.subspan(kMetaChecksumOffset));
  const uint64_t computed = ComputeMetaChecksum(encoded);
  if (stored != computed) {
    return Status::Corrupt("superblock meta checksum mismatch: stored " + std::to_string(stored) + ", computed " +
                           std::to_string(computed) + " over " + std::to_string(encoded_bytes) + " bytes");
  }
  std::vector<ZeroExtent> extents(count);
  for (size_t i = 0; i < count; ++i) {
    const std::span<const uint8_t> entry = encoded.subspan(kExtentsOffset + kExtentBytes * i, kExtentBytes);
    extents[i] = {LoadU64Le(entry.subspan(kExtentStartOffsetInEntry)), LoadU64Le(entry.subspan(kExtentEndOffsetInEntry))};
  }
  if (!ZeroExtents::IsNormalized(extents)) {
    // Name the first offender, for whoever has to look at the image.
    for (size_t i = 0; i < extents.size(); ++i) {
      const bool empty = extents[i].start_page >= extents[i].end_page;
      const bool out_of_order = i > 0 && extents[i].start_page <= extents[i - 1].end_page;
      if (!empty && !out_of_order) continue;
      return Status::Corrupt("zero extent " + std::to_string(i) + " [" + std::to_string(extents[i].start_page) +
                             ", " + std::to_string(extents[i].end_page) + ") is " +
                             (empty ? "empty" : "not past the end of the previous one (" +
                                                    std::to_string(extents[i - 1].end_page) + ")") +
                             ": zero extents must be non-empty, ascending, neither overlapping nor adjacent");
    }
  }
  if (meta.page_size != kDbPageBytes) {
    return Status::UnsupportedVersion("SQLite page size " + std::to_string(meta.page_size) +
                                      " is not supported (only " + std::to_string(kDbPageBytes) + ")");
  }
  out.zero_extents = ZeroExtents::Normalize(std::move(extents));  // already normalized: a copy, no change
  meta.layout_fields = ExtentFields(out.zero_extents);
  return out;
}

}  // namespace stablevfs::layout8
