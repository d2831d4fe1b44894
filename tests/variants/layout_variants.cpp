#include "tests/variants/layout_variants.h"

#include <cstdlib>
#include <mutex>
#include <string>

#include "tests/variants/superblock_mirror_layout.h"
#include "lib/core/trap.h"
#include "lib/layout/layout_registry.h"
#include "lib/layout/layout_wrapper.h"

namespace stablevfs::variants {
namespace {

// Layout 8 with its trap removed: a page-write failure after the first page returns the injected error, as
// a naive in-place implementation would. Layout 8 names the site first in the trap it throws there.
class NoTrapLayout8 final : public LayoutWrapper {
 public:
  using LayoutWrapper::LayoutWrapper;
  Status Publish(const Overlay& overlay) override {
    try {
      return LayoutWrapper::Publish(overlay);
    } catch (const Trap& trap) {
      if (std::string(trap.what()).rfind("commit.page_write_in_place", 0) != 0) throw;
      return fp::InjectedError{"commit.page_write_in_place"};
    }
  }
};

void Must(const Status& status) {
  if (!status.ok()) std::abort();  // a test layout that cannot register is a broken test build
}

}  // namespace

void RegisterTestLayouts() {
  static std::once_flag once;
  std::call_once(once, [] {
    const LayoutInfo& eight = *LayoutRegistry::Global().Find("8");
    Must(LayoutRegistry::Global().Register(
        WrapLayout(eight, kNoTrapLayout, [](std::unique_ptr<Layout> inner, StableMemory&) -> std::unique_ptr<Layout> {
          return std::make_unique<NoTrapLayout8>(std::move(inner));
        })));
    RegisterSuperblockMirrorLayout();
  });
}

}  // namespace stablevfs::variants
