// Progress: the live status line of a long run (fuzz, check) on stderr.
//
// On a terminal (isatty(stderr)) one line is rewritten in place with '\r' at most ten times a second: cases,
// cases/s, messages, violations. Anywhere else (CI logs, pipes) a plain line is printed at most every
// `plain_interval_seconds`, so a log shows that the run is alive without a flood of carriage returns. Progress
// never goes to stdout: stdout holds the deterministic result, and two runs with the same seed compare equal
// there whatever the speed of the machine.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace stablevfs::cli {

class Progress {
 public:
  // `label` starts every line (e.g. "fuzz"). REQUIRES: `out` outlives the Progress.
  Progress(std::string label, std::FILE* out = stderr, double plain_interval_seconds = 10.0);
  // Clears the live line (terminal mode).
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Reports the totals so far; prints when the interval has passed. Thread-safe.
  void Update(uint64_t cases, uint64_t messages, uint64_t violations);
  // Reports `done` of `total` points (the explorer's crash points); prints as Update does. Thread-safe.
  void UpdatePoints(uint64_t done, uint64_t total);
  // Reports that case `case_index` has run `steps_done` of its `steps_total` ops (progress inside one long
  // case); prints as Update does. Thread-safe.
  void UpdateCase(uint64_t case_index, uint64_t steps_done, uint64_t steps_total);
  // Erases the live line (terminal mode) so that the next output starts on a clean line. Thread-safe.
  void Clear();
  // Whether the output is a terminal.
  bool live() const { return live_; }

 private:
  using Clock = std::chrono::steady_clock;

  // Prints `line` if the interval has passed. REQUIRES: mutex_ held.
  void PrintLocked(const char* line, size_t chars);

  std::string label_;
  std::FILE* out_;
  bool live_;
  double interval_seconds_;
  Clock::time_point start_;
  Clock::time_point last_print_;
  bool printed_ = false;
  size_t line_chars_ = 0;  // length of the live line on screen
  std::mutex mutex_;
};

}  // namespace stablevfs::cli
