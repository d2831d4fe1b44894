#include "harness/ops/op_generator.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "harness/sim/sim_failpoints.h"
#include "lib/core/failpoint_catalogue.h"

namespace stablevfs::ops {
namespace {

// Chunk sizes for checksum-chunk: 0 (an error by contract), sub-page, page-sized and multi-page steps.
constexpr uint64_t kChecksumChunkSizes[] = {0, 1, 4096, 16384, 65536, uint64_t{1} << 20};
constexpr uint64_t kBudgets[] = {200'000, 1'000'000, 5'000'000, 50'000'000, 1'000'000'000};

}  // namespace

std::vector<ArmSite> DefaultArmSites() {
  std::vector<ArmSite> out;
  for (const fp::SiteInfo& site : LibraryFailpoints()) {
    ArmSite arm{std::string(site.name), {}};
    for (fp::Action action : {fp::Action::kError, fp::Action::kTrap, fp::Action::kCrash}) {
      if (site.Accepts(action)) arm.actions.push_back(action);
    }
    if (!arm.actions.empty()) out.push_back(std::move(arm));
  }
  for (const fp::SiteInfo& site : sim::SimFailpoints()) {
    ArmSite arm{std::string(site.name), {}};
    for (fp::Action action : {fp::Action::kTrap, fp::Action::kCrash, fp::Action::kTorn}) {
      if (site.Accepts(action)) arm.actions.push_back(action);
    }
    if (!arm.actions.empty()) out.push_back(std::move(arm));
  }
  return out;
}

OpGenerator::OpGenerator(uint64_t seed, GeneratorOptions options)
    : seed_(seed), options_(std::move(options)), random_(seed), sql_(random_, options_.weights) {
  assert(options_.kv_key_count > 0);
  state_.kv_present.assign(options_.kv_key_count, false);
}

Op OpGenerator::Next() {
  before_ = state_;
  schema_before_ = sql_.model();
  planned_ = Outcome::kCommitted;
  intents_.clear();
  std::array<uint32_t, kOpKindCount> weights = options_.weights.op;
  if (options_.arm_sites.empty()) weights[static_cast<size_t>(OpKind::kArm)] = 0;
  uint64_t sum = 0;
  for (uint32_t w : weights) sum += w;
  // Only arm was enabled and there is nothing to arm: fall back to updates rather than loop.
  const OpKind kind = sum == 0 ? OpKind::kUpdate : static_cast<OpKind>(random_.Weighted(weights));
  Op op = NextOfKind(kind);
  ++op_counts_[static_cast<size_t>(KindOf(op))];
  return op;
}

void OpGenerator::Observe(Outcome outcome) {
  if (outcome == Outcome::kCommitted) return;
  state_ = before_;
  sql_.set_model(schema_before_);
}

std::string OpGenerator::Key(uint64_t number) const { return "k" + std::to_string(number); }

uint64_t OpGenerator::PickKey(bool prefer_present) {
  if (prefer_present && random_.Percent(80)) {
    std::vector<uint64_t> present;
    for (uint64_t i = 0; i < state_.kv_present.size(); ++i) {
      if (state_.kv_present[i]) present.push_back(i);
    }
    if (!present.empty()) return present[random_.Below(present.size())];
  }
  return random_.Below(state_.kv_present.size());
}

std::vector<std::string> OpGenerator::KvKeysPresent() const {
  // Sorted as strings (k0, k1, k10, ...), the order the kv table returns them in.
  std::vector<std::string> keys;
  for (uint64_t i = 0; i < state_.kv_present.size(); ++i) {
    if (state_.kv_present[i]) keys.push_back(Key(i));
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

ValueSpec OpGenerator::NextValue() {
  const std::span<const uint64_t> boundary = SqlGenerator::BoundaryBlobSizes();
  const uint64_t size = random_.Percent(40) ? boundary[random_.Below(boundary.size())] : random_.Below(2000);
  const uint64_t shape = random_.Below(100);
  if (shape < 10) return ValueSpec::Text("v" + std::to_string(random_.Below(1'000'000)));
  if (shape < 25 || size == 0) {
    std::string bytes;
    const uint64_t length = random_.Below(9);
    for (uint64_t i = 0; i < length; ++i) bytes += static_cast<char>(random_.Below(256));
    return ValueSpec::Hex(std::move(bytes));
  }
  if (shape < 45) return ValueSpec::Fill(size, static_cast<uint8_t>(random_.Below(256)));
  return ValueSpec::Pattern(size, random_.Below(uint64_t{1} << 32));
}

std::string OpGenerator::NextArmSpec() {
  const std::vector<ArmSite>& sites = options_.arm_sites;
  const uint64_t entries = sites.size() > 1 && random_.Percent(15) ? 2 : 1;
  const uint64_t first = random_.Below(sites.size());
  std::string spec;
  for (uint64_t e = 0; e < entries; ++e) {
    // A second entry names a different site: a spec names each site at most once.
    const ArmSite& site = sites[e == 0 ? first : (first + random_.Between(1, sites.size() - 1)) % sites.size()];
    const std::string action(fp::ActionName(site.actions[random_.Below(site.actions.size())]));
    std::string term;
    const uint64_t shape = random_.Below(100);
    if (shape < 30) {
      term = action;  // every hit
    } else if (shape < 65) {
      term = "nth(" + std::to_string(random_.Between(1, 4)) + "):" + action;
    } else if (shape < 75) {
      term = "after(" + std::to_string(random_.Below(4)) + "):" + action;
    } else if (shape < 85) {
      term = "every(" + std::to_string(random_.Between(2, 4)) + "):" + action;
    } else if (shape < 95) {
      term = std::to_string(random_.Between(1, 3)) + "*off->1*" + action;
    } else {
      term = "50%" + action;
    }
    if (!spec.empty()) spec += ';';
    spec += site.name + "=" + term;
  }
  return spec;
}

Op OpGenerator::NextMigrate() {
  if (random_.Percent(options_.weights.migrate_fail_percent)) {
    planned_ = Outcome::kError;
    const uint64_t version = state_.version_max + 1;
    MigrateOp op;
    const uint64_t shape = random_.Below(3);
    if (shape == 0) {
      // Duplicate versions: Db::Migrate refuses the list before running anything.
      const std::string sql = "CREATE TABLE dup" + std::to_string(version) + "(a)";
      op.migrations = {{version, sql}, {version, sql}};
    } else if (shape == 1) {
      // A good migration, then a failing one: both roll back, schema_version stays.
      op.migrations.push_back({version, sql_.NextMigrationSql()});
      op.migrations.push_back({version + 1, sql_.FailingMigrationSql(version + 1)});
    } else {
      op.migrations.push_back({version, sql_.FailingMigrationSql(version)});
    }
    sql_.set_model(schema_before_);  // nothing of a failing migrate survives
    return op;
  }
  MigrateOp op;
  // Canisters pass their whole list every time; applied versions are skipped. Repeat the newest applied one
  // now and then, but only while the superblock still has it (an import resets schema_version to 0).
  if (!state_.applied.empty() && state_.applied.back().version <= state_.schema_version && random_.Percent(30)) {
    op.migrations.push_back(state_.applied.back());
  }
  const uint64_t version = ++state_.version_max;
  op.migrations.push_back({version, sql_.NextMigrationSql()});
  state_.applied.push_back(op.migrations.back());
  state_.schema_version = version;
  return op;
}

Op OpGenerator::NextOfKind(OpKind kind) {
  switch (kind) {
    case OpKind::kUpdate: {
      GeneratedUpdate update = sql_.NextUpdate();
      intents_ = std::move(update.intents);
      planned_ = update.fails ? Outcome::kError : Outcome::kCommitted;
      return UpdateOp{std::move(update.statements)};
    }
    case OpKind::kQuery: {
      bool writes = false;
      std::string sql = sql_.NextQuery(state_.kv_exists, &writes);
      planned_ = writes ? Outcome::kError : Outcome::kCommitted;
      return QueryOp{std::move(sql)};
    }
    case OpKind::kKvPut: {
      const uint64_t key = PickKey(random_.Percent(50));
      state_.kv_present[key] = true;
      state_.kv_exists = true;
      return KvPutOp{Key(key), NextValue()};
    }
    case OpKind::kKvGet:
    case OpKind::kKvDelete: {
      // Until a kv-put has created the table, a get or delete could only fail for want of it.
      if (!state_.kv_exists) return NextOfKind(OpKind::kKvPut);
      const uint64_t key = PickKey(true);
      if (kind == OpKind::kKvGet) return KvGetOp{Key(key)};
      state_.kv_present[key] = false;
      return KvDeleteOp{Key(key)};
    }
    case OpKind::kMigrate:
      return NextMigrate();
    case OpKind::kIntegrityCheck:
      return IntegrityCheckOp{};
    case OpKind::kChecksum:
      return ChecksumOp{};
    case OpKind::kChecksumChunk: {
      const uint64_t max_bytes = kChecksumChunkSizes[random_.Below(std::size(kChecksumChunkSizes))];
      if (max_bytes == 0) planned_ = Outcome::kError;
      return ChecksumChunkOp{max_bytes};
    }
    case OpKind::kExportImport:
      state_.schema_version = 0;  // a finished import resets it (REFERENCE 3.3)
      return ExportImportOp{};
    case OpKind::kImportBadChecksum:
      planned_ = Outcome::kError;
      return ImportBadChecksumOp{};
    case OpKind::kImportCancel:
      return ImportCancelOp{};
    case OpKind::kCompact:
      return CompactOp{};
    case OpKind::kUpgrade:
      return UpgradeOp{};
    case OpKind::kArm:
      return ArmOp{NextArmSpec()};
    case OpKind::kCapacity: {
      const uint64_t shape = random_.Below(100);
      if (shape < 25) return CapacityOp{CapacityOp::Mode::kDefault, 0};
      if (shape < 85) return CapacityOp{CapacityOp::Mode::kAboveCurrent, random_.Below(9)};
      return CapacityOp{CapacityOp::Mode::kAbsolute, random_.Between(1, 64)};
    }
    case OpKind::kBudget:
      if (random_.Percent(30)) return BudgetOp{true, 0};
      return BudgetOp{false, kBudgets[random_.Below(std::size(kBudgets))]};
  }
  assert(false && "unhandled OpKind");
  return UpgradeOp{};
}

}  // namespace stablevfs::ops
