#include "harness/ops/weights.h"

#include <array>
#include <cassert>
#include <charconv>
#include <functional>
#include <vector>

namespace stablevfs::ops {
namespace {

constexpr std::array<std::string_view, kSqlKindCount> kSqlKindNames = {
    "insert",      "bulk-insert", "update",     "delete",     "big-delete",       "replace", "upsert",
    "create-table", "drop-table", "create-index", "drop-index", "alter-add-column", "vacuum",  "savepoint",
};

// Bounds keep every sum of weights far below 2^32 and every knob meaningful.
constexpr uint32_t kWeightMax = 1'000'000;

struct Entry {
  std::string name;
  uint32_t min = 0;
  uint32_t max = 0;
  std::function<uint32_t&(GeneratorWeights&)> field;
};

// The entries in print order: op weights, sql weights, knobs.
const std::vector<Entry>& Entries() {
  static const std::vector<Entry> entries = [] {
    std::vector<Entry> out;
    for (int i = 0; i < kOpKindCount; ++i) {
      out.push_back({std::string(OpKindName(static_cast<OpKind>(i))), 0, kWeightMax,
                     [i](GeneratorWeights& w) -> uint32_t& { return w.op[i]; }});
    }
    for (int i = 0; i < kSqlKindCount; ++i) {
      out.push_back({"sql." + std::string(kSqlKindNames[i]), 0, kWeightMax,
                     [i](GeneratorWeights& w) -> uint32_t& { return w.sql[i]; }});
    }
    out.push_back({"violation-percent", 0, 100, [](GeneratorWeights& w) -> uint32_t& { return w.violation_percent; }});
    out.push_back({"fatal-percent", 0, 100, [](GeneratorWeights& w) -> uint32_t& { return w.fatal_percent; }});
    out.push_back({"statements-max", 1, 64, [](GeneratorWeights& w) -> uint32_t& { return w.statements_max; }});
    out.push_back({"boundary-blob-percent", 0, 100,
                   [](GeneratorWeights& w) -> uint32_t& { return w.boundary_blob_percent; }});
    out.push_back(
        {"query-write-percent", 0, 100, [](GeneratorWeights& w) -> uint32_t& { return w.query_write_percent; }});
    out.push_back(
        {"migrate-fail-percent", 0, 100, [](GeneratorWeights& w) -> uint32_t& { return w.migrate_fail_percent; }});
    out.push_back({"db-soft-max-mib", 1, 4096, [](GeneratorWeights& w) -> uint32_t& { return w.db_soft_max_mib; }});
    return out;
  }();
  return entries;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string KnownNames() {
  std::string out;
  for (const Entry& entry : Entries()) {
    if (!out.empty()) out += ", ";
    out += entry.name;
  }
  return out;
}

}  // namespace

std::string_view SqlKindName(SqlKind kind) {
  const auto index = static_cast<size_t>(kind);
  assert(index < kSqlKindNames.size());
  return kSqlKindNames[index];
}

Parsed<GeneratorWeights> ParseWeights(std::string_view text, const GeneratorWeights& base) {
  GeneratorWeights out = base;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string_view::npos) end = text.size();
    // One item: [blanks] name [blanks] '=' [blanks] value [blanks]
    size_t begin = pos;
    while (begin < end && IsBlank(text[begin])) ++begin;
    size_t stop = end;
    while (stop > begin && IsBlank(text[stop - 1])) --stop;
    const std::string_view item = text.substr(begin, stop - begin);
    if (item.empty()) {
      // A blank text, or a trailing comma, sets nothing; an empty item before a comma is a typo.
      if (end != text.size()) return TextError{begin + 1, "empty item in weights (expected name=value)"};
      pos = end + 1;
      continue;
    }
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return TextError{begin + 1, "weights item '" + std::string(item) + "' needs '=<number>'"};
    }
    std::string_view name = item.substr(0, eq);
    while (!name.empty() && IsBlank(name.back())) name.remove_suffix(1);
    const Entry* entry = nullptr;
    for (const Entry& candidate : Entries()) {
      if (candidate.name == name) entry = &candidate;
    }
    if (entry == nullptr) {
      return TextError{begin + 1, "unknown weight '" + std::string(name) + "' in '" + std::string(item) +
                                      "' (expected one of " + KnownNames() + ")"};
    }
    size_t value_begin = eq + 1;
    while (value_begin < item.size() && IsBlank(item[value_begin])) ++value_begin;
    const std::string_view value_text = item.substr(value_begin);
    uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(value_text.data(), value_text.data() + value_text.size(), value);
    const size_t value_column = begin + value_begin + 1;
    if (value_text.empty() || ec != std::errc() || ptr != value_text.data() + value_text.size()) {
      return TextError{value_column, "bad number '" + std::string(value_text) + "' for weight '" +
                                         std::string(name) + "' (expected a decimal number)"};
    }
    if (value < entry->min || value > entry->max) {
      return TextError{value_column, "weight '" + std::string(name) + "' = " + std::string(value_text) +
                                         " is out of range (expected " + std::to_string(entry->min) + ".." +
                                         std::to_string(entry->max) + ")"};
    }
    entry->field(out) = static_cast<uint32_t>(value);
    pos = end + 1;
  }
  uint64_t op_sum = 0, sql_sum = 0;
  for (uint32_t w : out.op) op_sum += w;
  for (uint32_t w : out.sql) sql_sum += w;
  if (op_sum == 0) return TextError{1, "every operation weight is zero: nothing could be generated"};
  if (sql_sum == 0) return TextError{1, "every sql.* weight is zero: no update statement could be generated"};
  return out;
}

std::string FormatWeights(const GeneratorWeights& weights) {
  GeneratorWeights copy = weights;  // the field accessors hand out mutable references
  std::string out;
  for (const Entry& entry : Entries()) {
    if (!out.empty()) out += ',';
    out += entry.name;
    out += '=';
    out += std::to_string(entry.field(copy));
  }
  return out;
}

}  // namespace stablevfs::ops
