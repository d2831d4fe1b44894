#include "harness/cli/layout_option.h"

namespace stablevfs::cli {
namespace {

const LayoutInfo& Named(const std::string& name) {
  const LayoutInfo* info = LayoutRegistry::Global().Find(name);
  if (info == nullptr) {
    throw UsageError("--layout: unknown layout '" + name + "' (registered: " + LayoutRegistry::Global().Names() +
                     ")");
  }
  return *info;
}

}  // namespace

void AddLayoutOption(std::vector<OptionSpec>& specs, bool allow_all, const std::string& what) {
  std::string help = what.empty() ? "the on-disk layout to run on" : what;
  help += " (" + LayoutRegistry::Global().Names() + (allow_all ? ", or all" : "") + ")";
  specs.push_back({"layout", true, "NAME", help, std::string(kDefaultLayoutName)});
}

const LayoutInfo& LayoutFromArgs(const Args& args) {
  const std::string name = args.get_or("layout", std::string(kDefaultLayoutName));
  if (name == "all") throw UsageError("--layout all is not accepted here: name one layout (" +
                                      LayoutRegistry::Global().Names() + ")");
  return Named(name);
}

std::vector<const LayoutInfo*> LayoutsFromArgs(const Args& args) {
  const std::string name = args.get_or("layout", std::string(kDefaultLayoutName));
  if (name == "all") return LayoutRegistry::Global().Builtins();
  return {&Named(name)};
}

std::string DescribeLayout(const LayoutInfo& layout) {
  return "layout " + layout.name + " (" + std::string(CommitAtomicityName(layout.atomicity)) + ")";
}

}  // namespace stablevfs::cli
