// Goal: hold fsck and the library together for every registered layout. Whenever the library refuses to open
// an image, the independent checker (the one `stablevfs fsck` runs, check::CheckImage) must report a problem:
// otherwise `sql` tells the user to run fsck and fsck says the image is clean (hostile-input audit, issue 12).
//
// Method: a reference image per builtin layout, written by the library itself (several commits, a file that
// spans more than one segment of the layout-6 map). Then
//  1. a table of mutations, one per refusal condition of the layouts' Open paths (lib/layout/layout6.cpp,
//     page_map.cpp, superblock.cpp, layout8.cpp, superblock8.cpp, layout_sv1.cpp, layout_common.cpp), each
//     asserting library-refuses <=> checker-reports: the library must refuse (so the row really is a refusal
//     condition) and the checker must report; and harmless mutations where both must accept;
//  2. a seeded, deterministic sweep of random mutations (superblock fields set to edge values and resealed,
//     map entries redirected, bytes flipped) asserting: if the library refuses, fsck is not clean.
// A mutation that edits superblock fields reseals the meta checksum with the checker's own raw codec, so that
// the rule under test, not the checksum, is what the image breaks. Layout 8's field-by-field table lives in
// check_layout8_test.cpp; its rows are repeated here only where the common fields make them generic.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "harness/check/byte_source.h"
#include "harness/check/checker_registry.h"
#include "harness/check/layout6_check.h"
#include "harness/check/layout8_check.h"
#include "harness/check/layout_report.h"
#include "harness/check/raw_codec.h"
#include "harness/check/sv1_check.h"
#include "lib/layout/layout.h"
#include "lib/layout/layout_registry.h"
#include "lib/layout/overlay.h"
#include "lib/memory/heap_stable_memory.h"

namespace stablevfs::check {
namespace {

constexpr uint64_t kPage = 16384;
constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

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

// Recomputes the meta checksum of the superblock at `at` with the checker's raw codec (never the library's).
using ResealFn = std::function<void(std::vector<uint8_t>&, uint64_t at)>;

void Reseal6(std::vector<uint8_t>& image, uint64_t) {
  Put64(image, layout6::kOffMetaChecksum, ComputeMetaChecksum6(image));
}
void Reseal8(std::vector<uint8_t>& image, uint64_t) {
  const uint64_t count = Get64(image, layout8::kOffZeroExtentCount);
  if (count > layout8::kMaxZeroExtents || layout8::EncodedBytes(count) > image.size()) return;
  Put64(image, layout8::kOffMetaChecksum,
        ComputeMetaChecksum8(std::span<const uint8_t>(image).first(layout8::EncodedBytes(count))));
}
void ResealSv1(std::vector<uint8_t>& image, uint64_t at) {
  const uint64_t count = Get64(image, at + sv1::kOffRootCount);
  if (count > sv1::kMaxRootCount) return;
  Put64(image, at + sv1::kOffMetaChecksum,
        ComputeMetaChecksumSv1(std::span<const uint8_t>(image).subspan(at, sv1::EncodedBytes(count))));
}

// Every builtin layout must have one: a layout registered without it fails LayoutsHaveAReseal below.
const std::map<std::string, ResealFn>& Reseals() {
  static const std::map<std::string, ResealFn> reseals = {{"6", Reseal6}, {"8", Reseal8}, {"sv1", ResealSv1}};
  return reseals;
}

std::vector<uint8_t> Content(uint64_t tag) {
  std::vector<uint8_t> page(kPage);
  for (uint64_t i = 0; i < kPage; ++i) page[i] = static_cast<uint8_t>(((tag * 131 + i * 7) % 255) + 1);
  return page;
}

void Commit(Layout& layout, const std::vector<uint64_t>& pages, uint64_t db_size) {
  Overlay overlay(layout.meta().db_size,
                  [&layout](uint64_t page_no, std::span<uint8_t> out) { return layout.ReadPage(page_no, out); });
  for (uint64_t p : pages) {
    const Status s = overlay.Write(p * kPage, Content(p));
    if (!s.ok()) throw std::runtime_error("Write: " + s.ToString());
  }
  const Status t = overlay.Truncate(db_size);
  if (!t.ok()) throw std::runtime_error("Truncate: " + t.ToString());
  const Status s = layout.Publish(overlay);
  if (!s.ok()) throw std::runtime_error("Publish: " + s.ToString());
}

// The reference image of `info`: 301 pages (two layout-6 segments), pages 2 and 100..299 never written,
// then a file ending inside its last page.
std::vector<uint8_t> ReferenceImage(const LayoutInfo& info) {
  HeapStableMemory memory;
  Result<std::unique_ptr<Layout>> layout = Layout::Open(memory, &info);
  if (!layout.ok()) throw std::runtime_error("Layout::Open: " + layout.status().ToString());
  Commit(**layout, {0, 1, 3, 4}, 5 * kPage);
  Commit(**layout, {1, 5, 300}, 301 * kPage);
  Commit(**layout, {0}, 300 * kPage + 100);
  return memory.bytes();
}

bool LibraryOpens(const std::vector<uint8_t>& image, std::string* why) {
  HeapStableMemory memory;
  memory.Assign(image);
  const Result<std::unique_ptr<Layout>> layout = Layout::Open(memory);
  if (!layout.ok()) *why = layout.status().ToString();
  return layout.ok();
}

LayoutReport Fsck(const std::vector<uint8_t>& image) { return CheckImage(SpanSource(image)); }

const std::vector<const LayoutInfo*>& Layouts() {
  static const std::vector<const LayoutInfo*> layouts = LayoutRegistry::Global().Builtins();
  return layouts;
}

// ---- The table: one row per refusal condition ----------------------------------------------------------

// A mutation of the reference image whose active superblock starts at `at`; `reseal` after field edits.
using Mutation = std::function<void(std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal)>;

Mutation Field(uint64_t offset, std::function<uint64_t(const std::vector<uint8_t>&, uint64_t at)> value) {
  return [offset, value](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
    Put64(image, at + offset, value(image, at));
    reseal(image, at);
  };
}
Mutation Fixed(uint64_t offset, uint64_t value) {
  return Field(offset, [value](const std::vector<uint8_t>&, uint64_t) { return value; });
}
// Sets the importing flag (keeping the other bits) and the three placement fields.
Mutation Import(uint64_t base, uint64_t total, uint64_t written) {
  return [=](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
    Put64(image, at + field::kFlags, Get64(image, at + field::kFlags) | kFlagImporting);
    Put64(image, at + field::kImportWrittenUntil, written);
    Put64(image, at + field::kImportTotalSize, total);
    Put64(image, at + field::kImportBaseOffset, base);
    reseal(image, at);
  };
}

// What the library and the checker must make of a mutated image.
enum Expect {
  kRefused,      // the library refuses and the checker reports
  kAccepted,     // both accept
  kCheckerOnly,  // a checker rule past the library's: the library opens it, the checker reports
};

struct Row {
  const char* what;
  Mutation mutate;
  Expect expect;
};

uint64_t SizeOf(const std::vector<uint8_t>& image, uint64_t) { return image.size(); }

// The rows every layout of the family shares (common superblock fields at the family's offsets).
std::vector<Row> CommonRows(const std::string& layout) {
  const bool sv1 = layout == "sv1";
  // A damaged active slot is not a refusal in sv1: the library falls back to the other slot (the previous
  // state), as after a torn write, and the checker accepts that too. Both slots damaged: LayoutRows("sv1").
  const Expect slot_rule = sv1 ? kAccepted : kRefused;
  return {
      {"magic", [](std::vector<uint8_t>& image, uint64_t at, const ResealFn&) { image[at + 2] ^= 0x20; }, slot_rule},
      {"version", [](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
         Put32(image, at + field::kVersion, 99);
         reseal(image, at);
       }, slot_rule},
      {"page size", [](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
         Put32(image, at + field::kPageSize, 4096);
         reseal(image, at);
       }, slot_rule},
      {"layout_version", Fixed(field::kLayoutVersion, 77), slot_rule},
      {"meta checksum", [](std::vector<uint8_t>& image, uint64_t at, const ResealFn&) {
         image[at + field::kDbSize] ^= 1;  // not resealed
       },
       slot_rule},
      {"page_count 0 for a non-empty file", Fixed(field::kPageCount, 0), kRefused},
      {"page_count one short", Field(field::kPageCount, [](const std::vector<uint8_t>& image, uint64_t at) {
         return Get64(image, at + field::kPageCount) - 1;
       }), kRefused},
      {"page_count one over", Field(field::kPageCount, [](const std::vector<uint8_t>& image, uint64_t at) {
         return Get64(image, at + field::kPageCount) + 1;
       }), kRefused},
      {"db_size 4 GiB, nothing else changed", Fixed(field::kDbSize, uint64_t{1} << 32), kRefused},
      {"db_size 0xffffffff", Fixed(field::kDbSize, 0xffffffffull), kRefused},
      {"db_size near 2^64", Fixed(field::kDbSize, kMaxU64), kRefused},
      // sv1's checker holds an empty import to the placement rules; its library looks only at a non-empty one.
      {"importing with an empty staging area", Import(0, 0, 0), sv1 ? kCheckerOnly : kRefused},
      {"import written past its total", Import(0, 100, 101), kRefused},
      {"import staged past the memory",
       [](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
         Import(image.size(), kPage, 0)(image, at, reseal);
       },
       kRefused},
      {"import total near 2^64", Import(1 << 20, kMaxU64, 0), kRefused},
      {"import base near 2^64", Import(kMaxU64 - 10, kPage, 0), kRefused},
      {"import base past the memory, empty import",
       [](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
         Import(image.size() + (1 << 16), 0, 0)(image, at, reseal);
       },
       sv1 ? kCheckerOnly : kRefused},
      // Harmless: both must accept.
      {"schema_version changed", Fixed(field::kSchemaVersion, 42), kAccepted},
      {"stored checksum changed", Fixed(field::kChecksum, 0x1234), kAccepted},
      {"an empty import staged at the end of the memory",
       [](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
         Import(image.size(), 0, 0)(image, at, reseal);
       },
       kAccepted},
  };
}

// The rows of one layout's own refusal conditions.
std::vector<Row> LayoutRows(const std::string& layout) {
  std::vector<Row> rows;
  if (layout == "6") {
    // page_map.cpp PageMap::Load and layout6.cpp Open.
    rows = {
        {"root offset 0 with entries", Fixed(field::kPageTableOffset, 0), kRefused},
        {"root offset without entries",
         [](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
           Put64(image, at + field::kDbSize, 0);
           Put64(image, at + field::kPageCount, 0);
           reseal(image, at);
         },
         kRefused},
        {"root table past the memory", Field(field::kPageTableOffset, SizeOf), kRefused},
        {"root table misaligned", Field(field::kPageTableOffset, [](const std::vector<uint8_t>& image, uint64_t at) {
           return Get64(image, at + field::kPageTableOffset) + 4;
         }), kRefused},
        {"root table in the superblock region", Fixed(field::kPageTableOffset, 1024), kRefused},
        {"segment table past the memory",
         [](std::vector<uint8_t>& image, uint64_t at, const ResealFn&) {
           Put64(image, Get64(image, at + field::kPageTableOffset), image.size() - 1024);
         },
         kRefused},
        {"segment table misaligned",
         [](std::vector<uint8_t>& image, uint64_t at, const ResealFn&) {
           const uint64_t root = Get64(image, at + field::kPageTableOffset);
           Put64(image, root, Get64(image, root) + 3);
         },
         kRefused},
        {"a page past the memory",
         [](std::vector<uint8_t>& image, uint64_t at, const ResealFn&) {
           const uint64_t table = Get64(image, Get64(image, at + field::kPageTableOffset));
           Put64(image, table + 8, image.size() - 100);
         },
         kRefused},
        {"a page in the superblock region",
         [](std::vector<uint8_t>& image, uint64_t at, const ResealFn&) {
           const uint64_t table = Get64(image, Get64(image, at + field::kPageTableOffset));
           Put64(image, table + 8, 4096);
         },
         kRefused},
        {"an import whose segment tables do not fit",
         // 256 pages staged: 4 MiB of pages fit exactly at the base, their segment table and root do not.
         [](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
           image.resize(image.size() + (uint64_t{4} << 20), 0);
           Import(image.size() - (uint64_t{4} << 20), 256 * kPage, 0)(image, at, reseal);
         },
         kRefused},
    };
  } else if (layout == "8") {
    // layout8.cpp CheckAgainstMemory and superblock8.cpp (the full table is in check_layout8_test.cpp).
    rows = {
        {"a page table", Fixed(field::kPageTableOffset, 1 << 16), kRefused},
        {"db_base_offset in the superblock region", Fixed(field::kDbBaseOffset, kPage), kRefused},
        {"pages past the memory", Field(field::kDbBaseOffset, SizeOf), kRefused},
        {"1,025 zero extents", [](std::vector<uint8_t>& image, uint64_t, const ResealFn&) {
           Put64(image, layout8::kOffZeroExtentCount, 1025);
         }, kRefused},
        {"an empty zero extent", [](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
           Put64(image, layout8::kOffExtents + 8, Get64(image, layout8::kOffExtents));
           reseal(image, at);
         }, kRefused},
    };
  } else if (layout == "sv1") {
    // layout_sv1.cpp DecodeSlot, CheckFields and Open (the slot not active is left as it is: it is the
    // previous state, one sequence behind, and damaging the active one makes the library fall back to it).
    const auto both = [](Mutation m) {
      return [m](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
        m(image, at, reseal);
        m(image, at == 0 ? sv1::kSlotBBase : sv1::kSlotABase, reseal);
      };
    };
    rows = {
        {"both slots with the same sequence",
         [](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
           const uint64_t other = at == 0 ? sv1::kSlotBBase : sv1::kSlotABase;
           Put64(image, other + sv1::kOffSequence, Get64(image, at + sv1::kOffSequence));
           reseal(image, other);
         },
         kRefused},
        {"magic in both slots", both([](std::vector<uint8_t>& image, uint64_t at, const ResealFn&) {
           image[at + 2] ^= 0x20;
         }), kRefused},
        {"version in both slots", both([](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
           Put32(image, at + field::kVersion, 99);
           reseal(image, at);
         }), kRefused},
        {"page size in both slots", both([](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
           Put32(image, at + field::kPageSize, 4096);
           reseal(image, at);
         }), kRefused},
        {"layout_version in both slots", both(Fixed(field::kLayoutVersion, 77)), kRefused},
        {"meta checksum in both slots", both([](std::vector<uint8_t>& image, uint64_t at, const ResealFn&) {
           image[at + field::kDbSize] ^= 1;
         }), kRefused},
        {"root count past the limit in both", both([](std::vector<uint8_t>& image, uint64_t at, const ResealFn&) {
           Put64(image, at + sv1::kOffRootCount, sv1::kMaxRootCount + 1);
         }), kRefused},
        {"root count one over", Field(sv1::kOffRootCount, [](const std::vector<uint8_t>& image, uint64_t at) {
           return Get64(image, at + sv1::kOffRootCount) + 1;
         }), kRefused},
        {"db_base_offset", Fixed(field::kDbBaseOffset, 2 * kPage), kRefused},
        {"a page table", Fixed(field::kPageTableOffset, 1 << 16), kRefused},
        {"unknown flag bits", Fixed(field::kFlags, 0x40), kRefused},
        {"a map chunk in the header", [](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
           Put32(image, at + sv1::kOffRoots, 1);
           reseal(image, at);
         }, kRefused},
        {"a map chunk past the memory", [](std::vector<uint8_t>& image, uint64_t at, const ResealFn& reseal) {
           Put32(image, at + sv1::kOffRoots, static_cast<uint32_t>(image.size() / sv1::kBlockBytes));
           reseal(image, at);
         }, kRefused},
        {"import staging off the 16 KiB grid", Import(sv1::kHeaderBytes + 4096, kPage, 0), kRefused},
    };
  }
  return rows;
}

TEST(FsckAgreement, LayoutsHaveAReseal) {
  for (const LayoutInfo* info : Layouts()) {
    EXPECT_TRUE(Reseals().contains(info->name))
        << "layout " << info->name << " is registered without a reseal function here: add one, and its rows";
  }
}

TEST(FsckAgreement, EveryRefusalIsAProblemAndHarmlessChangesAreNot) {
  for (const LayoutInfo* info : Layouts()) {
    if (!Reseals().contains(info->name)) continue;  // LayoutsHaveAReseal fails
    const std::vector<uint8_t> reference = ReferenceImage(*info);
    const LayoutReport clean = Fsck(reference);
    ASSERT_TRUE(clean.ok()) << "layout " << info->name << "\n" << FormatReport(clean);
    const uint64_t at = clean.superblock.offset_bytes;
    std::vector<Row> rows = CommonRows(info->name);
    for (Row& row : LayoutRows(info->name)) rows.push_back(std::move(row));
    for (const Row& row : rows) {
      SCOPED_TRACE("layout " + info->name + ": " + row.what);
      std::vector<uint8_t> image = reference;
      row.mutate(image, at, Reseals().at(info->name));
      std::string why;
      const bool opens = LibraryOpens(image, &why);
      const LayoutReport report = Fsck(image);
      EXPECT_EQ(opens, row.expect != kRefused) << "library: " << (opens ? "opens" : why);
      EXPECT_EQ(report.ok(), row.expect == kAccepted) << "library: " << (opens ? "opens" : why) << "\n"
                                                      << FormatReport(report);
    }
  }
}

// ---- The sweep ------------------------------------------------------------------------------------------

// Below `bound` without the modulo bias mattering here (a test's own reduction: the standard distributions
// differ between standard libraries, and the sweep must be the same everywhere).
uint64_t Below(std::mt19937_64& rng, uint64_t bound) { return bound == 0 ? 0 : rng() % bound; }

uint64_t EdgeValue(std::mt19937_64& rng, uint64_t old, uint64_t size) {
  switch (Below(rng, 14)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return old - 1;
    case 3: return old + 1;
    case 4: return old * 2;
    case 5: return 0xffffffffull;
    case 6: return uint64_t{1} << 32;
    case 7: return uint64_t{1} << 63;
    case 8: return kMaxU64;
    case 9: return size;
    case 10: return size - 8 * (1 + Below(rng, 4));
    case 11: return Below(rng, size / kPage + 1) * kPage;
    case 12: return Below(rng, size);
    default: return rng();
  }
}

// One random mutation: a superblock word set to an edge value and (mostly) resealed, a word of what the
// superblock reaches (map tables) redirected, or a byte flipped anywhere near the structures.
void MutateOnce(std::mt19937_64& rng, std::vector<uint8_t>& image, const LayoutReport& clean, const ResealFn& reseal) {
  const uint64_t at = clean.superblock.offset_bytes;
  const uint64_t size = image.size();
  switch (Below(rng, 4)) {
    case 0:
    case 1: {  // a superblock word (the common fields and what follows them: counts, extents, roots)
      const uint64_t offset = at + 8 * Below(rng, 26);
      Put64(image, offset, EdgeValue(rng, Get64(image, offset), size));
      if (Below(rng, 10) != 0) reseal(image, at);
      break;
    }
    case 2: {  // an entry of a table the map reaches
      std::vector<const Extent*> tables;
      for (const Extent& e : clean.extents) {
        if (e.kind == ExtentKind::kRootTable || e.kind == ExtentKind::kSegmentTable) tables.push_back(&e);
      }
      if (tables.empty()) break;
      const Extent& table = *tables[Below(rng, tables.size())];
      const uint64_t offset = table.offset_bytes + 4 * Below(rng, table.length_bytes / 4);
      const uint64_t value = EdgeValue(rng, Get64(image, offset & ~uint64_t{7}), size);
      if (Below(rng, 2) == 0) {
        Put32(image, offset, static_cast<uint32_t>(value));
      } else if (offset + 8 <= size) {
        Put64(image, offset, value);
      }
      break;
    }
    default: {  // a bit anywhere in the first 128 KiB, resealed half the time
      image[Below(rng, std::min<uint64_t>(size, 128 * 1024))] ^= static_cast<uint8_t>(1u << Below(rng, 8));
      if (Below(rng, 2) == 0) reseal(image, at);
      break;
    }
  }
}

TEST(FsckAgreement, RandomMutationsTheLibraryRefusesAreNeverClean) {
  constexpr uint64_t kSeed = 20240612;
  constexpr int kImagesPerLayout = 400;
  for (const LayoutInfo* info : Layouts()) {
    if (!Reseals().contains(info->name)) continue;
    const std::vector<uint8_t> reference = ReferenceImage(*info);
    const LayoutReport clean = Fsck(reference);
    ASSERT_TRUE(clean.ok()) << FormatReport(clean);
    uint64_t name_hash = 0;  // not std::hash: it differs between standard libraries
    for (const char c : info->name) name_hash = name_hash * 131 + static_cast<uint8_t>(c);
    std::mt19937_64 rng(kSeed ^ name_hash);
    int refused = 0;
    for (int i = 0; i < kImagesPerLayout; ++i) {
      std::vector<uint8_t> image = reference;
      const uint64_t mutations = 1 + Below(rng, 3);
      for (uint64_t m = 0; m < mutations; ++m) MutateOnce(rng, image, clean, Reseals().at(info->name));
      std::string why;
      if (LibraryOpens(image, &why)) continue;
      ++refused;
      const LayoutReport report = Fsck(image);
      EXPECT_FALSE(report.ok()) << "layout " << info->name << ", image " << i << ": the library refuses (" << why
                                << ") but fsck is clean";
    }
    // The sweep must exercise refusals, not only images both accept.
    EXPECT_GT(refused, kImagesPerLayout / 4) << "layout " << info->name;
  }
}

}  // namespace
}  // namespace stablevfs::check
