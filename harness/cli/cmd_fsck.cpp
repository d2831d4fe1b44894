// stablevfs fsck IMAGE: validate an image file with the independent checker and print every problem with its
// offset. Exit 0 when clean, 1 when anything is wrong, 2 for bad input (unreadable file, a size that is not
// whole 64 KiB pages, bad options). The file is opened read-only: fsck never repairs.
#include <iostream>

#include "harness/cli/args.h"
#include "harness/cli/commands.h"
#include "harness/cli/image_file.h"
#include "harness/cli/image_report.h"

namespace stablevfs::cli {
namespace {

constexpr const char* kUsage = "IMAGE [--memory-id N | --raw] [--json]";

constexpr const char* kDescription =
    "Validates an image file with the independent checker (harness/check), which shares no code with the\n"
    "library's decoder. IMAGE is a raw stable memory dump, such as a canister snapshot's stable_memory.bin:\n"
    "the MemoryManager header is checked, then the database on --memory-id (default 120) by the checker of\n"
    "the layout its superblock names (detected from the magic and version it stores: the superblock, the\n"
    "page map or pages in place, overlaps, bounds). With --raw, IMAGE is one bare virtual memory (the\n"
    "database's own bytes) and only the layout is checked.\n"
    "\n"
    "Every problem is printed on its own line: where (the MemoryManager header of the stable memory, or\n"
    "the database's memory), the offset in that scope in decimal and hex, the offset in the file when it\n"
    "differs, the problem kind and what is wrong. A summary line ends the report. The file is opened\n"
    "read-only and never modified.\n"
    "\n"
    "Every condition under which the library refuses to open an image is a problem here, so an image 'sql'\n"
    "cannot open is never reported clean. Bounds: memory follows the image's size, not what it claims; a\n"
    "table or page named many times is one problem ('and N more'); at most 1,000 problems are listed.";

}  // namespace

int RunFsck(int argc, char** argv, int first) {
  std::vector<OptionSpec> specs;
  AddImageTargetOptions(specs);
  specs.push_back({"json", false, "", "print one JSON object instead of text", ""});
  const Args args("fsck", specs, argc, argv, first);
  if (args.help()) {
    std::cout << args.HelpText(kUsage, kDescription);
    return kExitPass;
  }
  RequirePositionals(args, 1, 1, {"IMAGE"}, "fsck", kUsage);
  const ImageTarget target = ImageTargetFromArgs(args);
  const CheckedImage image(args.positional()[0], target);
  const std::vector<LocatedProblem> problems = image.Problems();
  const bool clean = image.clean();

  if (args.has("json")) {
    std::cout << "{" << ImageJsonMembers(image) << ",\n  \"clean\": " << (clean ? "true" : "false")
              << ",\n  \"layout\": "
              << (image.layout_checked() && image.layout().decoded ? "\"" + image.layout().layout + "\"" : "null")
              << ",\n  \"memory_manager\": " << ManagerJson(image)
              << ",\n  \"layout_checked\": " << (image.layout_checked() ? "true" : "false")
              << ",\n  \"superblock\": " << (image.layout_checked() ? SuperblockJson(image.layout()) : "null")
              << ",\n  \"space\": " << (image.layout_checked() ? SpaceJson(image.layout().space) : "null")
              << ",\n  \"problems\": " << ProblemsJson(problems)
              << ",\n  \"problems_suppressed\": " << image.problems_suppressed() << "}\n";
    return clean ? kExitPass : kExitViolation;
  }

  std::cout << "fsck " << ImageSummaryLine(image) << "\n";
  if (!image.layout_checked()) {
    std::cout << "checking " << target.Describe() << ": not located\n";
  } else if (image.layout().decoded) {
    std::cout << "checking " << target.Describe() << " as layout " << image.layout().layout
              << " (detected from its superblock)\n";
  } else {
    std::cout << "checking " << target.Describe() << ": no superblock of a registered layout (" +
                     check::CheckerRegistry::Global().Names() + ")\n";
  }
  for (const LocatedProblem& p : problems) std::cout << FormatLocatedProblem(p) << "\n";
  if (image.problems_suppressed() > 0) {
    std::cout << "(" << image.problems_suppressed() << " more problems not listed)\n";
  }
  if (clean) {
    const check::SuperblockFields& sb = image.layout().superblock;
    std::cout << "fsck: clean: " << image.path() << " " << target.Describe() << ": layout " << image.layout().layout
              << ", db_size " << sb.db_size << " (" << Count(sb.logical_pages(), "page") << "), last_tx_id "
              << sb.last_tx_id << ", " << Count(image.layout().space.mapped_pages, "page") << " mapped"
              << (image.layout().space.segments > 0 ? " in " + Count(image.layout().space.segments, "segment")
                                                      : std::string())
              << "\n";
    return kExitPass;
  }
  const std::string hint = image.TargetHint();
  if (!hint.empty()) std::cout << hint << "\n";
  const uint64_t total = problems.size() + image.problems_suppressed();
  std::cout << "fsck: " << Count(total, "problem") << " in " << image.path() << " ("
            << target.Describe() << "); the file was not modified\n";
  return kExitViolation;
}

}  // namespace stablevfs::cli
