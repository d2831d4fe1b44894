// The fault vocabulary, declared once: how a message can end, the crash models a run is judged under, the
// actions a crash point takes, and what the memory promises under each model.
//
// Every tool speaks these words (scenario files, command lines, reports: the names are permanent). The judge
// never weakens a check for a layout; what differs per layout is whether a failure is *expected*, and that is
// derived from two declared facts only (SQLite's test6.c derives crash behaviour from declared device
// properties the same way):
//   - what the memory promises under the crash model (MemoryPromiseOf): the IC rolls a trapped message back;
//     errors are returned and nothing crashes; the power fails and writes before it persist, the one in flight
//     persists in whole 512-byte sectors or not at all, or tears at any byte;
//   - what the layout promises (lib/layout/layout_registry.h CommitAtomicity).
// A layout is expected to survive a model exactly when its promise covers what the model's memory leaves
// behind (ExpectedToSurvive). The failpoint actions themselves are fp::Action (failpoints/failpoint.h), which
// knows nothing of the harness.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "failpoints/failpoint.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::faults {

// How one message ended (ARCHITECTURE.md, the judgement table).
enum class Outcome : uint8_t {
  kCommitted,  // the closure returned OK; an update's changes persist
  kError,      // the closure returned an error; nothing is rolled back by the IC
  kTrapped,    // a trap ended the message; the IC discards its stable-memory changes
  kCrashed,    // the power failed; what was written before persists
};
inline constexpr int kOutcomeCount = 4;
// "committed", "error", "trapped", "crashed".
std::string_view OutcomeName(Outcome outcome);
bool ParseOutcome(std::string_view name, Outcome* out);

// What a failure does to the memory, as a run asks the simulator to model it.
enum class CrashModel : uint8_t {
  kIc,         // the IC's guarantee: a trapped message is rolled back whole
  kError,      // faults are returned as errors only
  kPowerloss,  // writes before the crash persist, the in-flight one and later ones do not
  kTorn,       // as powerloss, but the in-flight write may persist in part (whole 512-byte sectors)
};
inline constexpr int kCrashModelCount = 4;
// "ic", "error", "powerloss", "torn".
std::string_view CrashModelName(CrashModel model);
bool ParseCrashModel(std::string_view name, CrashModel* out);
std::vector<CrashModel> AllCrashModels();

// What the memory promises when a message dies under a crash model.
enum class MemoryPromise : uint8_t {
  kTrapRollback,   // every change of a trapped message is discarded (contents and size)
  kErrorsOnly,     // nothing crashes: a failure is an error returned to the caller
  kWholeWrites,    // writes before the crash persist whole; the one in flight does not persist
  kSectorTorn,     // as kWholeWrites, but the write in flight may persist in whole 512-byte sectors
  kByteTorn,       // as kWholeWrites, but the write in flight may persist up to any byte
};
// "trap-rollback", "errors-only", "whole-writes", "sector-torn", "byte-torn".
std::string_view MemoryPromiseName(MemoryPromise promise);
MemoryPromise MemoryPromiseOf(CrashModel model);

// The weakest commit promise that survives what `memory` promises: a layout atomic only under trap rollback
// survives kTrapRollback and kErrorsOnly (an error before anything is written in place, a trap after); power
// loss with whole or sector-torn writes needs kPowerLoss; byte-torn writes need kTornBytes.
CommitAtomicity RequiredAtomicity(MemoryPromise memory);
// Whether a layout promising `atomicity` must pass under `memory` (a failure is then a bug), or is expected to
// fail there (its counterexample is shown, never hidden).
bool ExpectedToSurvive(CommitAtomicity atomicity, MemoryPromise memory);
bool ExpectedToSurvive(CommitAtomicity atomicity, CrashModel model);

// The actions a crash point takes, by their command-line names.
enum class CrashAction : uint8_t { kError, kTrap, kPowerloss, kTorn };
inline constexpr int kCrashActionCount = 4;
// "error", "trap", "powerloss", "torn".
std::string_view CrashActionName(CrashAction action);
bool ParseCrashAction(std::string_view name, CrashAction* out);
// The failpoint action: error, trap, crash, torn.
fp::Action ToFpAction(CrashAction action);
// Every action, in enum order.
std::vector<CrashAction> AllCrashActions();
// A comma-separated list ("error,trap,powerloss,torn"; blanks around names allowed; duplicates merged; the
// result in enum order). nullopt with *error naming the bad name when a name is unknown or the list is empty.
std::optional<std::vector<CrashAction>> ParseCrashActions(std::string_view text, std::string* error);
// The crash model an action belongs to: error -> error, trap -> ic, powerloss -> powerloss, torn -> torn.
CrashModel CrashModelOf(CrashAction action);
// What the memory promises at a crash point of `action`: as its crash model, except that a torn write that
// tears at any byte (explore --torn bytes) promises only kByteTorn.
MemoryPromise MemoryPromiseOf(CrashAction action, bool torn_bytes);

}  // namespace stablevfs::faults
