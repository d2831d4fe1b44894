// Layout registry tests: the builtins are there with their declared facts, registration refuses what would be
// ambiguous, and Layout::Open dispatches on the stored magic and version (preferring the caller's layout when it
// stores the same ones, so a registered variant stays itself across reopens).
//
// Method: a variant of layout 6 registered under a test name (it wraps layout 6's own open and format and
// counts the calls), opened and reopened through Layout::Open with and without a preference.
#include <gtest/gtest.h>

#include <string>

#include "lib/layout/builtin_layouts.h"
#include "lib/layout/layout.h"
#include "lib/layout/layout_registry.h"
#include "lib/layout/little_endian.h"
#include "lib/memory/heap_stable_memory.h"

namespace stablevfs {
namespace {

TEST(LayoutRegistryTest, BuiltinsAreRegisteredWithTheirFacts) {
  const LayoutInfo* six = LayoutRegistry::Global().Find("6");
  ASSERT_NE(six, nullptr);
  EXPECT_EQ(six->version, 6u);
  EXPECT_EQ(six->magic, kIcSqliteMagic);
  EXPECT_EQ(six->atomicity, CommitAtomicity::kPowerLoss);
  EXPECT_TRUE(six->Reaches("commit.page_table_write"));
  EXPECT_FALSE(six->Reaches("overlay.write")) << "shared sites are not a layout's own";
  EXPECT_EQ(&DefaultLayout(), six);
  EXPECT_EQ(LayoutRegistry::Global().Builtins().size(), BuiltinLayouts().size());
  EXPECT_EQ(LayoutRegistry::Global().FindStored(kIcSqliteMagic, 6), six);
  EXPECT_EQ(LayoutRegistry::Global().FindStored(kIcSqliteMagic, 99), nullptr);
  EXPECT_EQ(LayoutRegistry::Global().Find("nope"), nullptr);
}

TEST(LayoutRegistryTest, RegistrationRefusesBadOrDuplicateEntries) {
  LayoutInfo info = *LayoutRegistry::Global().Find("6");
  EXPECT_EQ(LayoutRegistry::Global().Register(info).code(), ErrorCode::kInvalidArgument) << "name taken";
  info.name = "has blank";
  EXPECT_EQ(LayoutRegistry::Global().Register(info).code(), ErrorCode::kInvalidArgument);
  info.name = "";
  EXPECT_EQ(LayoutRegistry::Global().Register(info).code(), ErrorCode::kInvalidArgument);
  info.name = "no-open";
  info.open = nullptr;
  EXPECT_EQ(LayoutRegistry::Global().Register(info).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(LayoutRegistry::Global().Unregister("6").code(), ErrorCode::kInvalidArgument) << "builtins stay";
  EXPECT_EQ(LayoutRegistry::Global().Unregister("never-registered").code(), ErrorCode::kInvalidArgument);
}

// A variant of layout 6 that counts how often it formats and opens: which layout Open chose is visible.
struct CountingVariant {
  int formats = 0;
  int opens = 0;
  LayoutInfo Info() {
    LayoutInfo info = *LayoutRegistry::Global().Find("6");
    info.name = "6-counting-test";
    const LayoutInfo::OpenFn format = info.format, open = info.open;
    info.format = [this, format](StableMemory& m) { ++formats; return format(m); };
    info.open = [this, open](StableMemory& m) { ++opens; return open(m); };
    return info;
  }
};

TEST(LayoutRegistryTest, OpenPrefersTheCallersLayoutForItsOwnMagicAndVersion) {
  CountingVariant counting;
  ASSERT_TRUE(LayoutRegistry::Global().Register(counting.Info()).ok());
  const LayoutInfo* variant = LayoutRegistry::Global().Find("6-counting-test");
  ASSERT_NE(variant, nullptr);
  EXPECT_EQ(LayoutRegistry::Global().FindStored(kIcSqliteMagic, 6)->name, "6") << "the builtin registered first";

  HeapStableMemory memory;
  const LayoutInfo* opened_as = nullptr;
  ASSERT_TRUE(Layout::Open(memory, variant, &opened_as).ok());
  EXPECT_EQ(opened_as, variant);
  EXPECT_EQ(counting.formats, 1);
  ASSERT_TRUE(Layout::Open(memory, variant, &opened_as).ok());
  EXPECT_EQ(opened_as, variant) << "a reopen keeps the variant";
  EXPECT_EQ(counting.opens, 1);
  ASSERT_TRUE(Layout::Open(memory, nullptr, &opened_as).ok());
  EXPECT_EQ(opened_as->name, "6") << "without a preference the stored version picks the builtin";
  EXPECT_EQ(counting.opens, 1);
  ASSERT_TRUE(LayoutRegistry::Global().Unregister("6-counting-test").ok());
  EXPECT_EQ(LayoutRegistry::Global().Find("6-counting-test"), nullptr);
}

TEST(LayoutRegistryTest, UnknownVersionAndForeignBytesAreRefusedUntouched) {
  HeapStableMemory memory;
  ASSERT_TRUE(Layout::Open(memory).ok());
  std::array<uint8_t, 4> version{};
  StoreU32Le(version, 77);
  memory.write(8, version);
  const std::vector<uint8_t> before = memory.bytes();
  Result<std::unique_ptr<Layout>> opened = Layout::Open(memory);
  ASSERT_EQ(opened.status().code(), ErrorCode::kUnsupportedVersion);
  EXPECT_NE(opened.status().message().find("77"), std::string::npos) << opened.status().ToString();
  EXPECT_NE(opened.status().message().find(LayoutRegistry::Global().Names()), std::string::npos);
  EXPECT_EQ(memory.bytes(), before);

  HeapStableMemory foreign;
  ASSERT_EQ(foreign.grow(1), 0);
  const std::array<uint8_t, 3> junk = {'M', 'G', 'R'};
  foreign.write(0, junk);
  EXPECT_EQ(Layout::Open(foreign).status().code(), ErrorCode::kForeignImage);
}

}  // namespace
}  // namespace stablevfs
