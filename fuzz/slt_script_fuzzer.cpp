// Fuzz target: the sqllogictest parser (harness/slt/script.cpp), which reads `stablevfs slt` files.
//
// Findings besides crashes and sanitizer reports: an exception other than ParseError, a ParseError whose line
// lies outside the text, and an accepted script whose records break the header's guarantees: record lines
// inside the text and ascending, a statement or query's SQL starting after its command line.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/finding.h"
#include "harness/slt/script.h"

namespace {

[[noreturn]] void Finding(const std::string& what, std::string_view text) {
  stablevfs::fuzz::TextFinding("slt_script_fuzzer", what, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stablevfs::slt;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const int lines = static_cast<int>(stablevfs::fuzz::LineCount(text));
  Script script;
  try {
    script = ParseScript(text, "fuzz.test");
  } catch (const ParseError& e) {
    if (e.line() < 1 || e.line() > lines) Finding("ParseError outside the text: " + std::string(e.what()), text);
    return 0;
  }
  int previous = 0;
  for (const Record& record : script.records) {
    if (record.line <= previous || record.line > lines) {
      Finding("record line " + std::to_string(record.line) + " after line " + std::to_string(previous), text);
    }
    previous = record.line;
    const bool has_sql = record.kind == RecordKind::kStatement || record.kind == RecordKind::kQuery;
    if (has_sql && (record.sql_line <= record.line || record.sql_line > lines)) {
      Finding("record at line " + std::to_string(record.line) + " has its SQL at line " +
                  std::to_string(record.sql_line),
              text);
    }
    (void)RunsOn(record, "sqlite");
  }
  if (script.statement_count() + script.query_count() > script.records.size()) {
    Finding("more statements and queries than records", text);
  }
  return 0;
}
