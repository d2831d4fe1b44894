// Goal: show that the checker's independent MemoryManager decoder (harness/check/memory_manager_check.h)
// reads the stable-structures layout-1 header byte-exactly, locates a memory's k-th bucket as the k-th
// smallest bucket id it owns, extracts a virtual memory intact, checks it as layout 6, and reports each
// corrupt-header case at the offset of the bad field.
//
// Method: the test writes a raw stable memory by hand: bucket size 1 page, three memories (0, 1 and 120) of 5
// pages each grown in an interleaved order, so that memory 120 owns the non-contiguous buckets 2, 3, 4, 13, 14
// and the header begins with the bytes 4D 47 52 01 0F 00 01 00. Memory 120 holds a small layout-6 image (made
// by the test's own encoder) whose pages straddle those buckets. Each corruption is applied to a copy.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "harness/check/memory_manager_check.h"

namespace stablevfs::check {
namespace {

constexpr uint64_t kWasmPage = 65536;
constexpr uint64_t kPage = 16384;

void Put64(std::vector<uint8_t>& bytes, uint64_t offset, uint64_t value) {
  for (int i = 0; i < 8; ++i) bytes.at(offset + i) = static_cast<uint8_t>(value >> (8 * i));
}
void Put16(std::vector<uint8_t>& bytes, uint64_t offset, uint16_t value) {
  bytes.at(offset) = static_cast<uint8_t>(value);
  bytes.at(offset + 1) = static_cast<uint8_t>(value >> 8);
}

uint64_t TestFnv(const uint8_t* data, size_t length) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < length; ++i) hash = (hash ^ data[i]) * 0x100000001b3ull;
  return hash;
}

// The growth history, in order: (memory, pages). Bucket ids are handed out in this order.
struct Grow {
  uint8_t memory;
  uint16_t pages;
};
constexpr Grow kHistory[] = {{0, 2}, {120, 3}, {1, 5}, {0, 3}, {120, 2}};
// Hence: memory 0 owns 0, 1, 10, 11, 12; memory 120 owns 2, 3, 4, 13, 14; memory 1 owns 5..9.

// Memory 120's contents: a layout-6 image of 5 Wasm pages. db_size 2 pages + 10 bytes (3 logical pages):
// logical 0 at virtual 0x10000 (bucket 3), logical 2 at virtual 0x30000 (bucket 13), logical 1 unmapped;
// segment table at virtual 0x20000 (bucket 4), root table at virtual 0x20800.
constexpr uint64_t kDbSize = 2 * kPage + 10;

uint8_t PatternByte(uint64_t logical_page, uint64_t i) { return static_cast<uint8_t>(logical_page * 71 + i * 13 + 1); }

std::vector<uint8_t> VirtualImage() {
  std::vector<uint8_t> v(5 * kWasmPage, 0);
  for (uint64_t i = 0; i < kPage; ++i) v[0x10000 + i] = PatternByte(0, i);
  for (uint64_t i = 0; i < kPage; ++i) v[0x30000 + i] = PatternByte(2, i);
  Put64(v, 0x20000 + 0 * 8, 0x10000);
  Put64(v, 0x20000 + 2 * 8, 0x30000);
  Put64(v, 0x20800, 0x20000);
  // Fill the unused tail of the last bucket with a pattern, so extraction order is visible everywhere.
  for (uint64_t i = 0x40000; i < v.size(); ++i) v[i] = static_cast<uint8_t>(i / 7);
  std::memcpy(v.data(), "ICSQLITE", 8);
  v[8] = 6;     // version, u32 LE
  v[13] = 0x40;  // page size 16384, u32 LE at 12
  Put64(v, 16, kDbSize);
  Put64(v, 32, 3);  // last_tx_id
  Put64(v, 40, 2);  // flags: checksum stale
  Put64(v, 120, 0x20800);
  Put64(v, 128, 1);
  Put64(v, 136, 6);
  // meta_checksum covers 0..152 with its own field (still zero here) included as zeros.
  Put64(v, 144, TestFnv(v.data(), 152));
  return v;
}

std::vector<uint8_t> ExpectedLogicalFile() {
  std::vector<uint8_t> file(kDbSize, 0);
  for (uint64_t i = 0; i < kPage; ++i) file[i] = PatternByte(0, i);
  for (uint64_t i = 0; i < 10; ++i) file[2 * kPage + i] = PatternByte(2, i);
  return file;
}

// Memory 0 and 1 hold a byte pattern that names them, so a mix-up would show.
uint8_t FillerByte(uint8_t memory, uint64_t virtual_offset) {
  return static_cast<uint8_t>(memory * 17 + virtual_offset / 4096);
}

std::vector<uint8_t> RawMemory() {
  std::vector<uint8_t> raw(16 * kWasmPage, 0);  // header page + 15 buckets of 1 page
  const uint8_t prefix[] = {0x4D, 0x47, 0x52, 0x01, 0x0F, 0x00, 0x01, 0x00};  // "MGR", v1, 15 buckets, size 1
  std::memcpy(raw.data(), prefix, sizeof prefix);
  std::memset(raw.data() + 2080, 0xFF, 32768);
  const std::vector<uint8_t> image = VirtualImage();
  uint16_t next_bucket = 0;
  uint64_t size_pages[255] = {};
  for (const Grow& grow : kHistory) {
    for (uint16_t k = 0; k < grow.pages; ++k) {
      const uint16_t bucket = next_bucket++;
      raw[2080 + bucket] = grow.memory;
      const uint64_t virtual_page = size_pages[grow.memory] + k;
      uint8_t* data = raw.data() + kWasmPage + uint64_t{bucket} * kWasmPage;
      for (uint64_t i = 0; i < kWasmPage; ++i) {
        const uint64_t virtual_offset = virtual_page * kWasmPage + i;
        data[i] = grow.memory == 120 ? image[virtual_offset] : FillerByte(grow.memory, virtual_offset);
      }
    }
    size_pages[grow.memory] += grow.pages;
  }
  for (int m = 0; m < 255; ++m) Put64(raw, 40 + 8 * m, size_pages[m]);
  return raw;
}

std::string Dump(const MemoryManagerReport& report) { return FormatMemoryManager(report); }

TEST(MemoryManagerCheck, HeaderDecodesByteExactly) {
  const std::vector<uint8_t> raw = RawMemory();
  const uint8_t expected_prefix[] = {0x4D, 0x47, 0x52, 0x01, 0x0F, 0x00, 0x01, 0x00};
  ASSERT_EQ(std::memcmp(raw.data(), expected_prefix, 8), 0);

  const MemoryManagerReport report = CheckMemoryManager(SpanSource(raw));
  ASSERT_TRUE(report.ok()) << Dump(report);
  ASSERT_TRUE(report.decoded);
  EXPECT_EQ(report.header.version, 1);
  EXPECT_EQ(report.header.allocated_buckets, 15);
  EXPECT_EQ(report.header.bucket_size_pages, 1);
  EXPECT_EQ(report.header.memory_size_pages[0], 5u);
  EXPECT_EQ(report.header.memory_size_pages[1], 5u);
  EXPECT_EQ(report.header.memory_size_pages[120], 5u);
  EXPECT_EQ(report.header.memory_size_pages[2], 0u);
  EXPECT_EQ(report.header.BucketsOf(0), (std::vector<uint32_t>{0, 1, 10, 11, 12}));
  EXPECT_EQ(report.header.BucketsOf(1), (std::vector<uint32_t>{5, 6, 7, 8, 9}));
  EXPECT_EQ(report.header.BucketsOf(120), (std::vector<uint32_t>{2, 3, 4, 13, 14}));
  EXPECT_TRUE(report.header.BucketsOf(7).empty());
}

TEST(MemoryManagerCheck, VirtualMemoryIsTheKthSmallestBuckets) {
  const std::vector<uint8_t> raw = RawMemory();
  const MemoryManagerReport report = CheckMemoryManager(SpanSource(raw));
  const SpanSource source(raw);
  EXPECT_EQ(ExtractVirtualMemory(source, report.header, 120), VirtualImage());
  const std::vector<uint8_t> memory0 = ExtractVirtualMemory(source, report.header, 0);
  ASSERT_EQ(memory0.size(), 5 * kWasmPage);
  for (uint64_t offset = 0; offset < memory0.size(); offset += 4093) {
    ASSERT_EQ(memory0[offset], FillerByte(0, offset)) << "virtual offset " << offset;
  }
  const VirtualMemorySource view(source, report.header, 120);
  EXPECT_EQ(view.RawOffset(0), kWasmPage + 2 * kWasmPage);
  EXPECT_EQ(view.RawOffset(3 * kWasmPage + 5), kWasmPage + 13 * kWasmPage + 5);
  // A read that straddles buckets 4 and 13 (virtual pages 2 and 3).
  std::vector<uint8_t> straddle(64);
  view.Read(3 * kWasmPage - 32, straddle);
  const std::vector<uint8_t> image = VirtualImage();
  EXPECT_TRUE(std::equal(straddle.begin(), straddle.end(), image.begin() + 3 * kWasmPage - 32));
}

TEST(MemoryManagerCheck, DumpChecksMemory120AsLayout6) {
  const std::vector<uint8_t> raw = RawMemory();
  const SpanSource source(raw);
  const StableMemoryDumpReport report = CheckStableMemoryDump(source);
  ASSERT_TRUE(report.ok()) << Dump(report.manager) << FormatProblems(report.problems) << FormatReport(report.layout);
  EXPECT_EQ(report.memory_id, 120);
  EXPECT_EQ(report.layout.superblock.last_tx_id, 3u);
  const VirtualMemorySource memory(source, report.manager.header, 120);
  EXPECT_EQ(ResolveLogicalImage(memory, report.layout), ExpectedLogicalFile());
  // The layout check's offsets are virtual: the segment slot of logical page 2 is at virtual 0x20010.
  ASSERT_EQ(report.layout.mappings.size(), 2u);
  EXPECT_EQ(report.layout.mappings[1].slot_offset, 0x20010u);
}

TEST(MemoryManagerCheck, DumpFromAFileEqualsDumpFromBytes) {
  const std::vector<uint8_t> raw = RawMemory();
  const std::string path = testing::TempDir() + "/check_mm_stable_memory.bin";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(raw.data()), static_cast<std::streamsize>(raw.size()));
  }
  const FileSource file(path);
  EXPECT_EQ(file.size_bytes(), raw.size());
  const StableMemoryDumpReport report = CheckStableMemoryDump(file);
  EXPECT_TRUE(report.ok()) << FormatReport(report.layout);
  EXPECT_EQ(ResolveLogicalImage(VirtualMemorySource(file, report.manager.header, 120), report.layout),
            ExpectedLogicalFile());
  std::remove(path.c_str());
  EXPECT_THROW(FileSource{path}, std::runtime_error);
}

TEST(MemoryManagerCheck, MissingMemoryIsReported) {
  const std::vector<uint8_t> raw = RawMemory();
  const StableMemoryDumpReport report = CheckStableMemoryDump(SpanSource(raw), 7);
  EXPECT_FALSE(report.ok());
  EXPECT_FALSE(report.layout_checked);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].kind, ProblemKind::kMmNoMemory);
  EXPECT_EQ(report.problems[0].offset_bytes, 40u + 8 * 7);
  // Memory 0 exists but holds no layout-6 image: the layout check says so.
  const StableMemoryDumpReport zero = CheckStableMemoryDump(SpanSource(raw), 0);
  EXPECT_TRUE(zero.layout_checked);
  EXPECT_TRUE(zero.layout.Has(ProblemKind::kBadMagic, 0));
}

// ---- Corrupt headers ---------------------------------------------------------------------------------------

TEST(MemoryManagerCheck, BadMagic) {
  std::vector<uint8_t> raw = RawMemory();
  raw[1] = 'X';
  const MemoryManagerReport report = CheckMemoryManager(SpanSource(raw));
  EXPECT_FALSE(report.decoded);
  EXPECT_TRUE(report.Has(ProblemKind::kMmMagic, 0)) << Dump(report);
  EXPECT_FALSE(CheckStableMemoryDump(SpanSource(raw)).ok());
  EXPECT_TRUE(CheckMemoryManager(SpanSource(std::vector<uint8_t>{})).Has(ProblemKind::kMmMagic, 0));
}

TEST(MemoryManagerCheck, TruncatedHeader) {
  std::vector<uint8_t> raw = RawMemory();
  raw.resize(3000);
  const MemoryManagerReport report = CheckMemoryManager(SpanSource(raw));
  EXPECT_FALSE(report.decoded);
  EXPECT_TRUE(report.Has(ProblemKind::kTooSmall, 0)) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kImageSize, 3000));
}

TEST(MemoryManagerCheck, BadVersion) {
  std::vector<uint8_t> raw = RawMemory();
  raw[3] = 2;
  const MemoryManagerReport report = CheckMemoryManager(SpanSource(raw));
  EXPECT_TRUE(report.Has(ProblemKind::kMmVersion, 3)) << Dump(report);
  EXPECT_EQ(report.problems.size(), 1u);
}

TEST(MemoryManagerCheck, TooManyBuckets) {
  std::vector<uint8_t> raw = RawMemory();
  Put16(raw, 4, 40000);
  const MemoryManagerReport report = CheckMemoryManager(SpanSource(raw));
  EXPECT_TRUE(report.Has(ProblemKind::kMmBucketCount, 4)) << Dump(report);
  // Every bucket from 15 on now counts as allocated without an owner: one problem for the run.
  EXPECT_TRUE(report.Has(ProblemKind::kMmOwner, 2080 + 15));
  EXPECT_TRUE(report.Has(ProblemKind::kMmBackingSize, raw.size()));
}

TEST(MemoryManagerCheck, ZeroBucketSize) {
  std::vector<uint8_t> raw = RawMemory();
  Put16(raw, 6, 0);
  const MemoryManagerReport report = CheckMemoryManager(SpanSource(raw));
  EXPECT_TRUE(report.Has(ProblemKind::kMmBucketSize, 6)) << Dump(report);
  const StableMemoryDumpReport dump = CheckStableMemoryDump(SpanSource(raw));
  EXPECT_FALSE(dump.layout_checked);
  EXPECT_FALSE(dump.ok());
}

TEST(MemoryManagerCheck, ReservedBytesNotZero) {
  std::vector<uint8_t> raw = RawMemory();
  raw[20] = 1;
  const MemoryManagerReport report = CheckMemoryManager(SpanSource(raw));
  EXPECT_TRUE(report.Has(ProblemKind::kMmReserved, 20)) << Dump(report);
  EXPECT_EQ(report.problems.size(), 1u);
}

TEST(MemoryManagerCheck, AllocatedBucketWithoutOwner) {
  std::vector<uint8_t> raw = RawMemory();
  raw[2080 + 7] = 0xFF;  // memory 1's third bucket forgotten
  const MemoryManagerReport report = CheckMemoryManager(SpanSource(raw));
  EXPECT_TRUE(report.Has(ProblemKind::kMmOwner, 2080 + 7)) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kMmBucketMismatch, 40 + 8 * 1));
}

TEST(MemoryManagerCheck, UnallocatedBucketWithOwner) {
  std::vector<uint8_t> raw = RawMemory();
  raw[2080 + 20] = 0;
  const MemoryManagerReport report = CheckMemoryManager(SpanSource(raw));
  EXPECT_TRUE(report.Has(ProblemKind::kMmOwner, 2080 + 20)) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kMmBucketMismatch, 40));
}

TEST(MemoryManagerCheck, OwnerRunsAreReportedOnce) {
  std::vector<uint8_t> raw = RawMemory();
  Put16(raw, 4, 3);  // the count says 3, the table says 15
  const MemoryManagerReport report = CheckMemoryManager(SpanSource(raw));
  EXPECT_TRUE(report.Has(ProblemKind::kMmOwner, 2080 + 3)) << Dump(report);
  size_t owner_problems = 0;
  for (const Problem& problem : report.problems) owner_problems += problem.kind == ProblemKind::kMmOwner;
  EXPECT_EQ(owner_problems, 1u);
}

TEST(MemoryManagerCheck, SizeDisagreesWithBuckets) {
  std::vector<uint8_t> raw = RawMemory();
  Put64(raw, 40 + 8 * 1, 6);  // memory 1 claims 6 pages with 5 one-page buckets
  const MemoryManagerReport report = CheckMemoryManager(SpanSource(raw));
  EXPECT_TRUE(report.Has(ProblemKind::kMmBucketMismatch, 48)) << Dump(report);
  EXPECT_EQ(report.problems.size(), 1u);
}

TEST(MemoryManagerCheck, BackingMemoryTooSmall) {
  std::vector<uint8_t> raw = RawMemory();
  raw.resize(10 * kWasmPage);  // 16 pages needed
  const MemoryManagerReport report = CheckMemoryManager(SpanSource(raw));
  EXPECT_TRUE(report.Has(ProblemKind::kMmBackingSize, raw.size())) << Dump(report);
  // Memory 120's fourth bucket (13) is gone: the view stops after three and says so.
  const StableMemoryDumpReport dump = CheckStableMemoryDump(SpanSource(raw));
  ASSERT_EQ(dump.problems.size(), 1u) << FormatProblems(dump.problems);
  EXPECT_EQ(dump.problems[0].kind, ProblemKind::kMmBackingSize);
  EXPECT_EQ(dump.problems[0].offset_bytes, 40u + 8 * 120);
  const SpanSource source(raw);
  const VirtualMemorySource memory(source, report.header, 120);
  EXPECT_TRUE(memory.truncated());
  EXPECT_EQ(memory.size_bytes(), 3 * kWasmPage);
  // Logical page 2 lived in bucket 13: the layout check finds it out of bounds.
  EXPECT_TRUE(dump.layout.Has(ProblemKind::kOutOfBounds, 0x20010)) << FormatReport(dump.layout);
}

}  // namespace
}  // namespace stablevfs::check
