// MemoryManager: up to 255 growable virtual memories inside one stable memory, byte-compatible with the
// MemoryManager of dfinity/stable-structures, layout version 1 (REFERENCE.md section 2).
//
// Page 0 of the underlying memory holds the manager's state; buckets of `bucket_size_pages` pages follow from
// page 1. The header records the bucket size, the number of allocated buckets and the size of every virtual
// memory; the owner table gives, for every bucket id, the MemoryId that owns it (0xFF: unallocated). Buckets are
// allocated in id order and never reused, so a memory written by a Rust canister through ic-stable-structures can
// be opened here and the other way round, and `stable_memory.bin` from a canister snapshot can be inspected.
//
// What it guarantees:
// - Load never writes. It accepts only a header that the original could have written and that is consistent
//   with the owner table and the size of the backing memory; anything else is a typed error whose message names
//   the offending field (`magic`, `version`, `bucket_size_pages`, `allocated_buckets`, `owner_table`,
//   `memory_size_pages[i]`, `backing_size_pages`), which is what a canister author and fsck need to see.
// - InitOrLoad overwrites only a memory that does not start with "MGR" (as the original does); a memory that does
//   is loaded strictly, and a corrupt header is reported, never replaced.
// - A crash between two writes (in the harness: a power-loss freeze) leaves a state that loads as the old or the
//   new one: a grow grows the underlying memory first and then writes the header and the owner table in a single
//   call; Init writes the owner table before the header, so an interrupted Init leaves no magic and runs again.
//   (The original writes in other orders; the bytes it ends with are the same.)
// - The heap copy (sizes, per-memory bucket lists) always matches stable memory after each call returns; reads
//   and writes of a VirtualMemory never rescan the owner table.
//
// Not thread-safe, like the canister it runs in. The caller owns the underlying StableMemory and must keep it
// alive (and unmodified behind the manager's back) while the manager lives.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "lib/core/status.h"
#include "lib/memory/stable_memory.h"
#include "lib/memory/virtual_memory.h"

namespace stablevfs {

class MemoryManager {
 public:
  // ---- Layout version 1, byte for byte (all integers little-endian). ----
  static constexpr uint8_t kMagic[3] = {'M', 'G', 'R'};
  static constexpr uint8_t kLayoutVersion = 1;
  static constexpr uint64_t kMagicOffsetBytes = 0;
  static constexpr uint64_t kVersionOffsetBytes = 3;
  static constexpr uint64_t kAllocatedBucketsOffsetBytes = 4;  // u16
  static constexpr uint64_t kBucketSizeOffsetBytes = 6;        // u16, in pages
  static constexpr uint64_t kReservedOffsetBytes = 8;
  static constexpr uint64_t kReservedBytes = 32;           // written as zero, not checked on load
  static constexpr uint64_t kMemorySizesOffsetBytes = 40;  // u64 pages of memory i at 40 + 8 * i
  static constexpr uint64_t kHeaderBytes = kMemorySizesOffsetBytes + 8 * kMemoryCount;
  static constexpr uint64_t kOwnerTableOffsetBytes = kHeaderBytes;
  static constexpr uint64_t kBucketCountMax = 32768;
  static constexpr uint64_t kOwnerTableBytes = kBucketCountMax;  // one owner byte per bucket
  static constexpr uint8_t kUnallocatedOwner = 0xFF;
  static constexpr uint64_t kBucketsOffsetPages = 1;
  static constexpr uint16_t kDefaultBucketSizePages = 128;  // 8 MiB buckets: 256 GiB in all
  // The largest size a single virtual memory can ever reach (every bucket of the largest bucket size).
  static constexpr uint64_t kVirtualSizePagesMax = kBucketCountMax * 0xFFFF;

  // Creates a manager on `memory`, the original's `MemoryManager::init_with_bucket_size`:
  // - `memory` is empty or does not start with "MGR": writes a new header (every memory empty, no bucket
  //   allocated, bucket size `bucket_size_pages`) and an owner table of 32,768 x 0xFF, growing `memory` to one
  //   page if it is empty. Like the original it overwrites whatever a non-empty memory held in those bytes and
  //   leaves the rest of page 0 and any later pages as they were.
  // - `memory` starts with "MGR": exactly Load(memory); `bucket_size_pages` is ignored (the header's wins), and a
  //   corrupt header is returned as an error with nothing written.
  // Errors: kInvalidArgument when bucket_size_pages == 0 (nothing read or written); kCapacity when an empty
  // `memory` cannot grow one page; anything Load returns. `memory` must outlive the manager.
  static Result<std::unique_ptr<MemoryManager>> InitOrLoad(StableMemory& memory,
                                                           uint16_t bucket_size_pages = kDefaultBucketSizePages);

  // The original's name for InitOrLoad, kept so code ported from Rust reads the same.
  static Result<std::unique_ptr<MemoryManager>> Init(StableMemory& memory,
                                                     uint16_t bucket_size_pages = kDefaultBucketSizePages) {
    return InitOrLoad(memory, bucket_size_pages);
  }

  // Opens the manager already in `memory`, strictly, and never writes. The bucket size comes from the header.
  // Errors, each naming the field:
  //   kForeignImage        `magic`: the memory is empty or does not start with "MGR"
  //   kUnsupportedVersion  `version`: not layout version 1
  //   kCorrupt             `bucket_size_pages`: zero
  //                        `allocated_buckets`: more than 32,768
  //                        `owner_table`: a bucket below allocated_buckets marked 0xFF, or one at or above it
  //                                       marked with an owner
  //                        `memory_size_pages[i]`: memory i owns a number of buckets other than
  //                                       ceil(size / bucket_size_pages)
  //                        `backing_size_pages`: the memory has fewer than 1 + bucket_size * allocated pages
  // `memory` must outlive the manager.
  static Result<std::unique_ptr<MemoryManager>> Load(StableMemory& memory);

  MemoryManager(const MemoryManager&) = delete;
  MemoryManager& operator=(const MemoryManager&) = delete;

  // The virtual memory `id`, created on first use. The pointer is never null and stays valid (and the same) for
  // the life of the manager. Errors: kInvalidArgument for id 255, the unallocated-bucket marker.
  Result<VirtualMemory*> Get(MemoryId id);

  uint16_t bucket_size_pages() const { return bucket_size_pages_; }
  uint64_t bucket_size_bytes() const { return uint64_t{bucket_size_pages_} * kWasmPageBytes; }
  // Buckets allocated so far (to any memory); they occupy pages [1, 1 + bucket_size_pages * allocated).
  uint32_t allocated_buckets() const { return allocated_buckets_; }
  // The size in pages of memory `id`; 0 for 255 (no such memory).
  uint64_t memory_size_pages(MemoryId id) const { return id <= kMaxMemoryId ? sizes_pages_[id] : 0; }
  // The bucket ids of memory `id` in virtual order (ascending); empty for 255.
  std::span<const uint16_t> buckets(MemoryId id) const;
  // The owner of bucket `bucket_id` as in the owner table (kUnallocatedOwner when free).
  // REQUIRES: bucket_id < kBucketCountMax.
  uint8_t bucket_owner(uint32_t bucket_id) const { return owners_[bucket_id]; }
  // Where bucket `bucket_id` starts in the underlying memory.
  uint64_t BucketOffsetBytes(uint32_t bucket_id) const {
    return kBucketsOffsetPages * kWasmPageBytes + uint64_t{bucket_id} * bucket_size_bytes();
  }
  // The memory the manager lives in.
  StableMemory& underlying() const { return memory_; }

 private:
  friend class VirtualMemory;

  MemoryManager(StableMemory& memory, uint16_t bucket_size_pages);

  // Writes a fresh header and owner table (see InitOrLoad).
  static Result<std::unique_ptr<MemoryManager>> Create(StableMemory& memory, uint16_t bucket_size_pages);

  // VirtualMemory::grow for memory `id`; see its contract.
  int64_t GrowMemory(MemoryId id, uint64_t delta_pages);

  // The header (kHeaderBytes) followed by the first `owner_count` owner-table bytes, as they are now on the heap.
  std::vector<uint8_t> EncodeState(uint32_t owner_count) const;

  StableMemory& memory_;
  uint16_t bucket_size_pages_;
  uint32_t allocated_buckets_ = 0;
  std::array<uint64_t, kMemoryCount> sizes_pages_{};
  std::array<std::vector<uint16_t>, kMemoryCount> buckets_;
  std::vector<uint8_t> owners_;  // kBucketCountMax bytes: the heap copy of the owner table
  std::array<std::unique_ptr<VirtualMemory>, kMemoryCount> handles_;
};

// Layout facts checked at compile time (REFERENCE.md section 2).
static_assert(MemoryManager::kHeaderBytes == 40 + 255 * 8 && MemoryManager::kHeaderBytes == 2080);
static_assert(MemoryManager::kOwnerTableOffsetBytes == 2080 && MemoryManager::kOwnerTableBytes == 32768);
static_assert(MemoryManager::kReservedOffsetBytes + MemoryManager::kReservedBytes ==
              MemoryManager::kMemorySizesOffsetBytes);
static_assert(MemoryManager::kOwnerTableOffsetBytes + MemoryManager::kOwnerTableBytes <=
                  MemoryManager::kBucketsOffsetPages * kWasmPageBytes,
              "header and owner table must fit in page 0");
static_assert(MemoryManager::kBucketCountMax - 1 <= 0xFFFF, "bucket ids and the allocated count are u16");
static_assert(MemoryManager::kUnallocatedOwner == kMaxMemoryId + 1);

}  // namespace stablevfs
