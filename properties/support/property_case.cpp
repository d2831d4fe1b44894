#include "properties/support/property_case.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "failpoints/catalogue.h"
#include "failpoints/failpoint.h"
#include "harness/driver/case_runner.h"
#include "harness/ops/op_generator.h"
#include "harness/ops/op_text.h"

namespace stablevfs::properties {
namespace {

// Applies `text` over `base`; throws with the column and the message when it does not parse.
ops::GeneratorWeights ApplyWeights(std::string_view what, std::string_view text, const ops::GeneratorWeights& base) {
  if (text.empty()) return base;
  ops::Parsed<ops::GeneratorWeights> parsed = ops::ParseWeights(text, base);
  if (!parsed.ok()) {
    throw std::invalid_argument(std::string(what) + " column " + std::to_string(parsed.error().column) + ": " +
                                parsed.error().message);
  }
  return parsed.value();
}

// The action the crash model arms at `site`, or nullopt when the site cannot take it (the driver's mapping).
// The sites asked about are those a dry run reached, so the layout reaches them.
std::optional<fp::Action> ActionAt(scenario::CrashModel model, std::string_view site) {
  const std::optional<fp::SiteInfo> info = fp::Catalogue::Global().Find(site);
  if (!info) return std::nullopt;
  return driver::ArmActionFor(model, *info);
}

// Records where the ops of a dry run evaluate each site inside a message. While it lives, every catalogued site
// is armed to fire on every evaluation, and a hook notes each firing (the site and its ordinal since the current
// op began) and vetoes it, so the run is an unarmed run. The judge installs its own vetoing hook while it checks
// a message, so its evaluations reach the hook of this class only as a gap in the ordinals. REQUIRES: created
// after the Session (whose constructor clears the registry); at most one at a time.
class HitRecorder {
 public:
  HitRecorder() {
    std::string spec;
    for (const fp::SiteInfo& site : fp::Catalogue::Global().All()) {
      // Any action the site takes will do: every firing is vetoed.
      const fp::Action action = site.Accepts(fp::Action::kTrap) ? fp::Action::kTrap : fp::Action::kError;
      spec += (spec.empty() ? "" : ";") + std::string(site.name) + "=" + std::string(fp::ActionName(action));
    }
    const fp::SpecStatus armed = fp::Arm(spec);
    if (!armed.ok()) throw std::logic_error("HitRecorder: " + armed.message());
    previous_ = fp::SetHook([this](const fp::Fire& fire) {
      const std::string_view name = fp::SiteName(fire.site);
      const auto start = start_.find(name);
      const uint64_t before = start == start_.end() ? 0 : start->second;
      hits_[std::string(name)].push_back(fire.hit - before);
      return fp::Action::kOff;
    });
  }
  ~HitRecorder() {
    fp::SetHook(std::move(previous_));
    for (const fp::SiteInfo& site : fp::Catalogue::Global().All()) fp::Disarm(site.name);
  }
  HitRecorder(const HitRecorder&) = delete;
  HitRecorder& operator=(const HitRecorder&) = delete;

  // Starts the record of an op.
  void BeginOp() {
    hits_.clear();
    start_ = fp::Snapshot().hits;
  }
  // The record of the op since BeginOp.
  const OpHits& hits() const { return hits_; }

 private:
  fp::Hook previous_;
  std::map<std::string, uint64_t, std::less<>> start_;
  OpHits hits_;
};

// FNV-1a 64, continued from `hash`.
uint64_t Fnv1a(uint64_t hash, std::string_view text) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

std::string Hex(uint64_t value) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (int shift = 60; shift >= 0; shift -= 4) out += kDigits[(value >> shift) & 0xf];
  return out;
}

// Suites that failed in this process: rapidcheck is shrinking them, and a line per shrink attempt would bury
// the report.
std::set<std::string>& FailedSuites() {
  static std::set<std::string> suites;
  return suites;
}

}  // namespace

// ---- suites ----

SuiteConfig NoFaultSuite() {
  SuiteConfig config;
  config.name = "no-faults";
  config.length_max = 48;  // no dry run, so longer cases cost the same as the armed suites
  return config;
}

SuiteConfig CrashModelSuite(scenario::CrashModel model) {
  SuiteConfig config;
  config.name = std::string(scenario::CrashModelName(model));
  config.arm_model = model;
  return config;
}

SuiteConfig NegativeControlSuite(std::string name, std::string faults) {
  SuiteConfig config;
  config.name = std::move(name);
  config.faults = std::move(faults);
  config.length_min = 4;
  config.length_max = 30;
  return config;
}

ops::GeneratorWeights WeightsOf(const SuiteConfig& config) {
  ops::GeneratorWeights weights = ApplyWeights("kBaseWeights", kBaseWeights, ops::GeneratorWeights{});
  weights = ApplyWeights("suite weights", config.weights, weights);
  if (const char* env = std::getenv("STABLEVFS_PROPERTY_WEIGHTS")) {
    weights = ApplyWeights("STABLEVFS_PROPERTY_WEIGHTS", env, weights);
  }
  return weights;
}

size_t LengthForSize(const SuiteConfig& config, int size) {
  const size_t clamped = static_cast<size_t>(std::clamp(size, 0, 100));
  return config.length_min + (config.length_max - config.length_min) * clamped / 100;
}

// ---- building a case ----

std::optional<ops::ArmOp> GuidedArm(scenario::CrashModel model, const OpHits& hits, ops::Random& random,
                                    SiteTally* tally) {
  std::vector<const OpHits::value_type*> candidates;  // in name order: the draw does not depend on hashing
  std::vector<uint32_t> weights;
  for (const auto& entry : hits) {
    if (entry.second.empty() || !ActionAt(model, entry.first)) continue;
    candidates.push_back(&entry);
    // Most ops reach sqlite.step, overlay.write and memory.write; a site that only compaction or an import
    // reaches would be drawn rarely if every reached site were as likely. So a site is drawn in inverse
    // proportion to how often it was reached and armed before in this case.
    uint64_t seen = 0;
    if (tally != nullptr) {
      const auto reached = tally->reached.find(entry.first);
      const auto armed = tally->armed.find(entry.first);
      seen = (reached == tally->reached.end() ? 0 : reached->second) +
             4 * (armed == tally->armed.end() ? 0 : armed->second);
    }
    weights.push_back(static_cast<uint32_t>(1'000'000 / (1 + seen)));
  }
  if (candidates.empty()) return std::nullopt;
  const OpHits::value_type& chosen = *candidates[random.Weighted(weights)];
  const std::string& site = chosen.first;
  const std::vector<uint64_t>& ordinals = chosen.second;
  if (tally != nullptr) ++tally->armed[site];
  // The first and the last evaluation are the boundaries a recovery path is most likely to get wrong; in
  // between, any.
  const uint64_t shape = random.Below(4);
  const uint64_t nth = shape == 0   ? ordinals.front()
                       : shape == 1 ? ordinals.back()
                                    : ordinals[random.Below(ordinals.size())];
  std::string action(fp::ActionName(*ActionAt(model, site)));
  if (action == "torn") {
    // The decorator chooses the torn shape when no argument is given; name it now and then.
    const uint64_t torn = random.Below(3);
    if (torn == 1) action = "torn(prefix)";
    if (torn == 2) action = "torn(subset)";
  }
  std::string term = "nth(" + std::to_string(nth) + "):" + action;
  // An `error` can be returned again and again in one message (a retrying caller); a trap or a crash ends the
  // message at its first firing, so for them `after` is the same as `nth`.
  if (model == scenario::CrashModel::kError && random.Percent(15)) {
    term = "after(" + std::to_string(nth - 1) + "):" + action;
  }
  return ops::ArmOp{site + "=" + term};
}

ops::Op SpillRollbackOp(uint64_t rows) {
  // -32768 is the cache size lib/db gives its connections (sqlite_connection.cpp); a fault that ends the update
  // early leaves the small cache until the next reboot, which only makes later commits spill too.
  const std::string sql =
      "PRAGMA cache_size = 4; CREATE TABLE IF NOT EXISTS spill(id INTEGER PRIMARY KEY, v BLOB); SAVEPOINT spill; "
      "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < " + std::to_string(rows) +
      ") INSERT INTO spill SELECT i, zeroblob(20000) FROM r; ROLLBACK TO spill; RELEASE spill; "
      "PRAGMA cache_size = -32768";
  ops::Parsed<std::vector<ops::Statement>> statements = ops::SplitStatements(sql);
  assert(statements.ok());
  return ops::UpdateOp{statements.value()};
}

CaseOps BuildCase(const SuiteConfig& config, uint64_t seed, size_t length) {
  CaseOps out;
  out.seed = seed;
  ops::GeneratorOptions options;
  options.weights = WeightsOf(config);
  options.arm_sites.clear();  // the guided arms below replace the generator's own
  ops::OpGenerator generator(ops::MixSeed(seed ^ 3), options);
  ops::Random spill(ops::MixSeed(seed ^ 9));
  // The next op: the generator's, or now and then a spill-and-roll-back update (see SpillRollbackOp).
  const auto next = [&] {
    if (config.spill_percent > 0 && spill.Percent(config.spill_percent)) return SpillRollbackOp(spill.Between(8, 40));
    return generator.Next();
  };
  if (!config.arm_model) {
    // Without arms nothing needs the real outcomes: the generator's plan is what a correct system does.
    for (size_t i = 0; i < length; ++i) out.ops.push_back(next());
    return out;
  }

  // Dry run: each op runs first on an unarmed Session, which tells how often it hits every site; the arm is
  // drawn from those hits. The generator's model is then told what the armed run will most likely do: an op
  // whose armed site fires does not take effect (an error or a trap never does, and a crash usually strikes
  // before the publish), and an unarmed op as the generator planned it, so the ops after it are generated
  // against the state the system under test will really have. Without that, a failed CREATE TABLE would turn
  // the rest of the case into errors. The dry Session itself still applies every op (it cannot be rolled
  // back), so once an armed op diverges its hit counts are estimates: they only guide the draw.
  ops::Random random(ops::MixSeed(seed ^ 5));
  SiteTally tally;
  ops::SessionOptions dry_options = SessionOptionsFor(config, seed);
  dry_options.faults = "";  // the dry run counts the hits of the op as the workload makes them
  ops::Session dry(dry_options);
  HitRecorder recorder;
  for (size_t i = 0; i < length; ++i) {
    ops::Op op = next();
    const bool generated = !(std::holds_alternative<ops::UpdateOp>(op) &&
                             std::get<ops::UpdateOp>(op).statements.front().sql == "PRAGMA cache_size = 4");
    recorder.BeginOp();
    dry.Run(op);
    // An op that reaches a site not armed yet in this case is armed more often: such ops (compaction, the
    // imports, a migration) are rare, and they are the only way to those sites.
    bool reaches_unarmed = false;
    for (const auto& [site, ordinals] : recorder.hits()) {
      reaches_unarmed = reaches_unarmed ||
                        (!ordinals.empty() && ActionAt(*config.arm_model, site) && tally.armed.count(site) == 0);
    }
    std::optional<ops::ArmOp> arm;
    const uint32_t percent = reaches_unarmed ? std::max<uint32_t>(config.arm_percent, 75) : config.arm_percent;
    if (ops::IsMessage(ops::KindOf(op)) && random.Percent(percent)) {
      arm = GuidedArm(*config.arm_model, recorder.hits(), random, &tally);
    }
    for (const auto& [site, ordinals] : recorder.hits()) {
      if (!ordinals.empty()) ++tally.reached[site];
    }
    // An unarmed op is taken to end as the generator planned: the dry Session's own outcome would be wrong
    // once it has diverged (it applied ops that the armed run will not).
    if (arm && generated) generator.Observe(ops::Outcome::kError);
    if (arm) out.ops.push_back(std::move(*arm));
    out.ops.push_back(std::move(op));
  }
  return out;
}

// ---- the command shape ----

ops::SessionOptions SessionOptionsFor(const SuiteConfig& config, uint64_t seed) {
  return driver::SessionOptionsFor(
      driver::RunConfig{config.layout, config.arm_model.value_or(scenario::CrashModel::kIc), config.faults}, seed);
}

SessionSut::SessionSut(const SuiteConfig& config, uint64_t seed)
    : config_(config), seed_(seed), session_(SessionOptionsFor(config, seed)) {}

const ops::StepRecord& SessionSut::Run(const ops::Op& op) {
  ops_.push_back(op);
  records_.push_back(session_.Run(op));
  return records_.back();
}

std::string SessionSut::Scenario() const {
  std::optional<std::string> violation;
  size_t violation_step = 0;
  for (size_t i = 0; i < records_.size() && !violation; ++i) {
    if (!records_[i].ok()) {
      violation = records_[i].violations.front().property;
      violation_step = i;
    }
  }
  // The ops with the session-wide faults re-armed before every message, as driver::MaterializeFaults places
  // them (before the arm ops that precede the message, so those still win), with the records aligned.
  std::vector<ops::Op> ops;
  std::vector<ops::StepRecord> records;
  size_t pending_start = 0;
  for (size_t i = 0; i < ops_.size(); ++i) {
    if (!ops::IsMessage(ops::KindOf(ops_[i]))) continue;
    if (!config_.faults.empty()) {
      ops.push_back(ops::ArmOp{config_.faults});
      records.push_back(ops::StepRecord{});  // an inserted arm has no outcome
    }
    for (size_t k = pending_start; k <= i; ++k) {
      ops.push_back(ops_[k]);
      records.push_back(records_[k]);
    }
    pending_start = i + 1;
  }
  for (size_t k = pending_start; k < ops_.size(); ++k) {
    ops.push_back(ops_[k]);
    records.push_back(records_[k]);
  }
  assert(ops == driver::MaterializeFaults(ops_, config_.faults));
  std::vector<std::string> comments = {
      " property suite " + config_.name + ", case seed " + std::to_string(seed_) + ": " +
      Summarize(records_, session_.messages())};
  if (!config_.faults.empty()) comments.push_back(" session-wide faults " + config_.faults + ", re-armed before every message");
  if (violation) {
    const ops::Violation& v = records_[violation_step].violations.front();
    comments.push_back(" first violation at op " + std::to_string(violation_step) + ": " + v.property + ": " +
                       v.message.substr(0, 300));
  }
  const scenario::CrashModel model = config_.arm_model.value_or(scenario::CrashModel::kIc);
  return scenario::PrintScenario(driver::MakeScenario(seed_, driver::RunConfig{config_.layout, model, ""}, ops,
                                                      records, violation, std::move(comments)));
}

void OpCommand::checkPreconditions(const PropertyModel& /*model*/) const {}

void OpCommand::apply(PropertyModel& model) const {
  ++model.ops_run;
  if (ops::IsMessage(ops::KindOf(op_))) {
    ++model.messages;
    model.arm_pending = false;
  } else if (ops::KindOf(op_) == ops::OpKind::kArm) {
    model.arm_pending = true;
  }
}

void OpCommand::run(const PropertyModel& model, SessionSut& sut) const {
  const ops::StepRecord& record = sut.Run(op_);
  if (!record.ok()) {
    FailedSuites().insert(sut.config().name);
    RC_LOG() << "op " << model.ops_run << " was judged with a violation:\n"
             << record.ToString() << "\nThe run as a scenario file (save it and run `stablevfs replay <file>`):\n"
             << sut.Scenario();
  }
  RC_ASSERT(record.violations.empty());
}

void OpCommand::show(std::ostream& os) const { os << ops::ToPhysicalLines(ops::PrintOp(op_)); }

std::vector<ops::Op> PropertyCase::Ops() const {
  std::vector<ops::Op> out;
  out.reserve(commands.size());
  for (const auto& command : commands) out.push_back(static_cast<const OpCommand&>(*command).op());
  return out;
}

void showValue(const PropertyCase& value, std::ostream& os) {
  os << "\nseed " << value.seed << "\n";
  for (const auto& command : value.commands) {
    command->show(os);
    os << "\n";
  }
}

rc::Gen<PropertyCase> GenPropertyCase(SuiteConfig config) {
  const rc::Gen<PropertyCase> built = [config](const rc::Random& random, int size) {
    rc::Random r = random;
    const uint64_t seed = r.next();
    CaseOps ops = BuildCase(config, seed, LengthForSize(config, size));
    PropertyCase value;
    value.seed = seed;
    for (ops::Op& op : ops.ops) value.commands.push_back(std::make_shared<const OpCommand>(std::move(op)));
    return rc::shrinkable::just(std::move(value));
  };
  return rc::gen::shrink(built, [](PropertyCase value) {
    return rc::seq::map(rc::shrink::removeChunks(value.commands), [seed = value.seed](Commands commands) {
      return PropertyCase{seed, std::move(commands)};
    });
  });
}

void CheckCase(const SuiteConfig& config, const PropertyCase& value) {
  SessionSut sut(config, value.seed);
  rc::state::runAll(value.commands, PropertyModel{}, sut);
  if (config.print_cases && FailedSuites().count(config.name) == 0) {
    std::cout << "[" << config.name << "] seed=" << value.seed << " " << Summarize(sut.records(), sut.session().messages())
              << "\n";
    if (std::getenv("STABLEVFS_PROPERTY_VERBOSE") != nullptr) {
      for (const ops::StepRecord& record : sut.records()) std::cout << "  " << record.ToString();
    }
  }
}

// ---- helpers ----

uint64_t RecordsDigest(const std::vector<ops::StepRecord>& records) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const ops::StepRecord& record : records) hash = Fnv1a(hash, record.ToString());
  return hash;
}

std::string Summarize(const std::vector<ops::StepRecord>& records, uint64_t messages) {
  uint64_t outcomes[ops::kOutcomeCount] = {};
  uint64_t fired = 0;
  for (const ops::StepRecord& record : records) {
    if (record.outcome) ++outcomes[static_cast<size_t>(*record.outcome)];
    fired += record.fired.size();
  }
  std::ostringstream os;
  os << "ops=" << records.size() << " messages=" << messages;
  for (int i = 0; i < ops::kOutcomeCount; ++i) {
    os << " " << ops::OutcomeName(static_cast<ops::Outcome>(i)) << "=" << outcomes[i];
  }
  os << " fired=" << fired << " digest=" << Hex(RecordsDigest(records));
  return os.str();
}

bool UnderSanitizer() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

void Accumulate(const fp::HitSnapshot& snapshot, fp::HitSnapshot* total) {
  for (const auto& [name, count] : snapshot.hits) total->hits[name] += count;
  for (const auto& [key, count] : snapshot.fired) total->fired[key] += count;
}

}  // namespace stablevfs::properties
