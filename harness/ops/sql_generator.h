// SqlGenerator: seeded SQL for update, query and migrate ops, written against a small model of the schema so
// that most statements are valid, a controlled fraction violates a constraint on purpose, and schema changes
// (CREATE / DROP TABLE and INDEX, ALTER TABLE ADD COLUMN) and VACUUM appear now and then.
//
// What it covers: tables with INTEGER PRIMARY KEY (rowid and WITHOUT ROWID), TEXT, REAL and NULL values, BLOBs
// whose sizes straddle the 16 KiB page and overflow boundaries (16383, 16384, 16385, 2*16384+17, ... up to
// 300,000 bytes, so rows build overflow chains); indexes, UNIQUE ones, partial and expression indexes;
// foreign keys (ON DELETE CASCADE); INSERT, bulk INSERT ... SELECT, UPDATE, DELETE, REPLACE, UPSERT;
// savepoints with ROLLBACK TO and RELEASE; deletes of most of a table followed by PRAGMA incremental_vacuum.
//
// Guarantees:
//  - Deterministic: every decision comes from the Random handed in (std::mt19937_64, own range reduction);
//    the model is kept in vectors, never in hashed containers; no wall clock. Rule for the implementation:
//    at most one draw per full expression, since C++ leaves the order of the operands of '+' and of function
//    arguments unspecified (libstdc++/GCC and libc++/Clang builds really do differ).
//  - Deterministic in effect: the SQL never calls random(), randomblob() or a date/time function of 'now';
//    BLOB contents come from printf('%.*c', n, c) (SQLite repeats %c to the precision), zeroblob(n) and hex
//    literals, so the system under test and stock SQLite compute identical rows.
//  - A deliberate violation is always certain to fail: it duplicates a key or a UNIQUE code inserted by the
//    statement just before it, references a parent id that was never handed out, or puts NULL in a NOT NULL
//    column. Its intent is recorded (StatementIntent) so a test can tell planned failures from generator bugs.
//
// The model only follows what the generator itself plans: if the system under test fails an op for another
// reason (a failpoint, the capacity limit), the owner restores an earlier model (see OpGenerator::Observe).
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "harness/ops/op.h"
#include "harness/ops/weights.h"

namespace stablevfs::ops {

// The generator's source of randomness: std::mt19937_64 with our own range reductions (never a std::
// distribution, whose output differs between standard libraries).
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, bound). REQUIRES: bound > 0.
  uint64_t Below(uint64_t bound);
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  uint64_t Between(uint64_t lo, uint64_t hi);
  // True with probability percent / 100 (one draw).
  bool Percent(uint32_t percent);
  // An index drawn with probability weights[i] / sum. REQUIRES: the sum is positive.
  size_t Weighted(std::span<const uint32_t> weights);
  // The next raw 64-bit output (for seeds of pattern values).
  uint64_t Raw() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

// What the generator meant a statement to do; parallel to an update's statements.
enum class StatementIntent : uint8_t {
  kValid,      // should succeed
  kViolation,  // must fail with a constraint error (UNIQUE, NOT NULL or FOREIGN KEY)
  kRefused,    // must fail because SQLite refuses it here (VACUUM inside a transaction)
};

enum class ColumnType : uint8_t { kInteger, kText, kReal, kBlob };

// The part a column plays in generated tables; the role decides which values it gets.
enum class ColumnRole : uint8_t {
  kKey,     // id INTEGER PRIMARY KEY
  kName,    // TEXT, sometimes NOT NULL
  kScore,   // REAL
  kData,    // BLOB: the page-boundary sizes live here
  kCode,    // TEXT 'c<id>' or 'u<id>': unique by construction, so UNIQUE constraints and indexes hold
  kParent,  // INTEGER REFERENCES <parent>(id) ON DELETE CASCADE
  kExtra,   // added by ALTER TABLE ADD COLUMN
};

struct ColumnModel {
  std::string name;
  ColumnType type = ColumnType::kInteger;
  ColumnRole role = ColumnRole::kExtra;
  bool not_null = false;  // NOT NULL (extra columns declared NOT NULL always have a DEFAULT)
};

struct TableModel {
  std::string name;
  bool without_rowid = false;
  std::vector<ColumnModel> columns;  // columns[0] is the key
  std::string parent;                // the table a kParent column references, or ""
  bool code_declared_unique = false; // the code column is declared UNIQUE
  int64_t next_id = 1;               // every id below was handed out (its row may since be gone)
  uint64_t rows_estimate = 0;
  uint64_t bytes_estimate = 0;       // approximate payload held, to keep a long run's file size bounded

  const ColumnModel* Find(ColumnRole role) const;
};

struct IndexModel {
  std::string name;
  std::string table;
  bool unique = false;
  bool on_code = false;  // a UNIQUE index on the code column alone makes code unique
};

// The schema as the generator believes it to be. Names are t<n>, ix<n>, x<n> with serials that only grow
// (until a snapshot is restored), so a name is never reused for something else within one plan.
struct SchemaModel {
  std::vector<TableModel> tables;
  std::vector<IndexModel> indexes;
  uint32_t table_serial = 0;
  uint32_t index_serial = 0;
  uint32_t column_serial = 0;
  uint32_t violation_serial = 0;  // makes each deliberate foreign-key violation distinct

  TableModel* FindTable(const std::string& name);
  // Whether a second row with the same code would violate a constraint (declared UNIQUE or a UNIQUE index).
  bool CodeUnique(const TableModel& table) const;
  // Whether some table's foreign key references `table` (such a table is never dropped).
  bool IsParent(const TableModel& table) const;
  uint64_t bytes_estimate() const;
};

// What the generator has produced so far (tests and coverage reports read it).
struct SqlStats {
  uint64_t updates = 0;
  uint64_t slots = 0;               // statement slots drawn (a savepoint block is one)
  uint64_t statements = 0;          // statements emitted
  uint64_t violations = 0;          // statements with intent kViolation
  uint64_t fatal_violations = 0;    // of those, without '?'
  uint64_t refused = 0;             // statements with intent kRefused
  std::array<uint64_t, kSqlKindCount> by_kind{};  // slots by kind
  uint64_t blob_values = 0;  // BLOB values written (a bulk insert counts each distinct per-row size once)
  // How often each of SqlGenerator::BoundaryBlobSizes() was written exactly, in that order.
  std::vector<uint64_t> boundary_hits;
};

struct GeneratedUpdate {
  std::vector<Statement> statements;
  std::vector<StatementIntent> intents;  // parallel to statements
  bool fails = false;                    // ends with a fatal violation: the update must return an error
};

class SqlGenerator {
 public:
  // `random` and `weights` must outlive the generator.
  SqlGenerator(Random& random, const GeneratorWeights& weights);

  // One update's statements. Applies their planned effect to the model (nothing when the update fails).
  GeneratedUpdate NextUpdate();

  // One query. Sets *writes when it deliberately tries to write (a query connection must refuse it).
  // `kv_exists`: the kv table may be queried.
  std::string NextQuery(bool kv_exists, bool* writes);

  // The SQL of one successful migration: one or two schema changes ("; "-separated), applied to the model.
  std::string NextMigrationSql();

  // The SQL of a migration that certainly fails (after doing some work), for failing-migration ops.
  std::string FailingMigrationSql(uint64_t version);

  const SchemaModel& model() const { return model_; }
  // Replaces the model (the owner restores a snapshot when an op did not commit).
  void set_model(SchemaModel model) { model_ = std::move(model); }
  const SqlStats& stats() const { return stats_; }

  // The BLOB sizes the generator draws to straddle page and overflow boundaries (16 KiB pages).
  static std::span<const uint64_t> BoundaryBlobSizes();

 private:
  struct Emitter;

  void Slot(Emitter& out, int depth);
  bool Violation(Emitter& out, bool fatal);
  void EmitKind(Emitter& out, SqlKind kind, int depth);

  // Statement builders; each returns false when the model has nothing to apply it to.
  bool Insert(Emitter& out);
  bool BulkInsert(Emitter& out);
  bool UpdateRows(Emitter& out);
  bool DeleteRows(Emitter& out);
  bool BigDelete(Emitter& out);
  bool Replace(Emitter& out);
  bool Upsert(Emitter& out);
  bool CreateTable(Emitter& out);
  bool DropTable(Emitter& out);
  bool CreateIndex(Emitter& out);
  bool DropIndex(Emitter& out);
  bool AlterAddColumn(Emitter& out);
  bool SavepointBlock(Emitter& out, int depth);

  std::string CreateTableSql();
  std::string CreateIndexSql();
  std::string AlterAddColumnSql();

  // Values.
  std::string RowValues(const TableModel& table, const std::vector<const ColumnModel*>& columns, int64_t id,
                        uint64_t* blob_bytes);
  std::string ValueFor(const TableModel& table, const ColumnModel& column, int64_t id, uint64_t* blob_bytes);
  std::string NameText(int64_t id);
  std::string RealLiteral();
  std::string IntegerLiteral();
  std::string BlobExpression(uint64_t size_bytes);
  uint64_t DrawBlobSize();
  std::vector<const ColumnModel*> InsertColumns(const TableModel& table);
  TableModel* PickTable();
  int64_t PickExistingId(const TableModel& table);

  void CountBlob(uint64_t size_bytes);

  Random& random_;
  const GeneratorWeights& weights_;
  SchemaModel model_;
  SqlStats stats_;
};

}  // namespace stablevfs::ops
