// Goal: show that the independent sv1 checker (harness/check/sv1_check.h) decodes a correct image to exactly
// the logical file it describes, chooses the active superblock slot exactly as docs/layout-sv1.md does (so that
// a superblock write torn at any byte leaves the old state or the new one, never a third, and never a
// problem), reports every rule it promises with its kind at the byte offset where the evidence lies, is the
// one checker CheckImage hands a STABLVFS/1 image to, and tells the judge which bytes are active state.
//
// Method: the images are written byte by byte by the test's own encoder of the specification (a third
// implementation, sharing nothing with the checker or the library, including its own FNV-1a), from a small
// description of a state: its superblock fields, which data slot holds each logical page and which block holds
// each map chunk. That the encoder is short and the checker agrees with it shows the specification can be
// implemented from its text alone; it also gives every offset exactly. The reference image holds two states,
// an older one in one slot and the active one (past 2,048 pages, so it has three chunks, the middle one absent)
// in the other; it is built with either slot active, and every rule is broken once on a copy of each, with the
// slot resealed by the test's codec so that the rule under test, not the checksum, is what the image breaks.
// Torn superblock writes are enumerated exhaustively: every prefix of a new slot over the old bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "harness/check/checker_registry.h"
#include "harness/check/layout6_check.h"
#include "harness/check/layout8_check.h"
#include "harness/check/sv1_check.h"
#include "harness/check/transition.h"
#include "lib/memory/heap_stable_memory.h"

namespace stablevfs::check {
namespace {

constexpr uint64_t kWasmPage = 65536;
constexpr uint64_t kPage = 16384;   // a data slot
constexpr uint64_t kBlock = 4096;   // a map chunk
constexpr uint64_t kSlotA = 0;
constexpr uint64_t kSlotB = 8192;
constexpr uint64_t kHeader = 16384;
constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

std::string Dump(const LayoutReport& report) { return FormatReport(report) + FormatPageMap(report); }

// ---- The test's own encoder ------------------------------------------------------------------------------

uint64_t TestFnv(const uint8_t* data, size_t length) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < length; ++i) {
    hash ^= data[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

void Put64(std::vector<uint8_t>& image, uint64_t offset, uint64_t value) {
  for (int i = 0; i < 8; ++i) image.at(offset + i) = static_cast<uint8_t>(value >> (8 * i));
}
void Put32(std::vector<uint8_t>& image, uint64_t offset, uint32_t value) {
  for (int i = 0; i < 4; ++i) image.at(offset + i) = static_cast<uint8_t>(value >> (8 * i));
}
uint64_t Get64(const std::vector<uint8_t>& image, uint64_t offset) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | image.at(offset + i);
  return value;
}

// One superblock slot as the test writes it (docs/layout-sv1.md, "A superblock slot").
struct Fields {
  uint32_t version = 1;
  uint32_t page_size = 16384;
  uint64_t db_size = 0;
  uint64_t schema_version = 0;
  uint64_t last_tx_id = 0;
  uint64_t flags = 0;
  uint64_t checksum = 0;
  uint64_t import_expected_checksum = 0;
  uint64_t import_written_until = 0;
  uint64_t import_total_size = 0;
  uint64_t import_base_offset = 0;
  uint64_t refresh_offset = 0;
  uint64_t refresh_hash = 0;
  uint64_t refresh_tx_id = 0;
  uint64_t db_base_offset = 16384;
  uint64_t page_table_offset = 0;
  uint64_t layout_version = 1;
  uint64_t sequence = 1;
  std::vector<uint32_t> roots;  // root_count = roots.size()
};

uint64_t PageCount(uint64_t db_size) { return (db_size + kPage - 1) / kPage; }
uint64_t RootCount(uint64_t page_count) { return (page_count + 1023) / 1024; }

// The slot's encoding: 168 + 4 * root_count bytes, sealed.
std::vector<uint8_t> EncodeSlot(const Fields& f) {
  std::vector<uint8_t> slot(168 + 4 * f.roots.size(), 0);
  std::memcpy(slot.data(), "STABLVFS", 8);
  Put32(slot, 8, f.version);
  Put32(slot, 12, f.page_size);
  Put64(slot, 16, f.db_size);
  Put64(slot, 24, f.schema_version);
  Put64(slot, 32, f.last_tx_id);
  Put64(slot, 40, f.flags);
  Put64(slot, 48, f.checksum);
  Put64(slot, 56, f.import_expected_checksum);
  Put64(slot, 64, f.import_written_until);
  Put64(slot, 72, f.import_total_size);
  Put64(slot, 80, f.import_base_offset);
  Put64(slot, 88, f.refresh_offset);
  Put64(slot, 96, f.refresh_hash);
  Put64(slot, 104, f.refresh_tx_id);
  Put64(slot, 112, f.db_base_offset);
  Put64(slot, 120, f.page_table_offset);
  Put64(slot, 128, PageCount(f.db_size));
  Put64(slot, 136, f.layout_version);
  Put64(slot, 144, f.sequence);
  Put64(slot, 152, f.roots.size());
  for (size_t i = 0; i < f.roots.size(); ++i) Put32(slot, 168 + 4 * i, f.roots[i]);
  Put64(slot, 160, TestFnv(slot.data(), slot.size()));  // the field is zero while hashed
  return slot;
}

// Recomputes the meta checksum of the slot at `base` after a test edited it, over the length its stored
// root_count names. REQUIRES: that length lies inside the slot.
void Reseal(std::vector<uint8_t>& image, uint64_t base) {
  const uint64_t length = 168 + 4 * Get64(image, base + 152);
  if (length > 8192) throw std::logic_error("Reseal: root_count past the slot");
  Put64(image, base + 160, 0);
  Put64(image, base + 160, TestFnv(image.data() + base, length));
}

void PutBytes(std::vector<uint8_t>& image, uint64_t offset, const std::vector<uint8_t>& bytes) {
  std::copy(bytes.begin(), bytes.end(), image.begin() + static_cast<std::ptrdiff_t>(offset));
}

// Contents nobody could confuse: every byte depends on the data slot holding it and its position.
std::vector<uint8_t> Content(uint64_t data_slot) {
  std::vector<uint8_t> page(kPage);
  for (uint64_t i = 0; i < kPage; ++i) page[i] = static_cast<uint8_t>(((data_slot * 131 + i * 7) % 255) + 1);
  return page;
}

// A database state as the test lays it out.
struct State {
  Fields fields;                         // roots are filled in by Lay
  std::map<uint64_t, uint32_t> pages;    // logical page -> data slot index
  std::map<uint64_t, uint32_t> chunks;   // chunk number -> block index
};

// Writes the state's pages (Content of their slot) and chunks into `image` and returns its slot encoding.
std::vector<uint8_t> Lay(std::vector<uint8_t>& image, State state) {
  const uint64_t root_count = RootCount(PageCount(state.fields.db_size));
  state.fields.roots.assign(root_count, 0);
  for (const auto& [chunk, block] : state.chunks) {
    if (chunk >= root_count) throw std::logic_error("Lay: a chunk past root_count");
    state.fields.roots[chunk] = block;
    std::fill_n(image.begin() + static_cast<std::ptrdiff_t>(block * kBlock), kBlock, 0);
  }
  for (const auto& [page, data_slot] : state.pages) {
    const auto chunk = state.chunks.find(page / 1024);
    if (chunk == state.chunks.end()) throw std::logic_error("Lay: a page without its chunk");
    Put32(image, chunk->second * kBlock + 4 * (page % 1024), data_slot);
    PutBytes(image, data_slot * kPage, Content(data_slot));
  }
  return EncodeSlot(state.fields);
}

// The logical file the state describes.
std::vector<uint8_t> Logical(const State& state) {
  std::vector<uint8_t> file(state.fields.db_size, 0);
  for (const auto& [page, data_slot] : state.pages) {
    const std::vector<uint8_t> content = Content(data_slot);
    const uint64_t start = page * kPage;
    const uint64_t length = std::min(kPage, state.fields.db_size - start);
    std::copy_n(content.begin(), length, file.begin() + static_cast<std::ptrdiff_t>(start));
  }
  return file;
}

// ---- Reference states ---------------------------------------------------------------------------------------

// The reference memory: 4 Wasm pages = 16 data slots. Slot 1 holds the active map chunks (blocks 4 and 5, 6
// and 7 free); slots 2..7 the active pages; slot 8 and block 36 (slot 9) the older state's superseded page
// and chunk; slots 10..15 are free and zero.
constexpr uint64_t kRefMemory = 4 * kWasmPage;
constexpr uint64_t kRefDbSize = 2100 * kPage + 100;  // 2,101 pages: chunks 0, 1 (absent) and 2
constexpr uint32_t kChunk0Block = 4;
constexpr uint32_t kChunk2Block = 5;
constexpr uint64_t kChunk0 = kChunk0Block * kBlock;
constexpr uint64_t kChunk2 = kChunk2Block * kBlock;

// The state before the active one: two pages; page 1 is unchanged by the next commit (slot 2).
State OlderState() {
  State s;
  s.fields.db_size = 2 * kPage;
  s.fields.last_tx_id = 8;
  s.fields.flags = kFlagChecksumStale;
  s.pages = {{0, 8}, {1, 2}};
  s.chunks = {{0, 36}};
  return s;
}

// The active state: pages 0, 1, 3, 1023 in chunk 0, pages 2048 and 2100 (the last, 100 bytes of it in the
// file) in chunk 2; chunk 1 absent (pages 1024..2047 read as zeros).
State PopulatedState() {
  State s;
  s.fields.db_size = kRefDbSize;
  s.fields.schema_version = 4;
  s.fields.last_tx_id = 9;
  s.fields.flags = kFlagChecksumStale;
  s.fields.checksum = 0x1234;
  s.pages = {{0, 5}, {1, 2}, {3, 7}, {1023, 3}, {2048, 4}, {2100, 6}};
  s.chunks = {{0, kChunk0Block}, {2, kChunk2Block}};
  return s;
}

uint64_t OtherSlot(uint64_t base) { return base ^ kSlotB; }

// The older state in one slot and the populated state, one sequence higher, in `active` (slot B: sequences 1
// and 2, the second commit of a fresh memory; slot A: 2 and 3).
std::vector<uint8_t> ReferenceImage(uint64_t active) {
  std::vector<uint8_t> image(kRefMemory, 0);
  State older = OlderState();
  State populated = PopulatedState();
  populated.fields.sequence = active == kSlotB ? 2 : 3;
  older.fields.sequence = populated.fields.sequence - 1;
  PutBytes(image, OtherSlot(active), Lay(image, older));
  PutBytes(image, active, Lay(image, populated));
  return image;
}

// A fresh memory: one Wasm page, slot A with sequence 1 and an empty file, slot B all zeros.
std::vector<uint8_t> FreshImage() {
  std::vector<uint8_t> image(kWasmPage, 0);
  PutBytes(image, kSlotA, EncodeSlot(Fields{}));
  return image;
}

// ---- Clean images -----------------------------------------------------------------------------------------

TEST(Sv1Check, FreshImageIsClean) {
  const std::vector<uint8_t> image = FreshImage();
  const LayoutReport report = CheckSv1(image);
  ASSERT_TRUE(report.ok()) << Dump(report);
  EXPECT_TRUE(report.decoded);
  EXPECT_EQ(report.layout, "sv1");
  const SuperblockFields& sb = report.superblock;
  EXPECT_TRUE(sb.magic_ok);
  EXPECT_EQ(sb.offset_bytes, kSlotA);
  EXPECT_EQ(sb.version, 1u);
  EXPECT_EQ(sb.layout_version, 1u);
  EXPECT_EQ(sb.db_base_offset, kHeader);
  EXPECT_EQ(sb.raw, EncodeSlot(Fields{}));
  EXPECT_EQ(sb.meta_checksum, sb.computed_meta_checksum);
  EXPECT_EQ(sb.layout_fields, (std::vector<LayoutField>{{"sequence", 144, 1, true},
                                                         {"root_count", 152, 0},
                                                         {"active_slot", 0, 0, true},
                                                         {"slot_a_valid", 0, 1, true},
                                                         {"slot_b_valid", 8192, 0, true}}));
  EXPECT_TRUE(report.mappings.empty());
  EXPECT_TRUE(report.root_entries.empty());
  EXPECT_EQ(report.extents, (std::vector<Extent>{{ExtentKind::kSuperblock, 0, kHeader, 0, 0, true}}));
  EXPECT_EQ(report.space.allocated_bytes, kWasmPage);
  EXPECT_EQ(report.space.active_bytes, kHeader);
  EXPECT_EQ(report.space.orphan_bytes, kWasmPage - kHeader);
  EXPECT_EQ(report.space.orphan_ratio_bp, 7500u);
  EXPECT_TRUE(ResolveLogicalImage(SpanSource(image), report).empty());
  EXPECT_EQ(report.NoteOn("page_table_offset"), "always 0: the map is rooted in the superblock");
}

TEST(Sv1Check, PopulatedImageResolvesPageByPageAndIsClean) {
  for (const uint64_t active : {kSlotB, kSlotA}) {
    SCOPED_TRACE(active == kSlotA ? "slot A active" : "slot B active");
    const std::vector<uint8_t> image = ReferenceImage(active);
    const LayoutReport report = CheckSv1(image);
    ASSERT_TRUE(report.ok()) << Dump(report);
    ASSERT_TRUE(report.decoded);
    const SuperblockFields& sb = report.superblock;
    EXPECT_EQ(sb.offset_bytes, active);
    EXPECT_EQ(sb.db_size, kRefDbSize);
    EXPECT_EQ(sb.page_count, 2101u);
    EXPECT_EQ(sb.last_tx_id, 9u);
    EXPECT_EQ(sb.schema_version, 4u);
    EXPECT_EQ(sb.raw.size(), 168u + 3 * 4);
    EXPECT_EQ(sb.raw, std::vector<uint8_t>(image.begin() + active, image.begin() + active + 180));
    const uint64_t sequence = active == kSlotB ? 2 : 3;
    EXPECT_EQ(sb.layout_fields, (std::vector<LayoutField>{{"sequence", active + 144, sequence, true},
                                                           {"root_count", active + 152, 3},
                                                           {"active_slot", active, active == kSlotB ? 1u : 0u, true},
                                                           {"slot_a_valid", 0, 1, true},
                                                           {"slot_b_valid", 8192, 1, true},
                                                           {"root.0", active + 168, kChunk0Block},
                                                           {"root.1", active + 172, 0},
                                                           {"root.2", active + 176, kChunk2Block}}));
    EXPECT_EQ(report.root_entries, (std::vector<uint64_t>{kChunk0, 0, kChunk2}));

    EXPECT_EQ(report.mappings, (std::vector<PageMapping>{{0, 5 * kPage, kChunk0 + 0, true},
                                                         {1, 2 * kPage, kChunk0 + 4, true},
                                                         {3, 7 * kPage, kChunk0 + 12, true},
                                                         {1023, 3 * kPage, kChunk0 + 4 * 1023, true},
                                                         {2048, 4 * kPage, kChunk2 + 0, true},
                                                         {2100, 6 * kPage, kChunk2 + 4 * 52, true}}));
    EXPECT_EQ(report.extents, (std::vector<Extent>{{ExtentKind::kSuperblock, 0, kHeader, 0, 0, true},
                                                   {ExtentKind::kSegmentTable, kChunk0, kBlock, 0, active + 168},
                                                   {ExtentKind::kSegmentTable, kChunk2, kBlock, 2, active + 176},
                                                   {ExtentKind::kPage, 2 * kPage, kPage, 1, kChunk0 + 4},
                                                   {ExtentKind::kPage, 3 * kPage, kPage, 1023, kChunk0 + 4 * 1023},
                                                   {ExtentKind::kPage, 4 * kPage, kPage, 2048, kChunk2 + 0},
                                                   {ExtentKind::kPage, 5 * kPage, kPage, 0, kChunk0 + 0},
                                                   {ExtentKind::kPage, 6 * kPage, kPage, 2100, kChunk2 + 4 * 52},
                                                   {ExtentKind::kPage, 7 * kPage, kPage, 3, kChunk0 + 12}}));

    // Page by page, then the whole file: exactly the bytes the encoder put there, zeros elsewhere.
    const SpanSource source(image);
    const State state = PopulatedState();
    std::vector<uint8_t> page(kPage);
    for (uint64_t p = 0; p < 2101; ++p) {
      ReadLogicalPage(source, report, p, page);
      const auto mapped = state.pages.find(p);
      const std::vector<uint8_t> expected =
          mapped == state.pages.end() ? std::vector<uint8_t>(kPage, 0) : Content(mapped->second);
      ASSERT_EQ(page, expected) << "logical page " << p;
    }
    EXPECT_EQ(ResolveLogicalImage(source, report), Logical(state));
  }
}

TEST(Sv1Check, SpaceAccounting) {
  const LayoutReport report = CheckSv1(ReferenceImage(kSlotB));
  const SpaceAccounting& space = report.space;
  EXPECT_EQ(space.allocated_bytes, kRefMemory);
  EXPECT_EQ(space.mapped_pages, 6u);
  EXPECT_EQ(space.segments, 2u) << "chunks 0 and 2; chunk 1 is absent";
  EXPECT_EQ(space.active_bytes, kHeader + 6 * kPage + 2 * kBlock);
  EXPECT_EQ(space.orphan_bytes, kRefMemory - (kHeader + 6 * kPage + 2 * kBlock));
  EXPECT_EQ(space.orphan_ratio_bp, 5312u);  // 139,264 * 10,000 / 262,144
  EXPECT_FALSE(space.compaction_recommended);
}

TEST(Sv1Check, TheHigherValidSequenceWins) {
  // Slot A holds the populated state with sequence 5, slot B a one-page state with sequence 6: B is active.
  std::vector<uint8_t> image(kRefMemory, 0);
  State a = PopulatedState();
  a.fields.sequence = 5;
  State b;
  b.fields.db_size = kPage;
  b.fields.last_tx_id = 10;
  b.fields.flags = kFlagChecksumStale;
  b.fields.sequence = 6;
  b.pages = {{0, 10}};
  b.chunks = {{0, 6}};  // the free block beside the populated state's chunks
  PutBytes(image, kSlotA, Lay(image, a));
  PutBytes(image, kSlotB, Lay(image, b));
  LayoutReport report = CheckSv1(image);
  ASSERT_TRUE(report.ok()) << Dump(report);
  EXPECT_EQ(report.superblock.offset_bytes, kSlotB);
  EXPECT_EQ(report.superblock.last_tx_id, 10u);
  EXPECT_EQ(report.superblock.layout_fields[2], (LayoutField{"active_slot", kSlotB, 1, true}));
  EXPECT_EQ(report.mappings, (std::vector<PageMapping>{{0, 10 * kPage, 6 * kBlock, true}}));
  EXPECT_EQ(ResolveLogicalImage(SpanSource(image), report), Logical(b));

  // The same two slots with the sequences the other way round: A is active.
  Put64(image, kSlotA + 144, 7);
  Reseal(image, kSlotA);
  report = CheckSv1(image);
  ASSERT_TRUE(report.ok()) << Dump(report);
  EXPECT_EQ(report.superblock.offset_bytes, kSlotA);
  EXPECT_EQ(report.superblock.layout_fields[2], (LayoutField{"active_slot", kSlotA, 0, true}));
  EXPECT_EQ(ResolveLogicalImage(SpanSource(image), report), Logical(a));
}

TEST(Sv1Check, ImportStagingWhereTheSpecificationPutsItIsClean) {
  for (const uint64_t active : {kSlotB, kSlotA}) {
    SCOPED_TRACE(active == kSlotA ? "slot A active" : "slot B active");
    for (const auto& [base, total, written] : std::vector<std::tuple<uint64_t, uint64_t, uint64_t>>{
             {10 * kPage, 3 * kPage, 100},    // the lowest run of free zero slots
             {8 * kPage, 2 * kPage + 1, 0},   // slots 8 and 9: superseded, free under the active superblock
             {10 * kPage, 6 * kPage, 6 * kPage},  // up to the end of the memory, complete
             {kRefMemory, 0, 0},              // an empty import at the end of the memory
         }) {
      SCOPED_TRACE(HexText(base) + " +" + std::to_string(total));
      std::vector<uint8_t> image = ReferenceImage(active);
      Put64(image, active + 40, kFlagChecksumStale | kFlagImporting);
      Put64(image, active + 64, written);
      Put64(image, active + 72, total);
      Put64(image, active + 80, base);
      Reseal(image, active);
      const LayoutReport report = CheckSv1(image);
      EXPECT_TRUE(report.ok()) << Dump(report);
      EXPECT_TRUE(report.superblock.importing());
    }
  }
}

TEST(Sv1Check, StableMemorySpanAndSuperblockFunctionAgree) {
  const std::vector<uint8_t> image = ReferenceImage(kSlotB);
  HeapStableMemory memory;
  memory.Assign(image);
  const LayoutReport from_memory = CheckSv1(memory);
  const LayoutReport from_span = CheckSv1(image);
  EXPECT_TRUE(from_memory.ok()) << Dump(from_memory);
  EXPECT_EQ(from_memory.mappings, from_span.mappings);
  EXPECT_EQ(from_memory.extents, from_span.extents);
  EXPECT_EQ(from_memory.superblock.raw, from_span.superblock.raw);

  const std::optional<SuperblockFields> sb = Sv1Checker().superblock(SpanSource(image));
  ASSERT_TRUE(sb.has_value());
  EXPECT_EQ(sb->offset_bytes, kSlotB);
  EXPECT_EQ(sb->raw, from_span.superblock.raw);
  EXPECT_EQ(sb->layout_fields, from_span.superblock.layout_fields);
  EXPECT_EQ(sb->last_tx_id, 9u);
  EXPECT_FALSE(Sv1Checker().superblock(SpanSource(std::span<const uint8_t>(image).first(167))).has_value());

  // No valid slot: no superblock.
  std::vector<uint8_t> broken = FreshImage();
  broken[16] ^= 1;
  EXPECT_FALSE(Sv1Checker().superblock(SpanSource(broken)).has_value());
}

TEST(Sv1Check, DecodeOneSlot) {
  const std::vector<uint8_t> image = ReferenceImage(kSlotB);
  const Sv1Slot b = DecodeSv1Slot(std::span<const uint8_t>(image).subspan(kSlotB, 8192), kSlotB);
  EXPECT_TRUE(b.valid);
  EXPECT_TRUE(b.invalid_because.empty());
  EXPECT_EQ(b.sequence, 2u);
  EXPECT_EQ(b.root_count, 3u);
  EXPECT_EQ(b.roots, (std::vector<uint32_t>{kChunk0Block, 0, kChunk2Block}));
  EXPECT_EQ(b.fields.offset_bytes, kSlotB);
  EXPECT_EQ(b.fields.raw.size(), 180u);
  const Sv1Slot a = DecodeSv1Slot(std::span<const uint8_t>(image).first(8192), kSlotA);
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.sequence, 1u);
  EXPECT_EQ(a.fields.db_size, 2 * kPage);
  // Too few bytes, never a throw.
  const Sv1Slot short_slot = DecodeSv1Slot(std::span<const uint8_t>(image).subspan(kSlotB, 100), kSlotB);
  EXPECT_FALSE(short_slot.valid);
  ASSERT_EQ(short_slot.invalid_because.size(), 1u);
  EXPECT_EQ(short_slot.invalid_because[0].kind, ProblemKind::kTooSmall);
  EXPECT_EQ(short_slot.invalid_because[0].offset_bytes, kSlotB);
}

// ---- Torn superblock writes -------------------------------------------------------------------------------

// What a reader sees: the active slot and its bytes, and the page map. Outside the slot being written every
// torn image holds the same bytes, so equal page maps resolve to equal logical files (checked once per state).
struct Observed {
  uint64_t slot;
  std::vector<uint8_t> raw;
  std::vector<PageMapping> mappings;
  bool operator==(const Observed&) const = default;
};

Observed Observe(const std::vector<uint8_t>& image) {
  const LayoutReport report = CheckSv1(image);
  if (!report.ok() || !report.decoded) throw std::runtime_error("not a clean image:\n" + Dump(report));
  return Observed{report.superblock.offset_bytes, report.superblock.raw, report.mappings};
}

std::vector<uint8_t> LogicalFileOf(const std::vector<uint8_t>& image) {
  return ResolveLogicalImage(SpanSource(image), CheckSv1(image));
}

// `before` holds the old state; the commit already wrote `state`'s pages and chunks into free space and
// now writes its slot at `base` (the inactive one). For every prefix length k of the new encoding, the slot
// holds k new bytes and the old rest: the reader sees the old state or the new one, and no problem.
void ExpectEveryTearIsOldOrNew(const std::vector<uint8_t>& before, uint64_t base, const State& state) {
  std::vector<uint8_t> staged = before;
  const std::vector<uint8_t> encoded = Lay(staged, state);
  const Observed old_state = Observe(before);
  ASSERT_EQ(Observe(staged), old_state) << "the commit's pages and chunks went to space the old state reaches";
  std::vector<uint8_t> after = staged;
  PutBytes(after, base, encoded);
  const Observed new_state = Observe(after);
  ASSERT_NE(new_state, old_state);
  EXPECT_EQ(new_state.slot, base);
  EXPECT_EQ(LogicalFileOf(after), Logical(state));
  EXPECT_EQ(LogicalFileOf(staged), LogicalFileOf(before));

  size_t new_seen = 0;
  for (size_t k = 0; k <= encoded.size(); ++k) {
    std::vector<uint8_t> torn = staged;
    std::copy_n(encoded.begin(), k, torn.begin() + static_cast<std::ptrdiff_t>(base));
    const LayoutReport report = CheckSv1(torn);
    ASSERT_TRUE(report.ok()) << "torn at " << k << "\n" << Dump(report);
    const Observed seen = Observe(torn);
    const bool whole = std::equal(encoded.begin(), encoded.end(), torn.begin() + static_cast<std::ptrdiff_t>(base));
    if (whole) {
      EXPECT_EQ(seen, new_state) << "torn at " << k;
      ++new_seen;
    } else {
      EXPECT_EQ(seen, old_state) << "torn at " << k << ": a third state";
    }
  }
  EXPECT_GE(new_seen, 1u);
  EXPECT_LT(new_seen, encoded.size()) << "the tear must have been visible for most prefixes";
}

TEST(Sv1Check, ATornFirstCommitLeavesTheFreshStateOrTheNewOne) {
  // Slot B is all zeros; the first commit writes two pages into slots 2 and 3 and chunk 0 into block 4.
  std::vector<uint8_t> fresh = FreshImage();
  State first;
  first.fields.db_size = 2 * kPage;
  first.fields.last_tx_id = 1;
  first.fields.flags = kFlagChecksumStale;
  first.fields.sequence = 2;
  first.pages = {{0, 2}, {1, 3}};
  first.chunks = {{0, 4}};
  ExpectEveryTearIsOldOrNew(fresh, kSlotB, first);
}

TEST(Sv1Check, ATornSlotOverAnOlderValidSlotLeavesTheOldStateOrTheNewOne) {
  for (const uint64_t active : {kSlotA, kSlotB}) {
    SCOPED_TRACE(active == kSlotA ? "slot A active, slot B torn" : "slot B active, slot A torn");
    const std::vector<uint8_t> before = ReferenceImage(active);
    const uint64_t sequence = (active == kSlotB ? 2 : 3) + 1;
    // A short commit: the file cut to two pages, page 0 rewritten into slot 8 (superseded, free), its chunk
    // into block 6; root_count 1 (the old slot being overwritten has 1, the active one 3).
    State shorter;
    shorter.fields.db_size = 2 * kPage;
    shorter.fields.last_tx_id = 10;
    shorter.fields.flags = kFlagChecksumStale;
    shorter.fields.sequence = sequence;
    shorter.pages = {{0, 8}, {1, 2}};
    shorter.chunks = {{0, 6}};
    ExpectEveryTearIsOldOrNew(before, OtherSlot(active), shorter);
    // A longer commit: a page past the active file's end grows it to four chunks; the new chunk 3 and a new
    // chunk 2 go into blocks 6 and 7, the new pages into slots 10 and 11.
    State longer = PopulatedState();
    longer.fields.db_size = 3100 * kPage;
    longer.fields.last_tx_id = 10;
    longer.fields.sequence = sequence;
    longer.pages[2049] = 10;
    longer.pages[3099] = 11;
    longer.chunks = {{0, kChunk0Block}, {2, 6}, {3, 7}};
    ExpectEveryTearIsOldOrNew(before, OtherSlot(active), longer);
  }
}

// ---- Choosing the active slot: validity -------------------------------------------------------------------

// A damage that makes a slot invalid: the kind and offset (relative to the slot) it is reported with.
struct ValidityDamage {
  const char* what;
  std::function<void(std::vector<uint8_t>&, uint64_t)> apply;
  ProblemKind kind;
  uint64_t offset;
};

std::vector<ValidityDamage> ValidityDamages() {
  const auto resealed = [](uint64_t at, uint64_t value, bool u32) {
    return [=](std::vector<uint8_t>& image, uint64_t base) {
      if (u32) {
        Put32(image, base + at, static_cast<uint32_t>(value));
      } else {
        Put64(image, base + at, value);
      }
      Reseal(image, base);
    };
  };
  return {
      {"bad magic", [](std::vector<uint8_t>& image, uint64_t base) { image[base + 3] = 'X'; },
       ProblemKind::kBadMagic, 0},
      {"the family's magic",
       [](std::vector<uint8_t>& image, uint64_t base) {
         std::memcpy(image.data() + base, "ICSQLITE", 8);
         Reseal(image, base);
       },
       ProblemKind::kBadMagic, 0},
      {"version 2", resealed(8, 2, true), ProblemKind::kBadVersion, 8},
      {"page size 4096", resealed(12, 4096, true), ProblemKind::kBadPageSize, 12},
      {"layout_version 2", resealed(136, 2, false), ProblemKind::kBadLayoutVersion, 136},
      {"root_count 2007", [](std::vector<uint8_t>& image, uint64_t base) { Put64(image, base + 152, 2007); },
       ProblemKind::kSegmentCount, 152},
      {"root_count near 2^64", [](std::vector<uint8_t>& image, uint64_t base) { Put64(image, base + 152, kMaxU64); },
       ProblemKind::kSegmentCount, 152},
      {"db_size changed without resealing", [](std::vector<uint8_t>& image, uint64_t base) { image[base + 16] ^= 1; },
       ProblemKind::kMetaChecksum, 160},
      {"a root entry changed without resealing",
       [](std::vector<uint8_t>& image, uint64_t base) { image[base + 168 + 8] ^= 1; }, ProblemKind::kMetaChecksum, 160},
      {"a flipped checksum byte", [](std::vector<uint8_t>& image, uint64_t base) { image[base + 167] ^= 0x80; },
       ProblemKind::kMetaChecksum, 160},
  };
}

TEST(Sv1Check, AnInvalidSlotBesideAValidOneIsIgnoredNotAProblem) {
  for (const uint64_t active : {kSlotA, kSlotB}) {
    for (const ValidityDamage& damage : ValidityDamages()) {
      SCOPED_TRACE(std::string(damage.what) + (active == kSlotA ? " on slot A" : " on slot B"));
      std::vector<uint8_t> image = ReferenceImage(active);
      damage.apply(image, active);
      const LayoutReport report = CheckSv1(image);
      ASSERT_TRUE(report.ok()) << Dump(report);
      ASSERT_TRUE(report.decoded);
      EXPECT_EQ(report.superblock.offset_bytes, OtherSlot(active)) << "the older state took over";
      EXPECT_EQ(ResolveLogicalImage(SpanSource(image), report), Logical(OlderState()));
      const std::string flag = active == kSlotA ? "slot_a_valid" : "slot_b_valid";
      const auto& fields = report.superblock.layout_fields;
      const auto f = std::find_if(fields.begin(), fields.end(), [&](const LayoutField& x) { return x.name == flag; });
      ASSERT_NE(f, fields.end());
      EXPECT_EQ(f->value, 0u);
      EXPECT_EQ(f->offset_bytes, active);
    }
  }
}

TEST(Sv1Check, NoValidSlotSaysWhyForEachAndDecodesNothing) {
  for (const uint64_t active : {kSlotA, kSlotB}) {
    for (const ValidityDamage& damage : ValidityDamages()) {
      SCOPED_TRACE(std::string(damage.what) + (active == kSlotA ? " on slot A" : " on slot B"));
      std::vector<uint8_t> image = ReferenceImage(active);
      damage.apply(image, active);
      // The other slot fails its checksum.
      image[OtherSlot(active) + 20] ^= 0x10;
      const LayoutReport report = CheckSv1(image);
      EXPECT_FALSE(report.decoded);
      EXPECT_TRUE(report.Has(damage.kind, active + damage.offset)) << Dump(report);
      EXPECT_TRUE(report.Has(ProblemKind::kMetaChecksum, OtherSlot(active) + 160)) << Dump(report);
      EXPECT_EQ(report.superblock.offset_bytes, kSlotA) << "slot A's fields are shown";
      EXPECT_TRUE(report.extents.empty());
      EXPECT_THROW(ResolveLogicalImage(SpanSource(image), report), std::invalid_argument);
      if (damage.kind == ProblemKind::kBadMagic) {
        EXPECT_EQ(report.problems.size(), 2u) << "a slot without our magic is judged no further\n" << Dump(report);
      }
    }
  }
}

TEST(Sv1Check, VersionsAndPageSizeOfOneSlotAreEachReported) {
  std::vector<uint8_t> image = FreshImage();
  Put32(image, 8, 2);
  Put32(image, 12, 4096);
  Put64(image, 136, 7);
  image[150] ^= 1;  // the sequence, not resealed
  const LayoutReport report = CheckSv1(image);
  EXPECT_FALSE(report.decoded);
  EXPECT_TRUE(report.Has(ProblemKind::kBadVersion, 8)) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kBadPageSize, 12));
  EXPECT_TRUE(report.Has(ProblemKind::kBadLayoutVersion, 136));
  EXPECT_TRUE(report.Has(ProblemKind::kMetaChecksum, 160));
  EXPECT_TRUE(report.Has(ProblemKind::kBadMagic, kSlotB)) << "slot B of a fresh memory is all zeros";
  EXPECT_EQ(report.problems.size(), 5u) << Dump(report);
}

TEST(Sv1Check, TooSmallSourcesAndEncodingsPastTheSource) {
  // Under 168 bytes decoding stops at once, with one problem about the memory (not one per slot).
  LayoutReport report = CheckSv1(std::vector<uint8_t>{});
  EXPECT_FALSE(report.decoded);
  ASSERT_EQ(report.problems.size(), 1u) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kTooSmall, 0));
  EXPECT_NE(report.problems[0].message.find("never initialised"), std::string::npos) << Dump(report);
  const std::vector<uint8_t> fresh = FreshImage();
  report = CheckSv1(std::span<const uint8_t>(fresh).first(167));
  EXPECT_FALSE(report.decoded);
  EXPECT_EQ(report.problems.size(), 2u) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kTooSmall, 0)) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kImageSize, 167));

  // 168 bytes hold a fresh slot A: it decodes (slot B is not there at all; it is simply not valid).
  report = CheckSv1(std::span<const uint8_t>(fresh).first(168));
  EXPECT_TRUE(report.decoded) << Dump(report);
  EXPECT_EQ(report.problems.size(), 1u) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kImageSize, 168));

  // A slot whose roots run past the source is not valid; without another, that is the reason given.
  std::vector<uint8_t> image = ReferenceImage(kSlotA);
  report = CheckSv1(std::span<const uint8_t>(image).first(175));
  EXPECT_FALSE(report.decoded);
  EXPECT_TRUE(report.Has(ProblemKind::kSegmentCount, 152)) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kTooSmall, kSlotB)) << Dump(report);
  // Slot B's fixed part is there but not its roots: slot A (the populated state, whole) is active.
  report = CheckSv1(std::span<const uint8_t>(image).first(kSlotB + 170));
  EXPECT_TRUE(report.decoded) << Dump(report);
  EXPECT_EQ(report.superblock.offset_bytes, kSlotA);
  EXPECT_FALSE(report.Has(ProblemKind::kSegmentCount)) << Dump(report);
}

TEST(Sv1Check, SizeNotAWholeNumberOfWasmPages) {
  std::vector<uint8_t> image = ReferenceImage(kSlotB);
  image.push_back(0);
  const LayoutReport report = CheckSv1(image);
  EXPECT_TRUE(report.Has(ProblemKind::kImageSize, image.size())) << Dump(report);
  EXPECT_EQ(report.problems.size(), 1u);
}

// ---- Every rule on the active state, at its offset ----------------------------------------------------------

// A damage to the reference image whose active slot is at `base`; the problem must be reported at `offset`,
// plus `base` when `in_slot`.
struct Damage {
  const char* what;
  std::function<void(std::vector<uint8_t>&, uint64_t)> apply;
  ProblemKind kind;
  uint64_t offset;
  bool in_slot;
};

std::function<void(std::vector<uint8_t>&, uint64_t)> Field(uint64_t at, uint64_t value) {
  return [=](std::vector<uint8_t>& image, uint64_t base) {
    Put64(image, base + at, value);
    Reseal(image, base);
  };
}

std::function<void(std::vector<uint8_t>&, uint64_t)> Root(uint64_t i, uint32_t block) {
  return [=](std::vector<uint8_t>& image, uint64_t base) {
    Put32(image, base + 168 + 4 * i, block);
    Reseal(image, base);
  };
}

// Rewrites the root list (count and entries) and reseals.
std::function<void(std::vector<uint8_t>&, uint64_t)> Roots(std::vector<uint32_t> roots) {
  return [=](std::vector<uint8_t>& image, uint64_t base) {
    Put64(image, base + 152, roots.size());
    for (size_t i = 0; i < roots.size(); ++i) Put32(image, base + 168 + 4 * i, roots[i]);
    Reseal(image, base);
  };
}

// Entry j of the chunk in `block` (chunks are outside the checksum).
std::function<void(std::vector<uint8_t>&, uint64_t)> Entry(uint64_t block, uint64_t j, uint32_t data_slot) {
  return [=](std::vector<uint8_t>& image, uint64_t) { Put32(image, block * kBlock + 4 * j, data_slot); };
}

std::function<void(std::vector<uint8_t>&, uint64_t)> Import(uint64_t at, uint64_t total, uint64_t written) {
  return [=](std::vector<uint8_t>& image, uint64_t base) {
    Put64(image, base + 40, Get64(image, base + 40) | kFlagImporting);
    Put64(image, base + 64, written);
    Put64(image, base + 72, total);
    Put64(image, base + 80, at);
    Reseal(image, base);
  };
}

std::vector<Damage> Damages() {
  return {
      // The family's fields.
      {"unknown flag bits", Field(40, kFlagChecksumStale | 8), ProblemKind::kUnknownFlags, 40, true},
      {"import fields without the importing flag", Field(64, 5), ProblemKind::kImportState, 64, true},
      {"a refresh of an older tx",
       [](std::vector<uint8_t>& image, uint64_t base) {
         Put64(image, base + 40, kFlagChecksumStale | kFlagChecksumRefreshing);
         Put64(image, base + 104, 1);  // last_tx_id is 9
         Reseal(image, base);
       },
       ProblemKind::kRefreshState, 104, true},
      // sv1's own fields.
      {"page_count too large", Field(128, 2102), ProblemKind::kPageCount, 128, true},
      {"page_count too small", Field(128, 2100), ProblemKind::kPageCount, 128, true},
      {"root_count one too many", Roots({kChunk0Block, 0, kChunk2Block, 0}), ProblemKind::kSegmentCount, 152, true},
      {"root_count one too few", Roots({kChunk0Block, 0}), ProblemKind::kSegmentCount, 152, true},
      {"root_count 0 for a non-empty file", Roots({}), ProblemKind::kSegmentCount, 152, true},
      {"db_base_offset 64 KiB", Field(112, kWasmPage), ProblemKind::kDbBaseOffset, 112, true},
      {"db_base_offset 0", Field(112, 0), ProblemKind::kDbBaseOffset, 112, true},
      {"a root table", Field(120, 10 * kPage), ProblemKind::kRootTable, 120, true},
      // Root entries.
      {"a chunk in block 1 (slot A)", Root(0, 1), ProblemKind::kSuperblockOverlap, 168, true},
      {"a chunk in block 3 (slot B's end)", Root(2, 3), ProblemKind::kSuperblockOverlap, 176, true},
      {"a chunk at the end of the memory", Root(2, kRefMemory / kBlock), ProblemKind::kOutOfBounds, 176, true},
      {"a chunk at block 2^32 - 1", Root(0, 0xFFFFFFFF), ProblemKind::kOutOfBounds, 168, true},
      {"a chunk where the absent one was, past the memory", Root(1, 1000), ProblemKind::kOutOfBounds, 172, true},
      // Chunk entries.
      {"a page past page_count", Entry(kChunk2Block, 53, 10), ProblemKind::kBeyondDbSize, kChunk2 + 4 * 53, false},
      {"the last entry of the last chunk", Entry(kChunk2Block, 1023, 10), ProblemKind::kBeyondDbSize,
       kChunk2 + 4 * 1023, false},
      {"a page in the slot at the end of the memory", Entry(kChunk0Block, 2, kRefMemory / kPage),
       ProblemKind::kOutOfBounds, kChunk0 + 8, false},
      {"a page in slot 2^32 - 1", Entry(kChunk0Block, 2, 0xFFFFFFFF), ProblemKind::kOutOfBounds, kChunk0 + 8, false},
      // Extents sharing bytes.
      {"a slot mapped twice", Entry(kChunk0Block, 3, 2), ProblemKind::kMappedTwice, kChunk0 + 12, false},
      {"a page in the slot holding the chunks", Entry(kChunk0Block, 2, 1), ProblemKind::kOverlap, kChunk0 + 8,
       false},
      {"a chunk used twice", Root(2, kChunk0Block), ProblemKind::kMappedTwice, 176, true},
      {"a chunk inside a data slot",
       [](std::vector<uint8_t>& image, uint64_t base) {
         // Chunk 2's entries moved into block 29, the second block of slot 7 (logical page 3).
         std::copy_n(image.begin() + kChunk2, kBlock, image.begin() + 29 * kBlock);
         Root(2, 29)(image, base);
       },
       ProblemKind::kOverlap, 176, true},
      // Import staging.
      {"written past the total", Import(10 * kPage, 100, 101), ProblemKind::kImportState, 64, true},
      {"staging inside the header", Import(kSlotB, kPage, 0), ProblemKind::kImportState, 80, true},
      {"an empty import inside the header", Import(0, 0, 0), ProblemKind::kImportState, 80, true},
      {"staging off the slot grid", Import(10 * kPage + kBlock, kPage, 0), ProblemKind::kImportState, 80, true},
      {"staging one slot past the memory", Import(14 * kPage, 2 * kPage + 1, 0), ProblemKind::kImportState, 80,
       true},
      {"an empty import past the memory", Import(kRefMemory + kPage, 0, 0), ProblemKind::kImportState, 80, true},
      {"an import total near 2^64", Import(10 * kPage, kMaxU64, 0), ProblemKind::kImportState, 80, true},
      {"an import base near 2^64", Import(kMaxU64 - kPage + 1, kPage, 0), ProblemKind::kImportState, 80, true},
      {"staging over an active page", Import(6 * kPage, kPage, 0), ProblemKind::kImportState, 80, true},
      {"staging over the active chunks", Import(kPage, kPage, 0), ProblemKind::kImportState, 80, true},
      // Two valid slots.
      {"both slots with one sequence",
       [](std::vector<uint8_t>& image, uint64_t base) {
         Put64(image, OtherSlot(base) + 144, Get64(image, base + 144));
         Reseal(image, OtherSlot(base));
       },
       ProblemKind::kSlotSequence, kSlotB + 144, false},
  };
}

TEST(Sv1Check, EveryDamageIsReportedWithItsKindAtItsOffset) {
  for (const uint64_t active : {kSlotB, kSlotA}) {
    for (const Damage& damage : Damages()) {
      SCOPED_TRACE(std::string(damage.what) + (active == kSlotA ? " (slot A active)" : " (slot B active)"));
      std::vector<uint8_t> image = ReferenceImage(active);
      damage.apply(image, active);
      const LayoutReport report = CheckSv1(image);
      ASSERT_TRUE(report.decoded) << Dump(report);
      const uint64_t offset = damage.offset + (damage.in_slot ? active : 0);
      EXPECT_TRUE(report.Has(damage.kind, offset))
          << "expected " << ProblemKindName(damage.kind) << " at " << offset << "\n" << Dump(report);
    }
  }
}

TEST(Sv1Check, SequencesMoreThanOneApart) {
  for (const uint64_t active : {kSlotB, kSlotA}) {
    SCOPED_TRACE(active == kSlotA ? "slot A active" : "slot B active");
    std::vector<uint8_t> image = ReferenceImage(active);
    Put64(image, OtherSlot(active) + 144, Get64(image, active + 144) - 2);
    Reseal(image, OtherSlot(active));
    const LayoutReport report = CheckSv1(image);
    EXPECT_EQ(report.superblock.offset_bytes, active);
    ASSERT_EQ(report.problems.size(), 1u) << Dump(report);
    EXPECT_TRUE(report.Has(ProblemKind::kSlotSequence, OtherSlot(active) + 144)) << Dump(report);
  }
}

TEST(Sv1Check, EqualSequencesTakeSlotA) {
  std::vector<uint8_t> image = ReferenceImage(kSlotB);
  Put64(image, kSlotA + 144, 2);
  Reseal(image, kSlotA);
  const LayoutReport report = CheckSv1(image);
  ASSERT_EQ(report.problems.size(), 1u) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kSlotSequence, kSlotB + 144));
  EXPECT_EQ(report.superblock.offset_bytes, kSlotA);
  EXPECT_EQ(ResolveLogicalImage(SpanSource(image), report), Logical(OlderState()));
}

TEST(Sv1Check, AnImportInsideTheHeaderIsSaidOnce) {
  // CheckCommonFields speaks for a non-empty import below 16 KiB, at 16 KiB the staging may begin.
  std::vector<uint8_t> image = ReferenceImage(kSlotB);
  Import(kHeader - kPage / 2, kPage, 0)(image, kSlotB);
  LayoutReport report = CheckSv1(image);
  ASSERT_EQ(report.problems.size(), 1u) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kImportState, kSlotB + 80));
  EXPECT_NE(report.problems[0].message.find("header"), std::string::npos) << Dump(report);

  // Slot 1 is the first data slot: an import may stage there when it is free.
  image = FreshImage();
  Import(kHeader, 2 * kPage, kPage)(image, kSlotA);
  report = CheckSv1(image);
  EXPECT_TRUE(report.ok()) << Dump(report);
}

TEST(Sv1Check, APageInAnOutOfBoundsSlotIsUnreadableAndReadsAsZeros) {
  std::vector<uint8_t> image = ReferenceImage(kSlotB);
  Entry(kChunk0Block, 1, kRefMemory / kPage)(image, kSlotB);  // page 1 moves just past the end
  const LayoutReport report = CheckSv1(image);
  ASSERT_EQ(report.problems.size(), 1u) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kOutOfBounds, kChunk0 + 4));
  const PageMapping* page1 = report.Find(1);
  ASSERT_NE(page1, nullptr);
  EXPECT_FALSE(page1->readable);
  EXPECT_EQ(page1->physical_offset, kRefMemory);
  EXPECT_EQ(report.space.mapped_pages, 6u) << "an unreadable page is still a mapped page";
  EXPECT_EQ(report.extents.size(), 1u + 2 + 5) << "no extent for an unreadable page";
  const std::vector<uint8_t> file = ResolveLogicalImage(SpanSource(image), report);
  EXPECT_TRUE(std::all_of(file.begin() + kPage, file.begin() + 2 * kPage, [](uint8_t b) { return b == 0; }));
}

TEST(Sv1Check, AChunkThatCannotBeReadIsNotWalked) {
  std::vector<uint8_t> image = ReferenceImage(kSlotB);
  Root(0, 2)(image, kSlotB);  // inside slot B's own bytes
  const LayoutReport report = CheckSv1(image);
  EXPECT_TRUE(report.Has(ProblemKind::kSuperblockOverlap, kSlotB + 168)) << Dump(report);
  EXPECT_EQ(report.problems.size(), 1u) << Dump(report);
  EXPECT_EQ(report.Find(0), nullptr);
  EXPECT_EQ(report.mappings.size(), 2u) << "only chunk 2's pages";
  EXPECT_EQ(report.space.segments, 2u) << "a present chunk still counts";
}

TEST(Sv1Check, AChunkUsedTwiceIsReportedOnceNotForEachOfItsPages) {
  std::vector<uint8_t> image = ReferenceImage(kSlotB);
  // Chunk 2 names chunk 0's block; for an exact count the file is cut so that chunk 2's pages (2048 + j)
  // stay below page_count: 3,072 pages, three chunks.
  Put64(image, kSlotB + 16, 3072 * kPage);
  Put64(image, kSlotB + 128, 3072);
  Root(2, kChunk0Block)(image, kSlotB);
  const LayoutReport report = CheckSv1(image);
  ASSERT_EQ(report.problems.size(), 1u) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kMappedTwice, kSlotB + 176));
  ASSERT_NE(report.Find(2048 + 3), nullptr);
  EXPECT_EQ(report.Find(2048 + 3)->physical_offset, 7 * kPage) << "its pages map for both ranges";
}

TEST(Sv1Check, AnAbsurdMapListsFewUnreadableMappings) {
  std::vector<uint8_t> image = ReferenceImage(kSlotB);
  for (uint64_t j = 4; j < 1023; ++j) Put32(image, kChunk0 + 4 * j, 0xFFFF0000u + static_cast<uint32_t>(j));
  CheckOptions options;
  options.max_problems = 100;
  const LayoutReport report = CheckSv1(image, options);
  EXPECT_EQ(report.mappings.size(), 6u + sv1::kUnreadableMappingsListed);
  EXPECT_EQ(report.space.mapped_pages, 6u + 1019);
  EXPECT_EQ(report.problems.size(), 100u);
  EXPECT_EQ(report.problems_suppressed, 919u);
  EXPECT_TRUE(std::is_sorted(report.mappings.begin(), report.mappings.end(),
                             [](const PageMapping& a, const PageMapping& b) { return a.logical_page < b.logical_page; }));
  EXPECT_NE(report.Find(2100), nullptr) << "readable pages past the cap are still listed";
}

// ---- Dispatch ---------------------------------------------------------------------------------------------

TEST(Sv1Check, CheckImageDispatchesStablvfsVersionOneHereAndNowhereElse) {
  const std::vector<uint8_t> image = ReferenceImage(kSlotB);
  const SpanSource source(image);
  const CheckerInfo* checker = CheckerFor(source);
  ASSERT_NE(checker, nullptr);
  EXPECT_EQ(checker->name, "sv1");
  const LayoutReport report = CheckImage(source);
  EXPECT_EQ(report.layout, "sv1");
  EXPECT_TRUE(report.ok()) << Dump(report);
  EXPECT_EQ(report.mappings, CheckSv1(image).mappings);
  const std::optional<SuperblockFields> sb = DecodeSuperblock(source);
  ASSERT_TRUE(sb.has_value());
  EXPECT_EQ(sb->offset_bytes, kSlotB);

  size_t claimants = 0;
  for (const CheckerInfo* info : CheckerRegistry::Global().All()) {
    if (std::memcmp(info->magic.data(), "STABLVFS", 8) == 0 && info->version == 1) ++claimants;
  }
  EXPECT_EQ(claimants, 1u);
  // The family's checkers, asked directly, do not recognise it.
  EXPECT_TRUE(CheckLayout6(image).Has(ProblemKind::kBadMagic, 0));
  EXPECT_TRUE(CheckLayout8(image).Has(ProblemKind::kBadMagic, 0));
  // A version no checker reads is refused by the registry, naming the version field.
  std::vector<uint8_t> two = image;
  Put32(two, 8, 2);
  const LayoutReport refused = CheckImage(SpanSource(two));
  EXPECT_FALSE(refused.decoded);
  EXPECT_TRUE(refused.Has(ProblemKind::kBadVersion, 8)) << Dump(refused);
}

// ---- The judge's view: what an error must leave alone ---------------------------------------------------------

TEST(Sv1Check, ActiveStateCoversTheHeaderChunksAndMappedPagesAndNothingElse) {
  const std::vector<uint8_t> before = ReferenceImage(kSlotB);
  const auto differs_at = [&](uint64_t offset) {
    std::vector<uint8_t> after = before;
    after.at(offset) ^= 0x5A;
    const std::vector<Problem> problems = CompareActiveState(SpanSource(before), SpanSource(after), "sv1");
    return problems.size() == 1 && problems[0].kind == ProblemKind::kActiveStateDiffers &&
           problems[0].offset_bytes == offset;
  };
  EXPECT_TRUE(differs_at(5 * kPage + 77)) << "logical page 0";
  EXPECT_TRUE(differs_at(6 * kPage + kPage - 1)) << "the last byte of logical page 2100's slot";
  EXPECT_TRUE(differs_at(kChunk0 + 4 * 1000)) << "an absent entry of chunk 0";
  EXPECT_TRUE(differs_at(kChunk2 + 4)) << "chunk 2";
  // The header is compared by the state its active slot names, not byte for byte: a damaged active slot falls
  // back to the older slot, another state; the inactive slot and the rest of the header are not state (a
  // discarded import rewrites a slot with a new sequence and the same state).
  const auto state_differs = [&](uint64_t offset) {
    std::vector<uint8_t> after = before;
    after.at(offset) ^= 0x5A;
    const std::vector<Problem> problems = CompareActiveState(SpanSource(before), SpanSource(after), "sv1");
    return problems.size() == 1 && problems[0].kind == ProblemKind::kActiveStateDiffers;
  };
  EXPECT_TRUE(state_differs(kSlotB + 16)) << "the active slot: the older slot becomes active, another state";
  EXPECT_FALSE(state_differs(kSlotA + 144)) << "the inactive slot is not state";
  EXPECT_FALSE(state_differs(kHeader - 1)) << "the header past both encodings is not state";

  // Free space: the superseded page in slot 8, the old chunk in block 36, a free block beside the chunks, a
  // zero slot; and growth.
  std::vector<uint8_t> after = before;
  after[8 * kPage + 3] ^= 0xFF;
  after[36 * kBlock + 8] ^= 0xFF;
  after[6 * kBlock] ^= 0xFF;
  after[12 * kPage + 100] ^= 0xFF;
  after.resize(after.size() + kWasmPage, 0x55);
  const std::vector<Problem> problems = CompareActiveState(SpanSource(before), SpanSource(after), "sv1");
  EXPECT_TRUE(problems.empty()) << FormatProblems(problems);
}

}  // namespace
}  // namespace stablevfs::check
