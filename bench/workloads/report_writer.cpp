// WriteMarkdown and WriteJson of the VFS benchmark report (vfs_bench.h).
#include <cstdio>
#include <string>

#include "bench/workloads/markdown_text.h"
#include "bench/workloads/vfs_bench.h"
#include "harness/json/json_writer.h"

namespace stablevfs::bench {

namespace {
void WriteVfsTables(const BenchReport& report, std::ostream& out);
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

void WriteVfsTables(const BenchReport& report, std::ostream& out) {
  out << "## VFS workloads\n\n";

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
      out << "| " << Cell(w.name) << " | " << BackendName(r.backend) << " | " << Millis(r.median_ns) << " | "
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

  for (const WorkloadResult& w : report.workloads) {
    bool any = false;
    for (const BackendResult& r : w.backends) any = any || !r.footprint.empty();
    if (!any) continue;
    out << "\n### " << w.name << ": stable memory after each sample (64 KiB pages)\n\n| cycle |";
    std::vector<const BackendResult*> series;
    for (const BackendResult& r : w.backends) {
      if (r.footprint.empty()) continue;
      series.push_back(&r);
      out << " " << BackendName(r.backend) << " |";
    }
    out << "\n|--:|";
    for (size_t i = 0; i < series.size(); ++i) out << "--:|";
    out << "\n";
    for (size_t i = 0; i < series.front()->footprint.size(); ++i) {
      out << "| " << series.front()->footprint[i].cycle << " |";
      for (const BackendResult* r : series) {
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
  j.BeginObject();
  j.Field("cases", h.judged.cases);
  j.Field("ops", h.judged.ops);
  j.Field("messages", h.judged.messages);
  j.Field("violations", h.judged.violations);
  j.Field("seconds", h.judged.seconds);
  j.Field("cpu_seconds", h.judged.cpu_seconds);
  j.Field("per_cpu_second", h.judged.per_cpu_second());
  j.EndObject();
  j.Key("explore");
  j.BeginArray();
  for (const ExploreThroughput& e : h.explore) {
    j.BeginObject();
    j.Field("jobs", static_cast<uint64_t>(e.jobs));
    j.Field("workloads", e.workloads);
    j.Field("crash_points", e.crash_points);
    j.Field("violations", e.violations);
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
    j.Field("scope", g.scope);
    j.Field("detail", g.detail);
    j.Field("pass", g.pass);
    j.EndObject();
  }
  j.EndArray();
  j.Field("ok", report.ok());
  j.EndObject();
  out << "\n";
}

}  // namespace stablevfs::bench
