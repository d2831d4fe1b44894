#include "harness/ops/judge.h"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <utility>

#include "failpoints/registry.h"
#include "harness/check/transition.h"
#include "harness/model/query.h"
#include "harness/ops/model_work.h"
#include "lib/core/trap.h"
#include "lib/db/db.h"
#include "lib/memory/memory_manager.h"

namespace stablevfs::ops {
namespace {

void Add(std::vector<Violation>* out, std::string_view property, std::string message) {
  out->push_back(Violation{std::string(property), std::move(message)});
}

// At most `max` problems, one per line, then how many more there were.
std::string Summarize(const std::vector<check::Problem>& problems, size_t max = 4) {
  std::string text;
  for (size_t i = 0; i < problems.size() && i < max; ++i) {
    if (!text.empty()) text += "; ";
    text += check::FormatProblem(problems[i]);
  }
  if (problems.size() > max) text += "; and " + std::to_string(problems.size() - max) + " more";
  return text;
}

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

using SqlRows = std::vector<std::vector<model::SqlValue>>;

void SortRows(SqlRows* rows) {
  std::sort(rows->begin(), rows->end(),
            [](const std::vector<model::SqlValue>& a, const std::vector<model::SqlValue>& b) {
              return model::CanonicalLess(a, b);
            });
}

// Every row of `sql` read through a Db's query connection, sorted canonically.
Result<SqlRows> ReadRows(Db& db, const std::string& sql) {
  SqlRows rows;
  Status status = db.Query([&](Connection& c) -> Status {
    Result<Rows> result = c.Query(sql);
    if (!result.ok()) return result.status();
    for (const Row& row : result->rows) rows.push_back(ToSqlRow(row));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  SortRows(&rows);
  return rows;
}

// The first difference between two sorted row sets, or "".
std::string DescribeRows(const SqlRows& expected, const SqlRows& actual) {
  if (expected.size() != actual.size()) {
    return std::to_string(expected.size()) + " rows vs " + std::to_string(actual.size()) + " rows";
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] != actual[i]) {
      return "row " + std::to_string(i + 1) + " (sorted) " + model::ToDisplayString(expected[i]) + " vs " +
             model::ToDisplayString(actual[i]);
    }
  }
  return "";
}

std::string DescribeMeta(const Meta& expected, const Meta& actual) {
  std::string out;
  const auto field = [&](const char* name, uint64_t a, uint64_t b) {
    if (a == b) return;
    if (!out.empty()) out += ", ";
    out += std::string(name) + " " + std::to_string(a) + " vs " + std::to_string(b);
  };
  field("version", expected.version, actual.version);
  field("page_size", expected.page_size, actual.page_size);
  field("db_size", expected.db_size, actual.db_size);
  field("schema_version", expected.schema_version, actual.schema_version);
  field("last_tx_id", expected.last_tx_id, actual.last_tx_id);
  field("flags", expected.flags, actual.flags);
  field("checksum", expected.checksum, actual.checksum);
  field("import_expected_checksum", expected.import_expected_checksum, actual.import_expected_checksum);
  field("import_written_until", expected.import_written_until, actual.import_written_until);
  field("import_total_size", expected.import_total_size, actual.import_total_size);
  field("import_base_offset", expected.import_base_offset, actual.import_base_offset);
  field("checksum_refresh_offset", expected.checksum_refresh_offset, actual.checksum_refresh_offset);
  field("checksum_refresh_hash", expected.checksum_refresh_hash, actual.checksum_refresh_hash);
  field("checksum_refresh_tx_id", expected.checksum_refresh_tx_id, actual.checksum_refresh_tx_id);
  field("db_base_offset", expected.db_base_offset, actual.db_base_offset);
  field("page_table_offset", expected.page_table_offset, actual.page_table_offset);
  field("page_count", expected.page_count, actual.page_count);
  field("layout_version", expected.layout_version, actual.layout_version);
  const size_t fields = std::max(expected.layout_fields.size(), actual.layout_fields.size());
  for (size_t i = 0; i < fields; ++i) {
    const MetaField* a = i < expected.layout_fields.size() ? &expected.layout_fields[i] : nullptr;
    const MetaField* b = i < actual.layout_fields.size() ? &actual.layout_fields[i] : nullptr;
    if (a != nullptr && b != nullptr && *a == *b) continue;
    if (!out.empty()) out += ", ";
    out += (a != nullptr ? a->name + " " + std::to_string(a->value) : std::string("(none)")) + " vs " +
           (b != nullptr ? b->name + " " + std::to_string(b->value) : std::string("(none)"));
  }
  return out;
}

// While the judge reads through the library, no failpoint may fire: the judge is not part of any message.
class VetoFailpoints {
 public:
  VetoFailpoints() : previous_(fp::SetHook([](const fp::Fire&) { return fp::Action::kOff; })) {}
  ~VetoFailpoints() { fp::SetHook(std::move(previous_)); }
  VetoFailpoints(const VetoFailpoints&) = delete;
  VetoFailpoints& operator=(const VetoFailpoints&) = delete;

 private:
  fp::Hook previous_;
};

}  // namespace

sqlite3* DecodedState::ImageDb() const {
  if (!resolved) throw std::logic_error("DecodedState::ImageDb: the logical file was not resolved");
  if (!image_db_) image_db_ = model::OpenImage(logical);
  return image_db_.get();
}

ImageFacts::ImageFacts(std::span<const uint8_t> logical) {
  try {
    db_ = model::OpenImageReadOnly(logical);
    if (!model::MainFileBytes(db_.get())) throw std::logic_error("a deserialized image is not in memdb");
  } catch (const std::exception& e) {
    db_.reset();
    open_error_ = e.what();
    logical_.assign(logical.begin(), logical.end());
  }
}

std::span<const uint8_t> ImageFacts::logical() const {
  if (db_) return *model::MainFileBytes(db_.get());
  return logical_;
}

sqlite3* ImageFacts::Db() {
  if (open_error_) throw std::runtime_error(*open_error_);
  return db_.get();
}

const model::CanonicalDump& ImageFacts::Dump(const model::DumpOptions& options) {
  const bool same_options = dump_options_ && *dump_options_ == options;
  if (!same_options) {
    dump_.reset();
    dump_error_.reset();
    dump_options_ = options;
    try {
      dump_serial_ = model::NextDumpSerial();  // a new dump (or a new failure): a new identity
      dump_ = model::DumpDatabase(Db(), options);
    } catch (const std::exception& e) {  // the judge reports any failure by its message
      dump_error_ = e.what();
    }
  }
  if (dump_error_) throw std::runtime_error(*dump_error_);
  return *dump_;
}

const ImageFacts::Tables& ImageFacts::ReadTables() {
  if (tables_) return *tables_;
  sqlite3* db = Db();
  Tables tables;
  tables.schema = model::RunQuery(
      db,
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL%' "
      "ORDER BY name");
  if (tables.schema.ok()) {
    for (const std::vector<model::SqlValue>& table : tables.schema.rows) {
      TableRows read;
      read.name = table.at(0).bytes;
      read.result = model::RunQuery(db, "SELECT * FROM " + QuoteIdentifier(read.name));
      read.rows = std::move(read.result.rows);
      read.result.rows.clear();
      SortRows(&read.rows);
      tables.tables.push_back(std::move(read));
    }
  }
  tables_ = std::move(tables);
  return *tables_;
}

std::shared_ptr<ImageFacts> Judge::FactsFor(std::span<const uint8_t> logical) const {
  for (size_t i = 0; i < facts_cache_.size(); ++i) {
    const std::span<const uint8_t> key = facts_cache_[i]->logical();
    // The whole file, byte for byte: equal bytes are the only reason to reuse an entry (see ImageFacts).
    if (key.size() == logical.size() && std::equal(key.begin(), key.end(), logical.begin())) {
      std::rotate(facts_cache_.begin(), facts_cache_.begin() + static_cast<ptrdiff_t>(i),
                  facts_cache_.begin() + static_cast<ptrdiff_t>(i) + 1);
      return facts_cache_.front();
    }
  }
  auto facts = std::make_shared<ImageFacts>(logical);
  facts_cache_.insert(facts_cache_.begin(), facts);
  if (facts_cache_.size() > kFactsCacheEntries) facts_cache_.pop_back();
  return facts;
}

uint64_t Fnv1a64Of(std::span<const uint8_t> bytes) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) hash = (hash ^ b) * 0x100000001b3ull;
  return hash;
}

uint64_t Fnv1a64Memo::Of(std::span<const uint8_t> bytes) {
  if (valid_ && bytes.size() == bytes_.size() && std::equal(bytes.begin(), bytes.end(), bytes_.begin())) {
    return hash_;
  }
  valid_ = false;
  bytes_.assign(bytes.begin(), bytes.end());
  hash_ = Fnv1a64Of(bytes_);
  valid_ = true;
  return hash_;
}

Judge::Judge(JudgeOptions options) : options_(std::move(options)) {}

model::DumpOptions Judge::dump_options() const {
  model::DumpOptions dump;
  dump.exclude_tables = options_.exclude_tables;
  return dump;
}

std::unique_ptr<DecodedState> Judge::Decode(const sim::MemorySnapshot& snapshot, bool full) const {
  auto state = std::make_unique<DecodedState>();
  state->raw = std::make_unique<SnapshotSource>(snapshot);
  if (options_.use_memory_manager) {
    state->manager = check::CheckMemoryManager(*state->raw);
    state->problems = state->manager.problems;
    // Every early return names why the image cannot be resolved: a verdict "does not decode" needs its reason.
    if (!state->manager.decoded) {
      state->resolve_error = "the MemoryManager header does not decode: " + Summarize(state->problems);
      return state;
    }
    const check::MemoryManagerHeader& header = state->manager.header;
    if (header.bucket_size_pages == 0 || header.memory_size_pages[options_.memory_id] == 0) {
      state->problems.push_back(check::Problem{check::ProblemKind::kMmNoMemory, 0,
                                               "memory " + std::to_string(options_.memory_id) + " has no bytes"});
      state->resolve_error = "memory " + std::to_string(options_.memory_id) + " has no bytes";
      return state;
    }
    state->memory = std::make_unique<check::VirtualMemorySource>(*state->raw, header, options_.memory_id);
    if (state->memory->truncated()) {
      state->problems.push_back(check::Problem{
          check::ProblemKind::kMmBackingSize, 0,
          "memory " + std::to_string(options_.memory_id) + " declares " +
              std::to_string(state->memory->declared_size_bytes()) + " bytes but only " +
              std::to_string(state->memory->size_bytes()) + " are backed"});
    }
    state->source = state->memory.get();
  } else {
    state->source = state->raw.get();
  }
  if (full) {
    state->layout = check::CheckImage(*state->source, {}, options_.layout);
    state->layout_checked = true;
    if (state->layout.decoded) {
      state->superblock = state->layout.superblock;
      try {
        state->logical = check::ResolveLogicalImage(*state->source, state->layout, options_.logical_bytes_max);
        state->resolved = true;
        state->facts = FactsFor(state->logical);
      } catch (const std::exception& e) {
        state->resolve_error = e.what();
      }
    } else {
      state->resolve_error = "no superblock of a registered layout: " + Summarize(state->layout.problems);
    }
  } else {
    state->superblock = check::DecodeSuperblock(*state->source, options_.layout);
  }
  return state;
}

CrashResolution Judge::SettlePageModel(Outcome outcome, bool query, bool new_state_possible,
                                       const DecodedState& after, model::PageModel& page_model,
                                       std::vector<Violation>* out) const {
  CrashResolution resolution = CrashResolution::kNone;
  switch (outcome) {
    case Outcome::kCommitted:
      // A query's writes are discarded by the IC whatever they were.
      if (query) {
        page_model.Discard();
      } else {
        page_model.Commit();
      }
      break;
    case Outcome::kError:
    case Outcome::kTrapped:
      page_model.Discard();
      break;
    case Outcome::kCrashed: {
      if (!after.resolved) {
        Add(out, property::kCrashAtomicity,
            "after the crash the image cannot be resolved: " + after.resolve_error);
        page_model.Discard();
        return CrashResolution::kNeither;
      }
      const bool is_old = after.logical == page_model.bytes();
      const bool is_new = page_model.has_pending() && after.logical == page_model.PendingImage();
      if (is_old) {
        resolution = CrashResolution::kOld;
        page_model.Discard();
      } else if (is_new && new_state_possible) {
        resolution = CrashResolution::kNew;
        page_model.Commit();
      } else {
        const std::vector<check::Problem> vs_old = check::CompareLogical(page_model.bytes(), after.logical);
        std::string message = "after the crash the logical file (" + std::to_string(after.logical.size()) +
                              " bytes) is neither the old state (" + std::to_string(page_model.size_bytes()) +
                              " bytes; " + Summarize(vs_old, 1) + ")";
        if (is_new) {
          message += " nor a new state that may persist here: it equals the writes SQLite had made so far, but the "
                     "crash struck before the commit was complete";
        } else if (page_model.has_pending()) {
          const std::vector<uint8_t> pending = page_model.PendingImage();
          message += " nor the new state (" + std::to_string(pending.size()) + " bytes; " +
                     Summarize(check::CompareLogical(pending, after.logical), 1) + ")";
        } else {
          message += " and the message wrote nothing new";
        }
        Add(out, property::kCrashAtomicity, message);
        page_model.Discard();
        return CrashResolution::kNeither;
      }
      break;
    }
  }
  if (!after.resolved) {
    Add(out, property::kImage, "the stable image does not decode to a logical file: " + after.resolve_error);
  } else if (after.logical != page_model.bytes()) {
    Add(out, property::kImage,
        "the decoded logical file differs from the page model: " +
            Summarize(check::CompareLogical(page_model.bytes(), after.logical), 1));
  }
  return resolution;
}

void Judge::CheckFsck(const DecodedState& after, std::vector<Violation>* out) const {
  std::vector<check::Problem> problems = after.problems;
  if (after.layout_checked) {
    problems.insert(problems.end(), after.layout.problems.begin(), after.layout.problems.end());
    if (after.layout.problems_suppressed > 0) {
      problems.push_back(check::Problem{check::ProblemKind::kTooSmall, 0,
                                        std::to_string(after.layout.problems_suppressed) + " problems suppressed"});
    }
  } else if (after.source == nullptr && problems.empty()) {
    problems.push_back(check::Problem{check::ProblemKind::kMmNoMemory, 0, "the database memory was not found"});
  }
  if (!problems.empty()) Add(out, property::kFsck, Summarize(problems));
}

void Judge::CheckTxId(const DecodedState& before, const DecodedState& after, uint64_t max_advance,
                      std::vector<Violation>* out) const {
  if (!before.superblock || !after.superblock) return;  // fsck reports a missing superblock
  const std::vector<check::Problem> problems =
      check::CheckTxIdTransition(*before.superblock, *after.superblock, max_advance);
  if (!problems.empty()) Add(out, property::kTxId, Summarize(problems));
}

void Judge::CheckActiveStateKept(const DecodedState& baseline, const DecodedState& after,
                                 std::vector<Violation>* out) const {
  if (baseline.source == nullptr || after.source == nullptr) {
    if (baseline.source != after.source) {
      Add(out, property::kActiveState, "the database memory appeared or disappeared in an error reply");
    }
    return;
  }
  const std::vector<check::Problem> problems =
      check::CompareActiveState(*baseline.source, *after.source, options_.layout);
  if (!problems.empty()) {
    Add(out, property::kActiveState,
        "an error reply changed the active superblock or page map: " + Summarize(problems));
  }
}

void Judge::CheckTrapRollback(sim::SimStableMemory& memory, const sim::MemorySnapshot& before,
                              std::vector<Violation>* out) const {
  if (memory.Matches(before)) return;
  std::string message = "after the trap stable memory differs from before the message";
  if (memory.size_pages() != before.size_pages()) {
    message += " (size " + std::to_string(before.size_pages()) + " -> " + std::to_string(memory.size_pages()) +
               " pages)";
  }
  Add(out, property::kTrapRollback, message);
}

void Judge::CheckData(const DecodedState& after, const model::DataModel& data_model,
                      std::vector<Violation>* out) const {
  if (!after.resolved) return;  // reported as an image violation
  try {
    const std::shared_ptr<ImageFacts> facts = after.facts ? after.facts : FactsFor(after.logical);
    const model::DumpOptions options = dump_options();
    const model::CanonicalDump& actual = facts->Dump(options);
    const model::CanonicalDump& expected = data_model.Snapshot(options);
    const uint64_t actual_serial = facts->dump_serial();
    const uint64_t expected_serial = data_model.snapshot_serial();
    // The same two dumps as last time (by identity, see DataComparison): the same finding.
    if (!last_data_comparison_ || last_data_comparison_->actual_serial != actual_serial ||
        last_data_comparison_->expected_serial != expected_serial || actual_serial == 0 || expected_serial == 0) {
      last_data_comparison_.reset();
      DataComparison comparison{actual_serial, expected_serial, model::DescribeDifference(expected, actual)};
      last_data_comparison_ = std::move(comparison);
    }
    if (const std::optional<std::string>& difference = last_data_comparison_->difference) {
      Add(out, property::kData, "the stored data differs from the data model: " + *difference);
    }
  } catch (const std::exception& e) {
    Add(out, property::kData, std::string("stock SQLite cannot read the decoded image: ") + e.what());
  }
}

void Judge::CheckLive(sim::Canister& canister, const sim::MemorySnapshot& after_snapshot,
                      const DecodedState& after, bool probe, std::vector<Violation>* out) const {
  Db* live = canister.db();
  if (live == nullptr) {
    Add(out, property::kReopen, "the canister cannot open its database: " + canister.init_status().ToString());
    return;
  }
  const bool importing = after.importing();
  VetoFailpoints veto;
  bool live_failed = false;
  try {
    if (!importing) {
      Result<std::string> integrity = live->IntegrityCheck();
      if (!integrity.ok()) {
        Add(out, property::kIntegrity, "integrity_check failed: " + integrity.status().ToString());
      } else if (*integrity != "ok") {
        Add(out, property::kIntegrity, "integrity_check: " + integrity->substr(0, 400));
      }
      if (probe) {
        Result<SqlRows> rows = ReadRows(*live, "SELECT count(*) FROM sqlite_schema");
        if (!rows.ok()) {
          Add(out, property::kProbe, "after the error a query fails: " + rows.status().ToString());
        }
      }
    }
  } catch (const std::exception& e) {
    Add(out, property::kIntegrity, std::string("reading the live handle ended the message: ") + e.what());
    live_failed = true;
  }
  if (live_failed) {
    canister.RebuildHeap();  // the live Db is poisoned; a canister would have trapped and rebuilt
    live = canister.db();
    if (live == nullptr) return;
  }

  // The fresh open: a new MemoryManager and Db on a read-only view of the same bytes.
  ReadOnlySnapshotMemory raw(after_snapshot);
  try {
    std::unique_ptr<MemoryManager> manager;
    StableMemory* memory = &raw;
    if (options_.use_memory_manager) {
      Result<std::unique_ptr<MemoryManager>> loaded = MemoryManager::Load(raw);
      if (!loaded.ok()) {
        Add(out, property::kFreshOpen, "a fresh MemoryManager cannot load the memory: " + loaded.status().ToString());
        return;
      }
      manager = std::move(loaded).value();
      Result<VirtualMemory*> virtual_memory = manager->Get(options_.memory_id);
      if (!virtual_memory.ok()) {
        Add(out, property::kFreshOpen, "no virtual memory: " + virtual_memory.status().ToString());
        return;
      }
      memory = *virtual_memory;
    }
    Db::Options fresh_options;
    fresh_options.layout = canister.options().layout;  // what the canister's post_upgrade would open it with
    Result<std::unique_ptr<Db>> opened = Db::Init(*memory, std::move(fresh_options));
    if (!opened.ok()) {
      Add(out, property::kFreshOpen, "a fresh open fails: " + opened.status().ToString());
      return;
    }
    Db& fresh = **opened;
    Result<DbMeta> fresh_meta = fresh.GetMeta();
    Result<DbMeta> live_meta = live->GetMeta();
    if (!fresh_meta.ok() || !live_meta.ok()) {
      Add(out, property::kFreshOpen, "GetMeta fails: fresh " + fresh_meta.status().ToString() + ", live " +
                                         live_meta.status().ToString());
    } else if (!(fresh_meta->superblock == live_meta->superblock)) {
      Add(out, property::kFreshOpen, "the fresh open and the live handle disagree on the superblock: " +
                                         DescribeMeta(live_meta->superblock, fresh_meta->superblock));
    }
    if (!importing && after.resolved) {
      // Every ordinary table, read three ways: stock SQLite on the decoded image (memoized per image, see
      // ImageFacts), the live handle, the fresh open.
      const std::shared_ptr<ImageFacts> facts = after.facts ? after.facts : FactsFor(after.logical);
      const ImageFacts::Tables& tables = facts->ReadTables();
      if (!tables.schema.ok()) {
        Add(out, property::kData, "the decoded image's schema cannot be read: " + tables.schema.error);
        return;
      }
      for (const ImageFacts::TableRows& image : tables.tables) {
        const std::string& name = image.name;
        const std::string sql = "SELECT * FROM " + QuoteIdentifier(name);
        const SqlRows& image_rows = image.rows;
        Result<SqlRows> live_rows = ReadRows(*live, sql);
        Result<SqlRows> fresh_rows = ReadRows(fresh, sql);
        if (!live_rows.ok() || !fresh_rows.ok() || !image.result.ok()) {
          Add(out, property::kFreshOpen, "table " + name + " cannot be read: live " + live_rows.status().ToString() +
                                             ", fresh " + fresh_rows.status().ToString() + ", image " +
                                             (image.result.ok() ? "ok" : image.result.error));
          continue;
        }
        if (std::string d = DescribeRows(*live_rows, *fresh_rows); !d.empty()) {
          Add(out, property::kFreshOpen, "table " + name + ": the live handle and a fresh open differ: " + d);
        } else if (std::string e = DescribeRows(image_rows, *live_rows); !e.empty()) {
          Add(out, property::kFreshOpen, "table " + name + ": the live handle and the stored image differ: " + e);
        }
      }
    }
  } catch (const std::exception& e) {
    Add(out, property::kFreshOpen, std::string("the fresh open ended in an exception: ") + e.what());
  }
  if (raw.change_attempted()) {
    Add(out, property::kFreshOpen, "opening the database tried to change stable memory: " + raw.first_change());
  }
}

}  // namespace stablevfs::ops
