#include "harness/slt/report.h"

#include "harness/json/json_text.h"

#include <cstdio>
#include <sstream>

namespace stablevfs::slt {
using json::JsonString;
namespace {

// Every line of `text` prefixed with `indent`.
std::string Indent(const std::string& text, const std::string& indent) {
  std::string out = indent;
  for (char c : text) {
    out += c;
    if (c == '\n') out += indent;
  }
  return out;
}

void WriteFinding(std::ostream& out, const std::string& file, const Finding& f, const char* tag,
                  const char* expected_label, const char* actual_label) {
  out << "  " << tag << " " << file << ":" << f.line << ": " << f.what << "\n";
  out << "    sql:\n" << Indent(f.sql, "      ") << "\n";
  out << "    " << expected_label << ":\n" << Indent(f.expected, "      ") << "\n";
  out << "    " << actual_label << ":\n" << Indent(f.actual, "      ") << "\n";
}

void AppendCounters(std::ostringstream& json, const FileReport& r) {
  json << "\"records\": " << r.records << ", \"statements\": " << r.statements << ", \"queries\": " << r.queries
       << ", \"matched\": " << r.matched << ", \"faulted\": " << r.faulted << ", \"skipped\": " << r.skipped
       << ", \"failures\": " << r.failures << ", \"expected_mismatches\": " << r.expected_mismatches
       << ", \"temp_schema_resets\": " << r.temp_schema_resets;
}

void AppendFindings(std::ostringstream& json, const std::vector<Finding>& findings) {
  json << "[";
  for (size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    json << (i > 0 ? ", " : "") << "{\"line\": " << f.line << ", \"what\": " << JsonString(f.what)
         << ", \"sql\": " << JsonString(f.sql) << ", \"expected\": " << JsonString(f.expected)
         << ", \"actual\": " << JsonString(f.actual) << "}";
  }
  json << "]";
}

}  // namespace

FileReport Totals(const std::vector<FileReport>& files) {
  FileReport t;
  for (const FileReport& r : files) {
    t.records += r.records;
    t.statements += r.statements;
    t.queries += r.queries;
    t.matched += r.matched;
    t.faulted += r.faulted;
    t.skipped += r.skipped;
    t.failures += r.failures;
    t.expected_mismatches += r.expected_mismatches;
    t.temp_schema_resets += r.temp_schema_resets;
  }
  return t;
}

std::string SummaryLine(const FileReport& r) {
  std::ostringstream line;
  line << r.file << ": " << r.records << " records, " << r.statements << " statements, " << r.queries
       << " queries, " << r.matched << " matched, " << r.faulted << " faulted, " << r.skipped << " skipped, "
       << r.failures << " failures";
  if (r.expected_mismatches > 0) {
    line << " (" << r.expected_mismatches << " expected-text mismatches where stock SQLite agrees with the VFS)";
  }
  if (r.temp_schema_resets > 0) {
    line << "; TEMP objects lost with the VFS connection after " << r.temp_schema_resets
         << " fault(s) (mirrored on stock)";
  }
  if (r.halted_at_line > 0) line << "; halted at line " << r.halted_at_line;
  if (r.text_checks_stopped_at_line > 0) {
    line << "; expected text compared up to line " << r.text_checks_stopped_at_line
         << " (a faulted statement was dropped there)";
  }
  if (!r.aborted.empty()) line << "; ABORTED: " << r.aborted;
  return line.str();
}

void WriteText(std::ostream& out, const FileReport& r) {
  out << SummaryLine(r) << "\n";
  if (!r.faults_fired.empty()) {
    out << "  faults fired:";
    for (const auto& [name, count] : r.faults_fired) out << " " << name << " x" << count << ";";
    out << "\n";
  }
  for (const Finding& f : r.notes) WriteFinding(out, r.file, f, "note", "file expects", "both engines give");
  if (r.notes.size() < r.expected_mismatches) {
    out << "  (" << r.expected_mismatches - r.notes.size() << " more notes not shown)\n";
  }
  for (const Finding& f : r.failure_details) {
    WriteFinding(out, r.file, f, "FAIL", "stock SQLite (expected)", "VFS (actual)");
  }
  if (r.failure_details.size() < r.failures) {
    out << "  (" << r.failures - r.failure_details.size() << " more failures not shown)\n";
  }
}

std::string ToJson(const std::vector<FileReport>& files, const std::string& engine,
                   const std::optional<std::string>& faults, uint64_t seed) {
  std::ostringstream json;
  json << "{\"tool\": \"stablevfs slt\", \"engine\": " << JsonString(engine)
       << ", \"faults\": " << (faults ? JsonString(*faults) : "null") << ", \"seed\": " << seed << ",\n \"files\": [";
  for (size_t i = 0; i < files.size(); ++i) {
    const FileReport& r = files[i];
    json << (i > 0 ? ",\n  " : "\n  ") << "{\"file\": " << JsonString(r.file) << ", ";
    AppendCounters(json, r);
    json << ", \"halted_at_line\": " << r.halted_at_line
         << ", \"text_checks_stopped_at_line\": " << r.text_checks_stopped_at_line
         << ", \"aborted\": " << JsonString(r.aborted) << ", \"faults_fired\": {";
    size_t k = 0;
    for (const auto& [name, count] : r.faults_fired) json << (k++ > 0 ? ", " : "") << JsonString(name) << ": " << count;
    json << "}, \"failure_details\": ";
    AppendFindings(json, r.failure_details);
    json << ", \"notes\": ";
    AppendFindings(json, r.notes);
    json << "}";
  }
  const FileReport totals = Totals(files);
  json << "],\n \"totals\": {";
  AppendCounters(json, totals);
  json << "}, \"passed\": " << (totals.failures == 0 ? "true" : "false") << "}\n";
  return json.str();
}

}  // namespace stablevfs::slt
