#include "harness/check/transition.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

// The first field in which two decoded superblocks name different states (bookkeeping fields left out), as a
// problem at its offset in `now`; nothing when they name the same state.
std::optional<Problem> CompareSuperblocks(const std::optional<SuperblockFields>& was,
                                          const std::optional<SuperblockFields>& now) {
  if (!was || !now) {
    if (was.has_value() == now.has_value()) return std::nullopt;
    return Problem{ProblemKind::kActiveStateDiffers, 0,
                   was ? "the active superblock no longer decodes" : "an active superblock appeared"};
  }
  const std::vector<std::pair<const char*, std::pair<uint64_t, uint64_t>>> common = {
      {"db_size", {was->db_size, now->db_size}},
      {"schema_version", {was->schema_version, now->schema_version}},
      {"last_tx_id", {was->last_tx_id, now->last_tx_id}},
      {"flags", {was->flags, now->flags}},
      {"checksum", {was->checksum, now->checksum}},
      {"import_expected_checksum", {was->import_expected_checksum, now->import_expected_checksum}},
      {"import_written_until", {was->import_written_until, now->import_written_until}},
      {"import_total_size", {was->import_total_size, now->import_total_size}},
      {"import_base_offset", {was->import_base_offset, now->import_base_offset}},
      {"checksum_refresh_offset", {was->checksum_refresh_offset, now->checksum_refresh_offset}},
      {"checksum_refresh_hash", {was->checksum_refresh_hash, now->checksum_refresh_hash}},
      {"checksum_refresh_tx_id", {was->checksum_refresh_tx_id, now->checksum_refresh_tx_id}},
      {"db_base_offset", {was->db_base_offset, now->db_base_offset}},
      {"page_table_offset", {was->page_table_offset, now->page_table_offset}},
      {"page_count", {was->page_count, now->page_count}},
      {"version", {was->version, now->version}},
      {"layout_version", {was->layout_version, now->layout_version}},
  };
  for (const auto& [name, values] : common) {
    if (values.first != values.second) {
      return Problem{ProblemKind::kActiveStateDiffers, now->offset_bytes,
                     std::string("the active superblock's ") + name + " changed from " + Dec(values.first) + " to " +
                         Dec(values.second)};
    }
  }
  const auto state = [](const SuperblockFields& sb) {
    std::vector<std::pair<std::string, uint64_t>> fields;
    for (const LayoutField& f : sb.layout_fields) {
      if (!f.bookkeeping) fields.emplace_back(f.name, f.value);
    }
    return fields;
  };
  if (state(*was) != state(*now)) {
    return Problem{ProblemKind::kActiveStateDiffers, now->offset_bytes,
                   "the active superblock's layout fields (its map) changed"};
  }
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
    if (extent.compare_fields) {
      // The state the superblock names: every decoded field of both sides but the bookkeeping ones.
      const std::optional<SuperblockFields> was = DecodeSuperblock(before, layout);
      const std::optional<SuperblockFields> now = DecodeSuperblock(after, layout);
      if (std::optional<Problem> differs = CompareSuperblocks(was, now)) problems.push_back(std::move(*differs));
      continue;
    }
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
