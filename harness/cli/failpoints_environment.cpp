#include "harness/cli/failpoints_environment.h"

#include <cstdlib>
#include <set>

#include "failpoints/spec.h"
#include "harness/cli/args.h"
#include "harness/cli/campaign.h"
#include "harness/ops/catalogue_setup.h"

namespace stablevfs::cli {
namespace {

// The variable's value, or "" when it is unset or holds only blanks (which arm nothing).
std::string VariableValue() {
  const char* value = std::getenv(kFailpointsVariable);
  if (value == nullptr) return "";
  const std::string text = value;
  return text.find_first_not_of(" \t") == std::string::npos ? std::string() : text;
}

}  // namespace

std::string FaultsWithEnvironment(const std::string& option_text, const std::string& option) {
  const std::string option_spec = CheckFaultSpec(option_text, option);
  const std::string variable = VariableValue();
  if (variable.empty()) return option_spec;
  fp::Spec from_variable;
  const fp::SpecStatus status = fp::ParseSpec(variable, &from_variable, &ops::RegisterCatalogue());
  if (!status.ok()) {
    throw UsageError(std::string(kFailpointsVariable) + "='" + variable + "': " + status.message() +
                     "; fix the variable or unset it (nothing was run)");
  }
  fp::Spec from_option;
  fp::ParseSpec(option_spec, &from_option, &ops::RegisterCatalogue()).IgnoreError();  // checked just above
  std::set<std::string> named_by_option;
  for (const fp::SpecEntry& entry : from_option.entries) named_by_option.insert(entry.name);
  fp::Spec merged;
  for (fp::SpecEntry& entry : from_variable.entries) {
    if (named_by_option.count(entry.name) == 0) merged.entries.push_back(std::move(entry));
  }
  for (fp::SpecEntry& entry : from_option.entries) merged.entries.push_back(std::move(entry));
  return fp::ToString(merged);
}

void RefuseFailpointsEnvironment(const std::string& command, const std::string& why) {
  const std::string variable = VariableValue();
  if (variable.empty()) return;
  throw UsageError(std::string(kFailpointsVariable) + "='" + variable + "' is set, but " + command + " " + why +
                   "; unset it to run " + command + " (nothing was run)");
}

}  // namespace stablevfs::cli
