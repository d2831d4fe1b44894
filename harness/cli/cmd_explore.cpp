// stablevfs explore: exhaustive crash-point exploration of workloads (harness/explore/explorer.h).
//
// For each workload (the files given, or every standard workload under scenarios/workloads/): a dry run counts
// every failpoint evaluation inside each message, then each message is re-run from a snapshot once per
// (failpoint, ordinal, action) and judged. Prints, per workload, the crash points per site and action, every
// violation with the scenario file that reproduces it, and the rate; --report-json writes the same as JSON.
// Exit 0 when no violation was found, 1 when one was, 2 on bad input (an unreadable workload, a malformed
// line reported as file:line:column, an unknown action).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "failpoints/catalogue.h"
#include "harness/cli/args.h"
#include "harness/cli/campaign.h"
#include "harness/cli/commands.h"
#include "harness/cli/failpoints_environment.h"
#include "harness/cli/layout_option.h"
#include "harness/cli/output_path.h"
#include "harness/driver/run_config.h"
#include "harness/faults/layout_sites.h"
#include "harness/faults/vocabulary.h"
#include "harness/json/json_text.h"
#include "harness/cli/report.h"
#include "harness/explore/explorer.h"
#include "harness/explore/workloads.h"
#include "harness/ops/catalogue_setup.h"

namespace stablevfs::cli {
using json::JsonString;
namespace {

constexpr const char* kUsage =
    "[WORKLOAD.scn ...] [--layout NAME] [--actions LIST] [--jobs J] [--max-ordinals N] [--torn sectors|bytes]\n"
    "       [--faults SPEC] [--workloads-dir DIR] [--save-dir DIR] [--save-max N] [--report-json FILE]";

constexpr const char* kDescription =
    "Exhaustive crash-point exploration. A dry run of the workload snapshots the state before each\n"
    "message op and counts every failpoint evaluation inside its messages; then each op is re-run from its\n"
    "snapshot (on a heap rebuilt from stable memory, as after an upgrade) once per (failpoint, ordinal,\n"
    "action), with `arm <site>=nth(<ordinal>):<action>`, and judged like any message (ARCHITECTURE.md, the\n"
    "judgement table). Restarting from a snapshot keeps the cost linear in the workload: one run per crash\n"
    "point.\n"
    "\n"
    "Actions (--actions, comma-separated): error (the site returns an error), trap (the message traps and\n"
    "the IC rolls it back), powerloss (the power fails before the site's write; every site), torn\n"
    "(memory.write only: the first half of the 512-byte sectors the write covers persist, then the power\n"
    "fails; --torn bytes: the first half of its bytes, for storage without sector atomicity). memory.write\n"
    "is evaluated on every stable write, so powerloss and torn strike every write of every commit.\n"
    "\n"
    "Without a workload argument, every standard workload (scenarios/workloads/*.scn) is explored. Each\n"
    "violation is saved as a scenario file in --save-dir that replays it (the explorer checks that it does).\n"
    "--faults arms a spec for every run (a negative control: storage faults must be caught). Results do not\n"
    "depend on --jobs. STABLEVFS_FAILPOINTS, when set, is armed too: its entries and --faults' are\n"
    "merged, a site both name taking --faults' chain.\n"
    "\n"
    "--layout picks the on-disk layout (a workload's own layout line wins). A violation at a crash point whose\n"
    "memory promise the layout does not promise to survive (an in-place layout under powerloss or torn; a\n"
    "sector-atomic one under --torn bytes) is an expected failure: listed and saved like any other, marked\n"
    "`(expected)`. Exit 0 when\n"
    "every violation found was expected, 1 when one was not, 2 on bad input.";

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

double Rate(uint64_t points, double seconds) { return seconds > 0 ? static_cast<double>(points) / seconds : 0; }

// The live status line on stderr (never stdout, which holds the result): rewritten in place on a terminal at
// most ten times a second, else a plain line every ten seconds. Called from the workers one at a time.
class PointProgress {
 public:
  explicit PointProgress(std::string name) : name_(std::move(name)), live_(isatty(fileno(stderr)) != 0) {}
  void Update(uint64_t done, uint64_t total) {
    const Clock::time_point now = Clock::now();
    const double since = std::chrono::duration<double>(now - last_).count();
    if (since < (live_ ? 0.1 : 10.0) && done != total) return;
    if (!live_ && done == total) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "%sexplore %s: %llu/%llu points (%.0f/s)%s", live_ ? "\r" : "", name_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0, live_ ? "\x1b[K" : "\n");
    printed_ = true;
  }
  void Clear() {
    if (live_ && printed_) std::fprintf(stderr, "\r\x1b[K");
  }

 private:
  std::string name_;
  bool live_;
  bool printed_ = false;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_ = Clock::now();
};

struct Explored {
  std::string path;
  explore::ExploreResult result;
  const LayoutInfo* layout = nullptr;  // the layout it ran on
  uint64_t expected = 0;               // findings the layout's promise allows (see ExpectedFinding)
};

// The per-site table: one row per site with points, one column per requested action.
void PrintTable(std::ostream& out, const explore::ExploreResult& r, const std::vector<explore::CrashAction>& actions) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"SITE", "HITS"};
  for (explore::CrashAction a : actions) header.push_back(std::string(explore::CrashActionName(a)));
  header.push_back("OUTCOMES (committed/error/trapped/crashed)");
  rows.push_back(header);
  std::vector<uint64_t> column_totals(actions.size(), 0);
  uint64_t outcome_totals[4] = {0, 0, 0, 0};
  for (const auto& [site, hits] : r.hits_in_messages) {
    if (hits == 0) continue;
    std::vector<std::string> row = {site, std::to_string(hits)};
    uint64_t outcomes[4] = {0, 0, 0, 0};
    bool any_point = false;
    for (size_t k = 0; k < actions.size(); ++k) {
      auto it = r.by_site_action.find({site, actions[k]});
      if (it == r.by_site_action.end()) {
        row.push_back("-");
        continue;
      }
      const explore::SiteActionCount& c = it->second;
      any_point = true;
      std::string cell = std::to_string(c.points - c.not_fired);
      if (c.not_fired > 0) cell += " (+" + std::to_string(c.not_fired) + " not fired)";
      if (c.violations > 0) cell += " !" + std::to_string(c.violations);
      row.push_back(cell);
      column_totals[k] += c.points - c.not_fired;
      for (int o = 0; o < 4; ++o) outcomes[o] += c.outcomes[o];
    }
    if (!any_point) continue;  // the site takes none of the requested actions
    std::string outcome_text;
    for (int o = 0; o < 4; ++o) {
      outcome_totals[o] += outcomes[o];
      outcome_text += (o == 0 ? "" : "/") + std::to_string(outcomes[o]);
    }
    row.push_back(outcome_text);
    rows.push_back(row);
  }
  std::vector<std::string> total = {"total", ""};
  for (uint64_t t : column_totals) total.push_back(std::to_string(t));
  total.push_back(std::to_string(outcome_totals[0]) + "/" + std::to_string(outcome_totals[1]) + "/" +
                  std::to_string(outcome_totals[2]) + "/" + std::to_string(outcome_totals[3]));
  rows.push_back(total);

  std::vector<size_t> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line = "  ";
    for (size_t i = 0; i < row.size(); ++i) {
      const bool numeric = i > 0 && i + 1 < row.size();
      const std::string pad(widths[i] - row[i].size(), ' ');
      line += numeric ? pad + row[i] : row[i] + (i + 1 < row.size() ? pad : "");
      if (i + 1 < row.size()) line += "  ";
    }
    out << line << "\n";
  }
}

std::string PointText(const explore::Finding& f) {
  if (f.point) return "arm " + f.point->spec;
  return f.restarted ? "no fault, the op restarted from its snapshot" : "no fault, the plain run";
}

// Whether `finding` is one the layout's promise says may happen (see the description).
bool ExpectedFinding(const explore::Finding& finding, const LayoutInfo& layout, bool torn_bytes) {
  return finding.point &&
         !faults::ExpectedToSurvive(layout.atomicity, faults::MemoryPromiseOf(finding.point->action, torn_bytes));
}

void PrintFindings(std::ostream& out, const explore::ExploreResult& r, size_t max_listed, const LayoutInfo& layout,
                   bool torn_bytes) {
  size_t listed = 0;
  for (const explore::Finding& f : r.findings) {
    if (listed++ >= max_listed) {
      out << "  ... and " << (r.findings.size() - max_listed) << " more (all are in --report-json)\n";
      break;
    }
    out << "  VIOLATION" << (ExpectedFinding(f, layout, torn_bytes) ? " (expected)" : "") << " op " << f.op_index << (f.line > 0 ? " (line " + std::to_string(f.line) + ")" : "") << " "
        << f.op << "\n";
    out << "    " << PointText(f) << " -> "
        << (f.outcome ? std::string(ops::OutcomeName(*f.outcome)) : std::string("no message")) << "\n";
    for (const ops::Violation& v : f.violations) {
      std::string message = v.message;
      for (char& c : message) {
        if (c == '\n') c = ' ';
      }
      out << "    " << v.property << ": " << message << "\n";
    }
    if (!f.scenario_path.empty()) {
      out << "    saved " << f.scenario_path;
      if (f.reproduced) out << (*f.reproduced ? " (replays the violation)" : " (its replay does NOT reproduce it)");
      out << "; stablevfs replay " << f.scenario_path << "\n";
    }
  }
}

std::string JsonNumber(double value, int decimals) { return Fixed(value, decimals); }

std::string WorkloadJson(const Explored& e, const std::vector<explore::CrashAction>& actions, const LayoutInfo& layout,
                         bool torn_bytes) {
  const explore::ExploreResult& r = e.result;
  std::ostringstream out;
  out << "{\"name\": " << JsonString(r.name) << ", \"path\": " << JsonString(e.path) << ", \"ops\": " << r.ops
      << ", \"message_ops\": " << r.message_ops << ", \"messages\": " << r.messages
      << ", \"crash_points\": " << r.crash_points << ", \"points_run\": " << r.points_run
      << ", \"not_fired\": " << (r.points_run - r.crash_points) << ", \"violations\": " << r.violations()
      << ", \"dry_run_seconds\": " << JsonNumber(r.dry_run_seconds, 3)
      << ", \"explore_seconds\": " << JsonNumber(r.explore_seconds, 3)
      << ", \"points_per_second\": " << JsonNumber(Rate(r.crash_points, r.explore_seconds), 1)
      << ", \"explore_cpu_seconds\": " << JsonNumber(r.explore_cpu_seconds, 3)
      << ", \"points_per_cpu_second\": " << JsonNumber(Rate(r.crash_points, r.explore_cpu_seconds), 1);
  out << ",\n     \"sites\": {";
  bool first_site = true;
  for (const auto& [site, hits] : r.hits_in_messages) {
    out << (first_site ? "" : ",") << "\n       " << JsonString(site) << ": {\"hits_in_messages\": " << hits
        << ", \"actions\": {";
    first_site = false;
    bool first_action = true;
    for (explore::CrashAction a : actions) {
      auto it = r.by_site_action.find({site, a});
      if (it == r.by_site_action.end()) continue;
      const explore::SiteActionCount& c = it->second;
      out << (first_action ? "" : ", ") << JsonString(explore::CrashActionName(a)) << ": {\"points\": " << c.points
          << ", \"not_fired\": " << c.not_fired << ", \"committed\": " << c.outcomes[0]
          << ", \"error\": " << c.outcomes[1] << ", \"trapped\": " << c.outcomes[2]
          << ", \"crashed\": " << c.outcomes[3] << ", \"violations\": " << c.violations << "}";
      first_action = false;
    }
    out << "}}";
  }
  out << "},\n     \"findings\": [";
  for (size_t i = 0; i < r.findings.size(); ++i) {
    const explore::Finding& f = r.findings[i];
    out << (i == 0 ? "" : ",") << "\n       {\"op\": " << f.op_index << ", \"line\": " << f.line
        << ", \"op_text\": " << JsonString(f.op);
    if (f.point) {
      out << ", \"spec\": " << JsonString(f.point->spec) << ", \"site\": " << JsonString(f.point->site)
          << ", \"ordinal\": " << f.point->ordinal
          << ", \"action\": " << JsonString(explore::CrashActionName(f.point->action));
    } else {
      out << ", \"spec\": null";
    }
    out << ", \"expected\": " << (ExpectedFinding(f, layout, torn_bytes) ? "true" : "false") << ", \"outcome\": "
        << (f.outcome ? JsonString(ops::OutcomeName(*f.outcome)) : std::string("null")) << ", \"violations\": [";
    for (size_t k = 0; k < f.violations.size(); ++k) {
      out << (k == 0 ? "" : ", ") << "{\"property\": " << JsonString(f.violations[k].property)
          << ", \"message\": " << JsonString(f.violations[k].message) << "}";
    }
    out << "], \"scenario\": " << (f.scenario_path.empty() ? "null" : JsonString(f.scenario_path))
        << ", \"reproduced\": " << (f.reproduced ? (*f.reproduced ? "true" : "false") : "null") << "}";
  }
  out << "],\n     \"warnings\": [";
  for (size_t i = 0; i < r.warnings.size(); ++i) out << (i == 0 ? "" : ", ") << JsonString(r.warnings[i]);
  out << "]}";
  return out.str();
}

}  // namespace

int RunExplore(int argc, char** argv, int first) {
  const std::vector<OptionSpec> specs = {
      {"actions", true, "LIST", "actions to inject: error, trap, powerloss, torn (comma-separated)", "all four"},
      {"jobs", true, "J", "worker threads", "1"},
      {"max-ordinals", true, "N", "try only the first N evaluations of a site in a message (0: all)", "0"},
      {"torn", true, "sectors|bytes",
       "how a torn write tears: whole 512-byte sectors (the simulator's model) or bytes (no sector atomicity)",
       "sectors"},
      {"faults", true, "SPEC", "failpoint spec armed for every run (merged with STABLEVFS_FAILPOINTS)", "none"},
      {"workloads-dir", true, "DIR", "where the standard workloads are",
       "./scenarios/workloads, else the source tree's"},
      {"save-dir", true, "DIR", "where the scenario of each violation is saved", "stablevfs-failures"},
      {"save-max", true, "N", "save at most N scenarios per workload", "20"},
      {"report-json", true, "FILE", "write the results as JSON", ""},
  };
  std::vector<OptionSpec> all_specs = specs;
  AddLayoutOption(all_specs, /*allow_all=*/false);
  const Args args("explore", all_specs, argc, argv, first);
  if (args.help()) {
    std::cout << args.HelpText(kUsage, kDescription);
    return kExitPass;
  }

  explore::ExploreOptions options;
  const LayoutInfo& option_layout = LayoutFromArgs(args);
  options.layout = option_layout.name;
  std::string action_error;
  std::optional<std::vector<explore::CrashAction>> actions =
      explore::ParseCrashActions(args.get_or("actions", "error,trap,powerloss,torn"), &action_error);
  if (!actions) throw UsageError("--actions: " + action_error);
  options.actions = *actions;
  const uint64_t jobs = args.get_u64("jobs", 1);
  if (jobs == 0 || jobs > 256) throw UsageError("--jobs must be between 1 and 256");
  options.jobs = static_cast<unsigned>(jobs);
  options.max_ordinals = args.get_u64("max-ordinals", 0);
  const std::string torn = args.get_or("torn", "sectors");
  if (torn != "sectors" && torn != "bytes") throw UsageError("--torn must be sectors or bytes, not '" + torn + "'");
  options.torn_sectors = torn == "sectors";
  options.faults = FaultsWithEnvironment(args.get_or("faults", ""), "--faults");
  options.save_dir = args.get_or("save-dir", "stablevfs-failures");
  options.save_max = static_cast<size_t>(args.get_u64("save-max", 20));

  // The workloads: the files given, or the standard ones.
  std::vector<std::string> paths = args.positional();
  std::string workloads_dir;  // the directory the workloads came from, when none was given
  if (paths.empty()) {
    const std::string dir = args.has("workloads-dir") ? *args.get("workloads-dir") : explore::DefaultWorkloadsDir();
    workloads_dir = dir;
    if (dir.empty()) {
      throw UsageError("no workload given and no scenarios/workloads directory found (give --workloads-dir)");
    }
    try {
      paths = explore::ListWorkloads(dir);
    } catch (const std::runtime_error& e) {
      throw UsageError(std::string("--workloads-dir: ") + e.what());
    }
    if (paths.empty()) throw UsageError(dir + ": no *.scn workload in it");
  } else if (args.has("workloads-dir")) {
    throw UsageError("--workloads-dir applies only when no workload file is given");
  }
  // The outputs may be none of the workloads (nor their directory), checked before anything runs.
  std::vector<OutputPath> outputs;
  AddOutputOption(outputs, args, "report-json");
  outputs.push_back({"--save-dir", options.save_dir, OutputKind::kDirectory});
  std::vector<InputPath> inputs;
  for (const std::string& path : paths) inputs.push_back({"WORKLOAD", path});
  if (!workloads_dir.empty()) inputs.push_back({"the workloads directory", workloads_dir});
  CheckOutputPaths(outputs, inputs);
  // Parse every workload before exploring any: bad input is reported at once, with its position.
  std::vector<scenario::Scenario> workloads;
  for (const std::string& path : paths) {
    scenario::ScenarioResult parsed = explore::LoadWorkload(path);
    if (!parsed.ok()) throw UsageError(parsed.error().ToString());
    workloads.push_back(std::move(parsed).value());
  }

  std::string action_names;
  for (explore::CrashAction a : options.actions) {
    action_names += (action_names.empty() ? "" : ",") + std::string(explore::CrashActionName(a));
  }
  std::vector<Explored> explored;
  const Clock::time_point start = Clock::now();
  const bool torn_bytes = !options.torn_sectors;
  for (size_t w = 0; w < workloads.size(); ++w) {
    const std::string name = explore::WorkloadName(paths[w]);
    const LayoutInfo& layout = driver::LayoutOf(driver::ConfigOf(workloads[w], driver::RunConfig{options.layout}));
    std::cout << "explore " << paths[w] << ": " << DescribeLayout(layout) << ", " << workloads[w].steps.size()
              << " ops, seed "
              << workloads[w].seed.value_or(0) << ", actions " << action_names << ", " << options.jobs
              << (options.jobs == 1 ? " job" : " jobs")
              << (options.torn_sectors ? "" : ", torn bytes")
              << (options.faults.empty() ? "" : ", session-wide faults " + options.faults) << "\n"
              << std::flush;
    PointProgress progress(name);
    explore::ExploreResult result =
        explore::ExploreWorkload(workloads[w], name, options,
                                 [&progress](uint64_t done, uint64_t total) { progress.Update(done, total); });
    progress.Clear();
    PrintTable(std::cout, result, options.actions);
    for (const std::string& warning : result.warnings) std::cout << "  warning: " << warning << "\n";
    PrintFindings(std::cout, result, 20, layout, torn_bytes);
    uint64_t expected = 0;
    for (const explore::Finding& f : result.findings) expected += ExpectedFinding(f, layout, torn_bytes) ? 1 : 0;
    std::cout << "  " << result.crash_points << " crash points in " << result.messages << " messages ("
              << result.message_ops << " message ops), " << Fixed(result.explore_seconds, 2) << " s, "
              << Fixed(Rate(result.crash_points, result.explore_seconds), 0) << " points/s ("
              << Fixed(Rate(result.crash_points, result.explore_cpu_seconds), 0) << " per CPU-second); dry run "
              << Fixed(result.dry_run_seconds, 2) << " s; "
              << (result.ok() ? std::string("no violation")
                              : std::to_string(result.violations()) + (result.violations() == 1 ? " violation" : " violations"))
              << (expected > 0 ? " (" + std::to_string(expected) + " expected: " + DescribeLayout(layout) +
                                     " does not promise to survive them)"
                               : "")
              << "\n"
              << std::flush;
    explored.push_back(Explored{paths[w], std::move(result), &layout, expected});
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  uint64_t points = 0;
  uint64_t points_run = 0;
  uint64_t violations = 0;
  uint64_t expected = 0;
  double explore_seconds = 0;
  double explore_cpu_seconds = 0;
  std::map<std::string, uint64_t> hits;
  for (const Explored& e : explored) {
    points += e.result.crash_points;
    points_run += e.result.points_run;
    violations += e.result.violations();
    expected += e.expected;
    explore_seconds += e.result.explore_seconds;
    explore_cpu_seconds += e.result.explore_cpu_seconds;
    for (const auto& [site, n] : e.result.hits_in_messages) hits[site] += n;
  }
  std::vector<std::string> not_reached;  // of the sites some explored layout reaches
  for (const fp::SiteInfo& site : ops::RegisterCatalogue().All()) {
    bool reachable = false;
    for (const Explored& e : explored) reachable = reachable || faults::SiteReachedBy(site.name, *e.layout);
    if (reachable && hits[std::string(site.name)] == 0) not_reached.push_back(std::string(site.name));
  }
  if (explored.size() > 1) {
    std::cout << "explore: " << explored.size() << " workloads, " << points << " crash points in "
              << Fixed(explore_seconds, 2) << " s (" << Fixed(Rate(points, explore_seconds), 0) << " points/s, "
              << Fixed(Rate(points, explore_cpu_seconds), 0) << " per CPU-second, " << options.jobs
              << (options.jobs == 1 ? " job" : " jobs") << "), " << violations
              << (violations == 1 ? " violation" : " violations")
              << (expected > 0 ? " (" + std::to_string(expected) + " expected)" : "") << "\n";
  }
  if (!not_reached.empty()) {
    std::cout << "sites no message reached:";
    for (const std::string& s : not_reached) std::cout << " " << s;
    std::cout << "\n";
  }

  if (args.has("report-json")) {
    std::ostringstream json;
    json << "{\"format\": \"stablevfs-explore-1\", \"command_line\": " << JsonString(CommandLine(argc, argv))
         << ", \"result\": " << (violations == expected ? "\"pass\"" : "\"fail\"")
         << ", \"layout\": " << JsonString(options.layout) << ", \"actions\": [";
    for (size_t i = 0; i < options.actions.size(); ++i) {
      json << (i == 0 ? "" : ", ") << JsonString(explore::CrashActionName(options.actions[i]));
    }
    json << "], \"jobs\": " << options.jobs << ", \"max_ordinals\": " << options.max_ordinals
         << ", \"torn\": " << (options.torn_sectors ? "\"sectors\"" : "\"bytes\"")
         << ", \"faults\": " << JsonString(options.faults) << ", \"crash_points\": " << points
         << ", \"points_run\": " << points_run << ", \"violations\": " << violations
         << ", \"expected_violations\": " << expected
         << ", \"duration_seconds\": " << Fixed(seconds, 3) << ", \"explore_seconds\": " << Fixed(explore_seconds, 3)
         << ", \"points_per_second\": " << Fixed(Rate(points, explore_seconds), 1)
         << ", \"explore_cpu_seconds\": " << Fixed(explore_cpu_seconds, 3)
         << ", \"points_per_cpu_second\": " << Fixed(Rate(points, explore_cpu_seconds), 1)
         << ",\n  \"sites_not_reached\": [";
    for (size_t i = 0; i < not_reached.size(); ++i) json << (i == 0 ? "" : ", ") << JsonString(not_reached[i]);
    json << "],\n  \"workloads\": [";
    for (size_t i = 0; i < explored.size(); ++i) {
      json << (i == 0 ? "" : ",") << "\n    " << WorkloadJson(explored[i], options.actions, *explored[i].layout, torn_bytes);
    }
    json << "]}\n";
    const std::string path = *args.get("report-json");
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << json.str();
    if (!file) throw UsageError("--report-json: cannot write " + path);
  }
  return violations == expected ? kExitPass : kExitViolation;
}

}  // namespace stablevfs::cli
