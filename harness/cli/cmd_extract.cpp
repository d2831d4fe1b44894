// stablevfs extract IMAGE OUT.db: write the logical SQLite file that an image describes, as the independent
// checker resolves it, so the stock sqlite3 shell (or any SQLite) can open it. Refuses to overwrite OUT.db
// without --force, and refuses a damaged image unless --salvage. The image is opened read-only.
#include <iostream>

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
    "is replaced only with --force. IMAGE is opened read-only and never modified.";

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
  std::vector<uint8_t> database;
  try {
    database = check::ResolveLogicalImage(image.memory(), layout);
  } catch (const std::length_error& e) {
    std::cout << "extract: cannot resolve " << image_path << ": " << e.what() << "; nothing written\n";
    return kExitViolation;
  }
  SaveFileAtomically(out_path, database);
  const check::SuperblockFields& sb = layout.superblock;
  std::cout << "extract: wrote " << out_path << ": " << Bytes(database.size()) << ", "
            << Count(sb.logical_pages(), "page") << " of " << sb.page_size << " bytes (" << layout.space.mapped_pages << " mapped), last_tx_id "
            << sb.last_tx_id << ", layout " << layout.layout << ", from " << image_path << " " << target.Describe()
            << (clean ? "" : " (salvaged from a damaged image)") << "\n";
  return clean ? kExitPass : kExitViolation;
}

}  // namespace stablevfs::cli
