// The Layout contract (tests/lib/layout_contract.h) run against every builtin layout of the registry.
#include "tests/lib/layout_contract.h"

namespace stablevfs::contract {
namespace {

INSTANTIATE_TEST_SUITE_P(Registered, LayoutContractTest, ::testing::ValuesIn(BuiltinNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return "layout" + info.param; });

}  // namespace
}  // namespace stablevfs::contract
