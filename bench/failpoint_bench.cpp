// What a failpoint site costs: the claim is "near zero while disarmed".
//
// Compares, per iteration: an empty loop; a disarmed site (STABLEVFS_FAILPOINT_EVAL, the inline fast path: one
// thread-local load, a compare, an increment, plus the site's static-id guard check); the same site inside an
// out-of-line function against the same function without it; and the slow paths: a site that is not armed
// while another site on the thread is, a site armed with a trigger that does not fire, and one whose P% term
// draws from the PRNG every time. With STABLEVFS_FAILPOINTS=OFF every site row should equal its baseline.
//
//   build/default/bench/failpoint_bench [--benchmark_filter=...]

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "failpoints/failpoint.h"
#include "failpoints/registry.h"

namespace {

using stablevfs::fp::Action;

void ArmOrDie(const char* spec) {
  const stablevfs::fp::SpecStatus status = stablevfs::fp::Arm(spec);
  if (!status.ok()) {
    std::fprintf(stderr, "failpoint_bench: %s\n", status.message().c_str());
    std::abort();
  }
}

// Out-of-line functions, so the site is measured inside a real call as the library would have it.
[[gnu::noinline]] int PlainCall(int x) {
  benchmark::DoNotOptimize(x);
  return x + 1;
}

[[gnu::noinline]] int CallWithSite(int x) {
  STABLEVFS_FAILPOINT_RETURN("bench.call", -1);
  benchmark::DoNotOptimize(x);
  return x + 1;
}

void BM_EmptyLoop(benchmark::State& state) {
  for (auto _ : state) benchmark::ClobberMemory();
}
BENCHMARK(BM_EmptyLoop);

void BM_DisarmedSite(benchmark::State& state) {
  stablevfs::fp::ScopedRegistryReset reset;
  for (auto _ : state) {
    Action action = STABLEVFS_FAILPOINT_EVAL("bench.site");
    benchmark::DoNotOptimize(action);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_DisarmedSite);

void BM_PlainCall(benchmark::State& state) {
  int x = 0;
  for (auto _ : state) benchmark::DoNotOptimize(x = PlainCall(x));
}
BENCHMARK(BM_PlainCall);

void BM_CallWithDisarmedSite(benchmark::State& state) {
  stablevfs::fp::ScopedRegistryReset reset;
  int x = 0;
  for (auto _ : state) benchmark::DoNotOptimize(x = CallWithSite(x));
}
BENCHMARK(BM_CallWithDisarmedSite);

// Arming anything on a thread sends all of its sites through the slow path (a hash lookup).
void BM_SiteWhileAnotherIsArmed(benchmark::State& state) {
  stablevfs::fp::ScopedRegistryReset reset;
  ArmOrDie("bench.other=error");
  for (auto _ : state) {
    Action action = STABLEVFS_FAILPOINT_EVAL("bench.site");
    benchmark::DoNotOptimize(action);
  }
}
BENCHMARK(BM_SiteWhileAnotherIsArmed);

// The site itself is armed, and its trigger is stepped on every evaluation without firing.
void BM_ArmedSiteNotFiring(benchmark::State& state) {
  stablevfs::fp::ScopedRegistryReset reset;
  ArmOrDie("bench.site=after(18446744073709551615):error");
  for (auto _ : state) {
    Action action = STABLEVFS_FAILPOINT_EVAL("bench.site");
    benchmark::DoNotOptimize(action);
  }
}
BENCHMARK(BM_ArmedSiteNotFiring);

// As above, with one PRNG draw per evaluation (it fires about once in a million).
void BM_ArmedSiteWithProbability(benchmark::State& state) {
  stablevfs::fp::ScopedRegistryReset reset;
  ArmOrDie("bench.site=0.0001%error");
  int64_t fired = 0;
  for (auto _ : state) {
    Action action = STABLEVFS_FAILPOINT_EVAL("bench.site");
    fired += action != Action::kOff ? 1 : 0;
    benchmark::DoNotOptimize(action);
  }
  state.counters["fired"] = static_cast<double>(fired);
}
BENCHMARK(BM_ArmedSiteWithProbability);

}  // namespace

BENCHMARK_MAIN();
