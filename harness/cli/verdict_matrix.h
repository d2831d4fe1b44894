// The verdict matrix: for each layout and each crash model, whether the gate passed, failed as the layout's
// promise says it must (an expected failure, with its shrunk counterexample and the command that replays it),
// failed where the layout promised to survive (a bug), or survived where it promised nothing (the cell says so).
//
// What is expected comes from two declared facts only (harness/faults/vocabulary.h): what the memory promises
// under the crash model and what the layout promises. An expected failure is never hidden: it is printed with
// its counterexample like any other, and only its effect on the exit code differs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/faults/vocabulary.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::cli {

enum class CellResult : uint8_t {
  kPass,               // promised to survive, and no violation was found
  kExpectedFailure,    // not promised, and a violation was found (its counterexample is in the cell)
  kUnexpectedFailure,  // promised to survive, and a violation was found: a bug
  kUnexpectedPass,     // not promised, and nothing was found: the layout survived (or the gate got weaker)
};
// "pass", "expected failure", "FAIL", "unexpected pass": permanent (reports print them).
std::string_view CellResultName(CellResult result);
// "pass", "expected_failure", "unexpected_failure", "unexpected_pass": the JSON spelling.
std::string_view CellResultKey(CellResult result);

// The first violation a gate found under one crash model, and where to see it again.
struct CellEvidence {
  std::string property;         // e.g. "crash.atomicity"
  std::string message;
  std::string where;            // "crash-powerloss case 3, op #2" or "explore kv op #7 with <spec>"
  std::string counterexample;   // the saved scenario file ("" when none could be written)
  uint64_t counterexample_ops = 0;
  std::string replay;           // the one command that replays it
};

struct VerdictCell {
  faults::CrashModel model = faults::CrashModel::kIc;
  bool expected_to_survive = true;
  bool violated = false;
  CellEvidence evidence;        // when violated

  CellResult result() const;
};

struct LayoutVerdict {
  std::string layout;
  CommitAtomicity promise = CommitAtomicity::kTrapRollback;
  std::vector<VerdictCell> cells;   // one per crash model, in faults::AllCrashModels() order
  bool other_suites_passed = true;  // scenarios, no-fault, the negative controls, coverage

  // No cell is an unexpected failure and the other suites passed.
  bool passed() const;
};

// The matrix as text: one row per layout (name, promise, one column per crash model, the other suites),
// then every cell that holds a counterexample with the command that replays it, then a note for every
// unexpected pass.
std::string FormatVerdictMatrix(const std::vector<LayoutVerdict>& verdicts);

// The matrix as a JSON array of {"layout", "promise", "other_suites": "pass"|"fail", "cells": [{"crash_model",
// "expected": "pass"|"fail", "result", "property", "message", "where", "counterexample", "counterexample_ops",
// "replay"}]}.
std::string VerdictMatrixJson(const std::vector<LayoutVerdict>& verdicts);

}  // namespace stablevfs::cli
