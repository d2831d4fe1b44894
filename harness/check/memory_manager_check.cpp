// Independent by design; see ARCHITECTURE.md. This file decodes the MemoryManager header from raw bytes with
// the checker's own readers and must never include lib/memory/memory_manager.h or virtual_memory.h.
#include "harness/check/memory_manager_check.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "harness/check/raw_codec.h"

namespace stablevfs::check {
namespace {

std::string Dec(uint64_t value) { return std::to_string(value); }

// The owner table is 32,768 bytes and the judge decodes the header of every state it sees, so the scans below
// skip runs of unallocated entries eight bytes at a time; what they find is exactly what a byte-by-byte scan
// finds. (Written for the checker; lib/memory has its own scan, on purpose: see the top of this file.)
constexpr uint64_t kUnallocatedWord = ~uint64_t{0};
static_assert(mm::kUnallocated == 0xFF, "the word-wise scans compare with all-ones words");

uint64_t WordAt(const uint8_t* bytes) {
  uint64_t word;
  std::memcpy(&word, bytes, sizeof word);
  return word;
}

// Whether any entry in [begin, end) is not kUnallocated.
bool AnyOwned(const std::vector<uint8_t>& owners, uint64_t begin, uint64_t end) {
  uint64_t b = begin;
  for (; b + 8 <= end; b += 8) {
    if (WordAt(owners.data() + b) != kUnallocatedWord) return true;
  }
  for (; b < end; ++b) {
    if (owners[b] != mm::kUnallocated) return true;
  }
  return false;
}

// Calls visit(b, owner) for every entry b with an owner (!= kUnallocated), in ascending order.
template <typename Visit>
void ForEachOwned(const std::vector<uint8_t>& owners, Visit&& visit) {
  const uint64_t n = owners.size();
  uint64_t b = 0;
  for (; b + 8 <= n; b += 8) {
    if (WordAt(owners.data() + b) == kUnallocatedWord) continue;
    for (uint64_t k = b; k < b + 8; ++k) {
      if (owners[k] != mm::kUnallocated) visit(k, owners[k]);
    }
  }
  for (; b < n; ++b) {
    if (owners[b] != mm::kUnallocated) visit(b, owners[b]);
  }
}

// Reports a run of consecutive owner-table entries that break the same rule as one problem, so that a
// corrupt allocated count yields a line, not thousands.
void ReportOwnerRuns(const MemoryManagerHeader& header, std::vector<Problem>& problems) {
  const uint64_t allocated = header.allocated_buckets;
  // Fast path: no entry breaks a rule (every entry below `allocated` has an owner, every one at or above it has
  // none), so there is nothing to report; otherwise the run-by-run scan below reports them.
  const uint64_t inside_end = std::min<uint64_t>(allocated, mm::kMaxBuckets);
  if (std::memchr(header.owners.data(), mm::kUnallocated, inside_end) == nullptr &&
      !AnyOwned(header.owners, inside_end, mm::kMaxBuckets)) {
    return;
  }
  uint64_t b = 0;
  while (b < mm::kMaxBuckets) {
    const bool inside = b < allocated;
    const bool bad = inside ? header.owners[b] == mm::kUnallocated : header.owners[b] != mm::kUnallocated;
    if (!bad) {
      ++b;
      continue;
    }
    uint64_t end = b + 1;
    while (end < mm::kMaxBuckets && (end < allocated) == inside &&
           (inside ? header.owners[end] == mm::kUnallocated : header.owners[end] != mm::kUnallocated)) {
      ++end;
    }
    const std::string which = end - b == 1 ? "bucket " + Dec(b) : "buckets " + Dec(b) + ".." + Dec(end - 1);
    problems.push_back(Problem{
        ProblemKind::kMmOwner, mm::kOffOwnerTable + b,
        inside ? which + " below the allocated count " + Dec(allocated) + " have no owner (0xFF)"
               : which + " at or past the allocated count " + Dec(allocated) + " have an owner (first: memory " +
                     Dec(header.owners[b]) + ")"});
    b = end;
  }
}

}  // namespace

std::vector<uint32_t> MemoryManagerHeader::BucketsOf(uint8_t memory_id) const {
  std::vector<uint32_t> buckets;
  const uint8_t* const begin = owners.data();
  const uint8_t* const end = begin + owners.size();
  for (const uint8_t* p = begin; p < end; ++p) {
    p = static_cast<const uint8_t*>(std::memchr(p, memory_id, static_cast<size_t>(end - p)));
    if (p == nullptr) break;
    buckets.push_back(static_cast<uint32_t>(p - begin));
  }
  return buckets;
}

bool MemoryManagerReport::Has(ProblemKind kind, uint64_t offset_bytes) const {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const Problem& p) { return p.kind == kind && p.offset_bytes == offset_bytes; });
}

MemoryManagerReport CheckMemoryManager(const ByteSource& raw) {
  MemoryManagerReport report;
  const uint64_t size = raw.size_bytes();
  report.source_bytes = size;
  std::vector<Problem>& problems = report.problems;

  if (size % kWasmPageBytes != 0) {
    problems.push_back(Problem{ProblemKind::kImageSize, size,
                               "stable memory of " + Dec(size) + " bytes is not a whole number of 64 KiB pages"});
  }
  uint8_t magic[mm::kMagicBytes] = {};
  if (raw.Contains(0, mm::kMagicBytes)) raw.Read(0, magic);
  if (!raw.Contains(0, mm::kMagicBytes) || std::memcmp(magic, "MGR", mm::kMagicBytes) != 0) {
    problems.push_back(Problem{ProblemKind::kMmMagic, 0, "no MGR magic: not a MemoryManager image"});
    return report;
  }
  if (!raw.Contains(0, mm::kHeaderBytes)) {
    problems.push_back(Problem{ProblemKind::kTooSmall, 0,
                               "stable memory of " + Dec(size) + " bytes cannot hold the " +
                                   Dec(mm::kHeaderBytes) + "-byte MemoryManager header"});
    return report;
  }

  const std::vector<uint8_t> bytes = raw.ReadVector(0, mm::kHeaderBytes);
  MemoryManagerHeader& header = report.header;
  header.version = bytes[mm::kOffVersion];
  header.allocated_buckets = LoadLe16(bytes, mm::kOffAllocatedBuckets);
  header.bucket_size_pages = LoadLe16(bytes, mm::kOffBucketSizePages);
  for (uint64_t i = 0; i < mm::kMemoryCount; ++i) {
    header.memory_size_pages[i] = LoadLe64(bytes, mm::kOffMemorySizes + 8 * i);
  }
  header.owners.assign(bytes.begin() + mm::kOffOwnerTable, bytes.end());
  report.decoded = true;

  if (header.version != mm::kVersion) {
    problems.push_back(Problem{ProblemKind::kMmVersion, mm::kOffVersion,
                               "MemoryManager layout version " + Dec(header.version) + ", expected 1"});
  }
  if (header.allocated_buckets > mm::kMaxBuckets) {
    problems.push_back(Problem{ProblemKind::kMmBucketCount, mm::kOffAllocatedBuckets,
                               "allocated bucket count " + Dec(header.allocated_buckets) + " exceeds 32768"});
  }
  if (header.bucket_size_pages == 0) {
    problems.push_back(Problem{ProblemKind::kMmBucketSize, mm::kOffBucketSizePages, "bucket size is 0 pages"});
  }
  for (uint64_t i = 0; i < mm::kReservedBytes; ++i) {
    if (bytes[mm::kOffReserved + i] != 0) {
      problems.push_back(Problem{ProblemKind::kMmReserved, mm::kOffReserved + i,
                                 "reserved header byte " + Dec(mm::kOffReserved + i) + " is " +
                                     Dec(bytes[mm::kOffReserved + i]) + ", expected 0"});
      break;
    }
  }
  ReportOwnerRuns(header, problems);

  if (header.bucket_size_pages != 0) {
    std::array<uint64_t, mm::kMemoryCount> owned{};
    ForEachOwned(header.owners, [&](uint64_t, uint8_t owner) { ++owned[owner]; });
    for (uint64_t i = 0; i < mm::kMemoryCount; ++i) {
      const uint64_t expected = CeilDiv(header.memory_size_pages[i], header.bucket_size_pages);
      if (owned[i] != expected) {
        problems.push_back(Problem{ProblemKind::kMmBucketMismatch, mm::kOffMemorySizes + 8 * i,
                                   "memory " + Dec(i) + " has size " + Dec(header.memory_size_pages[i]) +
                                       " pages, which needs " + Dec(expected) + " buckets of " +
                                       Dec(header.bucket_size_pages) + " pages, but owns " + Dec(owned[i])});
      }
    }
    const uint64_t required_pages = 1 + uint64_t{header.bucket_size_pages} * header.allocated_buckets;
    if (size / kWasmPageBytes < required_pages) {
      problems.push_back(Problem{ProblemKind::kMmBackingSize, size,
                                 "stable memory holds " + Dec(size / kWasmPageBytes) + " pages but " +
                                     Dec(header.allocated_buckets) + " buckets of " +
                                     Dec(header.bucket_size_pages) + " pages need " + Dec(required_pages)});
    }
  }
  return report;
}

VirtualMemorySource::VirtualMemorySource(const ByteSource& raw, const MemoryManagerHeader& header,
                                         uint8_t memory_id)
    : raw_(raw), bucket_bytes_(header.bucket_bytes()) {
  if (memory_id >= mm::kMemoryCount) throw std::invalid_argument("MemoryId 255 is the unallocated marker");
  buckets_ = header.BucketsOf(memory_id);
  const uint64_t size_pages = header.memory_size_pages[memory_id];
  declared_size_bytes_ = size_pages <= std::numeric_limits<uint64_t>::max() / kWasmPageBytes
                             ? size_pages * kWasmPageBytes
                             : std::numeric_limits<uint64_t>::max();
  if (bucket_bytes_ == 0) return;  // nothing can be located
  uint64_t backed_buckets = 0;
  while (backed_buckets < buckets_.size() &&
         raw_.Contains(mm::kOffBucketData + uint64_t{buckets_[backed_buckets]} * bucket_bytes_, bucket_bytes_)) {
    ++backed_buckets;
  }
  size_bytes_ = std::min(declared_size_bytes_, backed_buckets * bucket_bytes_);
}

uint64_t VirtualMemorySource::RawOffset(uint64_t offset_bytes) const {
  if (offset_bytes >= size_bytes_) throw std::out_of_range("virtual offset past the end of the memory");
  const uint64_t bucket = offset_bytes / bucket_bytes_;
  return mm::kOffBucketData + uint64_t{buckets_[bucket]} * bucket_bytes_ + offset_bytes % bucket_bytes_;
}

void VirtualMemorySource::Read(uint64_t offset_bytes, std::span<uint8_t> out) const {
  RequireContains(offset_bytes, out.size());
  // A read may span buckets that are far apart in the raw memory: copy bucket by bucket.
  size_t done = 0;
  while (done < out.size()) {
    const uint64_t at = offset_bytes + done;
    const uint64_t in_bucket = bucket_bytes_ - at % bucket_bytes_;
    const size_t piece = static_cast<size_t>(std::min<uint64_t>(in_bucket, out.size() - done));
    raw_.Read(RawOffset(at), out.subspan(done, piece));
    done += piece;
  }
}

std::vector<uint8_t> ExtractVirtualMemory(const ByteSource& raw, const MemoryManagerHeader& header,
                                          uint8_t memory_id) {
  const VirtualMemorySource memory(raw, header, memory_id);
  return memory.ReadVector(0, memory.size_bytes());
}

StableMemoryDumpReport CheckStableMemoryDump(const ByteSource& raw, uint8_t memory_id,
                                             const CheckOptions& options) {
  StableMemoryDumpReport report;
  report.memory_id = memory_id;
  report.manager = CheckMemoryManager(raw);
  if (!report.manager.decoded) return report;
  const MemoryManagerHeader& header = report.manager.header;
  const uint64_t size_at = mm::kOffMemorySizes + 8 * uint64_t{memory_id};
  if (memory_id >= mm::kMemoryCount) {
    report.problems.push_back(Problem{ProblemKind::kMmNoMemory, 0, "MemoryId 255 is the unallocated marker"});
    return report;
  }
  if (header.bucket_size_pages == 0) {
    report.problems.push_back(
        Problem{ProblemKind::kMmNoMemory, mm::kOffBucketSizePages, "bucket size 0: no memory can be located"});
    return report;
  }
  if (header.memory_size_pages[memory_id] == 0) {
    report.problems.push_back(
        Problem{ProblemKind::kMmNoMemory, size_at, "memory " + Dec(memory_id) + " has size 0 (never grown)"});
    return report;
  }
  const VirtualMemorySource memory(raw, header, memory_id);
  if (memory.truncated()) {
    report.problems.push_back(Problem{ProblemKind::kMmBackingSize, size_at,
                                      "memory " + Dec(memory_id) + " declares " +
                                          Dec(memory.declared_size_bytes()) + " bytes but only " +
                                          Dec(memory.size_bytes()) + " are backed by readable buckets"});
  }
  report.layout = CheckImage(memory, options);
  report.layout_checked = true;
  return report;
}

std::string FormatMemoryManager(const MemoryManagerReport& report) {
  std::string out = "stable memory: " + Dec(report.source_bytes) + " bytes\n";
  if (report.decoded) {
    const MemoryManagerHeader& header = report.header;
    out += "MemoryManager v" + Dec(header.version) + ": " + Dec(header.allocated_buckets) + " buckets of " +
           Dec(header.bucket_size_pages) + " pages\n";
    for (uint64_t i = 0; i < mm::kMemoryCount; ++i) {
      const std::vector<uint32_t> buckets = header.BucketsOf(static_cast<uint8_t>(i));
      if (header.memory_size_pages[i] == 0 && buckets.empty()) continue;
      out += "  memory " + Dec(i) + ": " + Dec(header.memory_size_pages[i]) + " pages, buckets";
      const size_t shown = std::min<size_t>(buckets.size(), 16);
      for (size_t k = 0; k < shown; ++k) out += " " + Dec(buckets[k]);
      if (shown < buckets.size()) out += " ... (" + Dec(buckets.size()) + " in all)";
      out += "\n";
    }
  }
  out += FormatProblems(report.problems);
  return out;
}

}  // namespace stablevfs::check
