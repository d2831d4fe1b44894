#include "harness/faults/layout_sites.h"

namespace stablevfs::faults {

bool IsLayoutSite(std::string_view site) {
  for (const LayoutInfo* info : LayoutRegistry::Global().All()) {
    if (info->Reaches(site)) return true;
  }
  return false;
}

bool SiteReachedBy(std::string_view site, const LayoutInfo& layout) {
  return layout.Reaches(site) || !IsLayoutSite(site);
}

std::vector<fp::SiteInfo> SitesReachedBy(const LayoutInfo& layout, const fp::Catalogue& catalogue) {
  std::vector<fp::SiteInfo> out;
  for (const fp::SiteInfo& site : catalogue.All()) {
    if (SiteReachedBy(site.name, layout)) out.push_back(site);
  }
  return out;
}

bool CrashMayLeaveNewState(std::string_view site, const LayoutInfo& layout) {
  return site == kStorageWriteSite || layout.Reaches(site);
}

}  // namespace stablevfs::faults
