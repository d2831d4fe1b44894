#include "harness/model/page_model.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace stablevfs::model {
namespace {

// A model that silently wrapped around would agree with a buggy library; refuse sizes no file can have.
uint64_t CheckedEnd(uint64_t offset, uint64_t length) {
  if (length > UINT64_MAX - offset) {
    throw std::length_error("page model write at " + std::to_string(offset) + " of " + std::to_string(length) +
                            " bytes overflows");
  }
  return offset + length;
}

}  // namespace

void PageModel::OnWrite(uint64_t offset, std::span<const uint8_t> data) {
  CheckedEnd(offset, data.size());
  pending_.emplace_back(Write{offset, std::vector<uint8_t>(data.begin(), data.end())});
}

void PageModel::OnTruncate(uint64_t size_bytes) { pending_.emplace_back(Truncate{size_bytes}); }

void PageModel::Apply(const Event& event, std::vector<uint8_t>& file) {
  if (const Write* write = std::get_if<Write>(&event)) {
    const uint64_t end = CheckedEnd(write->offset, write->data.size());
    if (end > file.size()) file.resize(end, 0);
    std::copy(write->data.begin(), write->data.end(), file.begin() + static_cast<std::ptrdiff_t>(write->offset));
  } else {
    file.resize(std::get<Truncate>(event).size_bytes, 0);
  }
}

void PageModel::Commit() {
  for (const Event& event : pending_) Apply(event, bytes_);
  pending_.clear();
}

void PageModel::Discard() { pending_.clear(); }

void PageModel::SetImage(std::vector<uint8_t> image) {
  bytes_ = std::move(image);
  pending_.clear();
}

std::vector<uint8_t> PageModel::page(uint64_t page_no) const {
  std::vector<uint8_t> out(kPageBytes, 0);
  if (page_no >= size_pages()) return out;
  const uint64_t start = page_no * kPageBytes;
  const uint64_t length = std::min<uint64_t>(kPageBytes, bytes_.size() - start);
  std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(start), length, out.begin());
  return out;
}

std::vector<uint8_t> PageModel::PendingImage() const {
  std::vector<uint8_t> file = bytes_;
  for (const Event& event : pending_) Apply(event, file);
  return file;
}

}  // namespace stablevfs::model
