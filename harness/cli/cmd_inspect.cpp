// stablevfs inspect IMAGE: show what an image holds: the MemoryManager's memories, the superblock fields, the
// page map (logical page -> physical offset, segment and root tables; long runs abbreviated) and the space
// (live, orphaned, unused; the compaction advice). --svg draws the memory; --json prints it all as JSON.
// Exit 0 when the checker finds nothing wrong, 1 when it does (everything decodable is still shown), 2 for bad
// input. The file is opened read-only.
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include "harness/cli/args.h"
#include "harness/cli/commands.h"
#include "harness/cli/image_file.h"
#include "harness/cli/image_report.h"
#include "harness/cli/output_path.h"
#include "harness/json/json_text.h"
#include "harness/cli/memory_svg.h"

namespace stablevfs::cli {
using json::JsonString;
namespace {


constexpr const char* kUsage = "IMAGE [--memory-id N | --raw] [--svg FILE] [--json] [--full]";

constexpr const char* kDescription =
    "Shows what an image file holds, as the independent checker of its layout decodes it (the layout is\n"
    "detected from the superblock's magic and version): the MemoryManager's memories (unless --raw), every\n"
    "superblock field with what it means in that layout, the page map (runs of logical pages stored back\n"
    "to back are shown as one line; map tables with their offsets) and the space: allocated, active and\n"
    "orphaned bytes with the layout's compaction advice (an estimate), and what a scan of the memory finds\n"
    "outside the active image (orphan: written bytes no longer reached; unused: zeros).\n"
    "\n"
    "--svg FILE writes a picture of the memory: one row per 64 KiB, coloured by superblock, live pages,\n"
    "root and segment tables, orphans and unused space, with problems outlined in red. Problems are\n"
    "listed as fsck lists them. The file is opened read-only and never modified.";

// A run of logical pages: mapped back to back (first_offset, +16 KiB each), or unmapped (no offset).
struct PageRun {
  uint64_t first_page = 0;
  uint64_t last_page = 0;
  std::optional<uint64_t> first_offset;
};

// The page map of [0, logical pages) as runs, plus mapped pages at or past the end (reported by the checker
// as beyond_db_size, shown as they are).
std::vector<PageRun> PageRuns(const check::LayoutReport& layout) {
  std::vector<PageRun> runs;
  const uint64_t logical_pages = layout.superblock.logical_pages();
  uint64_t next = 0;  // the first logical page not yet placed in a run
  auto unmapped_until = [&](uint64_t end) {
    if (next < end) runs.push_back(PageRun{next, end - 1, std::nullopt});
  };
  for (const check::PageMapping& m : layout.mappings) {
    if (m.logical_page < next) continue;  // defensive: mappings are ascending and unique
    unmapped_until(std::min(m.logical_page, logical_pages));
    if (!runs.empty() && runs.back().first_offset && runs.back().last_page + 1 == m.logical_page &&
        *runs.back().first_offset + (m.logical_page - runs.back().first_page) * check::kPageBytes == m.physical_offset) {
      runs.back().last_page = m.logical_page;
    } else {
      runs.push_back(PageRun{m.logical_page, m.logical_page, m.physical_offset});
    }
    next = m.logical_page + 1;
  }
  unmapped_until(logical_pages);
  return runs;
}

std::string RunText(const PageRun& run) {
  std::string pages = run.first_page == run.last_page
                          ? "page " + std::to_string(run.first_page)
                          : "pages " + std::to_string(run.first_page) + ".." + std::to_string(run.last_page);
  pages.resize(std::max<size_t>(pages.size(), 18), ' ');
  if (!run.first_offset) return pages + " unmapped (reads as zeros)";
  const uint64_t count = run.last_page - run.first_page + 1;
  if (count == 1) return pages + " -> " + Hex(*run.first_offset);
  return pages + " -> " + Hex(*run.first_offset) + ".." + Hex(*run.first_offset + (count - 1) * check::kPageBytes) +
         " (" + std::to_string(count) + " pages back to back)";
}

// Prints `count` lines made by `line(i)`, all of them with `full`, else the first 24 and the last 8 around a
// count of those left out. Lines are made as they are printed: a hostile root of a million entries costs no
// memory here.
void PrintAbbreviated(std::ostream& out, size_t count, const std::function<std::string(size_t)>& line, bool full,
                      const std::string& what) {
  constexpr size_t kHead = 24;
  constexpr size_t kTail = 8;
  if (full || count <= kHead + kTail + 1) {
    for (size_t i = 0; i < count; ++i) out << "  " << line(i) << "\n";
    return;
  }
  for (size_t i = 0; i < kHead; ++i) out << "  " << line(i) << "\n";
  out << "  ... " << count - kHead - kTail << " more " << what << " (--full shows all)\n";
  for (size_t i = count - kTail; i < count; ++i) out << "  " << line(i) << "\n";
}

void PrintAbbreviated(std::ostream& out, const std::vector<std::string>& lines, bool full, const std::string& what) {
  PrintAbbreviated(out, lines.size(), [&lines](size_t i) { return lines[i]; }, full, what);
}

std::string FlagText(uint64_t flags) {
  std::string names;
  auto add = [&](const char* name) { names += (names.empty() ? "" : ", ") + std::string(name); };
  if (flags & check::kFlagImporting) add("importing");
  if (flags & check::kFlagChecksumStale) add("checksum stale");
  if (flags & check::kFlagChecksumRefreshing) add("checksum refreshing");
  if (flags & ~check::kKnownFlags) add("unknown bits");
  return Hex(flags) + (names.empty() ? "" : " (" + names + ")");
}

void PrintSuperblock(std::ostream& out, const CheckedImage& image) {
  const check::LayoutReport& layout = image.layout();
  const check::SuperblockFields& sb = layout.superblock;
  const std::optional<uint64_t> file_at = image.FileOffset(sb.offset_bytes);
  out << "superblock of layout " << layout.layout << (layout.description.empty() ? "" : ": " + layout.description)
      << " (memory offset " << sb.offset_bytes
      << (file_at && !image.target().raw ? ", file " + Hex(*file_at) : "") << "):\n";
  auto field = [&](const std::string& name, const std::string& value) {
    std::string left = "  " + name;
    left.resize(std::max<size_t>(left.size() + 1, 24), ' ');
    const std::string note = layout.NoteOn(name);
    out << left << value << (note.empty() ? "" : " (" + note + ")") << "\n";
  };
  field("magic", std::string(sb.raw.begin(), sb.raw.begin() + static_cast<ptrdiff_t>(std::min<size_t>(8, sb.raw.size()))));
  field("version", std::to_string(sb.version));
  field("page_size", std::to_string(sb.page_size));
  field("db_size", std::to_string(sb.db_size) + " (" + Count(sb.logical_pages(), "logical page") + ")");
  field("schema_version", std::to_string(sb.schema_version));
  field("last_tx_id", std::to_string(sb.last_tx_id));
  field("flags", FlagText(sb.flags));
  field("checksum", Hex(sb.checksum) + ((sb.flags & check::kFlagChecksumStale) ? " (stale)" : ""));
  if ((sb.flags & check::kFlagImporting) || sb.import_total_size || sb.import_written_until || sb.import_base_offset ||
      sb.import_expected_checksum) {
    field("import", std::to_string(sb.import_written_until) + " of " + std::to_string(sb.import_total_size) +
                        " bytes staged at " + Hex(sb.import_base_offset) + ", expected checksum " +
                        Hex(sb.import_expected_checksum));
  } else {
    field("import", "none");
  }
  if ((sb.flags & check::kFlagChecksumRefreshing) || sb.checksum_refresh_offset || sb.checksum_refresh_hash ||
      sb.checksum_refresh_tx_id) {
    field("checksum refresh", "at " + std::to_string(sb.checksum_refresh_offset) + ", partial hash " +
                                  Hex(sb.checksum_refresh_hash) + ", tx " + std::to_string(sb.checksum_refresh_tx_id));
  } else {
    field("checksum refresh", "none");
  }
  field("db_base_offset", Hex(sb.db_base_offset));
  field("page_table_offset", Hex(sb.page_table_offset));
  field("page_count", std::to_string(sb.page_count));
  field("layout_version", std::to_string(sb.layout_version));
  for (const check::LayoutField& f : sb.layout_fields) field(f.name, std::to_string(f.value));
  field("meta_checksum", Hex(sb.meta_checksum) + (sb.meta_checksum == sb.computed_meta_checksum
                                                       ? " (matches)"
                                                       : " (MISMATCH: computed " + Hex(sb.computed_meta_checksum) + ")"));
}

void PrintPageMap(std::ostream& out, const CheckedImage& image, bool full) {
  const check::LayoutReport& layout = image.layout();
  const check::SuperblockFields& sb = layout.superblock;
  out << "page map: " << layout.space.mapped_pages << " of " << Count(sb.logical_pages(), "logical page")
      << " mapped" << (layout.space.segments > 0 ? ", " + Count(layout.space.segments, "segment") : std::string())
      << "\n";
  // The map tables the checker placed (a layout that keeps pages in place has none), then each root entry,
  // present or absent, as the checker decoded them.
  std::vector<std::string> tables;
  for (const check::Extent& extent : layout.extents) {
    if (extent.kind != check::ExtentKind::kRootTable) continue;
    tables.push_back("root table        " + Hex(extent.offset_bytes) + " +" + std::to_string(extent.length_bytes) +
                     " (" + Count(layout.root_entries.size(), "entry") + ")");
  }
  std::map<uint64_t, const check::Extent*> segment_extents;
  for (const check::Extent& extent : layout.extents) {
    if (extent.kind == check::ExtentKind::kSegmentTable) segment_extents.emplace(extent.index, &extent);
  }
  const auto segment_line = [&](size_t i) {
    std::string name = "segment " + std::to_string(i);
    name.resize(std::max<size_t>(name.size() + 1, 18), ' ');
    const uint64_t at = layout.root_entries[i];
    const auto placed = segment_extents.find(i);
    const std::string where = placed != segment_extents.end()
                                  ? " +" + std::to_string(placed->second->length_bytes) + "  <- root[" +
                                        std::to_string(i) + "] at " + Hex(placed->second->referenced_at)
                                  : " (not placed: see the problems)";
    return name + (at == 0 ? std::string("absent (its pages read as zeros)") : Hex(at) + where);
  };
  PrintAbbreviated(
      out, tables.size() + layout.root_entries.size(),
      [&](size_t i) { return i < tables.size() ? tables[i] : segment_line(i - tables.size()); }, full,
      "segment tables");
  std::vector<std::string> runs;
  for (const PageRun& run : PageRuns(layout)) runs.push_back(RunText(run));
  PrintAbbreviated(out, runs, full, "runs of pages");
}

void PrintEstimate(std::ostream& out, const check::LayoutReport& layout) {
  const check::SpaceAccounting& space = layout.space;
  out << "space (the layout's estimate" << (layout.space_formula.empty() ? "" : ": " + layout.space_formula)
      << "):\n";
  out << "  allocated         " << Bytes(space.allocated_bytes) << "\n";
  out << "  active            " << Bytes(space.active_bytes) << "\n";
  out << "  orphan            " << Bytes(space.orphan_bytes) << ", " << Percent(space.orphan_ratio_bp)
      << " of allocated\n";
  out << "  compaction        "
      << (space.compaction_recommended ? "recommended (orphan >= active and >= 16 MiB)"
                                       : "not recommended (needs orphan >= active and orphan >= 16 MiB)")
      << "\n";
}

void PrintSpace(std::ostream& out, const check::LayoutReport& layout, const std::vector<Region>& regions) {
  // Without a superblock there is no active image to estimate against; the scan below still says what is there.
  if (layout.decoded) PrintEstimate(out, layout);
  const std::vector<uint64_t> bytes = BytesByKind(regions);
  auto of = [&](RegionKind kind) { return bytes[static_cast<size_t>(kind)]; };
  out << "space (measured: what the active superblock reaches, and what the rest of the memory holds):\n";
  out << "  superblock region " << Bytes(of(RegionKind::kSuperblock) + of(RegionKind::kSuperblockRegion)) << "\n";
  out << "  live pages        " << Bytes(of(RegionKind::kPage)) << "\n";
  // A layout that keeps pages in place has no map tables: the line is left out rather than shown empty.
  const uint64_t tables = of(RegionKind::kRootTable) + of(RegionKind::kSegmentTable);
  if (tables > 0 || !layout.root_entries.empty()) {
    out << "  tables            " << Bytes(tables) << " (root and segment tables)\n";
  }
  if (of(RegionKind::kImportStaging) > 0) {
    out << "  import staging    " << Bytes(of(RegionKind::kImportStaging)) << "\n";
  }
  out << "  orphan            " << Bytes(of(RegionKind::kOrphan)) << " (not reached, written)\n";
  out << "  unused            " << Bytes(of(RegionKind::kUnused)) << " (not reached, all zero)\n";
}

std::string InspectJson(const CheckedImage& image, const std::vector<Region>& regions,
                        const std::vector<LocatedProblem>& problems) {
  std::string out = "{" + ImageJsonMembers(image) + ",\n  \"clean\": " + (image.clean() ? "true" : "false") +
                    ",\n  \"memory_manager\": " + ManagerJson(image);
  if (!image.layout_checked()) {
    return out + ",\n  \"layout_checked\": false,\n  \"problems\": " + ProblemsJson(problems) + "}\n";
  }
  const check::LayoutReport& layout = image.layout();
  out += ",\n  \"layout_checked\": true,\n  \"layout\": " +
         (layout.decoded ? JsonString(layout.layout) : std::string("null")) +
         ",\n  \"memory_bytes\": " + std::to_string(image.memory().size_bytes());
  out += ",\n  \"superblock\": " + SuperblockJson(layout);
  out += ",\n  \"segments\": [";
  for (size_t i = 0; i < layout.root_entries.size(); ++i) {
    out += (i == 0 ? "" : ", ") + std::string("{\"index\": ") + std::to_string(i) +
           ", \"offset\": " + std::to_string(layout.root_entries[i]) + "}";
  }
  out += "],\n  \"page_runs\": [";
  if (layout.decoded) {
    const std::vector<PageRun> runs = PageRuns(layout);
    for (size_t i = 0; i < runs.size(); ++i) {
      out += (i == 0 ? "\n    " : ",\n    ") + std::string("{\"first_page\": ") + std::to_string(runs[i].first_page) +
             ", \"last_page\": " + std::to_string(runs[i].last_page) + ", \"first_offset\": " +
             (runs[i].first_offset ? std::to_string(*runs[i].first_offset) : std::string("null")) + "}";
    }
    if (!runs.empty()) out += "\n  ";
  }
  out += "],\n  \"space\": " + SpaceJson(layout.space);
  const std::vector<uint64_t> bytes = BytesByKind(regions);
  out += ",\n  \"measured\": {";
  for (int k = 0; k < kRegionKindCount; ++k) {
    std::string name(RegionKindName(static_cast<RegionKind>(k)));
    for (char& c : name) c = c == ' ' ? '_' : c;
    out += (k == 0 ? "" : ", ") + JsonString(name + "_bytes") + ": " + std::to_string(bytes[static_cast<size_t>(k)]);
  }
  out += "},\n  \"problems\": " + ProblemsJson(problems) +
         ",\n  \"problems_suppressed\": " + std::to_string(image.problems_suppressed()) + "}\n";
  return out;
}

void WriteSvg(const std::string& path, const CheckedImage& image, const std::vector<Region>& regions,
              const std::vector<LocatedProblem>& problems) {
  SvgOptions options;
  options.title = "stablevfs inspect " + image.path() + " - " + image.target().Describe();
  const check::LayoutReport& layout = image.layout();
  options.subtitle = "memory " + Bytes(image.memory().size_bytes());
  if (layout.decoded) {
    const check::SuperblockFields& sb = layout.superblock;
    options.subtitle += "; db_size " + std::to_string(sb.db_size) + " (" + Count(sb.logical_pages(), "page") +
                        "), last_tx_id " + std::to_string(sb.last_tx_id) + ", " +
                        std::to_string(layout.space.mapped_pages) + " mapped, orphan estimate " +
                        Percent(layout.space.orphan_ratio_bp);
  } else {
    options.subtitle += "; no superblock of a registered layout";
  }
  const std::string scope = image.MemoryScope();
  for (const LocatedProblem& p : problems) {
    if (p.scope != scope) continue;  // MemoryManager problems have no place in the virtual memory
    options.problems.emplace_back(p.problem.offset_bytes, FormatLocatedProblem(p));
  }
  if (!image.target().raw) {
    options.file_offset = [&image](uint64_t offset) { return image.FileOffset(offset); };
  }
  const std::string svg = RenderMemorySvg(regions, image.memory().size_bytes(), options);
  SaveFileAtomically(path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(svg.data()), svg.size()));
}

}  // namespace

int RunInspect(int argc, char** argv, int first) {
  std::vector<OptionSpec> specs;
  AddImageTargetOptions(specs);
  specs.push_back({"svg", true, "FILE", "also write a picture of the memory to FILE (SVG)", ""});
  specs.push_back({"json", false, "", "print one JSON object instead of text (the page map in full)", ""});
  specs.push_back({"full", false, "", "list every segment table and run of pages, however many", ""});
  const Args args("inspect", specs, argc, argv, first);
  if (args.help()) {
    std::cout << args.HelpText(kUsage, kDescription);
    return kExitPass;
  }
  RequirePositionals(args, 1, 1, {"IMAGE"}, "inspect", kUsage);
  const ImageTarget target = ImageTargetFromArgs(args);
  const std::optional<std::string> svg_path = args.get("svg");
  if (svg_path) CheckOutputPaths({{"--svg", *svg_path}}, {{"IMAGE", args.positional()[0]}});
  const CheckedImage image(args.positional()[0], target);
  const std::vector<LocatedProblem> problems = image.Problems();
  std::vector<Region> regions;
  if (image.layout_checked()) regions = ClassifyMemory(image.memory(), image.layout());

  std::string svg_note;
  if (svg_path) {
    if (image.layout_checked()) {
      WriteSvg(*svg_path, image, regions, problems);
      svg_note = "picture written to " + *svg_path;
    } else {
      svg_note = "no picture written: " + target.Describe() + " could not be located";
    }
  }

  if (args.has("json")) {
    std::cout << InspectJson(image, regions, problems);
    if (!svg_note.empty()) std::cerr << svg_note << "\n";
    return image.clean() ? kExitPass : kExitViolation;
  }

  std::ostream& out = std::cout;
  out << "inspect " << ImageSummaryLine(image) << "\n" << MemoryList(image);
  if (image.layout_checked()) {
    out << "database: " << target.Describe() << ", " << Bytes(image.memory().size_bytes()) << " of virtual memory\n";
    if (image.layout().decoded) {
      out << "\n";
      PrintSuperblock(out, image);
      out << "\n";
      PrintPageMap(out, image, args.has("full"));
    } else {
      out << "no superblock of a registered layout (" << check::CheckerRegistry::Global().Names()
          << ") at memory offset 0\n";
    }
    out << "\n";
    PrintSpace(out, image.layout(), regions);
  }
  out << "\n";
  if (problems.empty() && image.problems_suppressed() == 0) {
    out << "problems: none\n";
  } else {
    out << "problems (" << problems.size() + image.problems_suppressed() << "):\n";
    for (const LocatedProblem& p : problems) out << "  " << FormatLocatedProblem(p) << "\n";
    if (image.problems_suppressed() > 0) out << "  (" << image.problems_suppressed() << " more not listed)\n";
    const std::string hint = image.TargetHint();
    if (!hint.empty()) out << hint << "\n";
  }
  if (!svg_note.empty()) out << svg_note << "\n";
  return image.clean() ? kExitPass : kExitViolation;
}

}  // namespace stablevfs::cli
