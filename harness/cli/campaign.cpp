#include "harness/cli/campaign.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "failpoints/catalogue.h"
#include "failpoints/spec.h"
#include "harness/cli/args.h"
#include "harness/driver/shrink.h"
#include "harness/ops/catalogue_setup.h"
#include "harness/ops/op_generator.h"

namespace stablevfs::cli {

std::vector<scenario::CrashModel> ParseCrashModels(const std::string& text, const std::string& option) {
  if (text == "all") {
    return {scenario::CrashModel::kIc, scenario::CrashModel::kError, scenario::CrashModel::kPowerloss,
            scenario::CrashModel::kTorn};
  }
  scenario::CrashModel model;
  if (!scenario::ParseCrashModel(text, &model)) {
    throw UsageError(option + ": unknown crash model '" + text + "' (expected ic, error, powerloss, torn or all)");
  }
  return {model};
}

Shard ParseShard(const std::string& text, const std::string& option) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) {
    throw UsageError(option + ": expected I/N (shard I of N, 0 <= I < N), got '" + text + "'");
  }
  Shard shard;
  shard.index = ParseU64(text.substr(0, slash), option + " index");
  shard.count = ParseU64(text.substr(slash + 1), option + " count");
  if (shard.count == 0) throw UsageError(option + " " + text + ": the shard count N must be at least 1");
  if (shard.index >= shard.count) {
    throw UsageError(option + " " + text + ": shard index " + std::to_string(shard.index) +
                     " is out of range; shards of " + std::to_string(shard.count) + " are numbered 0.." +
                     std::to_string(shard.count - 1));
  }
  return shard;
}

std::string CheckFaultSpec(const std::string& text, const std::string& option) {
  fp::Spec spec;
  const fp::SpecStatus status = fp::ParseSpec(text, &spec, &ops::RegisterCatalogue());
  if (!status.ok()) throw UsageError(option + " '" + text + "': " + status.message());
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") + 1 - begin);
}

ops::GeneratorWeights ParseWeightsOption(const std::string& text, const std::string& option) {
  ops::Parsed<ops::GeneratorWeights> parsed = ops::ParseWeights(text);
  if (!parsed.ok()) {
    throw UsageError(option + " '" + text + "': column " + std::to_string(parsed.error().column) + ": " +
                     parsed.error().message);
  }
  return parsed.value();
}

CaseOutcome RunCounted(const driver::CaseConfig& config, bool keep_records) {
  // Mirrors driver::RunCase step for step (the seeds, the arm sites, the feedback to the generator); the fuzz
  // command cross-checks a violating case against RunCase before it reports it.
  CaseOutcome out;
  out.case_index = config.case_index;
  out.case_seed = driver::CaseSeed(config.seed, config.case_index);
  out.crash_model = config.crash_model;
  ops::GeneratorOptions generator_options;
  generator_options.weights = config.weights;
  generator_options.arm_sites = driver::ArmSitesFor(config.crash_model);
  ops::OpGenerator generator(ops::MixSeed(out.case_seed ^ 3), generator_options);

  ops::Session session({.seed = out.case_seed, .faults = config.faults});
  for (uint64_t i = 0; i < config.steps; ++i) {
    ops::Op op = generator.Next();
    ops::StepRecord record = session.Run(op);
    generator.Observe(session.last_op_applied() ? ops::Outcome::kCommitted
                                                : record.outcome.value_or(ops::Outcome::kCommitted));
    ++out.ops;
    if (record.outcome == ops::Outcome::kTrapped || record.outcome == ops::Outcome::kCrashed) ++out.crash_points;
    const bool violated = !record.ok();
    if (violated) out.violation = driver::FirstViolation{out.op_list.size(), record.violations.front()};
    out.op_list.push_back(std::move(op));
    if (keep_records) out.records.push_back(std::move(record));
    if (violated) break;
  }
  out.messages = session.messages();
  out.hits = fp::Snapshot();  // before ~Session clears this thread's counters
  if (!keep_records && out.ok()) out.op_list.clear();
  return out;
}

CaseOutcome RunOpsCounted(uint64_t session_seed, scenario::CrashModel crash_model, const std::vector<ops::Op>& op_list,
                          const std::string& faults) {
  CaseOutcome out;
  out.case_seed = session_seed;
  out.crash_model = crash_model;
  ops::Session session({.seed = session_seed, .faults = faults});
  for (const ops::Op& op : op_list) {
    const ops::StepRecord record = session.Run(op);
    ++out.ops;
    if (record.outcome == ops::Outcome::kTrapped || record.outcome == ops::Outcome::kCrashed) ++out.crash_points;
    out.op_list.push_back(op);
    if (!record.ok()) {
      out.violation = driver::FirstViolation{out.op_list.size() - 1, record.violations.front()};
      break;
    }
  }
  out.messages = session.messages();
  out.hits = fp::Snapshot();  // before ~Session clears this thread's counters
  return out;
}

namespace {

std::string Where(const scenario::Step& step, size_t index) {
  return step.line > 0 ? "line " + std::to_string(step.line) : "step " + std::to_string(index + 1);
}

}  // namespace

ScenarioVerdict RunScenarioCounted(const scenario::Scenario& scenario, const std::string& faults,
                                   const std::function<void(const ops::StepRecord&)>& on_record) {
  // The rules are driver::Replay's; this copy exists because a Session clears the failpoint counters when it
  // ends, and the counters are part of what a gate run reports.
  ScenarioVerdict verdict;
  const std::vector<std::string>& declared = scenario.expect_violations;
  ops::Session session({.seed = scenario.seed.value_or(0), .faults = faults});
  auto judge = [&]() -> bool {  // false when the run is over
    for (size_t i = 0; i < scenario.steps.size(); ++i) {
      const scenario::Step& step = scenario.steps[i];
      const ops::StepRecord record = session.Run(step.op);
      ++verdict.ops;
      if (record.outcome == ops::Outcome::kTrapped || record.outcome == ops::Outcome::kCrashed) {
        ++verdict.crash_points;
      }
      if (on_record) on_record(record);
      if (step.expect && record.outcome != step.expect) {
        verdict.failure = Where(step, i) + ": expected " + std::string(ops::OutcomeName(*step.expect)) + ", got " +
                          (record.outcome ? std::string(ops::OutcomeName(*record.outcome)) : "no message") +
                          (record.detail.empty() ? "" : " (" + record.detail + ")");
        return false;
      }
      if (!record.ok()) {
        const ops::Violation& first = record.violations.front();
        if (std::find(declared.begin(), declared.end(), first.property) != declared.end()) {
          verdict.passed = true;
          verdict.expected_violation = Where(step, i) + ": " + first.property;
          return false;
        }
        verdict.failure = Where(step, i) + ": unexpected violation " + first.property + ": " + first.message;
        return false;
      }
    }
    return true;
  };
  if (judge()) {
    if (declared.empty()) {
      verdict.passed = true;
    } else {
      std::string names;
      for (const std::string& name : declared) names += (names.empty() ? "" : ", ") + name;
      verdict.failure = "expected a violation of " + names + " (a negative control), but every judgement held";
    }
  }
  verdict.messages = session.messages();
  verdict.hits = fp::Snapshot();  // before ~Session clears this thread's counters
  return verdict;
}

void AddHits(fp::HitSnapshot* into, const fp::HitSnapshot& from) {
  for (const auto& [name, count] : from.hits) into->hits[name] += count;
  for (const auto& [key, count] : from.fired) into->fired[key] += count;
}

uint64_t CampaignResult::messages() const {
  uint64_t total = 0;
  for (const CaseOutcome& c : cases) total += c.messages;
  return total;
}

uint64_t CampaignResult::crash_points() const {
  uint64_t total = 0;
  for (const CaseOutcome& c : cases) total += c.crash_points;
  return total;
}

uint64_t CampaignResult::violations() const {
  uint64_t total = 0;
  for (const CaseOutcome& c : cases) total += c.ok() ? 0 : 1;
  return total;
}

const CaseOutcome* CampaignResult::first_violation() const {
  for (const CaseOutcome& c : cases) {
    if (!c.ok()) return &c;
  }
  return nullptr;
}

CampaignResult RunCampaign(const CampaignPlan& plan, const std::function<void(const CampaignTally&)>& on_progress) {
  const Clock::time_point start = Clock::now();
  ops::RegisterCatalogue();  // once, before the workers race to it

  // Position j of the shard's sequence is case shard.index + j * shard.count.
  std::atomic<uint64_t> next_position{0};
  // The lowest position that found a violation; positions after it are not started.
  std::atomic<uint64_t> stop_after{UINT64_MAX};
  std::atomic<bool> deadline_reached{false};
  std::mutex mutex;
  std::map<uint64_t, CaseOutcome> done;  // by position
  // Positions below `folded` are done and their counters are in `hits`. Folding stops at the first position not
  // yet done, so it never passes a violation still running; and it stops after stop_after.
  uint64_t folded = 0;
  fp::HitSnapshot hits;
  std::array<fp::HitSnapshot, scenario::kCrashModelCount> hits_by_model;
  CampaignTally tally;
  std::exception_ptr failure;

  auto worker = [&]() {
    for (;;) {
      const uint64_t position = next_position.fetch_add(1);
      if (plan.deadline && position >= plan.min_cases && Clock::now() >= *plan.deadline) {
        deadline_reached = true;
        return;
      }
      const uint64_t case_index = plan.shard.index + position * plan.shard.count;
      if (plan.case_count && case_index >= *plan.case_count) return;
      if (position > stop_after.load()) return;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (failure) return;
      }
      driver::CaseConfig config;
      config.seed = plan.seed;
      config.case_index = case_index;
      config.steps = plan.steps;
      config.crash_model = plan.crash_models[case_index % plan.crash_models.size()];
      config.faults = plan.faults;
      config.weights = plan.weights;
      try {
        CaseOutcome outcome = RunCounted(config, /*keep_records=*/false);
        std::lock_guard<std::mutex> lock(mutex);
        if (!outcome.ok() && plan.stop_at_violation) {
          uint64_t current = stop_after.load();
          while (position < current && !stop_after.compare_exchange_weak(current, position)) {
          }
        }
        ++tally.cases;
        tally.messages += outcome.messages;
        tally.violations += outcome.ok() ? 0 : 1;
        done.emplace(position, std::move(outcome));
        for (auto it = done.find(folded); it != done.end() && folded <= stop_after.load(); it = done.find(++folded)) {
          AddHits(&hits, it->second.hits);
          AddHits(&hits_by_model[static_cast<size_t>(it->second.crash_model)], it->second.hits);
          if (it->second.ok()) it->second.hits = {};
        }
        if (on_progress) on_progress(tally);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
        return;
      }
    }
  };

  const unsigned jobs = std::max(1u, plan.jobs);
  if (jobs == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < jobs; ++i) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
  }
  if (failure) std::rethrow_exception(failure);

  CampaignResult result;
  const uint64_t last = stop_after.load();
  // Every position up to `last` (or every position, without a violation) is done, so folding reached it.
  result.hits = std::move(hits);
  result.hits_by_model = std::move(hits_by_model);
  // Positions are handed out in order and every started case finishes, so `done` holds 0..max without gaps.
  for (auto& [position, outcome] : done) {
    if (position > last) break;
    result.cases.push_back(std::move(outcome));
  }
  const bool complete = plan.case_count &&
                        (result.cases.empty() ? plan.shard.index >= *plan.case_count
                                              : result.cases.back().case_index + plan.shard.count >= *plan.case_count);
  result.deadline_reached = deadline_reached && !complete && last == UINT64_MAX;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

std::string Plural(uint64_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

std::string ShellQuote(const std::string& text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-_./=:,+%@").find(c) != std::string::npos;
  });
  if (plain) return text;
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

namespace {

// A comment line must not hold a newline; long messages are cut so the header stays readable.
std::string OneLine(std::string text, size_t max_chars = 200) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  if (text.size() > max_chars) text = text.substr(0, max_chars) + "...";
  return text;
}

}  // namespace

Counterexample SaveCounterexample(const CaseOutcome& failed, const std::string& faults, const std::string& save_dir,
                                  const std::string& file_stem, const std::string& origin,
                                  const std::string& seed_replay, size_t shrink_runs_max) {
  Counterexample out;
  out.property = failed.violation->violation.property;
  out.message = failed.violation->violation.message;
  out.original_ops = failed.op_list.size();

  driver::ShrinkOptions options;
  options.session = {.seed = failed.case_seed, .faults = faults};
  options.crash_model = failed.crash_model;
  options.property = out.property;
  options.max_runs = shrink_runs_max;
  const driver::ShrinkResult shrunk = driver::Shrink(failed.op_list, options);
  out.reproduced = shrunk.reproduced;
  out.shrink_runs = shrunk.runs;

  std::vector<ops::Op> ops_list = shrunk.reproduced ? shrunk.ops : failed.op_list;
  std::vector<ops::StepRecord> records = shrunk.reproduced ? shrunk.records : std::vector<ops::StepRecord>{};
  const std::string needed_faults = shrunk.reproduced ? shrunk.faults : faults;
  out.shrunk_ops = ops_list.size();

  std::filesystem::path path = std::filesystem::path(save_dir) / (file_stem + ".scn");
  std::vector<std::string> comments = {
      " counterexample: " + origin,
      " violates " + out.property + ": " + OneLine(out.message),
      shrunk.reproduced ? " shrunk from " + Plural(out.original_ops, "op") + " to " + Plural(out.shrunk_ops, "op") +
                              " in " + Plural(shrunk.runs, "run")
                        : " not shrunk: the shrinker did not see the violation again (a nondeterminism bug)",
  };
  if (!shrunk.faults_made_explicit.empty()) {
    comments.push_back(" the session-wide faults " + faults + " are made explicit as arm lines (" +
                       shrunk.faults_made_explicit + ")");
  }
  std::string replay = "stablevfs replay " + ShellQuote(path.string());
  if (!needed_faults.empty()) replay += " --faults " + ShellQuote(needed_faults);
  comments.push_back(" replay: " + replay);
  comments.push_back(" It fails (exit 1) until the bug is fixed; then move it into scenarios/ as a regression test.");

  const scenario::Scenario scenario =
      driver::MakeScenario(failed.case_seed, failed.crash_model, ops_list, records, std::nullopt, comments);
  std::error_code ec;
  std::filesystem::create_directories(save_dir, ec);
  if (ec) {
    out.save_error = "cannot create " + save_dir + ": " + ec.message();
  } else {
    out.save_error = scenario::WriteScenarioFile(path.string(), scenario);
  }
  if (out.save_error.empty()) {
    out.path = path.string();
    out.replay_command = replay;
  } else {
    out.replay_command = seed_replay;
  }
  return out;
}

Coverage ComputeCoverage(const fp::HitSnapshot& hits) {
  Coverage coverage;
  for (const fp::SiteInfo& site : ops::RegisterCatalogue().All()) {
    ++coverage.sites;
    if (hits.HitsOf(site.name) > 0) ++coverage.sites_hit;
    for (int a = 1; a < fp::kActionCount; ++a) {
      const fp::Action action = static_cast<fp::Action>(a);
      if (!site.Accepts(action)) continue;
      ++coverage.pairs;
      if (hits.FiredOf(site.name, action) > 0) {
        ++coverage.pairs_fired;
      } else {
        coverage.missing.push_back(std::string(site.name) + ":" + std::string(fp::ActionName(action)));
      }
    }
  }
  return coverage;
}

}  // namespace stablevfs::cli
