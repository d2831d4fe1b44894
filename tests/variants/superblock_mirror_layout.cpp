#include "tests/variants/superblock_mirror_layout.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "harness/check/layout8_check.h"
#include "lib/layout/layout_wrapper.h"
#include "tests/variants/layout_variants.h"

namespace stablevfs::variants {
namespace {

// ---- the codec: a LayoutWrapper that copies the superblock after every write of it ----

class SuperblockMirror final : public LayoutWrapper {
 public:
  SuperblockMirror(std::unique_ptr<Layout> inner, StableMemory& memory)
      : LayoutWrapper(std::move(inner)), memory_(memory) {}

  // Every method that can rewrite the superblock mirrors it afterwards, whatever it returned: an error leaves
  // the superblock as it was, and copying it again changes nothing.
  Status Publish(const Overlay& overlay) override { return Mirrored(LayoutWrapper::Publish(overlay)); }
  Status StoreMeta(const Meta& meta) override { return Mirrored(LayoutWrapper::StoreMeta(meta)); }
  Status SetLastTxId(uint64_t last_tx_id) override { return Mirrored(LayoutWrapper::SetLastTxId(last_tx_id)); }
  Status BeginImportStaging(uint64_t total, uint64_t checksum) override {
    return Mirrored(LayoutWrapper::BeginImportStaging(total, checksum));
  }
  Status StageImportBytes(uint64_t offset, std::span<const uint8_t> bytes) override {
    return Mirrored(LayoutWrapper::StageImportBytes(offset, bytes));
  }
  Status PublishImport() override { return Mirrored(LayoutWrapper::PublishImport()); }
  Status DiscardImport() override { return Mirrored(LayoutWrapper::DiscardImport()); }
  Status Compact() override { return Mirrored(LayoutWrapper::Compact()); }

  // Copies the encoded superblock (layout 8: 160 bytes and 16 per zero extent) to kMirrorOffsetBytes.
  void Mirror() {
    uint64_t extents = 0;
    for (const MetaField& field : meta().layout_fields) {
      if (field.name == "zero_extent_count") extents = field.value;
    }
    std::vector<uint8_t> bytes(160 + 16 * extents);
    memory_.read(0, bytes);
    memory_.write(kMirrorOffsetBytes, bytes);
  }

 private:
  Status Mirrored(Status status) {
    Mirror();
    return status;
  }
  StableMemory& memory_;
};

}  // namespace

LayoutInfo SuperblockMirrorInfo() {
  const LayoutInfo& eight = *LayoutRegistry::Global().Find("8");
  LayoutInfo info = WrapLayout(eight, kSuperblockMirrorLayout,
                               [](std::unique_ptr<Layout> inner, StableMemory& memory) -> std::unique_ptr<Layout> {
                                 return std::make_unique<SuperblockMirror>(std::move(inner), memory);
                               });
  info.summary = "layout 8 with a copy of its superblock at 32 KiB (the example of docs/adding-a-layout.md)";
  // A fresh image gets its copy at once; an opened one already has it (open never writes).
  info.format = [format = eight.format](StableMemory& memory) -> Result<std::unique_ptr<Layout>> {
    Result<std::unique_ptr<Layout>> inner = format(memory);
    if (!inner.ok()) return inner.status();
    auto layout = std::make_unique<SuperblockMirror>(std::move(inner).value(), memory);
    layout->Mirror();
    return std::unique_ptr<Layout>(std::move(layout));
  };
  return info;
}

// ---- the checker: layout 8's, plus the copy ----

check::CheckerInfo SuperblockMirrorChecker() {
  check::CheckerInfo info = check::Layout8Checker();
  info.name = kSuperblockMirrorLayout;
  info.check = [](const check::ByteSource& source, const check::CheckOptions& options) {
    check::LayoutReport report = check::CheckLayout8(source, options);
    report.layout = kSuperblockMirrorLayout;
    if (!report.decoded) return report;
    const std::vector<uint8_t>& superblock = report.superblock.raw;
    if (!source.Contains(kMirrorOffsetBytes, superblock.size())) {
      report.problems.push_back({check::ProblemKind::kTooSmall, kMirrorOffsetBytes,
                                 "no room for the superblock's copy at 32 KiB"});
      return report;
    }
    const std::vector<uint8_t> copy = source.ReadVector(kMirrorOffsetBytes, superblock.size());
    const auto differs = std::mismatch(superblock.begin(), superblock.end(), copy.begin());
    if (differs.first != superblock.end()) {
      const uint64_t at = static_cast<uint64_t>(differs.first - superblock.begin());
      report.problems.push_back({check::ProblemKind::kMetaChecksum, kMirrorOffsetBytes + at,
                                 "the superblock's copy at 32 KiB differs from the superblock at byte " +
                                     std::to_string(at)});
    }
    return report;
  };
  return info;
}

void RegisterSuperblockMirrorLayout() {
  if (!LayoutRegistry::Global().Register(SuperblockMirrorInfo()).ok()) std::abort();
  check::CheckerRegistry::Global().Register(SuperblockMirrorChecker());
}

}  // namespace stablevfs::variants
