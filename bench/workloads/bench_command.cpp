// ParseBenchArgs, BenchUsage and RunBenchCommand: the `stablevfs bench` front end (vfs_bench.h).
#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

#include "bench/workloads/readme_section.h"
#include "bench/workloads/vfs_bench.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::bench {
namespace {

std::vector<std::string> SplitCommas(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const size_t end = comma == std::string_view::npos ? text.size() : comma;
    if (end > start) parts.emplace_back(text.substr(start, end - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return parts;
}

Status ParseUnsigned(std::string_view flag, std::string_view text, uint32_t& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (error != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument(std::string(flag) + " wants a non-negative integer, got '" + std::string(text) + "'");
  }
  return Status::Ok();
}

Status ParseScale(std::string_view text, double& out) {
  // strtod on a copy: the string_view is not NUL-terminated.
  const std::string copy(text);
  char* end = nullptr;
  out = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || !(out > 0) || out > 1000) {
    return Status::InvalidArgument("--scale wants a number in (0, 1000], got '" + copy + "'");
  }
  return Status::Ok();
}

// The flags that RunBenchCommand handles itself, with whether they take a value.
struct CommandFlags {
  std::string json_path;
  bool no_json = false;
  std::string markdown_path;
  std::string readme_path;
  std::string from_json;
  std::string run_option;  // the first option given that runs something (--from-json refuses it)
  bool list = false;
  bool quiet = false;
  bool help = false;
};

}  // namespace

std::string BenchUsage() {
  return "usage: stablevfs bench [options]\n"
         "  --workload NAME[,NAME]   run only these workloads (repeatable; default all; see --list)\n"
         "  --backend NAME[,NAME]    memdb, unix, icstable, icstable-sim (repeatable; default all)\n"
         "  --layout NAME[,NAME]|all the on-disk layouts icstable, icstable-sim and the harness suite run on,\n"
         "                           once each (repeatable; " + LayoutRegistry::Global().Names() + "; default all: every\n"
         "                           builtin layout); memdb and unix have no layout and run once\n"
         "  --runs N                 timed runs per workload and backend, median reported (default 5;\n"
         "                           0 = set up only, the baseline of whole-process instruction counts)\n"
         "  --warmup N               untimed passes before the timed runs, discarded (default 1)\n"
         "  --scale X                multiply the KV row counts (default 1)\n"
         "  --value-bytes N          bytes per KV value (default 100)\n"
         "  --churn-cycles N         cycles of the churn test (default 100)\n"
         "  --churn-sample-every N   sample the stable memory size every N cycles (default 10)\n"
         "  --corpora DIR            folder with workloads/chinook and workloads/northwind\n"
         "                           (default $STABLEVFS_CORPORA, else ../shared/corpora beside the repo)\n"
         "  --build-type S           reported as the build type\n"
         "  --tmpdir DIR             where the unix backend's temporary database goes\n"
         "  --goal-clock wall|cpu    the clock the time goals judge (default wall; cpu on a busy machine)\n"
         "  --no-verify              skip the untimed result checks and sizes (whole-process\n"
         "                           instruction counting)\n"
         "  --no-callgrind-toggles   do not toggle Callgrind's collection around the timed region\n"
         "  --json FILE              write the JSON report to FILE (default:\n"
         "                           build/bench-results/bench-<UTC time>.json below the working directory)\n"
         "  --no-json                write no JSON report\n"
         "  --markdown FILE          write the Markdown report to FILE instead of standard output\n"
         "  --list                   print the workload and backend names and exit\n"
         "  --quiet                  no progress lines on standard error\n"
         "\n"
         "suites:\n"
         "  --suite vfs|harness|all  what to measure (default all): the VFS workloads above, the harness\n"
         "                           throughput (judged messages, explore crash points, negative controls)\n"
         "  --harness-seed N         seed of the judged cases and the negative controls (default 1)\n"
         "  --harness-cases N        property-driver cases timed for the judged-message rate (default 16)\n"
         "  --harness-steps N        ops per judged case (default 100)\n"
         "  --explore-jobs J[,J]     explore the standard workloads once per value (default 1,2)\n"
         "  --control-cases N        cases tried per negative control before 'not caught' (default 20)\n"
         "  --workloads-dir DIR      the explored workloads (default scenarios/workloads)\n"
         "\n"
         "reports:\n"
         "  --readme FILE            also rewrite the generated section of FILE (between the lines\n"
         "                           '<!-- stablevfs bench: begin generated section -->' and\n"
         "                           '<!-- stablevfs bench: end generated section -->')\n"
         "  --from-json FILE         run nothing: render the saved report FILE (Markdown, --readme)\n"
         "\n"
         "examples:\n"
         "  stablevfs bench --goal-clock cpu --readme README.md   # the README's performance section\n"
         "  stablevfs bench --suite vfs --workload insert_5000,point_read_100 --backend memdb,icstable\n"
         "  stablevfs bench --suite vfs --layout 8 --workload reset_insert_1000,churn\n"
         "  stablevfs bench --from-json build/bench-results/bench-20261121T120000Z.json --readme README.md\n";
}

namespace {

Result<BenchOptions> Parse(const std::vector<std::string>& args, CommandFlags* flags) {
  BenchOptions options;
  // The harness options may come before or after --suite; they are applied at the end.
  HarnessBenchOptions harness;
  options.harness = harness;  // the command measures both suites unless told otherwise
  const std::vector<std::string> known = WorkloadNames();
  std::vector<std::string> layouts;  // --layout, for both suites
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const auto value = [&]() -> Result<std::string> {
      if (i + 1 >= args.size()) return Status::InvalidArgument(arg + " wants a value");
      return args[++i];
    };
    const bool reporting = arg == "--json" || arg == "--no-json" || arg == "--markdown" || arg == "--readme" ||
                           arg == "--from-json" || arg == "--quiet" || arg == "--help" || arg == "-h" ||
                           arg == "--list";
    if (flags && !reporting && flags->run_option.empty()) flags->run_option = arg;
    if (arg == "--list" && flags) {
      flags->list = true;
    } else if (arg == "--quiet" && flags) {
      flags->quiet = true;
    } else if (arg == "--no-json" && flags) {
      flags->no_json = true;
    } else if ((arg == "--help" || arg == "-h") && flags) {
      flags->help = true;
    } else if (arg == "--no-verify") {
      options.verify = false;
    } else if (arg == "--no-callgrind-toggles") {
      options.callgrind_toggles = false;
    } else {
      Result<std::string> v = value();
      if (!v.ok()) return v.status();
      const std::string& text = *v;
      if (arg == "--workload") {
        for (std::string& name : SplitCommas(text)) {
          if (std::find(known.begin(), known.end(), name) == known.end()) {
            return Status::InvalidArgument("unknown workload '" + name + "' (see --list)");
          }
          options.workloads.push_back(std::move(name));
        }
      } else if (arg == "--backend") {
        for (const std::string& name : SplitCommas(text)) {
          std::optional<BackendKind> kind = ParseBackendName(name);
          if (!kind) return Status::InvalidArgument("unknown backend '" + name + "' (see --list)");
          options.backends.push_back(*kind);
        }
      } else if (arg == "--layout") {
        // Validated as every command's --layout (harness/cli/layout_option.h): a registered name, or all.
        std::vector<std::string> names;
        if (text == "all") {
          for (const LayoutInfo* layout : LayoutRegistry::Global().Builtins()) names.push_back(layout->name);
        } else {
          names = SplitCommas(text);
          if (names.empty()) return Status::InvalidArgument("--layout wants a layout name or all");
        }
        for (const std::string& name : names) {
          if (LayoutRegistry::Global().Find(name) == nullptr) {
            return Status::InvalidArgument("--layout: unknown layout '" + name +
                                           "' (registered: " + LayoutRegistry::Global().Names() + ")");
          }
          if (std::find(layouts.begin(), layouts.end(), name) == layouts.end()) layouts.push_back(name);
        }
      } else if (arg == "--runs") {
        STABLEVFS_RETURN_IF_ERROR(ParseUnsigned(arg, text, options.runs));
      } else if (arg == "--warmup") {
        STABLEVFS_RETURN_IF_ERROR(ParseUnsigned(arg, text, options.warmups));
      } else if (arg == "--scale") {
        STABLEVFS_RETURN_IF_ERROR(ParseScale(text, options.scale));
      } else if (arg == "--value-bytes") {
        STABLEVFS_RETURN_IF_ERROR(ParseUnsigned(arg, text, options.value_bytes));
      } else if (arg == "--churn-cycles") {
        STABLEVFS_RETURN_IF_ERROR(ParseUnsigned(arg, text, options.churn_cycles));
      } else if (arg == "--churn-sample-every") {
        STABLEVFS_RETURN_IF_ERROR(ParseUnsigned(arg, text, options.churn_sample_every));
        if (options.churn_sample_every == 0) return Status::InvalidArgument("--churn-sample-every must be >= 1");
      } else if (arg == "--corpora") {
        options.corpora_dir = text;
      } else if (arg == "--build-type") {
        options.build_type = text;
      } else if (arg == "--goal-clock") {
        if (text != "wall" && text != "cpu") return Status::InvalidArgument("--goal-clock is wall or cpu");
        options.goals_on_cpu_time = text == "cpu";
      } else if (arg == "--tmpdir") {
        options.temp_dir = text;
      } else if (arg == "--suite") {
        if (text != "vfs" && text != "harness" && text != "all") {
          return Status::InvalidArgument("--suite is vfs, harness or all, got '" + text + "'");
        }
        options.vfs = text != "harness";
        if (text == "vfs") {
          options.harness.reset();
        } else if (!options.harness) {
          options.harness = harness;
        }
      } else if (arg == "--harness-seed" || arg == "--harness-cases" || arg == "--harness-steps" ||
                 arg == "--control-cases") {
        uint32_t n = 0;
        STABLEVFS_RETURN_IF_ERROR(ParseUnsigned(arg, text, n));
        if (n == 0 && arg != "--harness-seed") return Status::InvalidArgument(arg + " must be >= 1");
        if (arg == "--harness-seed") harness.seed = n;
        if (arg == "--harness-cases") harness.judged_cases = n;
        if (arg == "--harness-steps") harness.judged_steps = n;
        if (arg == "--control-cases") harness.control_max_cases = n;
      } else if (arg == "--explore-jobs") {
        harness.explore_jobs.clear();
        for (const std::string& part : SplitCommas(text)) {
          uint32_t jobs = 0;
          STABLEVFS_RETURN_IF_ERROR(ParseUnsigned(arg, part, jobs));
          if (jobs == 0 || jobs > 64) return Status::InvalidArgument("--explore-jobs values are 1..64, got '" + part + "'");
          harness.explore_jobs.push_back(jobs);
        }
        if (harness.explore_jobs.empty()) return Status::InvalidArgument("--explore-jobs wants at least one value");
      } else if (arg == "--workloads-dir") {
        harness.workloads_dir = text;
      } else if (arg == "--readme" && flags) {
        flags->readme_path = text;
      } else if (arg == "--from-json" && flags) {
        flags->from_json = text;
      } else if (arg == "--json" && flags) {
        flags->json_path = text;
      } else if (arg == "--markdown" && flags) {
        flags->markdown_path = text;
      } else {
        return Status::InvalidArgument("unknown option '" + arg + "'");
      }
    }
  }
  options.layouts = layouts;
  harness.layouts = layouts;
  if (options.harness) options.harness = harness;
  return options;
}

// The command line as a user could type it again: words with shell metacharacters single-quoted.
std::string CommandLine(const std::vector<std::string>& args) {
  std::string line = "stablevfs bench";
  for (const std::string& arg : args) {
    const bool plain = !arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                             "0123456789-_=.,/:+@%") == std::string::npos;
    line += " ";
    if (plain) {
      line += arg;
      continue;
    }
    line += "'";
    for (char c : arg) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += "'";
  }
  return line;
}

Result<BenchReport> LoadReport(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  Result<BenchReport> report = ReadJson(text.str());
  if (!report.ok()) return Status::InvalidArgument(path + ": " + report.status().message());
  return report;
}

}  // namespace

Result<BenchOptions> ParseBenchArgs(const std::vector<std::string>& args) { return Parse(args, nullptr); }

int RunBenchCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommandFlags flags;
  Result<BenchOptions> options = Parse(args, &flags);
  if (!options.ok()) {
    err << "stablevfs bench: " << options.status().message() << "\n" << BenchUsage();
    return 2;
  }
  if (flags.help) {
    out << BenchUsage();
    return 0;
  }
  if (flags.list) {
    out << "workloads:";
    for (const std::string& name : WorkloadNames()) out << " " << name;
    out << "\nbackends:";
    for (BackendKind kind : kAllBackends) out << " " << BackendName(kind);
    out << "\nlayouts:";
    for (const LayoutInfo* layout : LayoutRegistry::Global().Builtins()) out << " " << layout->name;
    out << "\n";
    return 0;
  }
  if (!flags.from_json.empty()) {
    if (!flags.run_option.empty()) {
      err << "stablevfs bench: --from-json renders a saved report; " << flags.run_option
          << " would change a run, so it does not apply (drop it, or run without --from-json)\n";
      return 2;
    }
    if (!flags.json_path.empty()) {
      err << "stablevfs bench: --from-json writes no JSON report; drop --json\n";
      return 2;
    }
    flags.no_json = true;
  }
  if (flags.json_path.empty() && !flags.no_json) {
    // Every run leaves a JSON record unless told not to; the name carries the start time so runs never
    // overwrite each other. Reported only: the time decides nothing.
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
    const std::filesystem::path dir = std::filesystem::path("build") / "bench-results";
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
      err << "stablevfs bench: cannot create " << dir.string() << ": " << error.message() << "\n";
      return 2;
    }
    flags.json_path = (dir / ("bench-" + std::string(stamp) + ".json")).string();
  }
  // Open the outputs and check the README's markers before running, so a typo in a path does not cost a
  // whole benchmark.
  std::ofstream json_file;
  std::ofstream markdown_file;
  if (!flags.json_path.empty()) {
    json_file.open(flags.json_path);
    if (!json_file) {
      err << "stablevfs bench: cannot write " << flags.json_path << "\n";
      return 2;
    }
  }
  if (!flags.markdown_path.empty()) {
    markdown_file.open(flags.markdown_path);
    if (!markdown_file) {
      err << "stablevfs bench: cannot write " << flags.markdown_path << "\n";
      return 2;
    }
  }
  if (!flags.readme_path.empty()) {
    if (Status ready = CheckReadme(flags.readme_path); !ready.ok()) {
      err << "stablevfs bench: " << ready.message() << "\n";
      return 2;
    }
  }

  BenchReport report;
  if (!flags.from_json.empty()) {
    Result<BenchReport> loaded = LoadReport(flags.from_json);
    if (!loaded.ok()) {
      err << "stablevfs bench: " << loaded.status().message() << "\n";
      return 2;
    }
    report = std::move(loaded).value();
  } else {
    if (!flags.quiet) {
      options->progress = &err;
      if (options->harness) options->harness->progress = &err;
    }
    report = RunBenchmarks(*options);
    report.environment.command_line = CommandLine(args);
  }
  WriteMarkdown(report, flags.markdown_path.empty() ? out : markdown_file);
  if (json_file.is_open()) {
    WriteJson(report, json_file);
    json_file.flush();
    if (!json_file) {
      err << "stablevfs bench: error writing " << flags.json_path << "\n";
      return 2;
    }
    if (!flags.quiet) err << "JSON report: " << flags.json_path << "\n";
  }
  if (!flags.readme_path.empty()) {
    std::ostringstream section;
    WriteReadmeSection(report, flags.from_json.empty() ? flags.json_path : flags.from_json, section);
    if (Status updated = UpdateReadme(flags.readme_path, section.str()); !updated.ok()) {
      err << "stablevfs bench: " << updated.message() << "\n";
      return 2;
    }
    if (!flags.quiet) err << "README section rewritten: " << flags.readme_path << "\n";
  }
  return report.ok() ? 0 : 1;
}

}  // namespace stablevfs::bench
