// Replay: runs a scenario file and checks what it promises.
//
// Every op line runs in one new Session seeded with the scenario's `seed` (0 when absent), and the first
// judgement that fails is reported:
//  - an `expect <outcome>` line whose op ended otherwise ("line 7: expected error, got committed");
//  - a violation the scenario does not declare ("line 9: unexpected violation fsck: ..."); when it follows a
//    crash the layout does not promise to survive, the failure says it is an expected one (expected_failure);
//  - a declared `expect-violation <property>` that never happened (a negative control the harness missed).
// A scenario that declares expect-violation passes when a violation of one of those properties is the first
// violation of the run; the replay stops there (later lines were written after the violation and are not run).
// `crash-model` is informational: the arm lines carry the actions. `layout` picks the layout the session runs on
// (ReplayOptions::layout when the file has no layout line).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "failpoints/registry.h"
#include "harness/driver/run_config.h"
#include "harness/ops/interpreter.h"
#include "harness/scenario/scenario.h"

namespace stablevfs::driver {

struct ReplayOptions {
  std::string faults = "";  // session-wide faults (for a scenario whose faults could not be made explicit)
  std::string layout = "";  // the layout when the scenario names none ("" = the default)
  std::function<void(const ops::StepRecord&)> on_record;  // called after every op (may be empty)
};

struct ReplayResult {
  bool passed = false;
  std::string failure;                   // the first judgement that failed ("" when passed)
  std::string expected_violation;        // a declared violation that was seen ("line 9: fsck"), when passed so
  std::vector<ops::StepRecord> records;  // one per op run
  std::optional<ops::Violation> violation;  // the first violation seen, expected or not
  bool expected_failure = false;         // it came from a crash the layout does not promise to survive
  std::string layout;                    // the layout it ran on
  uint64_t messages = 0;
  uint64_t crash_points = 0;             // messages that ended trapped or crashed
  fp::HitSnapshot hits;                  // the failpoint counters, taken before the Session ended
};

ReplayResult Replay(const scenario::Scenario& scenario, const ReplayOptions& options = {});
// Parses `text` (errors are reported as a failure naming the line) and replays it.
ReplayResult ReplayText(std::string_view text, const ReplayOptions& options = {});
ReplayResult ReplayFile(const std::string& path, const ReplayOptions& options = {});

}  // namespace stablevfs::driver
