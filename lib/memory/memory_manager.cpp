#include "lib/memory/memory_manager.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstring>
#include <string>

#include "lib/core/trap.h"

namespace stablevfs {
namespace {

// Everything the manager keeps in page 0: the header and the owner table.
constexpr uint64_t kStateBytes = MemoryManager::kHeaderBytes + MemoryManager::kOwnerTableBytes;

uint16_t LoadU16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

uint64_t LoadU64(const uint8_t* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

void StoreU16(uint8_t* p, uint16_t value) {
  p[0] = static_cast<uint8_t>(value);
  p[1] = static_cast<uint8_t>(value >> 8);
}

void StoreU64(uint8_t* p, uint64_t value) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(value >> (8 * i));
}

// ceil(size_pages / bucket_size_pages) without the overflow of (size + bucket - 1): a corrupt header may hold any
// u64 size.
uint64_t BucketsFor(uint64_t size_pages, uint16_t bucket_size_pages) {
  return size_pages / bucket_size_pages + (size_pages % bucket_size_pages != 0 ? 1 : 0);
}

bool HasMagic(const uint8_t* p) {
  return p[0] == MemoryManager::kMagic[0] && p[1] == MemoryManager::kMagic[1] && p[2] == MemoryManager::kMagic[2];
}

// The first index in [begin, end) whose owner byte is not kUnallocatedOwner, or `end` when there is none.
// Compares eight bytes at a time: this is the hot part of every Load.
uint32_t FirstNotUnallocated(const uint8_t* owners, uint32_t begin, uint32_t end) {
  constexpr uint64_t kAllUnallocated = ~uint64_t{0};
  static_assert(MemoryManager::kUnallocatedOwner == 0xFF, "the word-wise scan compares with all-ones words");
  uint32_t i = begin;
  for (; i + 8 <= end; i += 8) {
    uint64_t word;
    std::memcpy(&word, owners + i, sizeof word);
    if (word != kAllUnallocated) break;  // the byte loop below finds which one
  }
  for (; i < end; ++i) {
    if (owners[i] != MemoryManager::kUnallocatedOwner) return i;
  }
  return end;
}

std::string Hex3(const uint8_t* p) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%02X %02X %02X", p[0], p[1], p[2]);
  return buffer;
}

// Every load error starts the same way so that a reader (and fsck's report) sees which field is wrong first.
std::string FieldError(const std::string& field, const std::string& detail) {
  return "MemoryManager header field " + field + ": " + detail;
}

}  // namespace

MemoryManager::MemoryManager(StableMemory& memory, uint16_t bucket_size_pages)
    : memory_(memory), bucket_size_pages_(bucket_size_pages), owners_(kBucketCountMax, kUnallocatedOwner) {
  assert(bucket_size_pages_ != 0);
}

Result<std::unique_ptr<MemoryManager>> MemoryManager::InitOrLoad(StableMemory& memory, uint16_t bucket_size_pages) {
  if (bucket_size_pages == 0) {
    return Status::InvalidArgument("MemoryManager bucket_size_pages must be at least 1 (default: 128 pages = 8 MiB)");
  }
  if (memory.size_pages() == 0) return Create(memory, bucket_size_pages);
  uint8_t magic[3];
  memory.read(kMagicOffsetBytes, magic);
  if (!HasMagic(magic)) return Create(memory, bucket_size_pages);
  return Load(memory);
}

Result<std::unique_ptr<MemoryManager>> MemoryManager::Create(StableMemory& memory, uint16_t bucket_size_pages) {
  if (memory.size_pages() == 0 && memory.grow(1) == -1) {
    return Status::Capacity(0, 1, "MemoryManager needs one page of stable memory for its header");
  }
  std::unique_ptr<MemoryManager> manager(new MemoryManager(memory, bucket_size_pages));
  // The owner table goes first and the header (with the magic) last: a crash between the two writes leaves a
  // memory without "MGR", which the next InitOrLoad initializes again. The other order could leave the magic
  // over the zero bytes of a fresh page, an owner table that gives every bucket to memory 0 while the header
  // counts none allocated: corrupt, and never initialized again because the magic is there.
  const std::vector<uint8_t> state = manager->EncodeState(kBucketCountMax);
  memory.write(kOwnerTableOffsetBytes, std::span<const uint8_t>(state).subspan(kOwnerTableOffsetBytes));
  memory.write(0, std::span<const uint8_t>(state).first(kHeaderBytes));
  return manager;
}

Result<std::unique_ptr<MemoryManager>> MemoryManager::Load(StableMemory& memory) {
  const uint64_t backing_pages = memory.size_pages();
  if (backing_pages == 0) {
    return Status::ForeignImage(FieldError("magic", "the memory is empty; no \"MGR\" header to load"));
  }
  // Any non-empty memory holds page 0 in full, so the whole state can be read in one call.
  std::vector<uint8_t> state(kStateBytes);
  memory.read(0, state);
  const uint8_t* header = state.data();

  if (!HasMagic(header + kMagicOffsetBytes)) {
    return Status::ForeignImage(FieldError("magic", "expected \"MGR\" (4D 47 52), found " +
                                                        Hex3(header + kMagicOffsetBytes) +
                                                        "; this memory does not hold a MemoryManager"));
  }
  const uint8_t version = header[kVersionOffsetBytes];
  if (version != kLayoutVersion) {
    return Status::UnsupportedVersion(FieldError("version", "layout version " + std::to_string(version) +
                                                                "; this build reads only version " +
                                                                std::to_string(kLayoutVersion)));
  }
  const uint16_t bucket_size_pages = LoadU16(header + kBucketSizeOffsetBytes);
  if (bucket_size_pages == 0) {
    return Status::Corrupt(FieldError("bucket_size_pages", "0; a bucket must be at least one page"));
  }
  const uint32_t allocated = LoadU16(header + kAllocatedBucketsOffsetBytes);
  if (allocated > kBucketCountMax) {
    return Status::Corrupt(FieldError(
        "allocated_buckets",
        std::to_string(allocated) + " > " + std::to_string(kBucketCountMax) + ", the size of the owner table"));
  }

  // The owner table is checked in bulk, since Load runs on every reopen and the table is 32,768 bytes while
  // only `allocated` entries are in use: the buckets below `allocated` must hold no 0xFF (one memchr), the
  // ones at or above it must all be 0xFF (a word-wise scan). Both scans find the lowest offending bucket, and
  // every bucket below `allocated` precedes every bucket at or above it, so the error reported is the one a
  // bucket-by-bucket loop in ascending order would report first, and exactly the same tables are rejected.
  const uint8_t* owners = header + kOwnerTableOffsetBytes;
  if (const void* hole = std::memchr(owners, kUnallocatedOwner, allocated); hole != nullptr) {
    const uint32_t bucket = static_cast<uint32_t>(static_cast<const uint8_t*>(hole) - owners);
    return Status::Corrupt(FieldError(
        "owner_table", "bucket " + std::to_string(bucket) + " is below allocated_buckets (" +
                           std::to_string(allocated) +
                           ") but marked unallocated (0xFF); layout 1 never frees a bucket (buckets released by "
                           "a newer ic-stable-structures look like this)"));
  }
  if (const uint32_t stray = FirstNotUnallocated(owners, allocated, kBucketCountMax); stray < kBucketCountMax) {
    return Status::Corrupt(FieldError("owner_table", "bucket " + std::to_string(stray) +
                                                         " is at or above allocated_buckets (" +
                                                         std::to_string(allocated) + ") but owned by memory " +
                                                         std::to_string(owners[stray])));
  }

  std::unique_ptr<MemoryManager> manager(new MemoryManager(memory, bucket_size_pages));
  manager->allocated_buckets_ = allocated;
  // The heap table starts all 0xFF, which is what the table holds from `allocated` on (checked above).
  std::memcpy(manager->owners_.data(), owners, allocated);
  for (uint32_t bucket = 0; bucket < allocated; ++bucket) {
    manager->buckets_[owners[bucket]].push_back(static_cast<uint16_t>(bucket));
  }

  for (int id = 0; id < kMemoryCount; ++id) {
    const uint64_t size_pages = LoadU64(header + kMemorySizesOffsetBytes + 8 * static_cast<uint64_t>(id));
    const uint64_t needed = BucketsFor(size_pages, bucket_size_pages);
    if (needed != manager->buckets_[id].size()) {
      return Status::Corrupt(
          FieldError("memory_size_pages[" + std::to_string(id) + "]",
                     std::to_string(size_pages) + " pages need " + std::to_string(needed) + " buckets of " +
                         std::to_string(bucket_size_pages) + " pages, but owner_table assigns " +
                         std::to_string(manager->buckets_[id].size()) + " to memory " + std::to_string(id)));
    }
    manager->sizes_pages_[id] = size_pages;
  }

  const uint64_t needed_pages = kBucketsOffsetPages + uint64_t{bucket_size_pages} * allocated;
  if (backing_pages < needed_pages) {
    return Status::Corrupt(
        FieldError("backing_size_pages", "the memory has " + std::to_string(backing_pages) + " pages but " +
                                             std::to_string(allocated) + " allocated buckets of " +
                                             std::to_string(bucket_size_pages) + " pages need 1 + " +
                                             std::to_string(bucket_size_pages) + " * " + std::to_string(allocated) +
                                             " = " + std::to_string(needed_pages) + " (truncated image?)"));
  }
  return manager;
}

Result<VirtualMemory*> MemoryManager::Get(MemoryId id) {
  if (id > kMaxMemoryId) {
    return Status::InvalidArgument("MemoryId " + std::to_string(id) +
                                   " is not a memory: 255 marks an unallocated bucket; ids are 0..254");
  }
  if (handles_[id] == nullptr) handles_[id].reset(new VirtualMemory(*this, id));
  return handles_[id].get();
}

std::span<const uint16_t> MemoryManager::buckets(MemoryId id) const {
  if (id > kMaxMemoryId) return {};
  return buckets_[id];
}

std::vector<uint8_t> MemoryManager::EncodeState(uint32_t owner_count) const {
  assert(owner_count <= kBucketCountMax);
  std::vector<uint8_t> state(kHeaderBytes + owner_count, 0);
  std::copy(std::begin(kMagic), std::end(kMagic), state.begin() + kMagicOffsetBytes);
  state[kVersionOffsetBytes] = kLayoutVersion;
  StoreU16(state.data() + kAllocatedBucketsOffsetBytes, static_cast<uint16_t>(allocated_buckets_));
  StoreU16(state.data() + kBucketSizeOffsetBytes, bucket_size_pages_);
  // The reserved bytes stay zero, as the original writes them.
  for (int id = 0; id < kMemoryCount; ++id) {
    StoreU64(state.data() + kMemorySizesOffsetBytes + 8 * static_cast<uint64_t>(id), sizes_pages_[id]);
  }
  std::copy(owners_.begin(), owners_.begin() + owner_count, state.begin() + kOwnerTableOffsetBytes);
  return state;
}

int64_t MemoryManager::GrowMemory(MemoryId id, uint64_t delta_pages) {
  assert(id <= kMaxMemoryId);
  const uint64_t old_pages = sizes_pages_[id];
  // Growing by nothing changes nothing; the original rewrites an identical header, which we skip.
  if (delta_pages == 0) return static_cast<int64_t>(old_pages);
  // No memory can exceed kVirtualSizePagesMax, so a larger request fails; the check also keeps the sum below
  // from overflowing.
  if (delta_pages > kVirtualSizePagesMax) return -1;
  const uint64_t new_pages = old_pages + delta_pages;
  const uint64_t have_buckets = buckets_[id].size();
  const uint64_t need_buckets = BucketsFor(new_pages, bucket_size_pages_);
  assert(need_buckets >= have_buckets);
  const uint64_t extra_buckets = need_buckets - have_buckets;
  if (allocated_buckets_ + extra_buckets > kBucketCountMax) return -1;
  const uint32_t new_allocated = allocated_buckets_ + static_cast<uint32_t>(extra_buckets);

  // Grow the underlying memory before writing anything: if it cannot grow the message traps (as the original
  // panics), and even without a rollback nothing has been written and the heap state is untouched.
  const uint64_t needed_pages = kBucketsOffsetPages + uint64_t{bucket_size_pages_} * new_allocated;
  const uint64_t backing_pages = memory_.size_pages();
  if (backing_pages < needed_pages && memory_.grow(needed_pages - backing_pages) == -1) {
    throw Trap("MemoryManager: growing memory " + std::to_string(id) + " from " + std::to_string(old_pages) + " to " +
               std::to_string(new_pages) + " pages needs the underlying memory at " + std::to_string(needed_pages) +
               " pages, but it cannot grow from " + std::to_string(backing_pages));
  }

  // The new state, written in one call: the header and the owner table up to the last new bucket. The original
  // writes each owner byte and then the header; one write instead means a crash between writes cannot leave
  // owner bytes that the header does not count (which Load would rightly call corrupt). The bytes are the same.
  // The heap changes only after the write, so a write that traps (a harness fault) leaves it describing the
  // state that is still in memory.
  const uint32_t old_allocated = allocated_buckets_;
  std::vector<uint8_t> state = EncodeState(new_allocated);
  StoreU16(state.data() + kAllocatedBucketsOffsetBytes, static_cast<uint16_t>(new_allocated));
  StoreU64(state.data() + kMemorySizesOffsetBytes + 8 * uint64_t{id}, new_pages);
  std::fill(state.begin() + kOwnerTableOffsetBytes + old_allocated,
            state.begin() + kOwnerTableOffsetBytes + new_allocated, id);
  memory_.write(0, state);

  for (uint32_t bucket = old_allocated; bucket < new_allocated; ++bucket) {
    owners_[bucket] = id;
    buckets_[id].push_back(static_cast<uint16_t>(bucket));
  }
  allocated_buckets_ = new_allocated;
  sizes_pages_[id] = new_pages;
  return static_cast<int64_t>(old_pages);
}

}  // namespace stablevfs
