// WriteMarkdown and WriteJson of the VFS benchmark report (vfs_bench.h).
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/workloads/markdown_text.h"
#include "bench/workloads/vfs_bench.h"
#include "harness/json/json_writer.h"

namespace stablevfs::bench {

namespace {
void WriteVfsTables(const BenchReport& report, std::ostream& out);

// A string member that is null when empty (a result or goal of no layout, a goal whose failure is not expected).
void OptionalString(json::JsonWriter& j, std::string_view key, const std::string& value) {
  if (value.empty()) {
    j.Key(key);
    j.Null();
  } else {
    j.Field(key, value);
  }
}
}  // namespace

void WriteMarkdown(const BenchReport& report, std::ostream& out) {
  const BenchEnvironment& env = report.environment;
  out << "# stablevfs benchmark\n\n";
  if (!env.command_line.empty()) out << "- command: `" << env.command_line << "`\n";
  out << "- machine: " << env.machine << "\n";
  out << "- date (UTC): " << env.date_utc << "\n";
  out << "- SQLite: " << env.sqlite_version << "\n";
  out << "- build type: " << (env.build_type.empty() ? "(not given)" : env.build_type) << "; compiler: "
      << env.compiler << "\n";
  if (env.vfs) {
    out << "- runs per workload and backend: " << env.runs << " (median reported) after " << env.warmups
        << " discarded warm-up run(s); scale " << env.scale
      << "; values " << env.value_bytes << " bytes; churn " << env.churn_cycles << " cycles\n";
    out << "- corpora: " << env.corpora_dir << "\n";
  }
  out << "- time goals judged on: " << (env.goals_on_cpu_time ? "thread CPU time" : "wall clock") << "\n\n";
  if (env.vfs) WriteVfsTables(report, out);
  if (report.harness) {
    out << "## Harness throughput\n\n";
    WriteHarnessTables(*report.harness, out);
  }
  out << "## Goals\n\n";
  WriteGoalsTable(report.goals, out);
  out << "\n" << (report.ok() ? "All runs succeeded." : "Some runs FAILED (see status).") << "\n";
}

namespace {

// One column of the side-by-side tables: a backend on a layout ("" for memdb and unix).
struct Series {
  BackendKind backend;
  std::string layout;
  bool operator==(const Series&) const = default;
};

// Every backend/layout the report has a result for: backends in kAllBackends order, layouts in the order of
// the environment, then as met.
std::vector<Series> SeriesOf(const BenchReport& report) {
  std::vector<std::string> layouts;
  for (const BenchLayout& layout : report.environment.layouts) layouts.push_back(layout.name);
  std::vector<Series> found;
  for (const WorkloadResult& w : report.workloads) {
    for (const BackendResult& r : w.backends) {
      const Series series{r.backend, r.layout};
      if (std::find(found.begin(), found.end(), series) == found.end()) found.push_back(series);
      if (!r.layout.empty() && std::find(layouts.begin(), layouts.end(), r.layout) == layouts.end()) {
        layouts.push_back(r.layout);
      }
    }
  }
  std::vector<Series> ordered;
  for (BackendKind kind : kAllBackends) {
    for (const Series& s : found) {
      if (s.backend == kind && s.layout.empty()) ordered.push_back(s);
    }
    for (const std::string& layout : layouts) {
      for (const Series& s : found) {
        if (s.backend == kind && s.layout == layout) ordered.push_back(s);
      }
    }
  }
  return ordered;
}

// The layouts of the series of `backend`, in column order.
std::vector<std::string> LayoutsOf(const std::vector<Series>& series, BackendKind backend) {
  std::vector<std::string> layouts;
  for (const Series& s : series) {
    if (s.backend == backend && !s.layout.empty()) layouts.push_back(s.layout);
  }
  return layouts;
}

void WriteVfsTables(const BenchReport& report, std::ostream& out) {
  out << "## VFS workloads\n\n";

  if (!report.environment.layouts.empty()) {
    out << "Layouts: ";
    for (size_t i = 0; i < report.environment.layouts.size(); ++i) {
      const BenchLayout& layout = report.environment.layouts[i];
      out << (i == 0 ? "" : ", ") << "layout " << Cell(layout.name) << " (" << Cell(layout.atomicity) << ")";
    }
    out << ". `icstable/N` and `icstable-sim/N`: the backend with its database in layout N; memdb and unix have "
           "no layout and run once (every layout's ratios divide by the same memdb median).\n\n";
  }

  out << "Time: median of the timed region (transactions only), wall clock (steady_clock); cpu ms: the "
         "thread's CPU time in the same region (less disturbed by other load on the machine). Stable columns: `icstable-sim` counts what "
         "the IC would charge in the timed region (bytes written, newly dirtied 4 KiB pages, stable-memory "
         "instructions: 20/call + 1/byte + 1,000/new dirty page + 500/grow; not SQLite's own compute); "
         "sizes are after the run. DB bytes = page_count * page_size.\n\n";

  out << "| workload | backend | median ms | x memdb | cpu ms | cpu x memdb | stable bytes written | new dirty 4 KiB pages | "
         "stable instructions | stable pages | stable bytes | DB bytes | rows | status |\n";
  out << "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n";
  for (const WorkloadResult& w : report.workloads) {
    if (!w.skipped.empty()) {
      out << "| " << Cell(w.name) << " | | | | | | | | | | | | | skipped: " << Cell(w.skipped) << " |\n";
      continue;
    }
    for (const BackendResult& r : w.backends) {
      const bool reads = w.kind == WorkloadKind::kRead;
      out << "| " << Cell(w.name) << " | " << Cell(SeriesName(r)) << " | " << Millis(r.median_ns) << " | "
          << Ratio(r.ratio_to_memdb) << " | " << Millis(r.median_cpu_ns) << " | "
          << Ratio(r.cpu_ratio_to_memdb) << " | " << (r.cost ? Grouped(r.cost->bytes_written) : kNoNumber) << " | "
          << (r.cost ? Grouped(r.cost->dirty_pages) : kNoNumber) << " | "
          << (r.cost ? Grouped(r.cost->instructions) : kNoNumber) << " | " << Grouped(r.stable_pages) << " | "
          << Grouped(r.stable_bytes) << " | " << Grouped(r.db_size_bytes) << " | "
          << Grouped(reads ? r.rows_read : r.table_rows) << " | ";
      if (!r.error.empty()) {
        out << "FAILED: " << Cell(r.error);
      } else {
        out << "ok";
        for (const std::string& note : r.notes) out << "; " << Cell(note);
      }
      out << " |\n";
    }
  }
  out << "\nrows: rows returned for reads, rows in the table(s) afterwards otherwise.\n";

  const std::vector<Series> series = SeriesOf(report);
  const bool cpu = report.environment.goals_on_cpu_time;
  if (!series.empty()) {
    // Time, side by side: the goal clock's ratio to memdb for every backend/layout.
    out << "\n### Side by side: " << (cpu ? "CPU time" : "wall-clock time") << " x memdb\n\n"
        << "Median " << (cpu ? "CPU" : "wall-clock") << " time of each backend/layout divided by memdb's (the "
        << "clock the time goals judge); memdb's own median in ms.\n\n| workload | memdb ms |";
    for (const Series& s : series) {
      if (s.backend != BackendKind::kMemdb) out << " " << Cell(SeriesName(s.backend, s.layout)) << " |";
    }
    out << "\n|---|--:|";
    for (const Series& s : series) {
      if (s.backend != BackendKind::kMemdb) out << "--:|";
    }
    out << "\n";
    for (const WorkloadResult& w : report.workloads) {
      if (!w.skipped.empty()) continue;
      const BackendResult* memdb = w.Find(BackendKind::kMemdb);
      out << "| " << Cell(w.name) << " | "
          << Millis(memdb == nullptr ? std::nullopt : cpu ? memdb->median_cpu_ns : memdb->median_ns) << " |";
      for (const Series& s : series) {
        if (s.backend == BackendKind::kMemdb) continue;
        const BackendResult* r = w.Find(s.backend, s.layout);
        out << " " << Ratio(r == nullptr ? std::nullopt : cpu ? r->cpu_ratio_to_memdb : r->ratio_to_memdb) << " |";
      }
      out << "\n";
    }
  }

  // Simulated stable-memory instructions, one column per layout, and every later layout's ratio to every
  // earlier one (8 / 6, sv1 / 6, sv1 / 8).
  const std::vector<std::string> sim_layouts = LayoutsOf(series, BackendKind::kIcstableSim);
  std::vector<std::pair<size_t, size_t>> pairs;  // (later, earlier) indices into sim_layouts
  for (size_t later = 1; later < sim_layouts.size(); ++later) {
    for (size_t earlier = 0; earlier < later; ++earlier) pairs.emplace_back(later, earlier);
  }
  if (!sim_layouts.empty()) {
    out << "\n### Side by side: simulated stable-memory instructions (icstable-sim)\n\n"
        << "What the IC cost model charges for stable memory in the timed region, per layout";
    if (!pairs.empty()) out << "; `A / B`: layout A's count over layout B's";
    out << ".\n\n| workload |";
    for (const std::string& layout : sim_layouts) out << " layout " << Cell(layout) << " |";
    for (const auto& [later, earlier] : pairs) {
      out << " " << Cell(sim_layouts[later]) << " / " << Cell(sim_layouts[earlier]) << " |";
    }
    out << "\n|---|";
    for (size_t i = 0; i < sim_layouts.size() + pairs.size(); ++i) out << "--:|";
    out << "\n";
    for (const WorkloadResult& w : report.workloads) {
      if (!w.skipped.empty()) continue;
      std::vector<std::optional<uint64_t>> counts;
      for (const std::string& layout : sim_layouts) {
        const BackendResult* r = w.Find(BackendKind::kIcstableSim, layout);
        counts.push_back(r != nullptr && r->cost ? std::optional<uint64_t>(r->cost->instructions) : std::nullopt);
      }
      out << "| " << Cell(w.name) << " |";
      for (const std::optional<uint64_t>& n : counts) out << " " << Grouped(n) << " |";
      for (const auto& [later, earlier] : pairs) {
        const std::optional<uint64_t>& a = counts[later];
        const std::optional<uint64_t>& b = counts[earlier];
        const bool both = a && b && *b > 0;
        out << " "
            << Ratio(both ? std::optional<double>(static_cast<double>(*a) / static_cast<double>(*b)) : std::nullopt)
            << " |";
      }
      out << "\n";
    }
  }

  // Stable memory after the run (reset_insert_1000's row is the reset footprint the goals judge).
  std::vector<Series> sized;
  for (const Series& s : series) {
    if (RunsPerLayout(s.backend)) sized.push_back(s);
  }
  if (!sized.empty()) {
    out << "\n### Side by side: stable memory after the run (bytes)\n\n"
        << "`icstable` measures the whole heap stable memory; `icstable-sim` the database's virtual memory (as the "
           "original's benchmark did). The `reset_insert_1000` row is the footprint after the 1,000-row reset.\n\n"
        << "| workload |";
    for (const Series& s : sized) out << " " << Cell(SeriesName(s.backend, s.layout)) << " |";
    out << "\n|---|";
    for (size_t i = 0; i < sized.size(); ++i) out << "--:|";
    out << "\n";
    for (const WorkloadResult& w : report.workloads) {
      if (!w.skipped.empty()) continue;
      out << "| " << Cell(w.name) << " |";
      for (const Series& s : sized) {
        const BackendResult* r = w.Find(s.backend, s.layout);
        out << " " << Grouped(r == nullptr ? std::nullopt : r->stable_bytes) << " |";
      }
      out << "\n";
    }
  }

  for (const WorkloadResult& w : report.workloads) {
    std::vector<const BackendResult*> sampled;
    for (const BackendResult& r : w.backends) {
      if (!r.footprint.empty()) sampled.push_back(&r);
    }
    if (sampled.empty()) continue;
    out << "\n### " << w.name << ": stable memory after each sample (64 KiB pages)\n\n| cycle |";
    // The longest series gives the rows (a failed run may have stopped early).
    const BackendResult* longest = sampled.front();
    for (const BackendResult* r : sampled) {
      out << " " << Cell(SeriesName(*r)) << " |";
      if (r->footprint.size() > longest->footprint.size()) longest = r;
    }
    out << "\n|--:|";
    for (size_t i = 0; i < sampled.size(); ++i) out << "--:|";
    out << "\n";
    for (size_t i = 0; i < longest->footprint.size(); ++i) {
      out << "| " << longest->footprint[i].cycle << " |";
      for (const BackendResult* r : sampled) {
        out << " " << (i < r->footprint.size() ? Grouped(r->footprint[i].stable_pages) : kNoNumber) << " |";
      }
      out << "\n";
    }
  }

  out << "\n";
}

void WriteHarnessJson(const HarnessReport& h, json::JsonWriter& j) {
  j.BeginObject();
  j.Field("seed", h.seed);
  j.Field("judged_steps", h.judged_steps);
  j.Field("control_steps", h.control_steps);
  j.Field("workloads_dir", h.workloads_dir);
  j.Field("error", h.error);
  j.Key("judged");
  j.BeginArray();
  for (const JudgedThroughput& t : h.judged) {
    j.BeginObject();
    j.Field("layout", t.layout);
    j.Field("cases", t.cases);
    j.Field("ops", t.ops);
    j.Field("messages", t.messages);
    j.Field("violations", t.violations);
    j.Field("expected_violations", t.expected_violations);
    j.Field("seconds", t.seconds);
    j.Field("cpu_seconds", t.cpu_seconds);
    j.Field("per_cpu_second", t.per_cpu_second());
    j.EndObject();
  }
  j.EndArray();
  j.Key("explore");
  j.BeginArray();
  for (const ExploreThroughput& e : h.explore) {
    j.BeginObject();
    j.Field("layout", e.layout);
    j.Field("jobs", static_cast<uint64_t>(e.jobs));
    j.Field("workloads", e.workloads);
    j.Field("crash_points", e.crash_points);
    j.Field("violations", e.violations);
    j.Field("expected_violations", e.expected_violations);
    j.Field("seconds", e.seconds);
    j.Field("cpu_seconds", e.cpu_seconds);
    j.Field("per_second", e.per_second());
    j.Field("per_cpu_second", e.per_cpu_second());
    j.EndObject();
  }
  j.EndArray();
  j.Key("controls");
  j.BeginArray();
  for (const ControlResult& c : h.controls) {
    j.BeginObject();
    j.Field("layout", c.layout);
    j.Field("crash_model", c.crash_model);
    j.Field("name", c.name);
    j.Field("faults", c.faults);
    j.Field("caught", c.caught);
    j.Field("cases", c.cases);
    j.Field("messages", c.messages);
    j.Field("seconds", c.seconds);
    j.Field("property", c.property);
    j.Field("shrunk", c.shrunk);
    j.Field("original_ops", c.original_ops);
    j.Field("shrunk_ops", c.shrunk_ops);
    j.Field("shrink_runs", c.shrink_runs);
    j.Field("shrink_seconds", c.shrink_seconds);
    j.EndObject();
  }
  j.EndArray();
  j.Field("ok", h.ok());
  j.EndObject();
}

}  // namespace

void WriteJson(const BenchReport& report, std::ostream& out) {
  const BenchEnvironment& env = report.environment;
  json::JsonWriter j(out);
  j.BeginObject();
  j.Field("format", kBenchJsonFormat);
  j.Key("environment");
  j.BeginObject();
  j.Field("machine", env.machine);
  j.Field("date_utc", env.date_utc);
  j.Field("sqlite_version", env.sqlite_version);
  j.Field("build_type", env.build_type);
  j.Field("compiler", env.compiler);
  j.Field("callgrind_toggles", env.callgrind_toggles);
  j.Field("goals_on_cpu_time", env.goals_on_cpu_time);
  j.Field("runs", env.runs);
  j.Field("warmups", env.warmups);
  j.Field("scale", env.scale);
  j.Field("value_bytes", env.value_bytes);
  j.Field("churn_cycles", env.churn_cycles);
  j.Field("churn_sample_every", env.churn_sample_every);
  j.Field("corpora_dir", env.corpora_dir);
  j.Field("vfs", env.vfs);
  j.Key("layouts");
  j.BeginArray();
  for (const BenchLayout& layout : env.layouts) {
    j.BeginObject();
    j.Field("name", layout.name);
    j.Field("atomicity", layout.atomicity);
    j.EndObject();
  }
  j.EndArray();
  j.Field("command_line", env.command_line);
  j.EndObject();

  j.Key("workloads");
  j.BeginArray();
  for (const WorkloadResult& w : report.workloads) {
    j.BeginObject();
    j.Field("name", w.name);
    j.Field("kind", WorkloadKindName(w.kind));
    j.Field("description", w.description);
    j.Field("skipped", w.skipped);
    j.Key("backends");
    j.BeginArray();
    for (const BackendResult& r : w.backends) {
      j.BeginObject();
      j.Field("backend", BackendName(r.backend));
      OptionalString(j, "layout", r.layout);
      j.Field("error", r.error);
      j.Key("run_ns");
      j.BeginArray();
      for (int64_t ns : r.run_ns) j.Value(ns);
      j.EndArray();
      j.Field("median_ns", r.median_ns);
      j.Key("run_cpu_ns");
      j.BeginArray();
      for (int64_t ns : r.run_cpu_ns) j.Value(ns);
      j.EndArray();
      j.Field("median_cpu_ns", r.median_cpu_ns);
      j.Field("ratio_to_memdb", r.ratio_to_memdb);
      j.Field("cpu_ratio_to_memdb", r.cpu_ratio_to_memdb);
      const auto cost = [&](uint64_t StableCost::*field) {
        return r.cost ? std::optional<uint64_t>((*r.cost).*field) : std::nullopt;
      };
      j.Field("stable_bytes_written", cost(&StableCost::bytes_written));
      j.Field("dirty_pages_4k", cost(&StableCost::dirty_pages));
      j.Field("stable_instructions", cost(&StableCost::instructions));
      j.Field("messages", cost(&StableCost::messages));
      j.Field("stable_pages", r.stable_pages);
      j.Field("stable_bytes", r.stable_bytes);
      j.Field("db_size_bytes", r.db_size_bytes);
      j.Field("rows_read", r.rows_read);
      j.Field("rows_written", r.rows_written);
      j.Field("table_rows", r.table_rows);
      j.Key("footprint");
      j.BeginArray();
      for (const FootprintSample& s : r.footprint) {
        j.BeginObject();
        j.Field("cycle", s.cycle);
        j.Field("stable_pages", s.stable_pages);
        j.EndObject();
      }
      j.EndArray();
      j.Key("notes");
      j.BeginArray();
      for (const std::string& note : r.notes) j.Value(note);
      j.EndArray();
      j.EndObject();
    }
    j.EndArray();
    j.EndObject();
  }
  j.EndArray();

  j.Key("harness");
  if (report.harness) {
    WriteHarnessJson(*report.harness, j);
  } else {
    j.Null();
  }

  j.Key("goals");
  j.BeginArray();
  for (const GoalResult& g : report.goals) {
    j.BeginObject();
    j.Field("name", g.name);
    OptionalString(j, "layout", g.layout);
    j.Field("scope", g.scope);
    j.Field("detail", g.detail);
    j.Field("pass", g.pass);
    OptionalString(j, "expected", g.expected);
    j.EndObject();
  }
  j.EndArray();
  j.Field("ok", report.ok());
  j.EndObject();
  out << "\n";
}

}  // namespace stablevfs::bench
