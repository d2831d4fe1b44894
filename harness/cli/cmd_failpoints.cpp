// stablevfs failpoints: the failpoint catalogue (every site a spec can name: the library's and the
// simulator's memory.write), with the hit counts of the last run when a hits file is there (hits_file.h).
#include <iostream>

#include "failpoints/catalogue.h"
#include "harness/cli/args.h"
#include "harness/cli/commands.h"
#include "harness/cli/hits_file.h"
#include "harness/faults/layout_sites.h"
#include "lib/layout/layout_registry.h"
#include "harness/cli/image_file.h"
#include "harness/cli/image_report.h"
#include "harness/json/json_text.h"
#include "harness/ops/catalogue_setup.h"

namespace stablevfs::cli {
using json::JsonString;
namespace {

constexpr const char* kUsage = "[--hits FILE] [--json]";

constexpr const char* kDescription =
    "Lists every failpoint site a spec may arm (STABLEVFS_FAILPOINTS, --failpoints, scenario files): its\n"
    "permanent name, the layer it lives in, the actions it accepts and what firing it simulates. The\n"
    "library's sites and the simulator's memory.write are both registered before listing.\n"
    "\n"
    "When the last run left its counters in a hits file, two columns join them: HITS (how often the site\n"
    "was evaluated) and FIRED (how often each action fired). The last run is the command that last wrote\n"
    ".stablevfs/last-hits.json in the current directory (sql, fuzz and replay write it unless told\n"
    "otherwise with their --hits FILE), or the file given here with --hits. Without one the catalogue is\n"
    "listed alone and a note says so.\n"
    "\n"
    "STABLEVFS_FAILPOINTS=SPEC arms a spec for a whole command: fuzz, replay, explore and slt merge it with\n"
    "--faults, sql with --failpoints (both are armed; a site both name takes the option's chain, and the\n"
    "merged spec is what the run prints and saves). A malformed value is refused (exit 2). check arms\n"
    "faults of its own and refuses to run while the variable is set; fsck, inspect, extract and convert\n"
    "arm no failpoints.";

}  // namespace

int RunFailpoints(int argc, char** argv, int first) {
  const std::vector<OptionSpec> specs = {
      {"hits", true, "FILE", "read hit counts from FILE", std::string(kDefaultHitsPath) + " if it exists"},
      {"json", false, "", "print one JSON object: {\"hits_file\", \"command\", \"failpoints\": [...]}", ""},
  };
  const Args args("failpoints", specs, argc, argv, first);
  if (args.help()) {
    std::cout << args.HelpText(kUsage, kDescription);
    return kExitPass;
  }
  RequirePositionals(args, 0, 0, {}, "failpoints", kUsage);

  // An explicit --hits must exist; the default is read only when present.
  std::optional<std::string> hits_path = args.get("hits");
  if (hits_path) {
    if (hits_path->empty()) throw UsageError("--hits needs a file name");
    if (!PathExists(*hits_path)) {
      throw UsageError(*hits_path + ": no such hits file; run a command with --hits " + *hits_path +
                       " first, or leave --hits out");
    }
  } else if (PathExists(std::string(kDefaultHitsPath))) {
    hits_path = std::string(kDefaultHitsPath);
  }
  std::optional<HitsFile> hits;
  if (hits_path) hits = ReadHitsFile(*hits_path);

  const std::vector<fp::SiteInfo> sites = ops::RegisterCatalogue().All();
  const fp::HitSnapshot* snapshot = hits ? &hits->snapshot : nullptr;

  if (args.has("json")) {
    std::cout << "{\"hits_file\": " << (hits_path ? JsonString(*hits_path) : "null")
              << ", \"command\": " << (hits ? JsonString(hits->command) : "null")
              << ",\n\"failpoints\": " << fp::FormatJson(sites, snapshot) << "}\n";
    return kExitPass;
  }
  std::cout << fp::FormatTable(sites, snapshot);
  std::cout << "\n" << sites.size() << " failpoints. ";
  if (hits) {
    // Of the sites the run's layout reaches, when the file names one layout; else of every site.
    const LayoutInfo* layout = hits->layout.empty() ? nullptr : LayoutRegistry::Global().Find(hits->layout);
    uint64_t reachable = 0;
    uint64_t sites_hit = 0;
    for (const fp::SiteInfo& site : sites) {
      if (layout != nullptr && !faults::SiteReachedBy(site.name, *layout)) continue;
      ++reachable;
      sites_hit += hits->snapshot.HitsOf(site.name) > 0 ? 1 : 0;
    }
    std::cout << "Hit counts from " << *hits_path << " (" << (hits->command.empty() ? "unknown command" : hits->command)
              << "): " << sites_hit << " of " << reachable << " sites hit"
              << (layout != nullptr ? " (the sites layout " + layout->name + " reaches)" : std::string()) << ".\n";
  } else {
    std::cout << "No hit counts: there is no " << kDefaultHitsPath
              << " here (stablevfs sql, fuzz and replay write one).\n";
  }
  return kExitPass;
}

}  // namespace stablevfs::cli
