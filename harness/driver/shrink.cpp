#include "harness/driver/shrink.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "failpoints/spec.h"
#include "harness/sim/sim_failpoints.h"

namespace stablevfs::driver {
namespace {

// Whether an `arm` op names memory.write.
bool ArmsMemoryWrite(const ops::Op& op) {
  const ops::ArmOp* arm = std::get_if<ops::ArmOp>(&op);
  if (arm == nullptr) return false;
  fp::Spec spec;
  if (!fp::ParseSpec(arm->spec, &spec).ok()) return false;
  return std::any_of(spec.entries.begin(), spec.entries.end(),
                     [](const fp::SpecEntry& e) { return e.name == sim::kMemoryWriteSite; });
}

// The chain that fires exactly the given faults at their hit ordinals, or nullopt.
std::optional<fp::Chain> ChainFor(std::vector<ops::LocatedFault> faults) {
  std::sort(faults.begin(), faults.end(),
            [](const ops::LocatedFault& a, const ops::LocatedFault& b) { return a.hit_ordinal < b.hit_ordinal; });
  fp::Chain chain;
  uint64_t previous = 0;
  for (const ops::LocatedFault& located : faults) {
    if (located.hit_ordinal <= previous) return std::nullopt;
    if (located.hit_ordinal - previous > 1) {
      fp::Term skip;
      skip.count = located.hit_ordinal - previous - 1;
      skip.action = fp::Action::kOff;
      chain.push_back(skip);
    }
    fp::Term term;
    term.count = 1;
    term.action = located.fault.action;
    switch (located.fault.action) {
      case fp::Action::kLost: break;
      case fp::Action::kMisdirect: {
        const int64_t delta = static_cast<int64_t>(located.fault.landed_offset_bytes) -
                              static_cast<int64_t>(located.fault.offset_bytes);
        if (delta == 0) return std::nullopt;
        term.argument = fp::Argument{fp::Argument::Kind::kNumber, delta};
        break;
      }
      case fp::Action::kBitflip:
        term.argument = fp::Argument{fp::Argument::Kind::kNumber, static_cast<int64_t>(located.fault.flipped_bit)};
        break;
      default: return std::nullopt;  // a torn write needs the crash that came with it
    }
    chain.push_back(term);
    previous = located.hit_ordinal;
  }
  if (!fp::ValidateChain(chain).empty()) return std::nullopt;
  return chain;
}

// Simpler versions of an arm spec, simplest first: one entry fewer; a chain whose last firing term is gone;
// a chain whose leading `K*off` skips fewer hits (none, half, one fewer). Every result is a valid spec.
std::vector<std::string> SimplerSpecs(const std::string& text) {
  fp::Spec spec;
  if (!fp::ParseSpec(text, &spec).ok()) return {};
  std::vector<fp::Spec> out;
  for (size_t e = 0; e < spec.entries.size() && spec.entries.size() > 1; ++e) {
    fp::Spec fewer = spec;
    fewer.entries.erase(fewer.entries.begin() + static_cast<std::ptrdiff_t>(e));
    out.push_back(std::move(fewer));
  }
  for (size_t e = 0; e < spec.entries.size(); ++e) {
    const fp::Chain& chain = spec.entries[e].chain;
    // Drop the last term that fires (and any skip right before it), when another firing term remains.
    size_t firing = 0;
    for (const fp::Term& term : chain) firing += term.action != fp::Action::kOff ? 1 : 0;
    if (firing > 1) {
      fp::Chain shorter = chain;
      while (!shorter.empty() && shorter.back().action == fp::Action::kOff) shorter.pop_back();
      shorter.pop_back();
      while (!shorter.empty() && shorter.back().action == fp::Action::kOff) shorter.pop_back();
      fp::Spec candidate = spec;
      candidate.entries[e].chain = shorter;
      out.push_back(std::move(candidate));
    }
    if (chain.size() > 1 && chain.front().action == fp::Action::kOff && chain.front().count > 0) {
      const uint64_t skip = chain.front().count;
      for (uint64_t fewer : {uint64_t{0}, skip / 2, skip - 1}) {
        if (fewer >= skip) continue;  // duplicates are dropped below
        fp::Spec candidate = spec;
        fp::Chain& c = candidate.entries[e].chain;
        if (fewer == 0) {
          c.erase(c.begin());
        } else {
          c.front().count = fewer;
        }
        out.push_back(std::move(candidate));
      }
    }
  }
  std::vector<std::string> texts;
  for (const fp::Spec& candidate : out) {
    bool valid = !candidate.entries.empty();
    for (const fp::SpecEntry& entry : candidate.entries) valid = valid && fp::ValidateEntry(entry).ok();
    if (!valid) continue;
    const std::string printed = fp::ToString(candidate);
    if (printed != text && std::find(texts.begin(), texts.end(), printed) == texts.end()) texts.push_back(printed);
  }
  return texts;
}

// Runs `candidate`; when its first violation is of `property`, returns the candidate cut after that op.
std::optional<std::vector<ops::Op>> Interesting(const ops::SessionOptions& session, std::span<const ops::Op> candidate,
                                                const std::string& property, size_t* runs) {
  ++*runs;
  const RunResult run = RunOps(session, candidate);
  if (!run.first_violation || run.first_violation->violation.property != property) return std::nullopt;
  return std::vector<ops::Op>(candidate.begin(), candidate.begin() + static_cast<std::ptrdiff_t>(
                                                                        run.first_violation->step + 1));
}

}  // namespace

std::optional<std::vector<ops::Op>> LocalizeStorageFaults(std::span<const ops::Op> ops,
                                                          std::span<const std::vector<ops::LocatedFault>> faults) {
  std::vector<ops::Op> out;
  size_t pending_start = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!ops::IsMessage(ops::KindOf(ops[i]))) continue;
    bool shadowed = false;
    for (size_t k = pending_start; k < i; ++k) shadowed = shadowed || ArmsMemoryWrite(ops[k]);
    for (size_t k = pending_start; k < i; ++k) out.push_back(ops[k]);
    if (i < faults.size() && !faults[i].empty()) {
      if (shadowed) return std::nullopt;
      std::optional<fp::Chain> chain = ChainFor(faults[i]);
      if (!chain) return std::nullopt;
      fp::Spec spec;
      spec.entries.push_back(fp::SpecEntry{std::string(sim::kMemoryWriteSite), *chain});
      out.push_back(ops::ArmOp{fp::ToString(spec)});
    }
    out.push_back(ops[i]);
    pending_start = i + 1;
  }
  for (size_t k = pending_start; k < ops.size(); ++k) out.push_back(ops[k]);
  return out;
}

ShrinkResult Shrink(std::span<const ops::Op> failing_ops, const ShrinkOptions& options) {
  ShrinkResult result;
  result.original_length = failing_ops.size();
  ops::SessionOptions session = options.session;
  result.faults = session.faults;

  ++result.runs;
  const RunResult first = RunOps(session, failing_ops);
  if (!first.first_violation) return result;
  result.property = options.property.empty() ? first.first_violation->violation.property : options.property;
  if (first.first_violation->violation.property != result.property) return result;
  result.reproduced = true;
  std::vector<ops::Op> current(failing_ops.begin(),
                               failing_ops.begin() + static_cast<std::ptrdiff_t>(first.first_violation->step + 1));

  // Make the session-wide faults explicit.
  if (!session.faults.empty()) {
    ops::SessionOptions without = session;
    without.faults = "";
    std::optional<std::vector<ops::Op>> explicit_ops;
    if (std::optional<std::vector<ops::Op>> localized = LocalizeStorageFaults(current, first.faults)) {
      explicit_ops = Interesting(without, *localized, result.property, &result.runs);
      if (explicit_ops) result.faults_made_explicit = "localized";
    }
    if (!explicit_ops) {
      explicit_ops = Interesting(without, MaterializeFaults(current, session.faults), result.property, &result.runs);
      if (explicit_ops) result.faults_made_explicit = "materialized";
    }
    if (explicit_ops) {
      current = std::move(*explicit_ops);
      session = without;
      result.faults = "";
    }
  }

  // ddmin over ops, then over the statements of each update, then simpler arm specs; again while the later
  // passes found something (a simpler op may make another op removable).
  bool statements_removed = true;
  while (statements_removed && result.runs < options.max_runs) {
    size_t granularity = 2;
    while (current.size() >= 2 && result.runs < options.max_runs) {
      const size_t chunk = (current.size() + granularity - 1) / granularity;
      bool reduced = false;
      for (size_t start = 0; start < current.size() && result.runs < options.max_runs; start += chunk) {
        std::vector<ops::Op> candidate;
        candidate.reserve(current.size());
        for (size_t i = 0; i < current.size(); ++i) {
          if (i < start || i >= start + chunk) candidate.push_back(current[i]);
        }
        if (candidate.empty()) continue;
        if (std::optional<std::vector<ops::Op>> kept = Interesting(session, candidate, result.property, &result.runs)) {
          current = std::move(*kept);
          granularity = std::max<size_t>(granularity - 1, 2);
          reduced = true;
          break;
        }
      }
      if (!reduced) {
        if (granularity >= current.size()) break;
        granularity = std::min(granularity * 2, current.size());
      }
    }

    statements_removed = false;
    for (size_t i = 0; i < current.size() && result.runs < options.max_runs; ++i) {
      for (size_t j = 0; result.runs < options.max_runs;) {
        const ops::UpdateOp* update = i < current.size() ? std::get_if<ops::UpdateOp>(&current[i]) : nullptr;
        if (update == nullptr || update->statements.size() < 2 || j >= update->statements.size()) break;
        std::vector<ops::Op> candidate = current;
        std::vector<ops::Statement>& statements = std::get<ops::UpdateOp>(candidate[i]).statements;
        statements.erase(statements.begin() + static_cast<std::ptrdiff_t>(j));
        if (std::optional<std::vector<ops::Op>> kept = Interesting(session, candidate, result.property, &result.runs)) {
          current = std::move(*kept);
          statements_removed = true;  // statement j is gone: the next one moved into its place
        } else {
          ++j;
        }
      }
    }

    for (size_t i = 0; i < current.size() && result.runs < options.max_runs; ++i) {
      const ops::ArmOp* arm = std::get_if<ops::ArmOp>(&current[i]);
      if (arm == nullptr) continue;
      for (const std::string& simpler : SimplerSpecs(arm->spec)) {
        if (result.runs >= options.max_runs) break;
        std::vector<ops::Op> candidate = current;
        candidate[i] = ops::ArmOp{simpler};
        if (std::optional<std::vector<ops::Op>> kept = Interesting(session, candidate, result.property, &result.runs)) {
          current = std::move(*kept);
          statements_removed = true;
          break;
        }
      }
    }
  }

  ++result.runs;
  const RunResult last = RunOps(session, current);
  result.ops = current;
  result.records = last.records;
  if (last.first_violation) result.violation = last.first_violation->violation;
  std::vector<std::string> comments = {" shrunk from " + std::to_string(result.original_length) + " to " +
                                       std::to_string(result.ops.size()) + " ops in " +
                                       std::to_string(result.runs) + " runs; violates " + result.property};
  if (!result.faults_made_explicit.empty()) {
    comments.push_back(" session-wide faults " + options.session.faults + " " + result.faults_made_explicit);
  } else if (!result.faults.empty()) {
    comments.push_back(" replay with session-wide faults: " + result.faults);
  }
  result.scenario = scenario::PrintScenario(MakeScenario(session.seed, RunConfig{session.layout, options.crash_model, ""}, result.ops,
                                                         result.records, result.property, std::move(comments)));
  return result;
}

}  // namespace stablevfs::driver
