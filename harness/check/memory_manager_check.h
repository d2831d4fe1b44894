// MemoryManager fsck: an independent decoder and validator of the stable-structures MemoryManager header
// (layout version 1, REFERENCE section 2), and a view of one virtual memory inside a raw stable memory image.
//
// This is what lets the checker read a real canister image (a snapshot's stable_memory.bin): decode the
// header, validate it, find MemoryId 120 (the SQLite convention) and check that virtual memory with the checker its superblock names.
// It does not use lib/memory's MemoryManager: independent by design; see ARCHITECTURE.md.
//
// Header (byte-exact): "MGR" at 0, version 1 at 3, allocated bucket count u16 LE at 4, bucket size in 64 KiB
// pages u16 LE at 6, 32 reserved zero bytes at 8, the size in pages of memory i as u64 LE at 40 + 8*i
// (i = 0..254), the owner table at 2080 (one byte per bucket, 32,768 buckets, 0xFF = unallocated). Bucket b's
// data starts at 65536 + b * bucket_bytes. Memory m's k-th bucket is the k-th smallest bucket id it owns.
//
// Validation rules (each problem at the offset where it was found):
//  - "MGR" at 0 [mm_magic; decoding stops]; the source holds the header through the owner table, 34,848
//    bytes [too_small, at 0; decoding stops]; a whole number of 64 KiB pages [image_size, at the size].
//  - version 1 at 3 [mm_version]; allocated <= 32,768 at 4 [mm_bucket_count]; bucket size != 0 at 6
//    [mm_bucket_size]; reserved bytes 8..40 zero, at the first nonzero byte [mm_reserved].
//  - owner table: bucket b < allocated has an owner (!= 0xFF), bucket b >= allocated is 0xFF, at 2080 + b
//    [mm_owner]. Buckets are handed out in order and never reused, so any hole is corruption.
//  - memory i owns exactly ceil(size_i / bucket size) buckets, at 40 + 8*i [mm_bucket_mismatch].
//  - the raw memory holds at least 1 + bucket size * allocated pages, reported at the raw size
//    [mm_backing_size].
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "harness/check/byte_source.h"
#include "harness/check/checker_registry.h"
#include "harness/check/layout_report.h"
#include "harness/check/problem.h"

namespace stablevfs::check {

namespace mm {
inline constexpr uint64_t kMagicBytes = 3;
inline constexpr uint64_t kOffVersion = 3;
inline constexpr uint64_t kOffAllocatedBuckets = 4;
inline constexpr uint64_t kOffBucketSizePages = 6;
inline constexpr uint64_t kOffReserved = 8;
inline constexpr uint64_t kReservedBytes = 32;
inline constexpr uint64_t kOffMemorySizes = 40;
inline constexpr uint64_t kMemoryCount = 255;  // MemoryId 0..=254
inline constexpr uint64_t kOffOwnerTable = 2080;
inline constexpr uint64_t kMaxBuckets = 32768;
inline constexpr uint64_t kHeaderBytes = kOffOwnerTable + kMaxBuckets;  // 34,848
inline constexpr uint64_t kOffBucketData = 65536;
inline constexpr uint8_t kUnallocated = 0xFF;
inline constexpr uint8_t kVersion = 1;
inline constexpr uint8_t kDefaultSqliteMemoryId = 120;  // ic-rusqlite and ic-sqlite-vfs convention

static_assert(kOffMemorySizes + 8 * kMemoryCount == kOffOwnerTable);
static_assert(kHeaderBytes <= kOffBucketData);
}  // namespace mm

// The header as raw fields, decoded without judging them.
struct MemoryManagerHeader {
  uint8_t version = 0;
  uint16_t allocated_buckets = 0;
  uint16_t bucket_size_pages = 0;
  std::array<uint64_t, mm::kMemoryCount> memory_size_pages{};
  std::vector<uint8_t> owners;  // kMaxBuckets entries

  uint64_t bucket_bytes() const { return uint64_t{bucket_size_pages} * kWasmPageBytes; }
  // Bucket ids owned by `memory_id`, ascending (its k-th bucket is element k).
  std::vector<uint32_t> BucketsOf(uint8_t memory_id) const;
};

struct MemoryManagerReport {
  uint64_t source_bytes = 0;
  bool decoded = false;  // "MGR" found and the header fully readable; `header` is meaningful
  MemoryManagerHeader header;
  std::vector<Problem> problems;

  bool ok() const { return problems.empty(); }
  bool Has(ProblemKind kind, uint64_t offset_bytes) const;
};

// Decodes and validates the MemoryManager header at the start of `raw`. Never throws for bad content.
MemoryManagerReport CheckMemoryManager(const ByteSource& raw);

// One virtual memory of a MemoryManager image, read through its buckets. Its size is the declared size of
// the memory, cut at the first bucket that is missing or not fully inside `raw` (a corrupt header has been
// reported by CheckMemoryManager; the view never reads outside `raw`). `raw` and `header` must outlive it.
class VirtualMemorySource final : public ByteSource {
 public:
  VirtualMemorySource(const ByteSource& raw, const MemoryManagerHeader& header, uint8_t memory_id);

  uint64_t size_bytes() const override { return size_bytes_; }
  void Read(uint64_t offset_bytes, std::span<uint8_t> out) const override;

  // The raw stable-memory offset of virtual offset `offset_bytes`. REQUIRES: offset_bytes < size_bytes().
  uint64_t RawOffset(uint64_t offset_bytes) const;
  // The size the header declares (memory_size_pages * 64 KiB); more than size_bytes() when cut short.
  uint64_t declared_size_bytes() const { return declared_size_bytes_; }
  bool truncated() const { return size_bytes_ < declared_size_bytes_; }
  const std::vector<uint32_t>& buckets() const { return buckets_; }

 private:
  const ByteSource& raw_;
  uint64_t bucket_bytes_ = 0;
  std::vector<uint32_t> buckets_;
  uint64_t declared_size_bytes_ = 0;
  uint64_t size_bytes_ = 0;
};

// The bytes of virtual memory `memory_id` (VirtualMemorySource read whole).
std::vector<uint8_t> ExtractVirtualMemory(const ByteSource& raw, const MemoryManagerHeader& header,
                                          uint8_t memory_id = mm::kDefaultSqliteMemoryId);

// A raw stable memory checked end to end: the MemoryManager header, then memory `memory_id` with the checker
// its superblock asks for (CheckImage).
// Layout problems carry virtual offsets inside that memory (translate with VirtualMemorySource::RawOffset).
struct StableMemoryDumpReport {
  MemoryManagerReport manager;
  uint8_t memory_id = mm::kDefaultSqliteMemoryId;
  bool layout_checked = false;  // the header decoded and the memory exists
  LayoutReport layout;
  std::vector<Problem> problems;  // extraction problems (kMmNoMemory, a truncated memory)

  bool ok() const { return manager.ok() && problems.empty() && layout_checked && layout.ok(); }
};

StableMemoryDumpReport CheckStableMemoryDump(const ByteSource& raw,
                                             uint8_t memory_id = mm::kDefaultSqliteMemoryId,
                                             const CheckOptions& options = {});

// A summary of the header: bucket size, allocated buckets, every memory with a nonzero size or buckets.
std::string FormatMemoryManager(const MemoryManagerReport& report);

}  // namespace stablevfs::check
