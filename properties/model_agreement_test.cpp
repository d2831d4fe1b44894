// Model agreement: with nothing armed, every message of a random op sequence is judged clean.
//
// Goal: the judgement table holds after every message of random work when no fault is injected: committed
// messages advance the data model and the page model and the stable image decodes to exactly the page model,
// deliberate errors (constraint violations, writes on a query connection, checksum-chunk 0, a bad import
// checksum) leave the active state byte-identical and the database usable, traps from a capacity or budget op
// roll stable memory back, and after every message PRAGMA integrity_check is ok and a fresh open sees the same
// data and meta as the live handle. Method: the rapidcheck state machine of property_case.h over OpGenerator
// cases without arms or faults; rapidcheck picks each case's seed and length. A second test pins determinism:
// one rapidcheck Random yields the same case twice, and its two runs give byte-identical step records.
//
// Reproduce a failure with the RC_PARAMS line rapidcheck prints, or save the scenario file from the failure's
// log and run `stablevfs replay <file>`. STABLEVFS_PROPERTY_FAULTS arms a spec for the whole session of every
// case (e.g. "memory.write=2%lost"): the suite must then fail, which is how docs/properties.md shows a failure.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>

#include "failpoints/registry.h"
#include "properties/support/property_case.h"

namespace stablevfs::properties {
namespace {

SuiteConfig Suite() {
  SuiteConfig config = NoFaultSuite();
  if (const char* faults = std::getenv("STABLEVFS_PROPERTY_FAULTS")) config.faults = faults;
  return config;
}

RC_GTEST_PROP(ModelAgreement, EveryMessageIsJudgedClean, ()) {
  const SuiteConfig config = Suite();
  CheckCase(config, *GenPropertyCase(config));
}

// The same rapidcheck Random and size give the same case, and the same case gives the same records.
TEST(ModelAgreement, SameSeedSameOpsSameOutcomes) {
  const fp::ScopedRegistryReset reset;
  SuiteConfig config = NoFaultSuite();
  config.print_cases = false;
  const rc::Gen<PropertyCase> gen = GenPropertyCase(config);
  const rc::Random random(0x5eed);
  const PropertyCase first = gen(random, 60).value();
  const PropertyCase second = gen(random, 60).value();
  ASSERT_EQ(first.seed, second.seed);
  ASSERT_EQ(first.Ops(), second.Ops());
  EXPECT_EQ(rc::toString(first), rc::toString(second));

  std::vector<ops::StepRecord> runs[2];
  uint64_t messages[2] = {};
  for (int run = 0; run < 2; ++run) {
    SessionSut sut(config, first.seed);
    for (const ops::Op& op : first.Ops()) sut.Run(op);
    runs[run] = sut.records();
    messages[run] = sut.session().messages();
  }
  ASSERT_EQ(runs[0].size(), runs[1].size());
  for (size_t i = 0; i < runs[0].size(); ++i) EXPECT_EQ(runs[0][i].ToString(), runs[1][i].ToString()) << i;
  EXPECT_EQ(Summarize(runs[0], messages[0]), Summarize(runs[1], messages[1]));
  std::cout << "seed=" << first.seed << " " << Summarize(runs[0], messages[0]) << "\n";

  // A different Random gives a different case.
  const PropertyCase other = gen(rc::Random(0x5eee), 60).value();
  EXPECT_NE(other.seed, first.seed);
  EXPECT_NE(other.Ops(), first.Ops());
}

}  // namespace
}  // namespace stablevfs::properties
