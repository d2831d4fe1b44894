// Checker registry: the independent checker of every layout, found by the magic and version an image stores.
//
// Beside each layout's codec in lib/layout stands its checker here, written again from the specification and
// registered by one line in BuiltinCheckers() (checker_registry.cpp). CheckImage reads the magic and version at
// offsets 0 and 8 of a memory and hands it to the checker that registered them, so fsck, inspect, extract, the
// judge and the transition rules need not know which layouts exist. A test or a user registers more at run
// time (CheckerRegistry::Register). A test holds this registry and the library's layout registry together:
// every layout the library registers has a checker here with the same name, magic and version.
//
// Independent by design: this registry knows nothing of lib/layout; a checker never includes the library's
// decoder (ARCHITECTURE.md).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/check/byte_source.h"
#include "harness/check/layout_report.h"

namespace stablevfs::check {

struct CheckerInfo {
  std::string name;                 // the layout's registered name ("6", "8")
  std::array<uint8_t, 8> magic{};   // stored at offset 0
  uint32_t version = 0;             // stored (u32 LE) at offset 8
  // Decodes and validates the whole image. Never throws for bad content: every inconsistency is a Problem.
  std::function<LayoutReport(const ByteSource&, const CheckOptions&)> check;
  // Decodes only the active superblock (what the judge needs between two states: flags, tx id, sizes);
  // nullopt when the memory is too small to hold one or its superblock cannot be located.
  std::function<std::optional<SuperblockFields>(const ByteSource&)> superblock;
};

class CheckerRegistry {
 public:
  // The process-wide registry, holding the builtin checkers from the first call on.
  static CheckerRegistry& Global();

  // Adds `info`; std::invalid_argument when the name is empty or taken, or a function is missing. Two checkers
  // may recognise the same magic and version (a test's variant); Find by name tells them apart.
  void Register(CheckerInfo info);
  // Removes a checker registered at run time (tests); std::invalid_argument for a builtin or an unknown name.
  void Unregister(std::string_view name);

  const CheckerInfo* Find(std::string_view name) const;
  const CheckerInfo* FindStored(std::span<const uint8_t, 8> magic, uint32_t version) const;
  std::vector<const CheckerInfo*> All() const;
  // "6, 8".
  std::string Names() const;

 private:
  CheckerRegistry();
  struct State;
  std::shared_ptr<State> state_;
};

// The checker an image in `source` asks for by its magic and version, or null (too small, unknown magic or
// version). With `preferred` (a name), that checker when it recognises the same magic and version.
const CheckerInfo* CheckerFor(const ByteSource& source, std::string_view preferred = "");

// Checks `source` with the checker CheckerFor picks. When none applies the report is not decoded and says why:
// too_small (under 12 bytes, or empty: never initialised), bad_magic (not a magic any checker knows), or
// bad_version (a known magic with a version no checker reads, naming the registered ones); image_size is
// reported too when the size is not whole 64 KiB pages.
LayoutReport CheckImage(const ByteSource& source, const CheckOptions& options = {}, std::string_view preferred = "");

// The active superblock of `source` by the checker CheckerFor picks; nullopt when none applies.
std::optional<SuperblockFields> DecodeSuperblock(const ByteSource& source, std::string_view preferred = "");

}  // namespace stablevfs::check
