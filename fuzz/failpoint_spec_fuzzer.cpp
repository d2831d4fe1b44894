// Fuzz target: the failpoint spec parser (failpoints/spec.h), which reads --failpoints, STABLEVFS_FAILPOINTS
// and a scenario's arm lines.
//
// Findings besides crashes and sanitizer reports: an exception out of ParseSpec (it reports rejections as a
// SpecStatus), a rejection without a message, a rejection that leaves the output spec non-empty, the catalogue
// accepting what the plain parse rejects, an accepted entry that ValidateEntry refuses, and a broken round
// trip: ParseSpec(ToString(s)) must give s back (the header's guarantee).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/finding.h"
#include "failpoints/catalogue.h"
#include "failpoints/spec.h"
#include "harness/ops/catalogue_setup.h"

namespace {

[[noreturn]] void Finding(const std::string& what, std::string_view text) {
  stablevfs::fuzz::TextFinding("failpoint_spec_fuzzer", what, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stablevfs;
  static const fp::Catalogue& catalogue = ops::RegisterCatalogue();
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  fp::Spec plain;
  const fp::SpecStatus plain_status = fp::ParseSpec(text, &plain);
  fp::Spec checked;
  const fp::SpecStatus checked_status = fp::ParseSpec(text, &checked, &catalogue);
  if (checked_status.ok() && !plain_status.ok()) Finding("accepted with the catalogue, rejected without", text);
  if (!plain_status.ok() && (plain_status.message().empty() || !plain.empty())) {
    Finding("a rejection without a message, or with entries left: " + plain_status.message(), text);
  }
  if (checked_status.ok() && !(checked == plain)) Finding("the catalogue changed what was parsed", text);
  if (!plain_status.ok()) return 0;

  for (const fp::SpecEntry& entry : plain.entries) {
    const fp::SpecStatus valid = fp::ValidateEntry(entry);
    if (!valid.ok()) Finding("ValidateEntry refuses a parsed entry: " + valid.message(), text);
  }
  const std::string printed = fp::ToString(plain);
  fp::Spec again;
  const fp::SpecStatus again_status = fp::ParseSpec(printed, &again);
  if (!again_status.ok()) Finding("the printed spec '" + printed + "' does not parse: " + again_status.message(), text);
  if (!(again == plain)) Finding("the printed spec '" + printed + "' parses to another spec", text);
  return 0;
}
