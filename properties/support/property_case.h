// Property cases: the seeded operation lists the rapidcheck suites run, and the rapidcheck command shape that
// runs them on a Session.
//
// A case is a seed and a list of ops (harness/ops/op.h). rapidcheck picks the seed (from its own seeded
// Random, so RC_PARAMS="seed=..." fixes every case) and the length (from its size); everything else comes from
// our own seeded generators, never from a std:: distribution:
//
//   ops     OpGenerator(MixSeed(seed ^ 3)) with the suite's weights, arm ops switched off;
//   arms    "guided" arm ops for the suites with a crash model: a dry run of the ops on a Session whose every
//           site is armed and every firing vetoed by a failpoint hook learns where each op evaluates each site
//           inside its messages (OpHits), then a second stream (ops::Random(MixSeed(seed ^ 5))) puts
//           `arm <site>=nth(N):<action>` before some of the message ops (most of the ops that reach a site not
//           armed yet in the case), with the site drawn among those the op really reaches, rarely reached sites
//           first, and N among the evaluations it really makes (the first, the last, or any in between). That is how every catalogued site is armed at many ordinals, not only at its first hit,
//           without wasting arm ops on sites an op never reaches.
//   Session the case seed itself (the simulator's seeded choices and the failpoint PRNG), plus the suite's
//           session-wide faults (the negative controls).
//   extra   now and then (SuiteConfig::spill_percent) a SpillRollbackOp from ops::Random(MixSeed(seed ^ 9)).
// The same seed, length and suite therefore give the same ops and the same step records, byte for byte.
//
// Why a generator of whole op lists and not rc::state::gen::commands: the ops come from our seeded
// OpGenerator, whose schema model keeps the SQL mostly valid and whose stream is the one the `stablevfs`
// command and the scenario files share; letting rapidcheck pick command by command would need a second op
// generator written against rapidcheck's Gen. So rapidcheck draws one seed per case, we build the list, and
// shrinking removes chunks of it (rc::shrink::removeChunks, recursively). Every op is valid in every state
// (the interpreter classifies whatever happens), so no shrink is ever discarded for a precondition, and the
// seed stays fixed while the list shrinks: a shrunk case replays on a Session with the same seed.
//
// The commands still follow rapidcheck's state-machine shape (rc::state::Command): OpCommand::apply advances
// a light model (how many ops and messages ran, whether an arm is pending), run() sends the op to the system
// under test, a Session that holds the heavy models (page model, data model) and the judge, and RC_ASSERTs
// that the judgement table held; show() prints the op's scenario line. A failing case is shown by rapidcheck
// as a scenario file (`seed` line, then one op per line), and its log holds the same run as a complete
// scenario with `expect` lines, the session-wide faults made explicit and `expect-violation`.
#pragma once

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "failpoints/registry.h"
#include "harness/ops/interpreter.h"
#include "harness/ops/op.h"
#include "harness/ops/sql_generator.h"
#include "harness/ops/weights.h"
#include "harness/scenario/scenario.h"

namespace stablevfs::properties {

// The weights every suite starts from (applied over the generator's defaults). Arm ops are off because the
// guided arms replace them. Export, import, compaction, checksum and migration ops are more frequent than in
// the default mix so that the sites only they reach (import.*, compact.*, checksum.refresh_chunk,
// migrate.apply) are armed often enough. STABLEVFS_PROPERTY_WEIGHTS, when set, is applied on top of a suite's
// weights (e.g. "budget=0,capacity=0" to rule out resource traps while chasing a failure).
inline constexpr std::string_view kBaseWeights =
    "arm=0,migrate=4,export-import=3,import-bad-checksum=2,import-cancel=2,compact=4,checksum=3,checksum-chunk=3,"
    "upgrade=3";

// One property suite: which ops its cases hold and what is armed.
struct SuiteConfig {
  std::string name;                               // printed on every case line, e.g. "error"
  std::optional<scenario::CrashModel> arm_model;  // the crash model of the guided arms; nullopt: no arms
  std::string faults;                             // a spec armed for the whole session ("" for none)
  std::string weights;                            // applied over kBaseWeights
  uint32_t arm_percent = 40;                      // percent of message ops preceded by a guided arm
  uint32_t spill_percent = 5;                     // percent of ops that are a SpillRollbackOp
  size_t length_min = 6;                          // ops at rapidcheck size 0 (arm ops not counted)
  size_t length_max = 36;                         // ops at rapidcheck size 100 and above
  bool print_cases = true;                        // print one line per case (its seed and a digest)
  std::string layout = "";                        // the registered layout the cases run on ("" = default)
};

// The suites (one definition, so the coverage test runs exactly what the suites run).
SuiteConfig NoFaultSuite();                           // model agreement: no arms, no faults
SuiteConfig CrashModelSuite(scenario::CrashModel m);  // guided arms with the model's action
SuiteConfig NegativeControlSuite(std::string name, std::string faults);  // session-wide storage faults

// The suite's weights: kBaseWeights, then config.weights, then STABLEVFS_PROPERTY_WEIGHTS.
// Throws std::invalid_argument when a text does not parse.
ops::GeneratorWeights WeightsOf(const SuiteConfig& config);

// The number of non-arm ops of a case at rapidcheck size `size` (0..100): linear from length_min to length_max.
size_t LengthForSize(const SuiteConfig& config, int size);

// Where an op of a dry run evaluates each site inside its messages: per site, the ordinals N (counted from the
// op's start, as an `arm <site>=nth(N):...` before the op counts them) of the evaluations made while a message
// ran. Evaluations by the judge between messages count towards N but are not listed: a failpoint armed there is
// vetoed, so an arm aimed at one would fire nowhere.
using OpHits = std::map<std::string, std::vector<uint64_t>, std::less<>>;

// One generated case.
struct CaseOps {
  uint64_t seed = 0;
  std::vector<ops::Op> ops;
};

// An update whose rolled-back savepoint spills pages to the file and so makes SQLite truncate it at commit:
// with a tiny page cache, `rows` rows of 20 KB are inserted into a table `spill` inside a savepoint that is
// rolled back. The generator has no such op, and without auto_vacuum nothing else truncates the file, so the
// overlay's truncate path (overlay.truncate) would never run. The table persists (empty).
ops::Op SpillRollbackOp(uint64_t rows);

// Builds the case of `seed` with `length` non-arm ops (see the header comment). Runs a dry Session when the
// suite has a crash model. Deterministic in (config, seed, length).
CaseOps BuildCase(const SuiteConfig& config, uint64_t seed, size_t length);

// How often each site was reached (by ops of the dry run) and armed so far in a case.
struct SiteTally {
  std::map<std::string, uint64_t, std::less<>> reached;
  std::map<std::string, uint64_t, std::less<>> armed;
};

// The arm op a guided draw puts before an op that hit `hits`, or nullopt when none of the sites the op hit
// can take the model's action. With a `tally` (may be null), a site is drawn in inverse proportion to how often
// it was reached and armed before in the case, and the chosen site is counted as armed. Exposed for the tests
// of the generator itself.
std::optional<ops::ArmOp> GuidedArm(scenario::CrashModel model, const OpHits& hits, ops::Random& random,
                                    SiteTally* tally = nullptr);

// The options of every Session a case of `config` runs on (the dry run's too, without the faults): the seed
// and the suite's session-wide faults.
ops::SessionOptions SessionOptionsFor(const SuiteConfig& config, uint64_t seed);

// ---- the command shape ----

// The light model rapidcheck threads through the commands.
struct PropertyModel {
  size_t ops_run = 0;
  size_t messages = 0;       // message ops run (an op may send several messages; counted once here)
  bool arm_pending = false;  // an arm op waits for the next message op
};

// The system under test as the commands see it: a Session (canister, reference models, judge) and the record
// of what ran, from which a failing run is printed as a scenario file.
class SessionSut {
 public:
  SessionSut(const SuiteConfig& config, uint64_t seed);
  SessionSut(const SessionSut&) = delete;
  SessionSut& operator=(const SessionSut&) = delete;

  // Runs `op` and keeps its record.
  const ops::StepRecord& Run(const ops::Op& op);

  // The run so far as a scenario file: the session seed, the suite's crash model, every op with its outcome as
  // an `expect` line, the session-wide faults materialized before every message (so that the file replays on
  // its own), and the first violation as `expect-violation`.
  std::string Scenario() const;

  ops::Session& session() { return session_; }
  const std::vector<ops::Op>& ops() const { return ops_; }
  const std::vector<ops::StepRecord>& records() const { return records_; }
  const SuiteConfig& config() const { return config_; }
  uint64_t seed() const { return seed_; }

 private:
  SuiteConfig config_;
  uint64_t seed_;
  ops::Session session_;
  std::vector<ops::Op> ops_;
  std::vector<ops::StepRecord> records_;
};

// One op as a rapidcheck command. Immutable, as rapidcheck requires.
class OpCommand final : public rc::state::Command<PropertyModel, SessionSut> {
 public:
  explicit OpCommand(ops::Op op) : op_(std::move(op)) {}

  // Every op is valid in every state: the interpreter runs whatever it is given and classifies the outcome,
  // and an arm without a following message simply expires. So no precondition, and no shrink is discarded.
  void checkPreconditions(const PropertyModel& model) const override;
  void apply(PropertyModel& model) const override;
  // Sends the op; RC_ASSERTs that every message it sent was judged without a violation (and RC_LOGs the run as
  // a scenario file when not).
  void run(const PropertyModel& model, SessionSut& sut) const override;
  // The op's scenario line (physical lines, as a file holds them).
  void show(std::ostream& os) const override;

  const ops::Op& op() const { return op_; }

 private:
  ops::Op op_;
};

using Commands = rc::state::Commands<OpCommand::CommandType>;

// A generated case as rapidcheck holds it: the seed and the commands.
struct PropertyCase {
  uint64_t seed = 0;
  Commands commands;

  std::vector<ops::Op> Ops() const;
};
// rapidcheck shows a case as a scenario file: a `seed` line, then one op per line.
void showValue(const PropertyCase& value, std::ostream& os);

// The generator of a suite's cases: the seed from rapidcheck's Random (uniform over 64 bits), the length from
// its size; shrinks by removing chunks of commands, recursively, the seed kept.
rc::Gen<PropertyCase> GenPropertyCase(SuiteConfig config);

// The property body: runs the case's commands on a fresh SessionSut with rc::state::runAll. Prints one line per
// case (unless the suite failed already, i.e. rapidcheck is shrinking): the suite, the seed, ops, messages,
// outcomes, and a digest of every step record, so two runs of one seed can be compared at a glance.
void CheckCase(const SuiteConfig& config, const PropertyCase& value);

// ---- helpers shared by the tests ----

// A summary of a run's records: "ops=12 messages=15 committed=9 error=2 trapped=1 crashed=1 fired=3 digest=..."
std::string Summarize(const std::vector<ops::StepRecord>& records, uint64_t messages);
// FNV-1a 64 of every record's ToString, in order.
uint64_t RecordsDigest(const std::vector<ops::StepRecord>& records);

// Whether the binary runs under AddressSanitizer (the suites then run fewer cases in their own loops).
bool UnderSanitizer();

// Adds the fired counters of `snapshot` to `*total` (hits are added too).
void Accumulate(const fp::HitSnapshot& snapshot, fp::HitSnapshot* total);

}  // namespace stablevfs::properties
