// stablevfs convert IMAGE OUT --to LAYOUT: rewrite the database of an image into another registered layout,
// offline, to a new file (image_convert.h does the work; this is the command line around it). IMAGE is read
// once, read-only; OUT is written atomically, and only after the result has been verified.
#include <iostream>

#include "harness/check/checker_registry.h"
#include "harness/cli/args.h"
#include "harness/cli/commands.h"
#include "harness/cli/image_convert.h"
#include "harness/cli/image_file.h"
#include "harness/cli/image_report.h"
#include "harness/cli/output_path.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::cli {
namespace {

constexpr const char* kUsage = "IMAGE OUT --to LAYOUT [--memory-id N | --raw] [--force]";

constexpr const char* kDescription =
    "Rewrites the database held by IMAGE into another registered layout and writes the result to OUT, a\n"
    "new file of the same kind: ic-sqlite-vfs 2.x refuses a layout 6 image and offers no upgrade, so a\n"
    "1.x canister's snapshot is converted here, offline, to layout 8. IMAGE is a raw stable memory (a\n"
    "canister snapshot's stable_memory.bin) with the database on --memory-id (default 120), or with --raw\n"
    "a bare virtual memory.\n"
    "\n"
    "The source is read by the independent checker (harness/check) and must be clean (see stablevfs fsck),\n"
    "have no import in progress and be in another layout than LAYOUT. Its logical SQLite file, its\n"
    "schema_version and last_tx_id carry over, and so does its checksum (FNV-1a 64 over the logical file),\n"
    "recomputed: when the source's checksum is stale the new value is stored, and when it is marked verified\n"
    "it must equal the recomputed one (or the image is damaged and refused). The output's checksum is\n"
    "verified, not stale. The new database is written by the library (lib/layout): a fresh memory of LAYOUT,\n"
    "one publish of the file's non-zero pages, then its meta and last_tx_id. In a stable memory image only\n"
    "the database's memory changes: the new database at its start, its old bytes after it zeroed, and it\n"
    "grows (new buckets in the MemoryManager header) only when the new database needs more pages; every\n"
    "other memory keeps its bytes. With --raw, OUT is exactly the new virtual memory.\n"
    "\n"
    "Before OUT is written the result is verified and each check printed: the independent checker finds it\n"
    "clean, the library opens it and PRAGMA integrity_check says ok, the logical file the checker resolves\n"
    "equals the source's byte for byte, schema_version, last_tx_id and the checksum are as carried over,\n"
    "and the other memories are unchanged. A source that cannot be converted is bad input (exit 2); a\n"
    "result that fails verification is an internal error (exit 3); either way nothing is written. OUT is\n"
    "written atomically (a temporary file renamed into place); an existing OUT is replaced only with\n"
    "--force, and never when it is IMAGE itself. IMAGE is opened read-only and never modified.";

std::string LayoutNames() { return LayoutRegistry::Global().Names(); }

}  // namespace

int RunConvert(int argc, char** argv, int first) {
  std::vector<OptionSpec> specs;
  specs.push_back({"to", true, "LAYOUT", "the layout to convert to (" + LayoutNames() + ")", ""});
  AddImageTargetOptions(specs);
  specs.push_back({"force", false, "", "replace OUT if it exists (never IMAGE itself)", ""});
  const Args args("convert", specs, argc, argv, first);
  if (args.help()) {
    std::cout << args.HelpText(kUsage, kDescription);
    return kExitPass;
  }
  RequirePositionals(args, 2, 2, {"IMAGE", "OUT"}, "convert", kUsage);
  const std::optional<std::string> to_name = args.get("to");
  if (!to_name) {
    throw UsageError("missing --to LAYOUT: name the layout to convert to (" + LayoutNames() +
                     ") (usage: stablevfs convert " + kUsage + ")");
  }
  const LayoutInfo* to = LayoutRegistry::Global().Find(*to_name);
  if (to == nullptr) {
    throw UsageError("--to: unknown layout '" + *to_name + "' (registered: " + LayoutNames() + ")");
  }
  const ImageTarget target = ImageTargetFromArgs(args);
  const std::string& image_path = args.positional()[0];
  const std::string& out_path = args.positional()[1];
  CheckOutputPaths({{"OUT", out_path}}, {{"IMAGE", image_path}});
  if (PathExists(out_path) && !args.has("force")) {
    throw UsageError(out_path + " exists; pass --force to replace it, or pick another name");
  }

  const std::vector<uint8_t> image = ReadImageFile(image_path);
  const ConvertResult result = ConvertImage(image_path, image, ConvertOptions{target, to}, &std::cout);
  SaveFileAtomically(out_path, result.bytes);
  std::cout << "convert: wrote " << out_path << ": layout " << result.from_layout << " -> " << result.to_layout << ", "
            << result.db_size << " bytes of database (" << Count(result.logical_pages, "page") << "), last_tx_id "
            << result.last_tx_id << ", schema_version " << result.schema_version << ", checksum "
            << Hex(result.checksum) << ", "
            << (target.raw ? std::string("raw virtual memory of ") + std::to_string(result.bytes.size()) + " bytes"
                           : target.Describe() + " of " + std::to_string(result.memories) +
                                 (result.memories == 1 ? " memory" : " memories"))
            << "; fsck clean, integrity ok, extract identical\n";
  return kExitPass;
}

}  // namespace stablevfs::cli
