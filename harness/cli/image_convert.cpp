#include "harness/cli/image_convert.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <optional>

#include "harness/check/checker_registry.h"
#include "harness/check/layout_report.h"
#include "harness/check/memory_manager_check.h"
#include "harness/cli/args.h"
#include "harness/cli/image_report.h"
#include "lib/db/db.h"
#include "lib/layout/layout.h"
#include "lib/layout/overlay.h"
#include "lib/memory/heap_stable_memory.h"
#include "lib/memory/memory_manager.h"

namespace stablevfs::cli {
namespace {

constexpr uint64_t kPage = kDbPageBytes;
constexpr size_t kProblemsShown = 10;

void Log(std::ostream* log, const std::string& line) {
  if (log != nullptr) *log << "convert: " << line << "\n" << std::flush;
}

std::string FsckCommand(const std::string& name, const ImageTarget& target) {
  return "stablevfs fsck " + name + (target.raw ? " --raw" : " --memory-id " + std::to_string(target.memory_id));
}

// "name (MemoryId 120)" / "name (the raw virtual memory)".
std::string Where(const std::string& name, const ImageTarget& target) { return name + " (" + target.Describe() + ")"; }

// The checker's problems, as fsck prints them, one per line (at most kProblemsShown).
std::string ProblemLines(const CheckedImage& image) {
  const std::vector<LocatedProblem> problems = image.Problems();
  std::string out;
  for (size_t i = 0; i < problems.size() && i < kProblemsShown; ++i) out += "\n  " + FormatLocatedProblem(problems[i]);
  const uint64_t more = problems.size() + image.problems_suppressed() - std::min(problems.size(), kProblemsShown);
  if (more > 0) out += "\n  (" + std::to_string(more) + " more)";
  if (!image.layout_checked()) {
    out += "\n  (" + image.target().Describe() + " was not located, so no layout was checked)";
  }
  const std::string hint = image.TargetHint();
  if (!hint.empty()) out += "\n  " + hint;
  return out;
}

uint64_t Fnv1a64Of(std::span<const uint8_t> bytes) {
  Fnv1a64 hash;
  hash.Update(bytes);
  return hash.value();
}

// "1 memory", "3 memories".
std::string Memories(uint64_t count) { return std::to_string(count) + (count == 1 ? " memory" : " memories"); }

bool AllZero(std::span<const uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

// True iff the checker that decoded `report` reads the magic and version `layout` stores: the image is in
// that layout's format (a registered variant of a builtin stores its base's format, and is checked as it).
bool StoresFormatOf(const check::LayoutReport& report, const LayoutInfo& layout) {
  const check::CheckerInfo* checker = check::CheckerRegistry::Global().Find(report.layout);
  return checker != nullptr && checker->magic == layout.magic && checker->version == layout.version;
}

// What the output must carry over from the source.
struct Carried {
  uint64_t schema_version = 0;
  uint64_t last_tx_id = 0;
  uint64_t checksum = 0;
};

// A new database of layout `to` holding `logical`, written by the library into a fresh memory.
struct Built {
  std::unique_ptr<HeapStableMemory> memory = std::make_unique<HeapStableMemory>();
  uint64_t pages_written = 0;
};

// Formats an empty memory with `to`, publishes `logical` (its non-zero pages, or every page when
// `every_page`), stores the carried meta and sets last_tx_id. Returns the publish's error when the layout
// refuses the publish (the caller may retry with every page); throws UsageError for a last_tx_id the library
// cannot carry over and ConvertError for any other failure.
Status Build(const std::string& name, const LayoutInfo& to, std::span<const uint8_t> logical, bool every_page,
             const Carried& carried, Built& built) {
  const LayoutInfo* opened_as = nullptr;
  Result<std::unique_ptr<Layout>> opened = Layout::Open(*built.memory, &to, &opened_as);
  if (!opened.ok()) {
    throw ConvertError("layout " + to.name + " cannot format an empty memory: " + opened.status().ToString());
  }
  if (opened_as != &to) {
    throw ConvertError("formatting an empty memory as layout " + to.name + " opened it as layout " +
                       (opened_as != nullptr ? opened_as->name : std::string("?")));
  }
  Layout& layout = *opened.value();
  Overlay overlay(0, [&layout](uint64_t page_no, std::span<uint8_t> out) { return layout.ReadPage(page_no, out); });
  const uint64_t pages = check::CeilDiv(logical.size(), kPage);
  for (uint64_t p = 0; p < pages; ++p) {
    const std::span<const uint8_t> page =
        logical.subspan(p * kPage, std::min<uint64_t>(kPage, logical.size() - p * kPage));
    if (!every_page && AllZero(page)) continue;
    const Status written = overlay.Write(p * kPage, page);
    if (!written.ok()) throw ConvertError("writing logical page " + std::to_string(p) + ": " + written.ToString());
    ++built.pages_written;
  }
  if (overlay.db_size() != logical.size()) {
    // The file ends in pages of zeros: only its size says they are there.
    const Status sized = overlay.Truncate(logical.size());
    if (!sized.ok()) throw ConvertError("setting the file size: " + sized.ToString());
  }
  if (overlay.dirty()) {
    const Status published = layout.Publish(overlay);
    if (!published.ok()) return published;
  }
  Meta meta = layout.meta();
  meta.schema_version = carried.schema_version;
  meta.checksum = carried.checksum;
  meta.flags = 0;  // the checksum is verified: not stale, no refresh, no import
  meta.checksum_refresh_offset = 0;
  meta.checksum_refresh_hash = 0;
  meta.checksum_refresh_tx_id = 0;
  const Status stored = layout.StoreMeta(meta);
  if (!stored.ok()) throw ConvertError("StoreMeta on the new layout " + to.name + " database: " + stored.ToString());
  const uint64_t written_tx = layout.meta().last_tx_id;
  const Status set = layout.SetLastTxId(carried.last_tx_id);
  if (set.code() == ErrorCode::kInvalidArgument && carried.last_tx_id < written_tx) {
    throw UsageError(name + " holds a database of " + std::to_string(logical.size()) + " bytes with last_tx_id " +
                     std::to_string(carried.last_tx_id) + ", which cannot be carried over: writing the database is " +
                     "transaction " + std::to_string(written_tx) +
                     " of the new image, and a transaction id never goes backwards; nothing written");
  }
  if (!set.ok()) throw ConvertError("SetLastTxId on the new layout " + to.name + " database: " + set.ToString());
  const Status valid = layout.Validate();
  if (!valid.ok()) throw ConvertError("the new layout " + to.name + " database does not validate: " + valid.ToString());
  return Status::Ok();
}

// Places `database` (a virtual memory's bytes) into memory `id` of the MemoryManager image `image`, keeping
// every other memory; fills the MemoryManager figures of `result`.
std::vector<uint8_t> PlaceInManager(const std::string& name, std::span<const uint8_t> image, uint8_t id,
                                    std::span<const uint8_t> database, const std::string& to, ConvertResult& result) {
  HeapStableMemory whole;
  whole.Assign(std::vector<uint8_t>(image.begin(), image.end()));
  Result<std::unique_ptr<MemoryManager>> loaded = MemoryManager::Load(whole);
  if (!loaded.ok()) {
    throw ConvertError("the library's MemoryManager refuses the header the independent checker found clean: " +
                       loaded.status().ToString());
  }
  MemoryManager& manager = *loaded.value();
  Result<VirtualMemory*> got = manager.Get(id);
  if (!got.ok()) throw ConvertError("MemoryId " + std::to_string(id) + ": " + got.status().ToString());
  VirtualMemory& memory = *got.value();
  for (uint64_t i = 0; i < check::mm::kMemoryCount; ++i) {
    if (manager.memory_size_pages(static_cast<MemoryId>(i)) != 0) ++result.memories;
  }
  result.memory_pages_before = memory.size_pages();
  const uint64_t needed = database.size() / kWasmPageBytes;
  const uint32_t buckets_before = manager.allocated_buckets();
  if (needed > memory.size_pages()) {
    const uint64_t from = memory.size_pages();
    if (memory.grow(needed - from) < 0) {
      throw UsageError(name + ": MemoryId " + std::to_string(id) + " must grow from " + std::to_string(from) + " to " +
                       std::to_string(needed) + " pages to hold the layout " + to +
                       " database, but the MemoryManager cannot allocate the buckets (" +
                       std::to_string(buckets_before) + " of 32768 allocated, " +
                       std::to_string(manager.bucket_size_pages()) + " pages each); nothing written");
    }
  }
  result.memory_pages_after = memory.size_pages();
  result.buckets_added = manager.allocated_buckets() - buckets_before;
  memory.write(0, database);
  // The rest of the memory held the old database: zero it, so nothing of the old layout is left to misread.
  const std::vector<uint8_t> zeros(1 << 20, 0);
  for (uint64_t at = database.size(); at < memory.size_bytes();) {
    const uint64_t n = std::min<uint64_t>(zeros.size(), memory.size_bytes() - at);
    memory.write(at, std::span<const uint8_t>(zeros.data(), n));
    at += n;
  }
  return std::vector<uint8_t>(whole.bytes().begin(),
                              whole.bytes().begin() + static_cast<ptrdiff_t>(whole.size_bytes()));
}

// The first offset where `a` and `b` differ (or the shorter length), for messages.
uint64_t FirstDifference(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  const auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return static_cast<uint64_t>(ia - a.begin());
}

// Verifies the output (see the header comment); throws ConvertError naming the first check that fails and
// returns the summary of what was verified.
std::string Verify(const CheckedImage& source, std::span<const uint8_t> image, std::span<const uint8_t> out,
                   const ConvertOptions& options, std::span<const uint8_t> logical, const Carried& carried) {
  const ImageTarget& target = options.target;
  const LayoutInfo& to = *options.to;
  std::string summary;

  // 1. The independent checker: clean, the target layout, the same logical file and the carried fields.
  const CheckedImage checked("the output", out, target);
  if (!checked.clean()) {
    throw ConvertError("the output is not clean by the independent checker:" + ProblemLines(checked));
  }
  if (!StoresFormatOf(checked.layout(), to)) {
    throw ConvertError("the independent checker reads the output as layout " + checked.layout().layout +
                       ", not layout " + to.name);
  }
  summary += "fsck clean (layout " + checked.layout().layout + ")";
  std::vector<uint8_t> resolved;
  try {
    resolved = check::ResolveLogicalImage(checked.memory(), checked.layout());
  } catch (const std::exception& e) {
    throw ConvertError(std::string("the independent checker cannot resolve the output's logical file: ") + e.what());
  }
  if (!std::equal(resolved.begin(), resolved.end(), logical.begin(), logical.end())) {
    throw ConvertError("the logical file the independent checker resolves from the output (" +
                       std::to_string(resolved.size()) + " bytes) differs from the source's (" +
                       std::to_string(logical.size()) + " bytes) at byte " +
                       std::to_string(FirstDifference(resolved, logical)));
  }
  summary += ", extract identical (" + std::to_string(logical.size()) + " bytes)";
  const check::SuperblockFields& sb = checked.layout().superblock;
  if (sb.schema_version != carried.schema_version || sb.last_tx_id != carried.last_tx_id ||
      sb.checksum != carried.checksum || sb.flags != 0) {
    throw ConvertError("the output's superblock holds schema_version " + std::to_string(sb.schema_version) +
                       ", last_tx_id " + std::to_string(sb.last_tx_id) + ", checksum " + Hex(sb.checksum) + ", flags " +
                       Hex(sb.flags) + "; expected " + std::to_string(carried.schema_version) + ", " +
                       std::to_string(carried.last_tx_id) + ", " + Hex(carried.checksum) + ", 0");
  }
  if (Fnv1a64Of(resolved) != sb.checksum) {
    throw ConvertError("the output's checksum " + Hex(sb.checksum) + " is not the FNV-1a 64 of its logical file " +
                       Hex(Fnv1a64Of(resolved)));
  }
  summary += ", schema_version " + std::to_string(sb.schema_version) + ", last_tx_id " + std::to_string(sb.last_tx_id) +
             ", checksum " + Hex(sb.checksum) + " (not stale)";

  // 2. The library: it opens the output as the target layout and SQLite finds the database intact.
  {
    HeapStableMemory copy;
    copy.Assign(std::vector<uint8_t>(out.begin(), out.end()));
    std::unique_ptr<MemoryManager> manager;
    StableMemory* memory = &copy;
    std::string opened_layout;
    std::string integrity;
    try {
      if (!target.raw) {
        Result<std::unique_ptr<MemoryManager>> loaded = MemoryManager::Load(copy);
        if (!loaded.ok()) {
          throw ConvertError("the library's MemoryManager refuses the output: " + loaded.status().ToString());
        }
        manager = std::move(loaded).value();
        Result<VirtualMemory*> vm = manager->Get(target.memory_id);
        if (!vm.ok()) {
          throw ConvertError("the library finds no MemoryId " + std::to_string(target.memory_id) +
                             " in the output: " + vm.status().ToString());
        }
        memory = vm.value();
      }
      Db::Options db_options;
      db_options.layout = &to;
      Result<std::unique_ptr<Db>> db = Db::Init(*memory, std::move(db_options));
      if (!db.ok()) throw ConvertError("the library cannot open the output: " + db.status().ToString());
      Result<DbMeta> meta = db.value()->GetMeta();
      if (!meta.ok()) throw ConvertError("the library cannot read the output's meta: " + meta.status().ToString());
      opened_layout = meta->layout;
      if (meta->superblock.last_tx_id != carried.last_tx_id ||
          meta->superblock.schema_version != carried.schema_version || meta->superblock.checksum != carried.checksum ||
          meta->superblock.db_size != logical.size()) {
        throw ConvertError("the library reads the output's superblock as db_size " +
                           std::to_string(meta->superblock.db_size) + ", last_tx_id " +
                           std::to_string(meta->superblock.last_tx_id) + ", schema_version " +
                           std::to_string(meta->superblock.schema_version) + ", checksum " +
                           Hex(meta->superblock.checksum) + ", not as carried over");
      }
      Result<std::string> check = db.value()->IntegrityCheck();
      if (!check.ok()) throw ConvertError("PRAGMA integrity_check on the output failed: " + check.status().ToString());
      integrity = *check;
    } catch (const ConvertError&) {
      throw;
    } catch (const std::exception& e) {
      throw ConvertError(std::string("the library trapped opening the output: ") + e.what());
    }
    if (opened_layout != to.name) {
      throw ConvertError("the library opens the output as layout " + opened_layout + ", not layout " + to.name);
    }
    if (integrity != "ok") throw ConvertError("PRAGMA integrity_check on the output says: " + integrity);
    summary += "; the library opens it as layout " + to.name + " and integrity_check says ok";
  }

  // 3. A MemoryManager image: every other memory, and the header but for the target memory's growth.
  if (!target.raw) {
    const check::MemoryManagerHeader& before = source.manager().header;
    const check::MemoryManagerHeader& after = checked.manager().header;
    if (after.bucket_size_pages != before.bucket_size_pages || after.version != before.version ||
        after.allocated_buckets < before.allocated_buckets) {
      throw ConvertError("the output's MemoryManager header changed its version, bucket size or bucket count");
    }
    for (uint32_t b = 0; b < before.allocated_buckets; ++b) {
      if (after.owners[b] != before.owners[b]) {
        throw ConvertError("bucket " + std::to_string(b) + " changed owner from " + std::to_string(before.owners[b]) +
                           " to " + std::to_string(after.owners[b]));
      }
    }
    for (uint32_t b = before.allocated_buckets; b < after.allocated_buckets; ++b) {
      if (after.owners[b] != target.memory_id) {
        throw ConvertError("new bucket " + std::to_string(b) + " is owned by " + std::to_string(after.owners[b]) +
                           ", not by MemoryId " + std::to_string(target.memory_id));
      }
    }
    const check::SpanSource image_bytes(image);
    const check::SpanSource out_bytes(out);
    uint64_t others = 0;
    for (uint64_t i = 0; i < check::mm::kMemoryCount; ++i) {
      const auto id = static_cast<uint8_t>(i);
      if (id == target.memory_id) {
        if (after.memory_size_pages[i] < before.memory_size_pages[i]) {
          throw ConvertError("MemoryId " + std::to_string(i) + " shrank");
        }
        continue;
      }
      if (after.memory_size_pages[i] != before.memory_size_pages[i]) {
        throw ConvertError("MemoryId " + std::to_string(i) + " changed size from " +
                           std::to_string(before.memory_size_pages[i]) + " to " +
                           std::to_string(after.memory_size_pages[i]) + " pages");
      }
      if (before.memory_size_pages[i] == 0) continue;
      if (check::ExtractVirtualMemory(image_bytes, before, id) != check::ExtractVirtualMemory(out_bytes, after, id)) {
        throw ConvertError("the bytes of MemoryId " + std::to_string(i) + " changed");
      }
      ++others;
    }
    summary += "; " +
               (others == 0 ? std::string("no other memory")
                            : "the " + Memories(others) + " beside it byte for byte as before") +
               ", the MemoryManager header changed " +
               (after.allocated_buckets == before.allocated_buckets &&
                        after.memory_size_pages[target.memory_id] == before.memory_size_pages[target.memory_id]
                    ? std::string("in nothing")
                    : "only in " + target.Describe() + "'s size and " +
                          Count(after.allocated_buckets - before.allocated_buckets, "new bucket"));
  }
  return summary;
}

}  // namespace

ConvertResult ConvertImage(const std::string& name, std::span<const uint8_t> image, const ConvertOptions& options,
                           std::ostream* log) {
  const ImageTarget& target = options.target;
  const LayoutInfo& to = *options.to;
  if (check::CheckerRegistry::Global().FindStored(to.magic, to.version) == nullptr) {
    throw UsageError("--to " + to.name + ": no independent checker is registered for layout " + to.name +
                     " (checkers: " + check::CheckerRegistry::Global().Names() +
                     "), so the result could not be verified; nothing written");
  }

  // The source, by the independent checker.
  const CheckedImage source(name, image, target);
  if (!source.clean()) {
    throw UsageError(Where(name, target) +
                     " is not clean by the independent checker; convert needs a clean source:" + ProblemLines(source) +
                     "\nrun '" + FsckCommand(name, target) + "' for the full report; nothing written");
  }
  const check::LayoutReport& report = source.layout();
  const check::SuperblockFields& sb = report.superblock;
  ConvertResult result;
  result.from_layout = report.layout;
  result.to_layout = to.name;
  if (sb.importing()) {
    throw UsageError(
        Where(name, target) + " has an import in progress (" + std::to_string(sb.import_written_until) + " of " +
        std::to_string(sb.import_total_size) +
        " bytes staged): finish or cancel the import in the canister first, then convert; nothing written");
  }
  if (StoresFormatOf(report, to)) {
    throw UsageError(Where(name, target) + " is already layout " + report.layout +
                     (report.layout == to.name ? std::string() : ", the format layout " + to.name + " stores") +
                     "; nothing to convert (to copy an image, copy the file); nothing written");
  }
  Log(log, "read " + name + ": " + target.Describe() +
               (target.raw ? std::string() : " of " + Memories(source.MemoriesInUse().size())) + ", layout " +
               report.layout + ", clean by the independent checker");

  std::vector<uint8_t> logical;
  try {
    logical = check::ResolveLogicalImage(source.memory(), report);
  } catch (const std::length_error& e) {
    throw UsageError(Where(name, target) + ": cannot resolve the logical file: " + e.what() + "; nothing written");
  }
  const uint64_t computed = Fnv1a64Of(logical);
  // A database that was never written (a fresh superblock: no transaction, no bytes) stores checksum 0 without
  // the stale flag: nothing was ever verified, so there is nothing to compare.
  const bool fresh = sb.last_tx_id == 0 && sb.db_size == 0 && sb.checksum == 0;
  const bool stale = fresh || (sb.flags & (check::kFlagChecksumStale | check::kFlagChecksumRefreshing)) != 0;
  if (!stale && computed != sb.checksum) {
    throw UsageError(Where(name, target) + " is damaged: its checksum " + Hex(sb.checksum) +
                     " is marked verified (not stale), but the logical file of " + std::to_string(logical.size()) +
                     " bytes hashes to " + Hex(computed) +
                     " (FNV-1a 64): pages or the checksum changed after it was verified (fsck does not hash " +
                     "pages, so it may find the image clean); recover the database from a good copy; nothing written");
  }
  Carried carried{sb.schema_version, sb.last_tx_id, computed};
  result.db_size = logical.size();
  result.logical_pages = check::CeilDiv(logical.size(), kPage);
  result.schema_version = carried.schema_version;
  result.last_tx_id = carried.last_tx_id;
  result.checksum = carried.checksum;
  result.source_checksum_stale = stale;
  Log(log, "source: db_size " + std::to_string(result.db_size) + " (" + Count(result.logical_pages, "page") + ", " +
               std::to_string(report.space.mapped_pages) + " mapped), last_tx_id " + std::to_string(sb.last_tx_id) +
               ", schema_version " + std::to_string(sb.schema_version) + ", checksum " + Hex(computed) +
               (fresh   ? " (computed: a fresh database stores none)"
                : stale ? " (recomputed: the stored one was stale)"
                        : " (recomputed over the logical file; equals the stored, verified one)"));

  // The new database, by the library.
  Built built;
  Status published = Build(name, to, logical, /*every_page=*/false, carried, built);
  if (!published.ok()) {
    if (published.code() != ErrorCode::kCapacity) {
      throw ConvertError("publishing the logical file to layout " + to.name + ": " + published.ToString());
    }
    Log(log, "layout " + to.name + " refuses to publish the file with its pages of zeros left unwritten (" +
                 published.ToString() + "); writing every page instead");
    built = Built();
    published = Build(name, to, logical, /*every_page=*/true, carried, built);
    if (!published.ok()) {
      throw ConvertError("publishing the logical file to layout " + to.name + ": " + published.ToString());
    }
    result.wrote_every_page = true;
  }
  result.pages_written = built.pages_written;
  const std::span<const uint8_t> database(built.memory->bytes().data(), built.memory->size_bytes());
  result.database_bytes = database.size();
  Log(log, "wrote the database as layout " + to.name + " through the library: " + Count(result.pages_written, "page") +
               " published" +
               (result.wrote_every_page
                    ? std::string(" (every page)")
                    : " (" + Count(result.logical_pages - result.pages_written, "page") + " of zeros left unwritten)") +
               ", then schema_version, checksum (not stale) and last_tx_id; " + Bytes(result.database_bytes) +
               " of virtual memory");

  if (target.raw) {
    result.bytes.assign(database.begin(), database.end());
  } else {
    result.bytes = PlaceInManager(name, image, target.memory_id, database, to.name, result);
    Log(log, target.Describe() + ": " +
                 (result.buckets_added == 0 ? "kept at " + Count(result.memory_pages_after, "page") + " (no new bucket)"
                                            : "grown from " + std::to_string(result.memory_pages_before) + " to " +
                                                  Count(result.memory_pages_after, "page") + " (" +
                                                  Count(result.buckets_added, "new bucket") + ")") +
                 "; the new database written at its start and the rest of its old bytes zeroed; " +
                 (result.memories <= 1 ? std::string("no other memory in the image")
                                       : "the " + Memories(result.memories - 1) + " beside it left as they were"));
  }

  Log(log, "verified the output: " + Verify(source, image, result.bytes, options, logical, carried));
  return result;
}

}  // namespace stablevfs::cli
