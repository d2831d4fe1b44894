// stablevfs extract IMAGE OUT.db: write the logical SQLite file that an image describes, as the independent
// checker resolves it, so the stock sqlite3 shell (or any SQLite) can open it. Refuses to overwrite OUT.db
// without --force, and refuses a damaged image unless --salvage. The image is opened read-only.
#include <algorithm>
#include <iostream>
#include <span>
#include <vector>

#include "harness/cli/atomic_file.h"

#include "harness/cli/args.h"
#include "harness/cli/commands.h"
#include "harness/cli/image_file.h"
#include "harness/cli/image_report.h"
#include "harness/cli/output_path.h"

namespace stablevfs::cli {
namespace {

constexpr const char* kUsage = "IMAGE OUT.db [--memory-id N | --raw] [--force] [--salvage]";

constexpr const char* kDescription =
    "Writes the logical SQLite database file [0, db_size) held by IMAGE to OUT.db, resolving every logical\n"
    "page through the page map with the independent checker (harness/check); unmapped pages are zeros.\n"
    "The result is an ordinary SQLite file: 'sqlite3 OUT.db \"PRAGMA integrity_check\"' opens it.\n"
    "\n"
    "An image with problems (see stablevfs fsck) is refused: the problems are printed and nothing is\n"
    "written (exit 1). --salvage writes what the damaged image resolves to anyway (still exit 1), for\n"
    "recovery. OUT.db is written atomically (a temporary file renamed into place) and an existing OUT.db\n"
    "is replaced only with --force. IMAGE is opened read-only and never modified.\n"
    "\n"
    "Bounds: OUT.db is written one 16 KiB page at a time (memory stays a few pages) and unmapped ranges\n"
    "are left as holes, so the disk holds only the pages the image maps. A db_size past 500 GiB (more\n"
    "than any stable memory holds) is refused. The temporary OUT.db.tmp-* is removed on every exit,\n"
    "SIGINT, SIGTERM and SIGHUP included.";

// The largest logical file extract writes: the IC's maximum stable memory (REFERENCE 1). No image the
// library writes holds a larger file; a damaged db_size past it is refused rather than written.
constexpr uint64_t kMaxOutputBytes = 500ull << 30;

// Writes [0, db_size) to `out_path` page by page: memory stays one page, and the unmapped ranges (zeros) are
// skipped, not written, so the disk holds only the pages the image maps. The temporary is removed on every
// way out, signals included (AtomicFile).
void WriteLogicalFile(const check::ByteSource& memory, const check::LayoutReport& layout,
                      const std::string& out_path) {
  const uint64_t db_size = layout.superblock.db_size;
  AtomicFile file(out_path);
  std::vector<uint8_t> page(check::kPageBytes);
  for (const check::PageMapping& mapping : layout.mappings) {
    if (!mapping.readable || mapping.logical_page >= check::CeilDiv(db_size, check::kPageBytes)) continue;
    const uint64_t start = mapping.logical_page * check::kPageBytes;
    if (start >= db_size || start < file.position()) continue;  // past the file; or listed twice
    memory.Read(mapping.physical_offset, page);
    file.SkipTo(start);
    file.Write(std::span<const uint8_t>(page).first(std::min<uint64_t>(check::kPageBytes, db_size - start)));
  }
  file.Commit(db_size);
}

}  // namespace

int RunExtract(int argc, char** argv, int first) {
  std::vector<OptionSpec> specs;
  AddImageTargetOptions(specs);
  specs.push_back({"force", false, "", "replace OUT.db if it exists", ""});
  specs.push_back({"salvage", false, "", "write the database even when the image has problems (exit 1)", ""});
  const Args args("extract", specs, argc, argv, first);
  if (args.help()) {
    std::cout << args.HelpText(kUsage, kDescription);
    return kExitPass;
  }
  RequirePositionals(args, 2, 2, {"IMAGE", "OUT.db"}, "extract", kUsage);
  const ImageTarget target = ImageTargetFromArgs(args);
  const std::string& image_path = args.positional()[0];
  const std::string& out_path = args.positional()[1];
  CheckOutputPaths({{"OUT.db", out_path}}, {{"IMAGE", image_path}});
  if (PathExists(out_path) && !args.has("force")) {
    throw UsageError(out_path + " exists; pass --force to replace it, or pick another name");
  }

  const CheckedImage image(image_path, target);
  const std::vector<LocatedProblem> problems = image.Problems();
  const bool clean = image.clean();
  if (!clean) {
    for (const LocatedProblem& p : problems) std::cout << FormatLocatedProblem(p) << "\n";
    const std::string hint = image.TargetHint();
    if (!hint.empty()) std::cout << hint << "\n";
  }
  const bool decodable = image.layout_checked() && image.layout().decoded;
  if (!clean && !(args.has("salvage") && decodable)) {
    std::cout << "extract: " << image_path << " (" << target.Describe() << ") has "
              << Count(problems.size() + image.problems_suppressed(), "problem") << "; nothing written"
              << (decodable ? " (--salvage writes what it resolves to anyway)" : " (no superblock to resolve)")
              << "\n";
    return kExitViolation;
  }

  const check::LayoutReport& layout = image.layout();
  const uint64_t db_size = layout.superblock.db_size;
  if (db_size > kMaxOutputBytes) {
    std::cout << "extract: cannot resolve " << image_path << ": db_size " << db_size
              << " is larger than any stable memory can hold (500 GiB, the IC's limit); nothing written\n";
    return kExitViolation;
  }
  WriteLogicalFile(image.memory(), layout, out_path);
  const check::SuperblockFields& sb = layout.superblock;
  std::cout << "extract: wrote " << out_path << ": " << Bytes(db_size) << ", "
            << Count(sb.logical_pages(), "page") << " of " << sb.page_size << " bytes (" << layout.space.mapped_pages
            << " mapped), last_tx_id "
            << sb.last_tx_id << ", layout " << layout.layout << ", from " << image_path << " " << target.Describe()
            << (clean ? "" : " (salvaged from a damaged image)") << "\n";
  return clean ? kExitPass : kExitViolation;
}

}  // namespace stablevfs::cli
