// PageSet: a set of page indices with O(1) insert and lookup and a Clear() that costs what was inserted.
//
// The simulator keeps two of these: the 4 KiB pages a message has dirtied (its undo set) and the pages
// changed since the last snapshot. Both must be cleared after every message without touching a bit per
// page of a possibly huge memory, so the set keeps its members in a list beside the bitmap and Clear()
// walks only the list. Members are listed in insertion order, which makes undo deterministic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace stablevfs::sim {

class PageSet {
 public:
  // Adds `page`. Returns true when it was not yet a member.
  bool Insert(uint64_t page) {
    const uint64_t word = page / 64;
    const uint64_t bit = uint64_t{1} << (page % 64);
    if (word >= bits_.size()) {
      // Grow geometrically so that a memory growing page by page costs amortized O(1) per page.
      size_t words = bits_.size() < 16 ? 16 : bits_.size();
      while (words <= word) words *= 2;
      bits_.resize(words, 0);
    }
    if (bits_[word] & bit) return false;
    bits_[word] |= bit;
    members_.push_back(page);
    return true;
  }

  bool Contains(uint64_t page) const {
    const uint64_t word = page / 64;
    return word < bits_.size() && (bits_[word] >> (page % 64)) & 1;
  }

  // The members in insertion order.
  std::span<const uint64_t> members() const { return members_; }
  size_t size() const { return members_.size(); }
  bool empty() const { return members_.empty(); }

  // Removes every member. Costs O(size()), not O(largest page), and keeps the capacity for reuse.
  void Clear() {
    for (const uint64_t page : members_) bits_[page / 64] = 0;
    members_.clear();
  }

 private:
  std::vector<uint64_t> bits_;
  std::vector<uint64_t> members_;
};

}  // namespace stablevfs::sim
