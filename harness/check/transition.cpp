#include "harness/check/transition.h"

#include <algorithm>
#include <optional>
#include <string>

namespace stablevfs::check {
namespace {

std::string Dec(uint64_t value) { return std::to_string(value); }

std::string What(const Extent& extent) {
  switch (extent.kind) {
    case ExtentKind::kSuperblock: return "superblock region";
    case ExtentKind::kRootTable: return "root table";
    case ExtentKind::kSegmentTable: return "segment table " + Dec(extent.index);
    case ExtentKind::kPage: return "logical page " + Dec(extent.index);
  }
  return "?";
}

// Compares [offset, offset + length) of both sources in chunks, over the part each source holds. Returns the
// first differing offset (where one source ends and the other does not counts as a difference), or nothing
// when equal.
std::optional<uint64_t> FirstDifference(const ByteSource& before, const ByteSource& after, uint64_t offset,
                                        uint64_t length) {
  constexpr uint64_t kChunk = 16384;
  const auto held = [&](const ByteSource& source) -> uint64_t {
    const uint64_t size = source.size_bytes();
    return offset >= size ? 0 : std::min(length, size - offset);
  };
  const uint64_t held_before = held(before);
  const uint64_t held_after = held(after);
  const uint64_t common = std::min(held_before, held_after);
  std::vector<uint8_t> a(kChunk), b(kChunk);
  for (uint64_t done = 0; done < common; done += kChunk) {
    const uint64_t n = std::min(kChunk, common - done);
    before.Read(offset + done, std::span<uint8_t>(a.data(), n));
    after.Read(offset + done, std::span<uint8_t>(b.data(), n));
    const auto mismatch = std::mismatch(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), b.begin());
    if (mismatch.first != a.begin() + static_cast<std::ptrdiff_t>(n)) {
      return offset + done + static_cast<uint64_t>(mismatch.first - a.begin());
    }
  }
  if (held_before != held_after) return offset + common;
  return std::nullopt;
}

}  // namespace

std::vector<Problem> CompareActiveState(const ByteSource& before, const ByteSource& after,
                                        std::string_view layout) {
  std::vector<Problem> problems;
  // The superblock region first: if it is equal, the same map is named on both sides.
  const LayoutReport report = CheckImage(before, {}, layout);
  std::vector<Extent> extents = report.extents;
  if (extents.empty()) {  // an undecodable `before` still has a superblock region to compare
    extents.push_back(Extent{ExtentKind::kSuperblock, 0, kSuperblockRegionBytes, 0, 0});
  }
  for (const Extent& extent : extents) {
    const std::optional<uint64_t> at = FirstDifference(before, after, extent.offset_bytes, extent.length_bytes);
    if (!at) continue;
    const bool size_differs = !before.Contains(*at, 1) || !after.Contains(*at, 1);
    problems.push_back(Problem{ProblemKind::kActiveStateDiffers, *at,
                               size_differs ? "the memory size changed (" + Dec(before.size_bytes()) + " -> " +
                                                  Dec(after.size_bytes()) + " bytes) inside the active " +
                                                  What(extent) + " at " + Dec(extent.offset_bytes)
                                            : "active " + What(extent) + " at " + Dec(extent.offset_bytes) +
                                                  " changed (first differing byte " + Dec(*at) + ")"});
  }
  return problems;
}

std::vector<Problem> CheckTxIdTransition(const SuperblockFields& before, const SuperblockFields& after,
                                         uint64_t max_advance) {
  std::vector<Problem> problems;
  if (after.last_tx_id < before.last_tx_id) {
    problems.push_back(Problem{ProblemKind::kTxId, after.offset_bytes + field::kLastTxId,
                               "last_tx_id went backwards from " + Dec(before.last_tx_id) + " to " +
                                   Dec(after.last_tx_id)});
  } else if (after.last_tx_id - before.last_tx_id > max_advance) {
    problems.push_back(Problem{ProblemKind::kTxId, after.offset_bytes + field::kLastTxId,
                               "last_tx_id advanced from " + Dec(before.last_tx_id) + " to " +
                                   Dec(after.last_tx_id) + ", more than " + Dec(max_advance)});
  } else if (after.last_tx_id == before.last_tx_id && after.db_size != before.db_size) {
    problems.push_back(Problem{ProblemKind::kTxId, after.offset_bytes + field::kDbSize,
                               "db_size changed from " + Dec(before.db_size) + " to " + Dec(after.db_size) +
                                   " without a commit (last_tx_id stayed " + Dec(after.last_tx_id) + ")"});
  }
  return problems;
}

}  // namespace stablevfs::check
