#include "harness/faults/vocabulary.h"

#include <array>

namespace stablevfs::faults {
namespace {

constexpr std::array<std::string_view, kOutcomeCount> kOutcomeNames = {"committed", "error", "trapped", "crashed"};
constexpr std::array<std::string_view, kCrashModelCount> kCrashModelNames = {"ic", "error", "powerloss", "torn"};
constexpr std::array<std::string_view, kCrashActionCount> kCrashActionNames = {"error", "trap", "powerloss", "torn"};

template <typename Enum, size_t N>
bool ParseName(const std::array<std::string_view, N>& names, std::string_view name, Enum* out) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) {
      *out = static_cast<Enum>(i);
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view OutcomeName(Outcome outcome) { return kOutcomeNames.at(static_cast<size_t>(outcome)); }
bool ParseOutcome(std::string_view name, Outcome* out) { return ParseName(kOutcomeNames, name, out); }

std::string_view CrashModelName(CrashModel model) { return kCrashModelNames.at(static_cast<size_t>(model)); }
bool ParseCrashModel(std::string_view name, CrashModel* out) { return ParseName(kCrashModelNames, name, out); }
std::vector<CrashModel> AllCrashModels() {
  return {CrashModel::kIc, CrashModel::kError, CrashModel::kPowerloss, CrashModel::kTorn};
}

std::string_view MemoryPromiseName(MemoryPromise promise) {
  switch (promise) {
    case MemoryPromise::kTrapRollback: return "trap-rollback";
    case MemoryPromise::kErrorsOnly: return "errors-only";
    case MemoryPromise::kWholeWrites: return "whole-writes";
    case MemoryPromise::kSectorTorn: return "sector-torn";
    case MemoryPromise::kByteTorn: return "byte-torn";
  }
  return "unknown";
}

MemoryPromise MemoryPromiseOf(CrashModel model) {
  switch (model) {
    case CrashModel::kIc: return MemoryPromise::kTrapRollback;
    case CrashModel::kError: return MemoryPromise::kErrorsOnly;
    case CrashModel::kPowerloss: return MemoryPromise::kWholeWrites;
    case CrashModel::kTorn: return MemoryPromise::kSectorTorn;
  }
  return MemoryPromise::kTrapRollback;
}

CommitAtomicity RequiredAtomicity(MemoryPromise memory) {
  switch (memory) {
    case MemoryPromise::kTrapRollback:
    case MemoryPromise::kErrorsOnly: return CommitAtomicity::kTrapRollback;
    case MemoryPromise::kWholeWrites:
    case MemoryPromise::kSectorTorn: return CommitAtomicity::kPowerLoss;
    case MemoryPromise::kByteTorn: return CommitAtomicity::kTornBytes;
  }
  return CommitAtomicity::kTornBytes;
}

bool ExpectedToSurvive(CommitAtomicity atomicity, MemoryPromise memory) {
  return static_cast<int>(atomicity) >= static_cast<int>(RequiredAtomicity(memory));
}

bool ExpectedToSurvive(CommitAtomicity atomicity, CrashModel model) {
  return ExpectedToSurvive(atomicity, MemoryPromiseOf(model));
}

std::string_view CrashActionName(CrashAction action) { return kCrashActionNames.at(static_cast<size_t>(action)); }
bool ParseCrashAction(std::string_view name, CrashAction* out) { return ParseName(kCrashActionNames, name, out); }

fp::Action ToFpAction(CrashAction action) {
  switch (action) {
    case CrashAction::kError: return fp::Action::kError;
    case CrashAction::kTrap: return fp::Action::kTrap;
    case CrashAction::kPowerloss: return fp::Action::kCrash;
    case CrashAction::kTorn: return fp::Action::kTorn;
  }
  return fp::Action::kOff;
}

std::vector<CrashAction> AllCrashActions() {
  return {CrashAction::kError, CrashAction::kTrap, CrashAction::kPowerloss, CrashAction::kTorn};
}

std::optional<std::vector<CrashAction>> ParseCrashActions(std::string_view text, std::string* error) {
  bool wanted[kCrashActionCount] = {};
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view name = text.substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    CrashAction action;
    if (!ParseCrashAction(name, &action)) {
      *error = "unknown action '" + std::string(name) + "' (expected error, trap, powerloss or torn)";
      return std::nullopt;
    }
    wanted[static_cast<int>(action)] = true;
    start = comma + 1;
  }
  std::vector<CrashAction> actions;
  for (CrashAction action : AllCrashActions()) {
    if (wanted[static_cast<int>(action)]) actions.push_back(action);
  }
  return actions;
}

MemoryPromise MemoryPromiseOf(CrashAction action, bool torn_bytes) {
  if (action == CrashAction::kTorn && torn_bytes) return MemoryPromise::kByteTorn;
  return MemoryPromiseOf(CrashModelOf(action));
}

CrashModel CrashModelOf(CrashAction action) {
  switch (action) {
    case CrashAction::kError: return CrashModel::kError;
    case CrashAction::kTrap: return CrashModel::kIc;
    case CrashAction::kPowerloss: return CrashModel::kPowerloss;
    case CrashAction::kTorn: return CrashModel::kTorn;
  }
  return CrashModel::kIc;
}

}  // namespace stablevfs::faults
