// Test-only layouts: deliberately broken variants the gate must catch, and a small layout of one's own written
// by following docs/adding-a-layout.md. They are built into test targets only (the `stablevfs-variants`
// command and the tests that link this library), never into the library or the `stablevfs` command.
//
//   8-no-trap   layout 8 whose page-write failure after the first page returns the injected error instead
//               of trapping (REFERENCE 3.4): the new first pages stay under the old superblock. The gate must
//               report it under the error model.
//   8-sbmirror  layout 8 that also keeps a copy of its superblock at 32 KiB, in the superblock region layout 8
//               leaves unused (the guide's example: a LayoutWrapper, an independent checker that delegates to
//               layout 8's and checks the copy, one registration line each). It keeps layout 8's promise.
#pragma once

namespace stablevfs::variants {

inline constexpr const char* kNoTrapLayout = "8-no-trap";
inline constexpr const char* kSuperblockMirrorLayout = "8-sbmirror";

// Registers every test layout and its checker (idempotent; thread-safe as the registries are).
void RegisterTestLayouts();

}  // namespace stablevfs::variants
