// OpGenerator: a seeded stream of operations (op.h), drawn with tunable weights (weights.h).
//
//   OpGenerator gen(seed, {.weights = ParseWeights("update=60,arm=0").value()});
//   for (int i = 0; i < n; ++i) std::cout << PrintOp(gen.Next()) << "\n";
//
// Guarantees:
//  - The same seed and options give the same ops, byte for byte, on every machine and standard library: every
//    decision comes from one std::mt19937_64 through our own range reduction; nothing reads the clock or
//    iterates a hashed container. (The default arm sites come from the failpoint catalogue tables, so adding a
//    failpoint to a catalogue changes the stream from the first arm op on.)
//  - Every op it returns is canonical: ParseOp(PrintOp(op)) == op.
//  - It keeps a model of what the ops did (the schema, the kv keys, the migration versions) so that later ops
//    are mostly valid. It assumes each op ends as planned(); a caller that runs the ops can report the real
//    outcome with Observe(), and the model then follows the system instead of the plan.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "failpoints/failpoint.h"
#include "harness/ops/op.h"
#include "harness/ops/sql_generator.h"
#include "harness/ops/weights.h"

namespace stablevfs::ops {

// A failpoint an `arm` op may name, and the actions it may be armed with.
struct ArmSite {
  std::string name;
  std::vector<fp::Action> actions;
};

// Every lib/ site of the catalogue (error, trap, crash) and the simulator's memory.write (trap, crash, torn).
// Storage faults (lost, misdirect, bitflip) are left out: they are negative controls, not workload.
std::vector<ArmSite> DefaultArmSites();

struct GeneratorOptions {
  GeneratorWeights weights;
  std::vector<ArmSite> arm_sites = DefaultArmSites();  // empty: arm ops are not generated
  uint32_t kv_key_count = 48;                           // keys are k0 .. k<kv_key_count - 1>
};

class OpGenerator {
 public:
  explicit OpGenerator(uint64_t seed, GeneratorOptions options = {});
  // The SQL generator refers to options_: an OpGenerator stays where it was built.
  OpGenerator(const OpGenerator&) = delete;
  OpGenerator& operator=(const OpGenerator&) = delete;

  // The next operation. Applies its planned effect to the model.
  Op Next();

  // How the last op is meant to end if nothing is armed and no limit is hit: kCommitted, or kError for a
  // deliberate failure (a fatal constraint violation, a write on a query connection, a failing migration,
  // checksum-chunk 0, import-bad-checksum). Ops that are not messages (arm, capacity, budget) plan kCommitted.
  Outcome planned() const { return planned_; }
  // For the last op, if it was an update: what each statement is meant to do. Empty otherwise.
  const std::vector<StatementIntent>& intents() const { return intents_; }

  // Optional feedback: how the last op really ended. Anything but kCommitted undoes the last op's effect on
  // the model (for kCrashed, pass kCommitted if the new state survived). Idempotent until the next Next().
  void Observe(Outcome outcome);

  uint64_t seed() const { return seed_; }
  const GeneratorOptions& options() const { return options_; }
  const SchemaModel& model() const { return sql_.model(); }
  const SqlStats& sql_stats() const { return sql_.stats(); }
  // Ops generated so far, by kind.
  const std::array<uint64_t, kOpKindCount>& op_counts() const { return op_counts_; }
  // The kv keys the model believes present, in key order.
  std::vector<std::string> KvKeysPresent() const;
  // The migration version the model believes stored in the superblock.
  uint64_t schema_version() const { return state_.schema_version; }

 private:
  // Everything Observe may have to roll back, besides the schema model (which the SqlGenerator holds).
  struct State {
    std::vector<bool> kv_present;  // indexed by key number
    bool kv_exists = false;        // some kv-put has run, so the kv table exists
    uint64_t schema_version = 0;   // what the superblock holds
    uint64_t version_max = 0;      // the highest version ever applied (new versions go above it)
    std::vector<MigrationSpec> applied;
  };

  Op NextOfKind(OpKind kind);
  Op NextMigrate();
  ValueSpec NextValue();
  std::string NextArmSpec();
  std::string Key(uint64_t number) const;
  uint64_t PickKey(bool prefer_present);

  uint64_t seed_;
  GeneratorOptions options_;
  Random random_;
  SqlGenerator sql_;
  State state_;
  State before_;  // the state before the last op
  SchemaModel schema_before_;
  Outcome planned_ = Outcome::kCommitted;
  std::vector<StatementIntent> intents_;
  std::array<uint64_t, kOpKindCount> op_counts_{};
};

}  // namespace stablevfs::ops
