#include "lib/layout/layout_registry.h"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <mutex>

#include "lib/layout/builtin_layouts.h"

namespace stablevfs {

std::string_view CommitAtomicityName(CommitAtomicity atomicity) {
  switch (atomicity) {
    case CommitAtomicity::kTrapRollback: return "trap-rollback";
    case CommitAtomicity::kPowerLoss: return "power-loss";
    case CommitAtomicity::kTornBytes: return "torn-bytes";
  }
  return "unknown";
}

bool LayoutInfo::Reaches(std::string_view site) const {
  return std::find(sites.begin(), sites.end(), site) != sites.end();
}

struct LayoutRegistry::Entry {
  LayoutInfo info;
  bool builtin = false;
};

// Entries live in a deque and are never moved, so the pointers handed out stay valid while others register.
// An unregistered entry is only marked dead: a worker may still hold its pointer.
struct LayoutRegistry::State {
  mutable std::mutex mutex;
  std::deque<Entry> entries;
  std::vector<bool> alive;
};

namespace {

Status CheckInfo(const LayoutInfo& info) {
  if (info.name.empty() || info.name.find_first_of(" \t\r\n,") != std::string::npos) {
    return Status::InvalidArgument("a layout name must be a non-empty token without blanks or commas, got '" +
                                   info.name + "'");
  }
  if (!info.format || !info.open) {
    return Status::InvalidArgument("layout " + info.name + " needs both a format and an open function");
  }
  return Status::Ok();
}

}  // namespace

LayoutRegistry::LayoutRegistry() : state_(std::make_shared<State>()) {
  for (LayoutInfo& info : BuiltinLayouts()) {
    if (!CheckInfo(info).ok()) continue;  // a builtin that does not check is caught by the registry tests
    state_->entries.push_back(Entry{std::move(info), true});
    state_->alive.push_back(true);
  }
}

LayoutRegistry& LayoutRegistry::Global() {
  static LayoutRegistry* registry = new LayoutRegistry();  // never destroyed: pointers outlive static teardown
  return *registry;
}

Status LayoutRegistry::Register(LayoutInfo info) {
  STABLEVFS_RETURN_IF_ERROR(CheckInfo(info));
  std::lock_guard lock(state_->mutex);
  for (size_t i = 0; i < state_->entries.size(); ++i) {
    if (state_->alive[i] && state_->entries[i].info.name == info.name) {
      return Status::InvalidArgument("a layout named '" + info.name + "' is already registered");
    }
  }
  state_->entries.push_back(Entry{std::move(info), false});
  state_->alive.push_back(true);
  return Status::Ok();
}

Status LayoutRegistry::Unregister(std::string_view name) {
  std::lock_guard lock(state_->mutex);
  for (size_t i = 0; i < state_->entries.size(); ++i) {
    if (!state_->alive[i] || state_->entries[i].info.name != name) continue;
    if (state_->entries[i].builtin) {
      return Status::InvalidArgument("layout " + std::string(name) + " is builtin and cannot be unregistered");
    }
    state_->alive[i] = false;
    return Status::Ok();
  }
  return Status::InvalidArgument("no layout named '" + std::string(name) + "' is registered");
}

const LayoutInfo* LayoutRegistry::Find(std::string_view name) const {
  std::lock_guard lock(state_->mutex);
  for (size_t i = 0; i < state_->entries.size(); ++i) {
    if (state_->alive[i] && state_->entries[i].info.name == name) return &state_->entries[i].info;
  }
  return nullptr;
}

const LayoutInfo* LayoutRegistry::FindStored(std::span<const uint8_t, 8> magic, uint32_t version) const {
  std::lock_guard lock(state_->mutex);
  for (size_t i = 0; i < state_->entries.size(); ++i) {
    const LayoutInfo& info = state_->entries[i].info;
    if (state_->alive[i] && info.version == version && std::equal(magic.begin(), magic.end(), info.magic.begin())) {
      return &info;
    }
  }
  return nullptr;
}

std::vector<const LayoutInfo*> LayoutRegistry::All() const {
  std::lock_guard lock(state_->mutex);
  std::vector<const LayoutInfo*> out;
  for (size_t i = 0; i < state_->entries.size(); ++i) {
    if (state_->alive[i]) out.push_back(&state_->entries[i].info);
  }
  return out;
}

std::vector<const LayoutInfo*> LayoutRegistry::Builtins() const {
  std::lock_guard lock(state_->mutex);
  std::vector<const LayoutInfo*> out;
  for (size_t i = 0; i < state_->entries.size(); ++i) {
    if (state_->alive[i] && state_->entries[i].builtin) out.push_back(&state_->entries[i].info);
  }
  return out;
}

std::string LayoutRegistry::Names() const {
  std::string out;
  for (const LayoutInfo* info : All()) {
    if (!out.empty()) out += ", ";
    out += info->name;
  }
  return out;
}

const LayoutInfo& DefaultLayout() {
  const LayoutInfo* info = LayoutRegistry::Global().Find(kDefaultLayoutName);
  if (info == nullptr) std::abort();  // the builtin table lost layout 6: nothing can run
  return *info;
}

}  // namespace stablevfs
