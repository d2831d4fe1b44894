#include "failpoints/failpoint.h"

#include <array>

namespace stablevfs::fp {
namespace {

// The permanent action names, indexed by Action.
constexpr std::array<std::string_view, kActionCount> kActionNames = {
    "off", "error", "trap", "crash", "torn", "lost", "misdirect", "bitflip"};

}  // namespace

std::string_view ActionName(Action action) { return kActionNames[static_cast<size_t>(action)]; }

bool ParseAction(std::string_view name, Action* out) {
  for (size_t i = 0; i < kActionNames.size(); ++i) {
    if (kActionNames[i] == name) {
      *out = static_cast<Action>(i);
      return true;
    }
  }
  return false;
}

Abort::Abort(Action action, std::string site)
    : action_(action),
      site_(std::move(site)),
      what_("failpoint '" + site_ + "' fired with action '" + std::string(ActionName(action)) + "'") {}

void Raise(std::string_view site, Action action) { throw Abort(action, std::string(site)); }

}  // namespace stablevfs::fp
