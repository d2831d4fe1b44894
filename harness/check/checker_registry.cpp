// Independent by design; see ARCHITECTURE.md. Never includes lib/layout.
#include "harness/check/checker_registry.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>

#include "harness/check/builtin_checkers.h"
#include "harness/check/raw_codec.h"

namespace stablevfs::check {

// Entries live in a deque and are never moved, so pointers stay valid; an unregistered entry is marked dead.
struct CheckerRegistry::State {
  mutable std::mutex mutex;
  std::deque<CheckerInfo> entries;
  std::vector<bool> alive;
  std::vector<bool> builtin;
};

namespace {

void Validate(const CheckerInfo& info) {
  if (info.name.empty()) throw std::invalid_argument("a checker needs a name");
  if (!info.check || !info.superblock) {
    throw std::invalid_argument("checker " + info.name + " needs both a check and a superblock function");
  }
}

}  // namespace

CheckerRegistry::CheckerRegistry() : state_(std::make_shared<State>()) {
  for (CheckerInfo& info : BuiltinCheckers()) {
    Validate(info);
    state_->entries.push_back(std::move(info));
    state_->alive.push_back(true);
    state_->builtin.push_back(true);
  }
}

CheckerRegistry& CheckerRegistry::Global() {
  static CheckerRegistry* registry = new CheckerRegistry();  // never destroyed: pointers outlive teardown
  return *registry;
}

void CheckerRegistry::Register(CheckerInfo info) {
  Validate(info);
  std::lock_guard lock(state_->mutex);
  for (size_t i = 0; i < state_->entries.size(); ++i) {
    if (state_->alive[i] && state_->entries[i].name == info.name) {
      throw std::invalid_argument("a checker named '" + info.name + "' is already registered");
    }
  }
  state_->entries.push_back(std::move(info));
  state_->alive.push_back(true);
  state_->builtin.push_back(false);
}

void CheckerRegistry::Unregister(std::string_view name) {
  std::lock_guard lock(state_->mutex);
  for (size_t i = 0; i < state_->entries.size(); ++i) {
    if (!state_->alive[i] || state_->entries[i].name != name) continue;
    if (state_->builtin[i]) throw std::invalid_argument("checker " + std::string(name) + " is builtin");
    state_->alive[i] = false;
    return;
  }
  throw std::invalid_argument("no checker named '" + std::string(name) + "'");
}

const CheckerInfo* CheckerRegistry::Find(std::string_view name) const {
  std::lock_guard lock(state_->mutex);
  for (size_t i = 0; i < state_->entries.size(); ++i) {
    if (state_->alive[i] && state_->entries[i].name == name) return &state_->entries[i];
  }
  return nullptr;
}

const CheckerInfo* CheckerRegistry::FindStored(std::span<const uint8_t, 8> magic, uint32_t version) const {
  std::lock_guard lock(state_->mutex);
  for (size_t i = 0; i < state_->entries.size(); ++i) {
    const CheckerInfo& info = state_->entries[i];
    if (state_->alive[i] && info.version == version && std::equal(magic.begin(), magic.end(), info.magic.begin())) {
      return &info;
    }
  }
  return nullptr;
}

std::vector<const CheckerInfo*> CheckerRegistry::All() const {
  std::lock_guard lock(state_->mutex);
  std::vector<const CheckerInfo*> out;
  for (size_t i = 0; i < state_->entries.size(); ++i) {
    if (state_->alive[i]) out.push_back(&state_->entries[i]);
  }
  return out;
}

std::string CheckerRegistry::Names() const {
  std::string out;
  for (const CheckerInfo* info : All()) out += (out.empty() ? "" : ", ") + info->name;
  return out;
}

namespace {

// The magic and version at offsets 0 and 8, when the source holds them.
struct StoredHead {
  std::array<uint8_t, 8> magic{};
  uint32_t version = 0;
};
std::optional<StoredHead> ReadHead(const ByteSource& source) {
  if (!source.Contains(0, 12)) return std::nullopt;
  const std::vector<uint8_t> head = source.ReadVector(0, 12);
  StoredHead out;
  std::copy_n(head.begin(), 8, out.magic.begin());
  out.version = LoadLe32(head, 8);
  return out;
}

}  // namespace

const CheckerInfo* CheckerFor(const ByteSource& source, std::string_view preferred) {
  const std::optional<StoredHead> head = ReadHead(source);
  if (!head) return nullptr;
  if (!preferred.empty()) {
    const CheckerInfo* info = CheckerRegistry::Global().Find(preferred);
    if (info != nullptr && info->version == head->version && info->magic == head->magic) return info;
  }
  return CheckerRegistry::Global().FindStored(head->magic, head->version);
}

LayoutReport CheckImage(const ByteSource& source, const CheckOptions& options, std::string_view preferred) {
  if (const CheckerInfo* checker = CheckerFor(source, preferred)) return checker->check(source, options);
  LayoutReport report;
  ProblemCollector out(report, options.max_problems);
  const uint64_t size = source.size_bytes();
  report.source_bytes = size;
  report.space.allocated_bytes = size;
  if (size % kWasmPageBytes != 0) {
    out.Add(ProblemKind::kImageSize, size, "memory of " + std::to_string(size) +
                                               " bytes is not a whole number of 64 KiB pages");
  }
  const std::optional<StoredHead> head = ReadHead(source);
  if (!head) {
    out.Add(ProblemKind::kTooSmall, 0,
            size == 0 ? std::string("empty memory: never initialised, no superblock")
                      : "memory of " + std::to_string(size) + " bytes cannot hold a superblock");
    return report;
  }
  bool known_magic = false;
  for (const CheckerInfo* info : CheckerRegistry::Global().All()) known_magic = known_magic || info->magic == head->magic;
  if (!known_magic) {
    out.Add(ProblemKind::kBadMagic, field::kMagic,
            "no ICSQLITE magic (nor another registered layout's): not an image of layouts " +
                CheckerRegistry::Global().Names());
    return report;
  }
  out.Add(ProblemKind::kBadVersion, field::kVersion,
          "superblock version " + std::to_string(head->version) + " is not a registered layout (" +
              CheckerRegistry::Global().Names() + ")");
  return report;
}

std::optional<SuperblockFields> DecodeSuperblock(const ByteSource& source, std::string_view preferred) {
  if (const CheckerInfo* checker = CheckerFor(source, preferred)) return checker->superblock(source);
  return std::nullopt;
}

}  // namespace stablevfs::check
