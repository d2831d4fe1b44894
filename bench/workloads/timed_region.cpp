#include "bench/workloads/timed_region.h"

#include <time.h>

#include <cstdlib>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define STABLEVFS_BENCH_CALLGRIND 1
#else
#define STABLEVFS_BENCH_CALLGRIND 0
#endif

namespace stablevfs::bench {
namespace {

std::chrono::nanoseconds ThreadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

// glibc consolidates its fast bins on the first large allocation after many small frees; left to chance, that
// one-off cost (hundreds of thousands of instructions) lands in whichever timed region allocates first, and
// inflated memdb's small-read counts. A large allocation here, outside the region, pays it up front.
void WarmAllocator() {
  volatile char* block = static_cast<char*>(std::malloc(64 * 1024));  // below the mmap threshold: the heap path
  if (block != nullptr) block[0] = 0;
  std::free(const_cast<char*>(block));
}

}  // namespace

bool CallgrindTogglesCompiled() { return STABLEVFS_BENCH_CALLGRIND != 0; }

void TimedRegion::Begin() {
  assert(!inside_);
  WarmAllocator();
  inside_ = true;
#if STABLEVFS_BENCH_CALLGRIND
  if (callgrind_toggles_) CALLGRIND_TOGGLE_COLLECT;
#endif
  // Read the clocks last on the way in and first on the way out, so the toggles are not timed.
  started_cpu_ = ThreadCpuTime();
  started_ = std::chrono::steady_clock::now();
}

void TimedRegion::End() {
  const auto now = std::chrono::steady_clock::now();
  const std::chrono::nanoseconds now_cpu = ThreadCpuTime();
  assert(inside_);
  elapsed_ += std::chrono::duration_cast<std::chrono::nanoseconds>(now - started_);
  cpu_ += now_cpu - started_cpu_;
#if STABLEVFS_BENCH_CALLGRIND
  if (callgrind_toggles_) CALLGRIND_TOGGLE_COLLECT;
#endif
  inside_ = false;
}

}  // namespace stablevfs::bench
