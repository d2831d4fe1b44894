// Op: one operation of the operation language, i.e. one message sent to the canister under test (or, for
// arm / capacity / budget, one change to the conditions the next messages run under).
//
// An Op is an immutable value: a std::variant of small structs, one per kind, each comparable with ==. Every
// Op prints as one line of the scenario format and parses back to an equal Op (op_text.h); the seeded
// generator (op_generator.h) produces them; the interpreter runs them. The kinds and their lines:
//
//   update <stmt>; ?<stmt>; ...     one transaction; a statement prefixed with '?' may fail (tolerated)
//   query <sql>                     one read-only statement on a query connection
//   kv-put <key> <value>            upsert into kv(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID
//   kv-get <key> / kv-delete <key>
//   migrate <v>:<sql> | <v>:<sql>   Db::Migrate with these migrations, in this order
//   integrity-check, checksum, checksum-chunk <max_bytes>, export-import, import-bad-checksum,
//   import-cancel, compact, upgrade
//   arm <failpoint spec>            arms failpoints for the next message (spec syntax: failpoints/spec.h)
//   capacity <pages> | +<pages> | default
//   budget <instructions> | default
//
// docs/scenario-format.md is the user-facing description of each kind and what the interpreter does with it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "harness/faults/vocabulary.h"

namespace stablevfs::ops {

// The bytes of a kv value, written compactly so that a 300 KB value still fits a readable line.
//   x'0a0b'            literal bytes (hex)
//   'text'             the UTF-8 bytes of the text (SQL quoting: '' stands for ')
//   fill(<n>,<byte>)   n bytes, all equal to byte (0..255)
//   pattern(<n>,<seed>) n bytes of the SplitMix64 stream seeded with seed (see Bytes())
// Build values with the factory functions: they leave the fields a kind does not use at zero, which
// operator== relies on.
struct ValueSpec {
  enum class Kind : uint8_t { kHex, kText, kFill, kPattern };

  Kind kind = Kind::kHex;
  std::string literal;      // kHex, kText: the bytes themselves
  uint64_t size_bytes = 0;  // kFill, kPattern
  uint8_t fill_byte = 0;    // kFill
  uint64_t seed = 0;        // kPattern

  static ValueSpec Hex(std::string bytes);
  static ValueSpec Text(std::string text);
  static ValueSpec Fill(uint64_t size_bytes, uint8_t byte);
  static ValueSpec Pattern(uint64_t size_bytes, uint64_t seed);

  // The length of the value in bytes.
  uint64_t size() const;
  // The value's bytes. For kPattern: the SplitMix64 generator (state += 0x9e3779b97f4a7c15, then the
  // standard mix) started at `seed`; each output contributes 8 bytes, least significant first; the last
  // output is cut to length. Anyone can reproduce a value from its line.
  std::vector<uint8_t> Bytes() const;

  bool operator==(const ValueSpec&) const = default;
};

// The largest value a value spec may describe; a guard against a typo turning into a multi-gigabyte buffer.
inline constexpr uint64_t kValueSizeMaxBytes = uint64_t{64} << 20;

// One statement of an update. `sql` is trimmed, non-empty and has no trailing ';'.
struct Statement {
  std::string sql;
  bool may_fail = false;  // '?' prefix: a failure is tolerated and the update continues

  bool operator==(const Statement&) const = default;
};

// One migration of a migrate op. `sql` may hold several ';'-separated statements (run as a script).
struct MigrationSpec {
  uint64_t version = 0;
  std::string sql;

  bool operator==(const MigrationSpec&) const = default;
};

struct UpdateOp {
  std::vector<Statement> statements;  // at least one
  bool operator==(const UpdateOp&) const = default;
};
struct QueryOp {
  std::string sql;  // trimmed, non-empty
  bool operator==(const QueryOp&) const = default;
};
struct KvPutOp {
  std::string key;
  ValueSpec value;
  bool operator==(const KvPutOp&) const = default;
};
struct KvGetOp {
  std::string key;
  bool operator==(const KvGetOp&) const = default;
};
struct KvDeleteOp {
  std::string key;
  bool operator==(const KvDeleteOp&) const = default;
};
struct MigrateOp {
  std::vector<MigrationSpec> migrations;  // in the order given; duplicates are kept (Db rejects them)
  bool operator==(const MigrateOp&) const = default;
};
struct IntegrityCheckOp {
  bool operator==(const IntegrityCheckOp&) const = default;
};
// A full checksum refresh (Db::RefreshChecksum).
struct ChecksumOp {
  bool operator==(const ChecksumOp&) const = default;
};
// One chunk of a chunked refresh (Db::RefreshChecksumChunk); 0 is allowed and must be an error.
struct ChecksumChunkOp {
  uint64_t max_bytes = 0;
  bool operator==(const ChecksumChunkOp&) const = default;
};
// Safe export of the whole image, then import of it with the right checksum: the image must be unchanged.
struct ExportImportOp {
  bool operator==(const ExportImportOp&) const = default;
};
// Export, then import with a wrong expected checksum: finish must fail and keep the old image.
struct ImportBadChecksumOp {
  bool operator==(const ImportBadChecksumOp&) const = default;
};
// Begin an import, stage part of the image, cancel: the old image stays and the database opens again.
struct ImportCancelOp {
  bool operator==(const ImportCancelOp&) const = default;
};
struct CompactOp {
  bool operator==(const CompactOp&) const = default;
};
// A canister upgrade: all heap state is dropped and rebuilt from stable memory.
struct UpgradeOp {
  bool operator==(const UpgradeOp&) const = default;
};
// Arms failpoints for the next message. `spec` is the text as written (trimmed); it parses with fp::ParseSpec.
// An empty spec arms nothing.
struct ArmOp {
  std::string spec;
  bool operator==(const ArmOp&) const = default;
};
// The limit on the size of stable memory, in 64 KiB pages.
struct CapacityOp {
  enum class Mode : uint8_t {
    kDefault,       // `capacity default`: the simulator's own limit
    kAbsolute,      // `capacity <pages>`: at most `pages`
    kAboveCurrent,  // `capacity +<pages>`: at most the size when the op runs plus `pages`
  };
  Mode mode = Mode::kDefault;
  uint64_t pages = 0;  // 0 for kDefault
  bool operator==(const CapacityOp&) const = default;
};
// The per-message instruction limit.
struct BudgetOp {
  bool is_default = true;     // `budget default`: the simulator's own limit
  uint64_t instructions = 0;  // 0 when is_default
  bool operator==(const BudgetOp&) const = default;
};

// The alternatives are in OpKind order: op.index() == static_cast<size_t>(KindOf(op)).
using Op = std::variant<UpdateOp, QueryOp, KvPutOp, KvGetOp, KvDeleteOp, MigrateOp, IntegrityCheckOp, ChecksumOp,
                        ChecksumChunkOp, ExportImportOp, ImportBadChecksumOp, ImportCancelOp, CompactOp, UpgradeOp,
                        ArmOp, CapacityOp, BudgetOp>;

enum class OpKind : uint8_t {
  kUpdate,
  kQuery,
  kKvPut,
  kKvGet,
  kKvDelete,
  kMigrate,
  kIntegrityCheck,
  kChecksum,
  kChecksumChunk,
  kExportImport,
  kImportBadChecksum,
  kImportCancel,
  kCompact,
  kUpgrade,
  kArm,
  kCapacity,
  kBudget,
};
inline constexpr int kOpKindCount = 17;
static_assert(std::variant_size_v<Op> == kOpKindCount, "one Op alternative per OpKind");

OpKind KindOf(const Op& op);
// The keyword that starts the op's line ("update", "kv-put", "import-bad-checksum", ...). Permanent: scenario
// files use them.
std::string_view OpKindName(OpKind kind);
// The inverse of OpKindName; false when `name` is not a keyword.
bool ParseOpKind(std::string_view name, OpKind* out);
// Whether ops of this kind run as a message (and so have an outcome). arm, capacity and budget do not: they
// change the conditions of the messages after them.
bool IsMessage(OpKind kind);

// How a message ended (ARCHITECTURE "The judgement after every message"): harness/faults' one vocabulary.
using faults::kOutcomeCount;
using faults::Outcome;
using faults::OutcomeName;
using faults::ParseOutcome;

}  // namespace stablevfs::ops
