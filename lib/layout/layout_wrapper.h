// LayoutWrapper: a Layout that forwards every call to another one (LevelDB's EnvWrapper idea).
//
// Derive from it and override only what you change: a variant that mirrors every page it publishes, one that
// counts calls, a deliberately broken one for a test that the harness must catch. The wrapped layout is owned.
// Register the variant with LayoutRegistry::Register and a LayoutInfo whose format and open wrap the inner
// layout's own (WrapLayout below does exactly that), so that the Db, the harness and every tool run it as they
// run any layout. See docs/adding-a-layout.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "lib/layout/layout.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs {

class LayoutWrapper : public Layout {
 public:
  // REQUIRES: inner != nullptr.
  explicit LayoutWrapper(std::unique_ptr<Layout> inner) : inner_(std::move(inner)) {}

  const Meta& meta() const override { return inner_->meta(); }
  Status ReadPage(uint64_t page_no, std::span<uint8_t> out) override { return inner_->ReadPage(page_no, out); }
  Status ReadPageBytes(uint64_t page_no, uint64_t offset_in_page, std::span<uint8_t> out) override {
    return inner_->ReadPageBytes(page_no, offset_in_page, out);
  }
  Status Publish(const Overlay& overlay) override { return inner_->Publish(overlay); }
  Status StoreMeta(const Meta& meta) override { return inner_->StoreMeta(meta); }
  Status SetLastTxId(uint64_t last_tx_id) override { return inner_->SetLastTxId(last_tx_id); }
  Status BeginImportStaging(uint64_t total_bytes, uint64_t expected_checksum) override {
    return inner_->BeginImportStaging(total_bytes, expected_checksum);
  }
  Status StageImportBytes(uint64_t offset, std::span<const uint8_t> bytes) override {
    return inner_->StageImportBytes(offset, bytes);
  }
  Status ReadStagedBytes(uint64_t offset, std::span<uint8_t> out) override {
    return inner_->ReadStagedBytes(offset, out);
  }
  Status PublishImport() override { return inner_->PublishImport(); }
  Status DiscardImport() override { return inner_->DiscardImport(); }
  Status Compact() override { return inner_->Compact(); }
  LayoutStats Stats() const override { return inner_->Stats(); }
  Status Validate() override { return inner_->Validate(); }

 protected:
  Layout& inner() { return *inner_; }
  const Layout& inner() const { return *inner_; }

 private:
  std::unique_ptr<Layout> inner_;
};

// A LayoutInfo for a variant of `base`: named `name`, storing base's magic and version, with base's promise,
// sites and summary unless the caller changes them afterwards, whose format and open run base's and hand the
// opened layout to `wrap` (which returns the wrapper; `memory` is the memory the layout lives in).
LayoutInfo WrapLayout(const LayoutInfo& base, std::string name,
                      std::function<std::unique_ptr<Layout>(std::unique_ptr<Layout> inner, StableMemory& memory)> wrap);

}  // namespace stablevfs
