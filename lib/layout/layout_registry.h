// Layout registry: every on-disk layout the library can format and open, with what each one promises.
//
// A layout registers its name (what `--layout NAME` and a scenario's `layout` line say), the magic and
// superblock version it stores at offsets 0 and 8 of its memory (how Layout::Open recognizes it), what its
// commits promise under failure, the layout-level failpoint sites its code evaluates, and how it formats a
// fresh memory and opens an existing one. The VFS, the Db facade and every tool reach a layout only through
// this registry, so adding a layout is a codec plus one line in BuiltinLayouts() (layout_registry.cpp); a test
// or an embedding program may Register() more at run time (a deliberately broken variant, a user's layout).
//
// Promises (CommitAtomicity) are the declared fact the harness judges against: a layout is expected to
// survive exactly the crash models its promise covers (harness/faults/vocabulary.h), and a failure under a
// model it does not promise is an expected failure, shown with its counterexample, never hidden.
//
// Thread safety: Register and Unregister take a lock; the LayoutInfo pointers the lookups return stay valid
// until that layout is unregistered (builtins never are), so workers may use them while others look up.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/status.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs {

class Layout;

// What a layout promises about a commit interrupted by a failure. Ordered: each promise includes the ones
// before it.
enum class CommitAtomicity : uint8_t {
  // Atomic only because the IC rolls a trapped message back: an interrupted commit may leave a third state
  // in a memory that keeps what was written (layout 8).
  kTrapRollback,
  // Atomic under power loss: a crash at any write leaves the old or the new state, also when the write in
  // flight tears, provided the memory persists whole 512-byte sectors (layout 6).
  kPowerLoss,
  // Atomic under power loss even when the write in flight tears at any byte (no sector atomicity assumed).
  kTornBytes,
};

// "trap-rollback", "power-loss", "torn-bytes": permanent (reports and the verdict matrix print them).
std::string_view CommitAtomicityName(CommitAtomicity atomicity);

// The 8-byte magic at offset 0 shared by the ic-sqlite-vfs family ("ICSQLITE", REFERENCE 3.1).
inline constexpr std::array<uint8_t, 8> kIcSqliteMagic = {'I', 'C', 'S', 'Q', 'L', 'I', 'T', 'E'};

struct LayoutInfo {
  using OpenFn = std::function<Result<std::unique_ptr<Layout>>(StableMemory&)>;

  std::string name;                   // "6", "8": a short token, no blanks
  std::array<uint8_t, 8> magic = kIcSqliteMagic;  // stored at offset 0
  uint32_t version = 0;               // the superblock version stored (u32 LE) at offset 8
  CommitAtomicity atomicity = CommitAtomicity::kTrapRollback;
  std::string summary;                // one line for --help and reports
  std::vector<std::string> sites;     // layout-level failpoint sites its code evaluates (catalogued names)
  // Makes an empty (or all-zero) memory a fresh, empty database of this layout.
  OpenFn format;
  // Opens a memory that holds this layout's magic and version. Never writes to a memory it refuses.
  OpenFn open;

  bool Reaches(std::string_view site) const;
};

class LayoutRegistry {
 public:
  // The process-wide registry, holding the builtin layouts (BuiltinLayouts) from the first call on.
  static LayoutRegistry& Global();

  // Adds `info`. kInvalidArgument when the name is empty, holds a blank, or is taken, or when format or
  // open is missing. Two layouts may store the same magic and version (a test variant of a builtin); Find
  // by name tells them apart, FindStored returns the one registered first.
  Status Register(LayoutInfo info);
  // Removes a layout registered at run time (tests). Builtins cannot be removed (kInvalidArgument).
  Status Unregister(std::string_view name);

  // The layout named `name`, or null.
  const LayoutInfo* Find(std::string_view name) const;
  // The first registered layout that stores `magic` and `version`, or null.
  const LayoutInfo* FindStored(std::span<const uint8_t, 8> magic, uint32_t version) const;
  // Every layout, builtins first, each group in registration order.
  std::vector<const LayoutInfo*> All() const;
  // The builtin layouts only (what `--layout all` means).
  std::vector<const LayoutInfo*> Builtins() const;
  // "6, 8": the names, for messages that list the choices.
  std::string Names() const;

 private:
  LayoutRegistry();
  struct Entry;
  struct State;
  std::shared_ptr<State> state_;
};

// The layout a fresh memory gets when nobody chose one: layout 6, as every earlier release of this library.
inline constexpr std::string_view kDefaultLayoutName = "6";
// LayoutRegistry::Global().Find(kDefaultLayoutName); never null.
const LayoutInfo& DefaultLayout();

}  // namespace stablevfs
