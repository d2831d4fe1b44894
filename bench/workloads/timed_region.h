// TimedRegion: the part of a benchmark run that is measured, and nothing else.
//
// A workload brackets its transactions with Begin()/End(); setup, parameter generation and verification
// stay outside. The region accumulates std::chrono::steady_clock time over all its Begin/End pairs (the
// churn test has one pair per cycle), and beside it the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), which
// a machine shared with other work disturbs less: waiting for a core counts in the first, not the second.
// The clocks measure; no decision in the benchmark depends on them.
//
// When the build found <valgrind/callgrind.h> and the region is constructed with callgrind_toggles, Begin/End
// also toggle Callgrind's event collection, so `valgrind --tool=callgrind --collect-atstart=no` counts
// exactly the instructions of the region (see bench/callgrind.sh). The toggle is relative (Callgrind has no
// "collect on" request), so whole-process counting (--collect-atstart=yes) must construct regions without
// toggles, or the region would be the one part not counted. Collection toggling is used rather than CALLGRIND_START_INSTRUMENTATION because
// the latter flushes Valgrind's translation cache on every call, which the 100 regions of the churn test
// would turn into minutes. Outside Valgrind the toggles cost a few instructions.
#pragma once

#include <cassert>
#include <chrono>

namespace stablevfs::bench {

// True when this build was compiled with Callgrind's client requests (region-only instruction counts).
bool CallgrindTogglesCompiled();

class TimedRegion {
 public:
  explicit TimedRegion(bool callgrind_toggles = true) : callgrind_toggles_(callgrind_toggles) {}

  // REQUIRES: not inside the region.
  void Begin();
  // REQUIRES: inside the region.
  void End();

  bool inside() const { return inside_; }
  // Wall-clock (steady_clock) time inside the region.
  std::chrono::nanoseconds elapsed() const { return elapsed_; }
  // CPU time of the calling thread inside the region.
  std::chrono::nanoseconds cpu() const { return cpu_; }

 private:
  bool callgrind_toggles_;
  bool inside_ = false;
  std::chrono::steady_clock::time_point started_;
  std::chrono::nanoseconds started_cpu_{0};
  std::chrono::nanoseconds elapsed_{0};
  std::chrono::nanoseconds cpu_{0};
};

// Ends the region when it goes out of scope, so an early error return cannot leave it open (an open region
// would keep Callgrind collecting through the rest of the process).
class RegionScope {
 public:
  explicit RegionScope(TimedRegion& region) : region_(region) { region_.Begin(); }
  ~RegionScope() {
    if (region_.inside()) region_.End();
  }
  RegionScope(const RegionScope&) = delete;
  RegionScope& operator=(const RegionScope&) = delete;

 private:
  TimedRegion& region_;
};

}  // namespace stablevfs::bench
