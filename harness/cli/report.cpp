#include "harness/cli/report.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "failpoints/catalogue.h"
#include "harness/cli/args.h"
#include "harness/json/json_text.h"
#include "harness/json/utf8.h"
#include "harness/json/xml_text.h"
#include "harness/ops/catalogue_setup.h"

namespace stablevfs::cli {
using json::JsonString;
namespace {

std::string Seconds(double seconds) {
  char text[64];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  return text;
}

std::string Quoted(const std::string& text) { return JsonString(text); }

void Member(std::ostringstream& out, const char* name, const std::string& json_value, bool first = false) {
  out << (first ? "" : ", ") << JsonString(name) << ": " << json_value;
}

std::string Number(uint64_t value) { return std::to_string(value); }

}  // namespace

std::string FormatJsonReport(const RunReport& r) {
  std::ostringstream out;
  out << "{";
  Member(out, "format", Quoted("stablevfs-report-1"), true);
  Member(out, "command", Quoted(r.command));
  Member(out, "command_line", Quoted(r.command_line));
  Member(out, "result", Quoted(r.passed ? "pass" : "fail"));
  Member(out, "layout", Quoted(r.layout));
  out << ",\n ";
  Member(out, "seed", Number(r.seed), true);
  Member(out, "shard", Quoted(r.shard.ToString()));
  Member(out, "crash_model", Quoted(r.crash_model));
  Member(out, "steps", Number(r.steps));
  Member(out, "faults", Quoted(r.faults));
  Member(out, "jobs", Number(r.jobs));
  out << ",\n ";
  Member(out, "cases", Number(r.cases), true);
  Member(out, "messages", Number(r.messages));
  Member(out, "crash_points", Number(r.crash_points));
  Member(out, "duration_seconds", Seconds(r.seconds));
  Member(out, "deadline_reached", r.deadline_reached ? "true" : "false");

  out << ",\n \"suites\": [";
  for (size_t i = 0; i < r.suites.size(); ++i) {
    const SuiteReport& s = r.suites[i];
    out << (i == 0 ? "\n  {" : ",\n  {");
    Member(out, "name", Quoted(s.name), true);
    Member(out, "description", Quoted(s.description));
    Member(out, "result", Quoted(s.result));
    Member(out, "cases", Number(s.cases));
    Member(out, "messages", Number(s.messages));
    Member(out, "crash_points", Number(s.crash_points));
    Member(out, "violations", Number(s.violations));
    Member(out, "pairs_fired", Number(s.pairs_fired));
    Member(out, "duration_seconds", Seconds(s.seconds));
    Member(out, "note", Quoted(s.note));
    Member(out, "failure", Quoted(s.failure));
    out << "}";
  }
  out << "]";

  out << ",\n \"violations\": [";
  for (size_t i = 0; i < r.violations.size(); ++i) {
    const ViolationReport& v = r.violations[i];
    out << (i == 0 ? "\n  {" : ",\n  {");
    Member(out, "suite", Quoted(v.suite), true);
    Member(out, "property", Quoted(v.property));
    Member(out, "message", Quoted(v.message));
    Member(out, "seed", Number(v.seed));
    Member(out, "case", v.case_index ? Number(*v.case_index) : "null");
    Member(out, "case_seed", Number(v.case_seed));
    Member(out, "crash_model", Quoted(v.crash_model));
    Member(out, "scenario", v.scenario.empty() ? "null" : Quoted(v.scenario));
    Member(out, "replay", Quoted(v.replay));
    out << "}";
  }
  out << "]";

  out << ",\n \"coverage\": {";
  Member(out, "sites", Number(r.coverage.sites), true);
  Member(out, "sites_hit", Number(r.coverage.sites_hit));
  Member(out, "pairs", Number(r.coverage.pairs));
  Member(out, "pairs_fired", Number(r.coverage.pairs_fired));
  out << ", \"missing\": [";
  for (size_t i = 0; i < r.coverage.missing.size(); ++i) out << (i ? ", " : "") << Quoted(r.coverage.missing[i]);
  out << "]}";

  out << ",\n \"verdicts\": " << (r.verdicts_json.empty() ? std::string("null") : r.verdicts_json);

  out << ",\n \"failpoints\": {";
  const std::vector<fp::SiteInfo> sites = ops::RegisterCatalogue().All();
  for (size_t i = 0; i < sites.size(); ++i) {
    const fp::SiteInfo& site = sites[i];
    out << (i == 0 ? "\n  " : ",\n  ") << Quoted(std::string(site.name)) << ": {";
    Member(out, "hits", Number(r.hits.HitsOf(site.name)), true);
    out << ", \"fired\": {";
    bool first = true;
    for (int a = 1; a < fp::kActionCount; ++a) {
      const fp::Action action = static_cast<fp::Action>(a);
      if (!site.Accepts(action)) continue;
      Member(out, std::string(fp::ActionName(action)).c_str(), Number(r.hits.FiredOf(site.name, action)), first);
      first = false;
    }
    out << "}}";
  }
  out << "}}\n";
  return out.str();
}

std::string FormatJUnitReport(const RunReport& r) {
  uint64_t failures = 0;
  uint64_t skipped = 0;
  for (const SuiteReport& s : r.suites) {
    failures += s.result == "fail" ? 1 : 0;
    skipped += s.result == "skipped" ? 1 : 0;
  }
  const std::string suite_name = "stablevfs." + r.command;
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"" << json::XmlEscape("stablevfs " + r.command) << "\" tests=\"" << r.suites.size()
      << "\" failures=\"" << failures << "\" errors=\"0\" skipped=\"" << skipped << "\" time=\"" << Seconds(r.seconds)
      << "\">\n";
  out << "  <testsuite name=\"" << json::XmlEscape(suite_name) << "\" tests=\"" << r.suites.size() << "\" failures=\""
      << failures << "\" errors=\"0\" skipped=\"" << skipped << "\" time=\"" << Seconds(r.seconds) << "\">\n";
  out << "    <properties>\n";
  out << "      <property name=\"seed\" value=\"" << r.seed << "\"/>\n";
  out << "      <property name=\"shard\" value=\"" << r.shard.ToString() << "\"/>\n";
  out << "      <property name=\"command_line\" value=\"" << json::XmlEscape(r.command_line) << "\"/>\n";
  out << "    </properties>\n";
  for (const SuiteReport& s : r.suites) {
    out << "    <testcase classname=\"" << json::XmlEscape(suite_name) << "\" name=\"" << json::XmlEscape(s.name) << "\" time=\""
        << Seconds(s.seconds) << "\"";
    const std::string summary = Plural(s.cases, "case") + ", " + Plural(s.messages, "message") + ", " +
                                Plural(s.crash_points, "crash point") + ", " + Plural(s.violations, "violation") +
                                (s.note.empty() ? "" : "; " + s.note);
    if (s.result == "fail") {
      out << ">\n      <failure message=\"" << json::XmlEscape(s.failure.substr(0, s.failure.find('\n')))
          << "\" type=\"violation\">"
          << json::XmlEscape(s.failure + "\n" + summary) << "</failure>\n";
      out << "      <system-out>" << json::XmlEscape(summary) << "</system-out>\n    </testcase>\n";
    } else if (s.result == "skipped") {
      out << ">\n      <skipped message=\"" << json::XmlEscape(s.note) << "\"/>\n    </testcase>\n";
    } else {
      out << ">\n      <system-out>" << json::XmlEscape(summary) << "</system-out>\n    </testcase>\n";
    }
  }
  out << "  </testsuite>\n</testsuites>\n";
  return out.str();
}

void WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) throw std::runtime_error(path + ": cannot write");
}

std::string CommandLine(int argc, char** argv) {
  std::string out = "stablevfs";
  for (int i = 1; i < argc; ++i) out += " " + ShellQuote(argv[i]);
  return out;
}

}  // namespace stablevfs::cli
