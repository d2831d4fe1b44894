#include "harness/ops/sql_generator.h"

#include <algorithm>
#include <cassert>

#include "harness/sim/sim_random.h"

namespace stablevfs::ops {
namespace {

constexpr uint64_t kPageBytes = 16384;

// Sizes that straddle the boundaries of a 16 KiB SQLite page. A table-leaf cell keeps at most U - 35 = 16349
// payload bytes locally, each overflow page carries U - 4 = 16380; the rest are the page size itself and its
// multiples (where a value just fits, or just does not), and large values that build long overflow chains.
constexpr uint64_t kBoundaryBlobSizes[] = {
    16349,
    16350,
    kPageBytes - 1,
    kPageBytes,
    kPageBytes + 1,
    2 * kPageBytes - 1,
    2 * kPageBytes,
    2 * kPageBytes + 17,
    3 * kPageBytes,
    4 * kPageBytes - 1,
    4 * kPageBytes,
    4 * kPageBytes + 1,
    100000,
    10 * kPageBytes + 5,
    300000,
};

constexpr size_t kTablesMax = 6;
constexpr size_t kColumnsMax = 12;
constexpr int kSavepointDepthMax = 2;
// Ids of deliberately dangling foreign keys start here: far above any id the generator hands out.
constexpr int64_t kDanglingParentBase = 1'000'000'000;

std::string Quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string_view TypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kInteger: return "INTEGER";
    case ColumnType::kText: return "TEXT";
    case ColumnType::kReal: return "REAL";
    case ColumnType::kBlob: return "BLOB";
  }
  return "";
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Random

uint64_t Random::Below(uint64_t bound) {
  assert(bound > 0);
  return sim::UniformBelow(engine_, bound);
}

uint64_t Random::Between(uint64_t lo, uint64_t hi) {
  assert(lo <= hi);
  if (hi - lo == UINT64_MAX) return engine_();
  return lo + Below(hi - lo + 1);
}

bool Random::Percent(uint32_t percent) { return Below(100) < percent; }

size_t Random::Weighted(std::span<const uint32_t> weights) {
  uint64_t sum = 0;
  for (uint32_t w : weights) sum += w;
  assert(sum > 0);
  uint64_t draw = Below(sum);
  for (size_t i = 0; i < weights.size(); ++i) {
    if (draw < weights[i]) return i;
    draw -= weights[i];
  }
  assert(false && "unreachable: draw < sum");
  return weights.size() - 1;
}

// ---------------------------------------------------------------------------------------------------------
// Model

const ColumnModel* TableModel::Find(ColumnRole role) const {
  for (const ColumnModel& column : columns) {
    if (column.role == role) return &column;
  }
  return nullptr;
}

TableModel* SchemaModel::FindTable(const std::string& name) {
  for (TableModel& table : tables) {
    if (table.name == name) return &table;
  }
  return nullptr;
}

bool SchemaModel::CodeUnique(const TableModel& table) const {
  if (table.Find(ColumnRole::kCode) == nullptr) return false;
  if (table.code_declared_unique) return true;
  return std::any_of(indexes.begin(), indexes.end(), [&](const IndexModel& index) {
    return index.table == table.name && index.unique && index.on_code;
  });
}

bool SchemaModel::IsParent(const TableModel& table) const {
  return std::any_of(tables.begin(), tables.end(),
                     [&](const TableModel& other) { return other.parent == table.name; });
}

uint64_t SchemaModel::bytes_estimate() const {
  uint64_t sum = 0;
  for (const TableModel& table : tables) sum += table.bytes_estimate;
  return sum;
}

// ---------------------------------------------------------------------------------------------------------
// Emitter: collects one update's statements and their intents.

struct SqlGenerator::Emitter {
  GeneratedUpdate update;
  bool stop = false;  // a fatal violation was emitted: nothing after it would run
  int savepoint_serial = 0;
  SqlStats* stats = nullptr;

  void Add(std::string sql, StatementIntent intent = StatementIntent::kValid, bool may_fail = false) {
    update.statements.push_back(ops::Statement{std::move(sql), may_fail});
    update.intents.push_back(intent);
    ++stats->statements;
  }
};

SqlGenerator::SqlGenerator(Random& random, const GeneratorWeights& weights) : random_(random), weights_(weights) {
  stats_.boundary_hits.assign(std::size(kBoundaryBlobSizes), 0);
}

void SqlGenerator::CountBlob(uint64_t size_bytes) {
  ++stats_.blob_values;
  for (size_t i = 0; i < std::size(kBoundaryBlobSizes); ++i) {
    if (kBoundaryBlobSizes[i] == size_bytes) ++stats_.boundary_hits[i];
  }
}

std::span<const uint64_t> SqlGenerator::BoundaryBlobSizes() { return kBoundaryBlobSizes; }

GeneratedUpdate SqlGenerator::NextUpdate() {
  ++stats_.updates;
  const SchemaModel before = model_;
  Emitter out;
  out.stats = &stats_;
  const uint64_t slots = random_.Between(1, std::max<uint32_t>(1, weights_.statements_max));
  for (uint64_t i = 0; i < slots && !out.stop; ++i) Slot(out, 0);
  if (out.stop) {
    // The fatal violation rolls the whole transaction back, so none of the planned effects happen.
    out.update.fails = true;
    model_ = before;
  }
  assert(!out.update.statements.empty());
  return std::move(out.update);
}

void SqlGenerator::Slot(Emitter& out, int depth) {
  ++stats_.slots;
  if (model_.tables.empty()) {
    // Nothing else has anything to work on.
    ++stats_.by_kind[static_cast<size_t>(SqlKind::kCreateTable)];
    CreateTable(out);
    return;
  }
  if (random_.Percent(weights_.violation_percent)) {
    const bool fatal = random_.Percent(weights_.fatal_percent);
    if (Violation(out, fatal)) return;
  }
  if (model_.bytes_estimate() > (uint64_t{weights_.db_soft_max_mib} << 20) && random_.Percent(70)) {
    // Keep a long run's file bounded, and shrink it: that is where truncation gets exercised.
    ++stats_.by_kind[static_cast<size_t>(SqlKind::kBigDelete)];
    if (BigDelete(out)) return;
  }
  const auto kind = static_cast<SqlKind>(random_.Weighted(weights_.sql));
  EmitKind(out, kind, depth);
}

void SqlGenerator::EmitKind(Emitter& out, SqlKind kind, int depth) {
  ++stats_.by_kind[static_cast<size_t>(kind)];
  bool done = false;
  switch (kind) {
    case SqlKind::kInsert: done = Insert(out); break;
    case SqlKind::kBulkInsert: done = BulkInsert(out); break;
    case SqlKind::kUpdate: done = UpdateRows(out); break;
    case SqlKind::kDelete: done = DeleteRows(out); break;
    case SqlKind::kBigDelete: done = BigDelete(out); break;
    case SqlKind::kReplace: done = Replace(out); break;
    case SqlKind::kUpsert: done = Upsert(out); break;
    case SqlKind::kCreateTable: done = CreateTable(out); break;
    case SqlKind::kDropTable: done = DropTable(out); break;
    case SqlKind::kCreateIndex: done = CreateIndex(out); break;
    case SqlKind::kDropIndex: done = DropIndex(out); break;
    case SqlKind::kAlterAddColumn: done = AlterAddColumn(out); break;
    case SqlKind::kVacuum:
      // Db::Update runs inside BEGIN IMMEDIATE, where SQLite refuses VACUUM; the statement exercises a failure
      // in the middle of a transaction that must leave it usable.
      out.Add("VACUUM", StatementIntent::kRefused, /*may_fail=*/true);
      ++stats_.refused;
      done = true;
      break;
    case SqlKind::kSavepoint: done = SavepointBlock(out, depth); break;
  }
  if (!done && !Insert(out)) CreateTable(out);
}

// ---------------------------------------------------------------------------------------------------------
// Values

TableModel* SqlGenerator::PickTable() {
  if (model_.tables.empty()) return nullptr;
  return &model_.tables[random_.Below(model_.tables.size())];
}

int64_t SqlGenerator::PickExistingId(const TableModel& table) {
  if (table.next_id <= 1) return 1;
  return static_cast<int64_t>(random_.Between(1, static_cast<uint64_t>(table.next_id - 1)));
}

std::string SqlGenerator::IntegerLiteral() {
  switch (random_.Below(5)) {
    case 0: return "0";
    case 1: return "-1";
    case 2: return std::to_string(random_.Below(1000));
    case 3: return std::to_string(random_.Below(uint64_t{1} << 62));
    default: return "-" + std::to_string(random_.Below(uint64_t{1} << 40));
  }
}

std::string SqlGenerator::RealLiteral() {
  // Built from integers so the text is the same everywhere; SQLite parses it to the same double.
  static constexpr std::string_view kFractions[] = {"0", "25", "5", "75", "125", "0625"};
  std::string out = random_.Percent(20) ? "-" : "";
  out += std::to_string(random_.Below(100000));
  out += '.';
  out += kFractions[random_.Below(std::size(kFractions))];
  if (random_.Percent(5)) {
    // One draw per statement: the operands of '+' are evaluated in an unspecified order, and two draws in one
    // expression would make the output depend on the compiler.
    out += random_.Percent(50) ? "e-" : "e";
    out += std::to_string(random_.Between(1, 30));
  }
  return out;
}

std::string SqlGenerator::NameText(int64_t id) {
  const uint64_t r = random_.Below(100);
  if (r < 70) return "'n" + std::to_string(id) + "'";
  if (r < 85) return "'o''" + std::to_string(id) + "'";  // a quote inside the text
  static constexpr uint64_t kShortLengths[] = {10, 200, 3000};
  static constexpr uint64_t kLongLengths[] = {kPageBytes - 1, kPageBytes + 1, 40000};
  const uint64_t length = r < 95 ? kShortLengths[random_.Below(3)] : kLongLengths[random_.Below(3)];
  return "'" + std::to_string(id) + " ' || printf('%.*c', " + std::to_string(length) + ", 'm')";
}

uint64_t SqlGenerator::DrawBlobSize() {
  if (random_.Percent(weights_.boundary_blob_percent)) {
    uint64_t size = kBoundaryBlobSizes[random_.Below(std::size(kBoundaryBlobSizes))];
    if (random_.Percent(20)) {
      // A few bytes either side of a boundary.
      const uint64_t delta = random_.Between(1, 3);
      size = random_.Percent(50) ? size + delta : size - delta;
    }
    return size;
  }
  const uint64_t r = random_.Below(10);
  if (r < 3) return random_.Below(17);
  if (r < 7) return random_.Between(17, 1000);
  return random_.Between(1001, 12000);
}

std::string SqlGenerator::BlobExpression(uint64_t size_bytes) {
  CountBlob(size_bytes);
  if (size_bytes == 0) return "x''";
  if (size_bytes <= 16) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "x'";
    for (uint64_t i = 0; i < size_bytes; ++i) {
      const uint64_t byte = random_.Below(256);
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
    return out + "'";
  }
  if (random_.Percent(20)) return "zeroblob(" + std::to_string(size_bytes) + ")";
  // One to three runs of distinct letters, so that a page written to the wrong place shows in the data.
  const uint64_t runs = std::min<uint64_t>(random_.Between(1, 3), size_bytes);
  std::vector<uint64_t> cuts = {0, size_bytes};
  while (cuts.size() < runs + 1) {
    const uint64_t cut = random_.Between(1, size_bytes - 1);
    if (std::find(cuts.begin(), cuts.end(), cut) == cuts.end()) cuts.push_back(cut);
  }
  std::sort(cuts.begin(), cuts.end());
  std::string format, arguments;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    format += "%.*c";
    arguments += ", " + std::to_string(cuts[i + 1] - cuts[i]) + ", '" +
                 static_cast<char>('a' + random_.Below(26)) + "'";
  }
  return "CAST(printf('" + format + "'" + arguments + ") AS BLOB)";
}

std::string SqlGenerator::ValueFor(const TableModel& table, const ColumnModel& column, int64_t id,
                                   uint64_t* blob_bytes) {
  switch (column.role) {
    case ColumnRole::kKey:
      return std::to_string(id);
    case ColumnRole::kName:
      if (!column.not_null && random_.Percent(10)) return "NULL";
      return NameText(id);
    case ColumnRole::kScore:
      return random_.Percent(15) ? "NULL" : RealLiteral();
    case ColumnRole::kData: {
      if (random_.Percent(8)) return "NULL";
      const uint64_t size = DrawBlobSize();
      *blob_bytes += size;
      return BlobExpression(size);
    }
    case ColumnRole::kCode:
      return "'c" + std::to_string(id) + "'";
    case ColumnRole::kParent: {
      TableModel* parent = model_.FindTable(table.parent);
      if (parent == nullptr || random_.Percent(25)) return "NULL";
      // Always an existing parent id or NULL, whatever rows were deleted since.
      return "(SELECT id FROM " + parent->name + " WHERE id >= " + std::to_string(PickExistingId(*parent)) +
             " ORDER BY id LIMIT 1)";
    }
    case ColumnRole::kExtra:
      if (!column.not_null && random_.Percent(20)) return "NULL";
      switch (column.type) {
        case ColumnType::kInteger: return IntegerLiteral();
        case ColumnType::kText: return "'e" + std::to_string(id) + "'";
        case ColumnType::kReal: return RealLiteral();
        case ColumnType::kBlob: {
          const uint64_t size = random_.Below(64);
          *blob_bytes += size;
          return BlobExpression(size);
        }
      }
  }
  return "NULL";
}

std::vector<const ColumnModel*> SqlGenerator::InsertColumns(const TableModel& table) {
  std::vector<const ColumnModel*> out;
  for (const ColumnModel& column : table.columns) {
    // A NOT NULL column without a default must be given; extra NOT NULL columns have defaults.
    const bool required = column.role == ColumnRole::kKey || (column.not_null && column.role != ColumnRole::kExtra);
    if (required || random_.Percent(85)) out.push_back(&column);
  }
  return out;
}

std::string SqlGenerator::RowValues(const TableModel& table, const std::vector<const ColumnModel*>& columns,
                                    int64_t id, uint64_t* blob_bytes) {
  std::vector<std::string> values;
  for (const ColumnModel* column : columns) values.push_back(ValueFor(table, *column, id, blob_bytes));
  return "(" + Join(values, ", ") + ")";
}

namespace {

std::string ColumnList(const std::vector<const ColumnModel*>& columns) {
  std::vector<std::string> names;
  for (const ColumnModel* column : columns) names.push_back(column->name);
  return "(" + Join(names, ", ") + ")";
}

// Adds `column` to `columns` (in table order) if it is missing.
void Require(const TableModel& table, std::vector<const ColumnModel*>& columns, ColumnRole role) {
  const ColumnModel* column = table.Find(role);
  if (column == nullptr || std::find(columns.begin(), columns.end(), column) != columns.end()) return;
  columns.push_back(column);
  std::sort(columns.begin(), columns.end());  // the columns live in one vector: pointer order is table order
}

void ShrinkEstimates(TableModel& table, uint64_t keep_numerator, uint64_t keep_denominator) {
  table.rows_estimate = table.rows_estimate * keep_numerator / keep_denominator;
  table.bytes_estimate = table.bytes_estimate * keep_numerator / keep_denominator;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Statements

bool SqlGenerator::Insert(Emitter& out) {
  TableModel* table = PickTable();
  if (table == nullptr) return false;
  const std::vector<const ColumnModel*> columns = InsertColumns(*table);
  const uint64_t rows = random_.Between(1, 3);
  std::vector<std::string> tuples;
  uint64_t bytes = 0;
  for (uint64_t i = 0; i < rows; ++i) tuples.push_back(RowValues(*table, columns, table->next_id++, &bytes));
  const char* verb = random_.Percent(10) ? "INSERT OR IGNORE INTO " : "INSERT INTO ";
  out.Add(verb + table->name + ColumnList(columns) + " VALUES " + Join(tuples, ", "));
  table->rows_estimate += rows;
  table->bytes_estimate += bytes;
  return true;
}

bool SqlGenerator::BulkInsert(Emitter& out) {
  TableModel* table = PickTable();
  if (table == nullptr) return false;
  const uint64_t rows = random_.Between(10, 200);
  const int64_t base = table->next_id;
  table->next_id += static_cast<int64_t>(rows);
  static constexpr uint64_t kSteps[] = {0, 64, 700};
  static constexpr uint64_t kMinimums[] = {0, 100, 2000, kPageBytes + 1};
  const uint64_t period = random_.Between(2, 13);
  const uint64_t step = kSteps[random_.Below(std::size(kSteps))];
  const uint64_t minimum = kMinimums[random_.Below(std::size(kMinimums))];
  const char letter = static_cast<char>('a' + random_.Below(26));
  // Row i gets a blob of (i % period) * step + minimum bytes.
  for (uint64_t i = 0; i < std::min(period, rows); ++i) CountBlob(i * step + minimum);
  const std::string row_id = "(" + std::to_string(base) + " + i)";
  std::vector<std::string> names = {"id"};
  std::vector<std::string> values = {row_id};
  if (table->Find(ColumnRole::kName) != nullptr) {
    names.push_back(table->Find(ColumnRole::kName)->name);
    values.push_back("'b' || " + row_id);
  }
  if (table->Find(ColumnRole::kScore) != nullptr) {
    names.push_back(table->Find(ColumnRole::kScore)->name);
    values.push_back(row_id + " * 0.25");
  }
  if (table->Find(ColumnRole::kData) != nullptr) {
    names.push_back(table->Find(ColumnRole::kData)->name);
    values.push_back("CAST(printf('%.*c', (i % " + std::to_string(period) + ") * " + std::to_string(step) + " + " +
                     std::to_string(minimum) + ", '" + letter + "') AS BLOB)");
  }
  if (table->Find(ColumnRole::kCode) != nullptr) {
    names.push_back(table->Find(ColumnRole::kCode)->name);
    values.push_back("'c' || " + row_id);
  }
  out.Add("INSERT INTO " + table->name + "(" + Join(names, ", ") +
          ") WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < " +
          std::to_string(rows - 1) + ") SELECT " + Join(values, ", ") + " FROM s");
  table->rows_estimate += rows;
  table->bytes_estimate += rows * ((period - 1) * step / 2 + minimum);
  return true;
}

bool SqlGenerator::UpdateRows(Emitter& out) {
  TableModel* table = PickTable();
  if (table == nullptr) return false;
  std::string where;
  bool single_row = false;
  const uint64_t shape = random_.Below(10);
  if (shape < 4) {
    where = "id = " + std::to_string(PickExistingId(*table));
    single_row = true;
  } else if (shape < 8) {
    const int64_t low = PickExistingId(*table);
    where = "id BETWEEN " + std::to_string(low) + " AND " + std::to_string(low + random_.Below(20));
  } else {
    const uint64_t modulus = random_.Between(2, 7);
    const uint64_t remainder = random_.Below(2);
    where = "id % " + std::to_string(modulus) + " = " + std::to_string(remainder);
  }
  std::vector<std::string> sets;
  const uint64_t count = random_.Between(1, 2);
  for (uint64_t n = 0; n < count; ++n) {
    const ColumnModel& column = table->columns[random_.Between(1, table->columns.size() - 1)];
    std::string value;
    switch (column.role) {
      case ColumnRole::kKey:
        break;
      case ColumnRole::kName:
        value = !column.not_null && random_.Percent(20) ? "NULL" : "'v' || id";
        break;
      case ColumnRole::kScore:
        value = random_.Percent(50) ? column.name + " + 1.5" : RealLiteral();
        break;
      case ColumnRole::kData:
        if (random_.Percent(30)) {
          value = "substr(" + column.name + ", 1, " + std::to_string(random_.Below(20000)) + ")";
        } else {
          // A whole-range rewrite with page-boundary sizes would write megabytes; keep those to single rows.
          const uint64_t size = single_row ? DrawBlobSize() : random_.Below(2000);
          table->bytes_estimate += size;
          value = BlobExpression(size);
        }
        break;
      case ColumnRole::kCode:
        value = "printf('u%d', id)";  // still unique: one code per id, and 'u' never collides with 'c'
        break;
      case ColumnRole::kParent: {
        TableModel* parent = model_.FindTable(table->parent);
        value = parent == nullptr || random_.Percent(30)
                    ? "NULL"
                    : "(SELECT id FROM " + parent->name + " WHERE id >= " +
                          std::to_string(PickExistingId(*parent)) + " ORDER BY id LIMIT 1)";
        break;
      }
      case ColumnRole::kExtra: {
        uint64_t ignored = 0;
        value = ValueFor(*table, column, 0, &ignored);
        break;
      }
    }
    if (value.empty()) continue;
    const std::string assignment = column.name + " = " + value;
    if (std::find(sets.begin(), sets.end(), assignment) == sets.end()) sets.push_back(assignment);
  }
  if (sets.empty()) return false;
  out.Add("UPDATE " + table->name + " SET " + Join(sets, ", ") + " WHERE " + where);
  return true;
}

bool SqlGenerator::DeleteRows(Emitter& out) {
  TableModel* table = PickTable();
  if (table == nullptr) return false;
  const int64_t low = PickExistingId(*table);
  if (random_.Percent(50)) {
    out.Add("DELETE FROM " + table->name + " WHERE id = " + std::to_string(low));
    if (table->rows_estimate > 0) ShrinkEstimates(*table, table->rows_estimate - 1, table->rows_estimate);
  } else {
    const uint64_t span = random_.Between(1, 30);
    out.Add("DELETE FROM " + table->name + " WHERE id BETWEEN " + std::to_string(low) + " AND " +
            std::to_string(low + static_cast<int64_t>(span)));
    const uint64_t ids = std::max<int64_t>(1, table->next_id - 1);
    ShrinkEstimates(*table, ids - std::min(ids, span), ids);
  }
  return true;
}

bool SqlGenerator::BigDelete(Emitter& out) {
  if (model_.tables.empty()) return false;
  TableModel* table = PickTable();
  if (random_.Percent(50)) {
    // The biggest table (the first one on ties, so the choice is deterministic).
    for (TableModel& candidate : model_.tables) {
      if (candidate.bytes_estimate > table->bytes_estimate) table = &candidate;
    }
  }
  const uint64_t shape = random_.Below(10);
  if (shape < 3) {
    out.Add("DELETE FROM " + table->name);
    ShrinkEstimates(*table, 0, 1);
  } else if (shape < 6) {
    out.Add("DELETE FROM " + table->name + " WHERE id % 4 != 0");
    ShrinkEstimates(*table, 1, 4);
  } else if (shape < 8) {
    out.Add("DELETE FROM " + table->name + " WHERE id < " + std::to_string(table->next_id - table->next_id / 10));
    ShrinkEstimates(*table, 1, 10);
  } else {
    const ColumnModel* data = table->Find(ColumnRole::kData);
    out.Add("DELETE FROM " + table->name + " WHERE length(" + (data ? data->name : "id") + ") > 1000");
    ShrinkEstimates(*table, 1, 10);
  }
  // With auto_vacuum=INCREMENTAL this moves the freed pages to the end and truncates the file; with
  // auto_vacuum=NONE (SQLite's default) it is a no-op.
  if (random_.Percent(60)) out.Add("PRAGMA incremental_vacuum");
  return true;
}

bool SqlGenerator::Replace(Emitter& out) {
  TableModel* table = PickTable();
  if (table == nullptr) return false;
  // An existing key when there is one (PickExistingId would otherwise hand out key 1 without reserving it).
  const bool fresh = random_.Percent(40) || table->next_id <= 1;
  const int64_t id = fresh ? table->next_id++ : PickExistingId(*table);
  const std::vector<const ColumnModel*> columns = InsertColumns(*table);
  uint64_t bytes = 0;
  out.Add("REPLACE INTO " + table->name + ColumnList(columns) + " VALUES " + RowValues(*table, columns, id, &bytes));
  if (fresh) ++table->rows_estimate;
  table->bytes_estimate += bytes;
  return true;
}

bool SqlGenerator::Upsert(Emitter& out) {
  TableModel* table = PickTable();
  if (table == nullptr) return false;
  const bool fresh = random_.Percent(30) || table->next_id <= 1;
  const int64_t id = fresh ? table->next_id++ : PickExistingId(*table);
  const std::vector<const ColumnModel*> columns = InsertColumns(*table);
  uint64_t bytes = 0;
  std::string sql =
      "INSERT INTO " + table->name + ColumnList(columns) + " VALUES " + RowValues(*table, columns, id, &bytes);
  std::vector<std::string> sets;
  for (const ColumnModel* column : columns) {
    if (column->role == ColumnRole::kScore) sets.push_back(column->name + " = excluded." + column->name);
    if (column->role == ColumnRole::kData && random_.Percent(50)) {
      sets.push_back(column->name + " = excluded." + column->name);
    }
    if (column->role == ColumnRole::kName && random_.Percent(50)) {
      sets.push_back(column->name + " = excluded." + column->name);
    }
  }
  if (sets.empty() || random_.Percent(25)) {
    sql += " ON CONFLICT DO NOTHING";
  } else {
    sql += " ON CONFLICT(id) DO UPDATE SET " + Join(sets, ", ");
  }
  out.Add(sql);
  if (fresh) ++table->rows_estimate;
  table->bytes_estimate += bytes;
  return true;
}

std::string SqlGenerator::CreateTableSql() {
  if (model_.tables.size() >= kTablesMax) return "";
  TableModel table;
  table.name = "t" + std::to_string(++model_.table_serial);
  table.without_rowid = random_.Percent(25);
  table.columns.push_back({"id", ColumnType::kInteger, ColumnRole::kKey, table.without_rowid});
  table.columns.push_back({"name", ColumnType::kText, ColumnRole::kName, random_.Percent(30)});
  table.columns.push_back({"score", ColumnType::kReal, ColumnRole::kScore, false});
  table.columns.push_back({"data", ColumnType::kBlob, ColumnRole::kData, false});
  if (random_.Percent(60)) {
    table.columns.push_back({"code", ColumnType::kText, ColumnRole::kCode, false});
    table.code_declared_unique = random_.Percent(50);
  }
  if (!model_.tables.empty() && random_.Percent(40)) {
    table.parent = model_.tables[random_.Below(model_.tables.size())].name;
    table.columns.push_back({"parent_id", ColumnType::kInteger, ColumnRole::kParent, false});
  }
  std::vector<std::string> definitions;
  for (const ColumnModel& column : table.columns) {
    std::string definition = column.name + " " + std::string(TypeName(column.type));
    if (column.role == ColumnRole::kKey) definition += " PRIMARY KEY";
    if (column.role == ColumnRole::kName && column.not_null) definition += " NOT NULL";
    if (column.role == ColumnRole::kCode && table.code_declared_unique) definition += " UNIQUE";
    if (column.role == ColumnRole::kParent) definition += " REFERENCES " + table.parent + "(id) ON DELETE CASCADE";
    definitions.push_back(std::move(definition));
  }
  std::string sql = "CREATE TABLE " + table.name + "(" + Join(definitions, ", ") + ")";
  if (table.without_rowid) sql += " WITHOUT ROWID";
  model_.tables.push_back(std::move(table));
  return sql;
}

bool SqlGenerator::CreateTable(Emitter& out) {
  std::string sql = CreateTableSql();
  if (sql.empty()) return false;
  out.Add(std::move(sql));
  return true;
}

bool SqlGenerator::DropTable(Emitter& out) {
  std::vector<size_t> candidates;
  for (size_t i = 0; i < model_.tables.size(); ++i) {
    if (!model_.IsParent(model_.tables[i])) candidates.push_back(i);
  }
  if (candidates.empty()) return false;
  const size_t victim = candidates[random_.Below(candidates.size())];
  const std::string name = model_.tables[victim].name;
  out.Add("DROP TABLE " + name);
  model_.tables.erase(model_.tables.begin() + static_cast<ptrdiff_t>(victim));
  std::erase_if(model_.indexes, [&](const IndexModel& index) { return index.table == name; });
  return true;
}

std::string SqlGenerator::CreateIndexSql() {
  TableModel* table = PickTable();
  if (table == nullptr) return "";
  IndexModel index;
  index.name = "ix" + std::to_string(++model_.index_serial);
  index.table = table->name;
  std::string target;
  const uint64_t shape = random_.Below(100);
  const ColumnModel* code = table->Find(ColumnRole::kCode);
  const ColumnModel* parent = table->Find(ColumnRole::kParent);
  if (shape < 20 && code != nullptr) {
    index.unique = true;
    index.on_code = true;
    target = "(" + code->name + ")";
  } else if (shape < 30) {
    index.unique = true;  // unique because id is
    target = "(name, id)";
  } else if (shape < 45) {
    target = "(name)";
  } else if (shape < 55) {
    target = "(score, name)";
  } else if (shape < 65 && parent != nullptr) {
    target = "(" + parent->name + ")";
  } else if (shape < 75) {
    target = "(length(data))";  // an expression index
  } else if (shape < 85) {
    target = "(score) WHERE score > 0";  // a partial index
  } else if (shape < 90) {
    target = "(data)";  // BLOB keys: index cells with their own overflow chains
  } else {
    const ColumnModel& column = table->columns[random_.Below(table->columns.size())];
    target = "(" + column.name + ")";
  }
  const std::string sql =
      std::string(index.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ") + index.name + " ON " + table->name + target;
  model_.indexes.push_back(std::move(index));
  return sql;
}

bool SqlGenerator::CreateIndex(Emitter& out) {
  std::string sql = CreateIndexSql();
  if (sql.empty()) return false;
  out.Add(std::move(sql));
  return true;
}

bool SqlGenerator::DropIndex(Emitter& out) {
  if (model_.indexes.empty()) return false;
  const size_t victim = random_.Below(model_.indexes.size());
  out.Add("DROP INDEX " + model_.indexes[victim].name);
  model_.indexes.erase(model_.indexes.begin() + static_cast<ptrdiff_t>(victim));
  return true;
}

std::string SqlGenerator::AlterAddColumnSql() {
  TableModel* table = PickTable();
  if (table == nullptr || table->columns.size() >= kColumnsMax) return "";
  ColumnModel column;
  column.name = "x" + std::to_string(++model_.column_serial);
  column.type = static_cast<ColumnType>(random_.Below(4));
  column.role = ColumnRole::kExtra;
  std::string sql = "ALTER TABLE " + table->name + " ADD COLUMN " + column.name + " " + std::string(TypeName(column.type));
  const uint64_t shape = random_.Below(3);
  if (shape > 0) {
    column.not_null = shape == 2;
    std::string default_value;
    switch (column.type) {
      case ColumnType::kInteger: default_value = std::to_string(random_.Below(100)); break;
      case ColumnType::kText: default_value = Quote("d" + std::to_string(random_.Below(100))); break;
      case ColumnType::kReal: default_value = RealLiteral(); break;
      case ColumnType::kBlob: default_value = "x'0102'"; break;
    }
    // A signed literal, never a parenthesized expression: ALTER TABLE ADD COLUMN refuses those.
    sql += (column.not_null ? " NOT NULL DEFAULT " : " DEFAULT ") + default_value;
  }
  table->columns.push_back(std::move(column));
  return sql;
}

bool SqlGenerator::AlterAddColumn(Emitter& out) {
  std::string sql = AlterAddColumnSql();
  if (sql.empty()) return false;
  out.Add(std::move(sql));
  return true;
}

bool SqlGenerator::SavepointBlock(Emitter& out, int depth) {
  if (depth >= kSavepointDepthMax) return false;
  const std::string name = "sp" + std::to_string(++out.savepoint_serial);
  out.Add("SAVEPOINT " + name);
  const SchemaModel before = model_;
  const uint64_t inner = random_.Between(1, 3);
  for (uint64_t i = 0; i < inner && !out.stop; ++i) Slot(out, depth + 1);
  if (out.stop) return true;
  const uint64_t ending = random_.Below(10);
  if (ending < 5) {
    out.Add("ROLLBACK TO " + name);
    model_ = before;
    if (random_.Percent(70)) out.Add("RELEASE " + name);
  } else if (ending < 9) {
    out.Add("RELEASE " + name);
  }
  // else: left open; COMMIT releases it.
  return true;
}

bool SqlGenerator::Violation(Emitter& out, bool fatal) {
  enum Kind { kDuplicateKey, kDuplicateCode, kDanglingParent, kNullInNotNull };
  std::vector<Kind> kinds = {kDuplicateKey};
  for (const TableModel& table : model_.tables) {
    if (model_.CodeUnique(table) && std::find(kinds.begin(), kinds.end(), kDuplicateCode) == kinds.end()) {
      kinds.push_back(kDuplicateCode);
    }
    if (!table.parent.empty() && std::find(kinds.begin(), kinds.end(), kDanglingParent) == kinds.end()) {
      kinds.push_back(kDanglingParent);
    }
    const ColumnModel* name = table.Find(ColumnRole::kName);
    if (((name != nullptr && name->not_null) || table.without_rowid) &&
        std::find(kinds.begin(), kinds.end(), kNullInNotNull) == kinds.end()) {
      kinds.push_back(kNullInNotNull);
    }
  }
  if (model_.tables.empty()) return false;
  const Kind kind = kinds[random_.Below(kinds.size())];
  std::vector<TableModel*> tables;
  for (TableModel& table : model_.tables) {
    const ColumnModel* name = table.Find(ColumnRole::kName);
    const bool fits = kind == kDuplicateKey || (kind == kDuplicateCode && model_.CodeUnique(table)) ||
                      (kind == kDanglingParent && !table.parent.empty()) ||
                      (kind == kNullInNotNull && ((name != nullptr && name->not_null) || table.without_rowid));
    if (fits) tables.push_back(&table);
  }
  TableModel& table = *tables[random_.Below(tables.size())];
  std::vector<const ColumnModel*> columns = InsertColumns(table);
  uint64_t bytes = 0;
  std::string violating;
  switch (kind) {
    case kDuplicateKey: {
      // The statement just before inserts the key, so the duplicate is certain.
      const int64_t id = table.next_id++;
      out.Add("INSERT INTO " + table.name + ColumnList(columns) + " VALUES " + RowValues(table, columns, id, &bytes));
      ++table.rows_estimate;
      violating = "INSERT INTO " + table.name + ColumnList(columns) + " VALUES " + RowValues(table, columns, id, &bytes);
      break;
    }
    case kDuplicateCode: {
      Require(table, columns, ColumnRole::kCode);
      const int64_t first = table.next_id++;
      out.Add("INSERT INTO " + table.name + ColumnList(columns) + " VALUES " +
              RowValues(table, columns, first, &bytes));
      ++table.rows_estimate;
      const int64_t second = table.next_id++;
      std::vector<std::string> values;
      for (const ColumnModel* column : columns) {
        values.push_back(column->role == ColumnRole::kCode ? "'c" + std::to_string(first) + "'"
                                                           : ValueFor(table, *column, second, &bytes));
      }
      violating = "INSERT INTO " + table.name + ColumnList(columns) + " VALUES (" + Join(values, ", ") + ")";
      break;
    }
    case kDanglingParent: {
      Require(table, columns, ColumnRole::kParent);
      const int64_t id = table.next_id++;
      const int64_t dangling = kDanglingParentBase + model_.violation_serial++;
      std::vector<std::string> values;
      for (const ColumnModel* column : columns) {
        values.push_back(column->role == ColumnRole::kParent ? std::to_string(dangling)
                                                             : ValueFor(table, *column, id, &bytes));
      }
      violating = "INSERT INTO " + table.name + ColumnList(columns) + " VALUES (" + Join(values, ", ") + ")";
      break;
    }
    case kNullInNotNull: {
      const ColumnModel* name = table.Find(ColumnRole::kName);
      const ColumnRole role = name != nullptr && name->not_null ? ColumnRole::kName : ColumnRole::kKey;
      Require(table, columns, role);
      const int64_t id = table.next_id++;
      std::vector<std::string> values;
      for (const ColumnModel* column : columns) {
        values.push_back(column->role == role ? "NULL" : ValueFor(table, *column, id, &bytes));
      }
      violating = "INSERT INTO " + table.name + ColumnList(columns) + " VALUES (" + Join(values, ", ") + ")";
      break;
    }
  }
  table.bytes_estimate += bytes;
  out.Add(std::move(violating), StatementIntent::kViolation, /*may_fail=*/!fatal);
  ++stats_.violations;
  if (fatal) {
    ++stats_.fatal_violations;
    out.stop = true;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Queries and migrations

std::string SqlGenerator::NextQuery(bool kv_exists, bool* writes) {
  *writes = false;
  TableModel* table = PickTable();
  if (table != nullptr && random_.Percent(weights_.query_write_percent)) {
    *writes = true;
    if (random_.Percent(50)) return "DELETE FROM " + table->name + " WHERE id = " + std::to_string(PickExistingId(*table));
    return "INSERT INTO " + table->name + "(id) VALUES(" + std::to_string(table->next_id) + ")";
  }
  const uint64_t shape = random_.Below(10);
  if (table == nullptr || shape == 0) {
    if (kv_exists && random_.Percent(50)) {
      return "SELECT key, length(value), hex(substr(value, 1, 4)) FROM kv ORDER BY key";
    }
    return "SELECT type, name, tbl_name FROM sqlite_schema ORDER BY type, name";
  }
  const std::string low = std::to_string(PickExistingId(*table));
  switch (shape) {
    case 1:
    case 2:
      return "SELECT count(*), total(score), sum(length(data)) FROM " + table->name;
    case 3:
    case 4:
      return "SELECT id, name, score, length(data), hex(substr(data, 1, 8)), hex(substr(data, -8)) FROM " +
             table->name + " WHERE id BETWEEN " + low + " AND " + low + " + " + std::to_string(random_.Below(50)) +
             " ORDER BY id";
    case 5:
      if (table->Find(ColumnRole::kCode) != nullptr) {
        return "SELECT id, code FROM " + table->name + " WHERE code = 'c" + low + "'";
      }
      [[fallthrough]];
    case 6:
      return "SELECT * FROM " + table->name + " WHERE id = " + low;
    case 7:
      if (!table->parent.empty()) {
        return "SELECT c.id, p.id, p.name FROM " + table->name + " AS c JOIN " + table->parent +
               " AS p ON c.parent_id = p.id ORDER BY c.id LIMIT 50";
      }
      [[fallthrough]];
    case 8:
      return "SELECT name, count(*) FROM " + table->name + " GROUP BY name ORDER BY name LIMIT 20";
    default:
      return "SELECT id, length(data) FROM " + table->name + " WHERE length(data) >= " +
             std::to_string(kPageBytes - 1) + " ORDER BY id LIMIT 20";
  }
}

std::string SqlGenerator::NextMigrationSql() {
  std::vector<std::string> pieces;
  const uint64_t count = random_.Between(1, 2);
  for (uint64_t i = 0; i < count; ++i) {
    std::string sql;
    const uint64_t shape = random_.Below(3);
    if (model_.tables.empty() || shape == 0) sql = CreateTableSql();
    if (sql.empty() && shape == 1) sql = AlterAddColumnSql();
    if (sql.empty()) sql = CreateIndexSql();
    if (sql.empty()) sql = CreateTableSql();
    if (!sql.empty()) pieces.push_back(std::move(sql));
  }
  assert(!pieces.empty());
  return Join(pieces, "; ");
}

std::string SqlGenerator::FailingMigrationSql(uint64_t version) {
  const std::string v = std::to_string(version);
  switch (random_.Below(3)) {
    case 0:
      // Fails after doing work, so the rollback has something to undo.
      return "CREATE TABLE mig" + v + "(a INTEGER PRIMARY KEY); INSERT INTO mig" + v + " VALUES(1); INSERT INTO mig" +
             v + " VALUES(1)";
    case 1:
      return "INSERT INTO missing" + v + " VALUES(1)";
    default:
      if (!model_.tables.empty()) return "CREATE TABLE " + model_.tables.front().name + "(a)";
      return "SELECT * FROM missing" + v;
  }
}

}  // namespace stablevfs::ops
