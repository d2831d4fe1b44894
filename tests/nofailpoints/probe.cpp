// A probe for the nofailpoints proof: every failpoint macro, used the way lib/ uses it.
//
// tests/nofailpoints/CMakeLists.txt compiles this file twice, with STABLEVFS_FAILPOINTS_ENABLED=0 and =1,
// and check_symbols.cmake runs `nm -C` on both objects: the =0 object must reference no failpoint runtime
// symbol (Intern, Evaluate, Raise, the thread-local fast path, the per-site id), the =1 object must reference
// them, which shows the check can tell the two apart. The probe types use no fp type in any signature, so
// that a mangled name cannot mention the failpoint namespace by accident.

#include "failpoints/failpoint.h"

namespace nofailpoints_probe {

// The shape of lib's Status, reduced to what STABLEVFS_FAILPOINT needs.
struct ProbeStatus {
  int code = 0;
  ProbeStatus() = default;
  ProbeStatus(stablevfs::fp::InjectedError) : code(1) {}  // NOLINT(google-explicit-constructor)
};

ProbeStatus Write(int* counter) {
  STABLEVFS_FAILPOINT("probe.write");
  ++*counter;
  return {};
}

int Grow(int* counter) {
  STABLEVFS_FAILPOINT_RETURN("probe.grow", -1);
  ++*counter;
  return 0;
}

bool Eval() { return STABLEVFS_FAILPOINT_EVAL("probe.eval") != stablevfs::fp::Action::kOff; }

}  // namespace nofailpoints_probe
