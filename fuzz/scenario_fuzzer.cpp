// Fuzz target: the scenario parser (harness/scenario), the text every counterexample is written in and every
// scenario file replays from.
//
// Findings besides crashes and sanitizer reports: an exception out of ParseScenario (it reports rejections as
// a ScenarioError value), a rejection without a position inside the text, the catalogue accepting what the
// plain parse rejects (it only adds checks), and a broken round trip: ParseScenario(PrintScenario(s)) must
// give s back (the header's guarantee), and printing that again the same text.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/finding.h"
#include "harness/ops/catalogue_setup.h"
#include "harness/scenario/scenario.h"

namespace {

[[noreturn]] void Finding(const std::string& what, std::string_view text) {
  stablevfs::fuzz::TextFinding("scenario_fuzzer", what, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stablevfs;
  static const fp::Catalogue& catalogue = ops::RegisterCatalogue();
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const scenario::ScenarioResult plain = scenario::ParseScenario(text, "fuzz.scn");
  scenario::ParseOptions with_catalogue;
  with_catalogue.catalogue = &catalogue;
  const scenario::ScenarioResult checked = scenario::ParseScenario(text, "fuzz.scn", with_catalogue);
  if (checked.ok() && !plain.ok()) Finding("accepted with the catalogue, rejected without", text);
  for (const scenario::ScenarioResult* result : {&plain, &checked}) {
    if (result->ok()) continue;
    const scenario::ScenarioError& error = result->error();
    if (error.message.empty() || error.line == 0 || error.line > stablevfs::fuzz::LineCount(text) || error.column == 0) {
      Finding("rejection without a message or a position in the text: " + error.ToString(), text);
    }
  }
  if (!plain.ok()) return 0;

  const std::string printed = scenario::PrintScenario(plain.value());
  const scenario::ScenarioResult again = scenario::ParseScenario(printed, "printed.scn");
  if (!again.ok()) Finding("the printed scenario does not parse: " + again.error().ToString() + "\n" + printed, text);
  if (!(again.value() == plain.value())) Finding("the printed scenario parses to another scenario:\n" + printed, text);
  if (scenario::PrintScenario(again.value()) != printed) Finding("printing is not stable:\n" + printed, text);
  return 0;
}
