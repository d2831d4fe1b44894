#include "lib/layout/layout_wrapper.h"

#include <utility>

namespace stablevfs {

LayoutInfo WrapLayout(const LayoutInfo& base, std::string name,
                      std::function<std::unique_ptr<Layout>(std::unique_ptr<Layout> inner, StableMemory& memory)> wrap) {
  LayoutInfo info = base;
  info.name = std::move(name);
  const auto wrapped = [wrap](const LayoutInfo::OpenFn& fn) {
    return [fn, wrap](StableMemory& memory) -> Result<std::unique_ptr<Layout>> {
      Result<std::unique_ptr<Layout>> inner = fn(memory);
      if (!inner.ok()) return inner.status();
      return wrap(std::move(inner).value(), memory);
    };
  };
  info.format = wrapped(base.format);
  info.open = wrapped(base.open);
  return info;
}

}  // namespace stablevfs
