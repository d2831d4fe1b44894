// WriteMarkdown and WriteJson of the VFS benchmark report (vfs_bench.h).
#include <cmath>
#include <cstdio>
#include <string>

#include "bench/workloads/vfs_bench.h"

namespace stablevfs::bench {
namespace {

constexpr const char* kNone = "–";

// 1234567 -> "1,234,567". Built forwards: GCC 12 warns falsely (-Wrestrict) on std::string::insert here.
std::string Grouped(uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(digits[i]);
  }
  return grouped;
}

std::string Grouped(const std::optional<uint64_t>& n) { return n ? Grouped(*n) : kNone; }

std::string Millis(const std::optional<int64_t>& ns) {
  if (!ns) return kNone;
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", static_cast<double>(*ns) / 1e6);
  return text;
}

std::string Ratio(const std::optional<double>& ratio) {
  if (!ratio) return kNone;
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", *ratio);
  return text;
}

// A Markdown table cell: pipes and newlines would break the row.
std::string Cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// A minimal JSON emitter: the report has a fixed shape, so a writer that tracks commas is all it needs.

class Json {
 public:
  explicit Json(std::ostream& out) : out_(out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }

  void Key(std::string_view key) {
    Separate();
    String(key);
    out_ << ": ";
    after_key_ = true;
  }

  void Value(std::string_view text) {
    Separate();
    String(text);
  }
  void Value(const char* text) { Value(std::string_view(text)); }
  void Value(bool b) {
    Separate();
    out_ << (b ? "true" : "false");
  }
  void Value(uint64_t n) {
    Separate();
    out_ << n;
  }
  void Value(int64_t n) {
    Separate();
    out_ << n;
  }
  void Value(uint32_t n) { Value(static_cast<uint64_t>(n)); }
  void Value(double d) {
    Separate();
    if (!std::isfinite(d)) {
      out_ << "null";  // JSON has no NaN or infinity
      return;
    }
    char text[40];
    std::snprintf(text, sizeof text, "%.6g", d);
    out_ << text;
  }
  void Null() {
    Separate();
    out_ << "null";
  }
  template <typename T>
  void Value(const std::optional<T>& v) {
    if (v) {
      Value(*v);
    } else {
      Null();
    }
  }

  template <typename T>
  void Field(std::string_view key, const T& value) {
    Key(key);
    Value(value);
  }

 private:
  void Open(char c) {
    Separate();
    out_ << c;
    first_ = true;
    ++depth_;
  }
  void Close(char c) {
    --depth_;
    if (!first_) Newline();
    out_ << c;
    first_ = false;
  }
  // Writes the comma and line break before a value, unless it follows its key.
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (depth_ == 0) return;
    if (!first_) out_ << ',';
    Newline();
    first_ = false;
  }
  void Newline() {
    out_ << '\n';
    for (int i = 0; i < depth_; ++i) out_ << "  ";
  }
  void String(std::string_view s) {
    out_ << '"';
    for (unsigned char c : s) {
      switch (c) {
        case '"':
          out_ << "\\\"";
          break;
        case '\\':
          out_ << "\\\\";
          break;
        case '\n':
          out_ << "\\n";
          break;
        case '\r':
          out_ << "\\r";
          break;
        case '\t':
          out_ << "\\t";
          break;
        default:
          if (c < 0x20) {
            char text[8];
            std::snprintf(text, sizeof text, "\\u%04x", c);
            out_ << text;
          } else {
            out_ << c;  // UTF-8 passes through unchanged
          }
      }
    }
    out_ << '"';
  }

  std::ostream& out_;
  int depth_ = 0;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace

void WriteMarkdown(const BenchReport& report, std::ostream& out) {
  const BenchEnvironment& env = report.environment;
  out << "# stablevfs VFS benchmark\n\n";
  out << "- machine: " << env.machine << "\n";
  out << "- date (UTC): " << env.date_utc << "\n";
  out << "- SQLite: " << env.sqlite_version << "\n";
  out << "- build type: " << (env.build_type.empty() ? "(not given)" : env.build_type) << "; compiler: "
      << env.compiler << "\n";
  out << "- runs per workload and backend: " << env.runs << " (median reported); scale " << env.scale
      << "; values " << env.value_bytes << " bytes; churn " << env.churn_cycles << " cycles\n";
  out << "- corpora: " << env.corpora_dir << "\n";
  out << "- time goals judged on: " << (env.goals_on_cpu_time ? "thread CPU time" : "wall clock") << "\n\n";

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
          << Ratio(r.cpu_ratio_to_memdb) << " | " << (r.cost ? Grouped(r.cost->bytes_written) : kNone) << " | "
          << (r.cost ? Grouped(r.cost->dirty_pages) : kNone) << " | "
          << (r.cost ? Grouped(r.cost->instructions) : kNone) << " | " << Grouped(r.stable_pages) << " | "
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
    out << "\n## " << w.name << ": stable memory after each sample (64 KiB pages)\n\n| cycle |";
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
        out << " " << (i < r->footprint.size() ? Grouped(r->footprint[i].stable_pages) : kNone) << " |";
      }
      out << "\n";
    }
  }

  out << "\n## Goals\n\n| goal | scope | measured | result |\n|---|---|---|---|\n";
  for (const GoalResult& g : report.goals) {
    out << "| " << Cell(g.name) << " | " << Cell(g.scope) << " | " << Cell(g.detail) << " | "
        << (g.pass ? (*g.pass ? "PASS" : "FAIL") : "not judged") << " |\n";
  }
  out << "\n" << (report.ok() ? "All runs succeeded." : "Some runs FAILED (see status).") << "\n";
}

void WriteJson(const BenchReport& report, std::ostream& out) {
  const BenchEnvironment& env = report.environment;
  Json j(out);
  j.BeginObject();
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
  j.Field("scale", env.scale);
  j.Field("value_bytes", env.value_bytes);
  j.Field("churn_cycles", env.churn_cycles);
  j.Field("churn_sample_every", env.churn_sample_every);
  j.Field("corpora_dir", env.corpora_dir);
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
