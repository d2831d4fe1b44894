#include "bench/workloads/readme_section.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "bench/workloads/markdown_text.h"

namespace stablevfs::bench {
namespace {

std::optional<int64_t> CpuOf(const WorkloadResult& w, BackendKind kind) {
  const BackendResult* r = w.Find(kind);
  return r == nullptr ? std::nullopt : r->median_cpu_ns;
}

// The layouts of the report's icstable results: those of the environment, then any other a result carries.
std::vector<std::string> ReportLayouts(const BenchReport& report) {
  std::vector<std::string> layouts;
  const auto add = [&](const std::string& name) {
    if (!name.empty() && std::find(layouts.begin(), layouts.end(), name) == layouts.end()) layouts.push_back(name);
  };
  for (const BenchLayout& layout : report.environment.layouts) add(layout.name);
  for (const WorkloadResult& w : report.workloads) {
    for (const BackendResult& r : w.backends) add(r.layout);
  }
  return layouts;
}

// Every position of `marker` at the start of a line.
std::vector<size_t> MarkerLines(std::string_view text, std::string_view marker) {
  std::vector<size_t> found;
  for (size_t at = text.find(marker); at != std::string_view::npos; at = text.find(marker, at + 1)) {
    if (at == 0 || text[at - 1] == '\n') found.push_back(at);
  }
  return found;
}

Result<std::string> ReadWhole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteVfsSummary(const BenchReport& report, std::ostream& out) {
  const std::vector<std::string> layouts = ReportLayouts(report);
  out << "VFS workloads: median CPU time of " << report.environment.runs << " runs (after "
      << report.environment.warmups << " discarded warm-up run(s)) of the timed region (`x memdb`: the ratio to SQLite's in-memory VFS, the floor; `unix`: SQLite's "
         "file VFS with the same pragmas; `icstable/N`: the library on heap stable memory, the database in on-disk "
         "layout N";
  if (!report.environment.layouts.empty()) {
    out << " (";
    for (size_t i = 0; i < report.environment.layouts.size(); ++i) {
      const BenchLayout& layout = report.environment.layouts[i];
      out << (i == 0 ? "" : ", ") << Cell(layout.name) << ": " << Cell(layout.atomicity);
    }
    out << ")";
  }
  out << "). `sim/N` columns: the stable-memory instructions the simulated IC charged `icstable-sim` on layout N in "
         "the timed region (20/call + 1/byte + 1,000/new dirty 4 KiB page + 500/grow, not SQLite's compute). "
         "Stable bytes after the run, on `icstable/N`.\n\n";
  out << "| workload | memdb cpu ms | unix cpu x memdb |";
  for (const std::string& layout : layouts) out << " icstable/" << Cell(layout) << " cpu x memdb |";
  for (const std::string& layout : layouts) out << " sim/" << Cell(layout) << ": stable instructions |";
  for (const std::string& layout : layouts) out << " stable bytes /" << Cell(layout) << " |";
  out << " status |\n|---|--:|--:|";
  for (size_t i = 0; i < 3 * layouts.size(); ++i) out << "--:|";
  out << "---|\n";
  for (const WorkloadResult& w : report.workloads) {
    if (!w.skipped.empty()) {
      out << "| " << Cell(w.name) << " | | |";
      for (size_t i = 0; i < 3 * layouts.size(); ++i) out << " |";
      out << " skipped: " << Cell(w.skipped) << " |\n";
      continue;
    }
    const BackendResult* unix_vfs = w.Find(BackendKind::kUnix);
    std::string status = "ok";
    for (const BackendResult& r : w.backends) {
      if (!r.error.empty()) status = "FAILED on " + SeriesName(r) + ": " + r.error;
    }
    out << "| " << Cell(w.name) << " | " << Millis(CpuOf(w, BackendKind::kMemdb)) << " | "
        << Ratio(unix_vfs ? unix_vfs->cpu_ratio_to_memdb : std::nullopt) << " |";
    for (const std::string& layout : layouts) {
      const BackendResult* ours = w.Find(BackendKind::kIcstable, layout);
      out << " " << Ratio(ours ? ours->cpu_ratio_to_memdb : std::nullopt) << " |";
    }
    for (const std::string& layout : layouts) {
      const BackendResult* sim = w.Find(BackendKind::kIcstableSim, layout);
      out << " " << (sim != nullptr && sim->cost ? Grouped(sim->cost->instructions) : kNoNumber) << " |";
    }
    for (const std::string& layout : layouts) {
      const BackendResult* ours = w.Find(BackendKind::kIcstable, layout);
      out << " " << Grouped(ours ? ours->stable_bytes : std::nullopt) << " |";
    }
    out << " " << Cell(status) << " |\n";
  }
  out << "\n";
  for (const WorkloadResult& w : report.workloads) {
    for (const std::string& layout : layouts) {
      const BackendResult* ours = w.Find(BackendKind::kIcstable, layout);
      if (ours == nullptr || ours->footprint.size() < 2) continue;
      const FootprintSample& first = ours->footprint.front();
      const FootprintSample& last = ours->footprint.back();
      const uint64_t cycles = last.cycle - first.cycle;
      const double per_cycle =
          cycles == 0 ? 0.0
                      : (static_cast<double>(last.stable_pages) - static_cast<double>(first.stable_pages)) /
                            static_cast<double>(cycles);
      out << "Churn footprint (`" << Cell(w.name) << "`, icstable/" << Cell(layout) << "): "
          << Grouped(first.stable_pages) << " stable pages (64 KiB) after setup, " << Grouped(last.stable_pages)
          << " after " << cycles << " cycles: " << Fixed(per_cycle, 2) << " pages ("
          << Grouped(static_cast<uint64_t>(per_cycle * 65536 + 0.5)) << " bytes) per cycle; samples (cycle: pages):";
      for (size_t i = 0; i < ours->footprint.size(); ++i) {
        out << (i == 0 ? " " : ", ") << ours->footprint[i].cycle << ": " << Grouped(ours->footprint[i].stable_pages);
      }
      out << ".\n\n";
    }
  }
}

}  // namespace

void WriteReadmeSection(const BenchReport& report, std::string_view source, std::ostream& out) {
  const BenchEnvironment& env = report.environment;
  out << kReadmeBegin << "\n";
  out << "<!-- Generated by `stablevfs bench --readme` from a benchmark report; rerun it instead of editing. -->\n\n";
  out << "Produced by `" << (env.command_line.empty() ? std::string("stablevfs bench") : env.command_line) << "`";
  if (!source.empty()) out << " (report: `" << source << "`)";
  out << " on " << env.machine << ", " << env.date_utc << "; SQLite " << env.sqlite_version << ", "
      << (env.build_type.empty() ? std::string("build type not given") : env.build_type) << ", " << env.compiler
      << ".\n\n";
  if (env.vfs) WriteVfsSummary(report, out);
  if (report.harness) {
    out << "Harness throughput:\n\n";
    WriteHarnessTables(*report.harness, out);
  }
  out << "Goals (time goals on " << (env.goals_on_cpu_time ? "CPU time" : "the wall clock") << "):\n\n";
  WriteGoalsTable(report.goals, out);
  out << "\n" << kReadmeEnd << "\n";
}

Result<std::string> SpliceReadme(std::string_view readme, std::string_view section) {
  const std::string how = "; put the two lines '" + std::string(kReadmeBegin) + "' and '" + std::string(kReadmeEnd) +
                          "' where the section belongs";
  const std::vector<size_t> begins = MarkerLines(readme, kReadmeBegin);
  const std::vector<size_t> ends = MarkerLines(readme, kReadmeEnd);
  if (begins.empty()) return Status::InvalidArgument("no line starts with the marker '" + std::string(kReadmeBegin) + "'" + how);
  if (ends.empty()) return Status::InvalidArgument("no line starts with the marker '" + std::string(kReadmeEnd) + "'" + how);
  if (begins.size() > 1 || ends.size() > 1) {
    return Status::InvalidArgument("the markers of the generated section appear more than once; keep one pair");
  }
  if (ends[0] < begins[0]) {
    return Status::InvalidArgument("the end marker comes before the begin marker");
  }
  size_t after = ends[0] + kReadmeEnd.size();
  if (after < readme.size() && readme[after] == '\n') ++after;
  std::string spliced(readme.substr(0, begins[0]));
  spliced += section;
  spliced += readme.substr(after);
  return spliced;
}

Status CheckReadme(const std::filesystem::path& path) {
  Result<std::string> text = ReadWhole(path);
  if (!text.ok()) return text.status();
  Result<std::string> spliced = SpliceReadme(*text, "");
  if (!spliced.ok()) return Status::InvalidArgument(path.string() + ": " + spliced.status().message());
  return Status::Ok();
}

Status UpdateReadme(const std::filesystem::path& path, std::string_view section) {
  Result<std::string> text = ReadWhole(path);
  if (!text.ok()) return text.status();
  Result<std::string> spliced = SpliceReadme(*text, section);
  if (!spliced.ok()) return Status::InvalidArgument(path.string() + ": " + spliced.status().message());
  const std::filesystem::path temporary = path.string() + ".stablevfs-tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << *spliced;
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      return Status::InvalidArgument("cannot write " + temporary.string());
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    return Status::InvalidArgument("cannot replace " + path.string() + ": " + error.message());
  }
  return Status::Ok();
}

}  // namespace stablevfs::bench
