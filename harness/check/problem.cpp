#include "harness/check/problem.h"

#include <cstdio>

namespace stablevfs::check {

std::string_view ProblemKindName(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kTooSmall: return "too_small";
    case ProblemKind::kImageSize: return "image_size";
    case ProblemKind::kBadMagic: return "bad_magic";
    case ProblemKind::kBadVersion: return "bad_version";
    case ProblemKind::kBadPageSize: return "bad_page_size";
    case ProblemKind::kBadLayoutVersion: return "bad_layout_version";
    case ProblemKind::kMetaChecksum: return "meta_checksum";
    case ProblemKind::kUnknownFlags: return "unknown_flags";
    case ProblemKind::kImportState: return "import_state";
    case ProblemKind::kRefreshState: return "refresh_state";
    case ProblemKind::kRootTable: return "root_table";
    case ProblemKind::kSegmentCount: return "segment_count";
    case ProblemKind::kOutOfBounds: return "out_of_bounds";
    case ProblemKind::kMisaligned: return "misaligned";
    case ProblemKind::kSuperblockOverlap: return "superblock_overlap";
    case ProblemKind::kOverlap: return "overlap";
    case ProblemKind::kMappedTwice: return "mapped_twice";
    case ProblemKind::kBeyondDbSize: return "beyond_db_size";
    case ProblemKind::kMmMagic: return "mm_magic";
    case ProblemKind::kMmVersion: return "mm_version";
    case ProblemKind::kMmBucketCount: return "mm_bucket_count";
    case ProblemKind::kMmBucketSize: return "mm_bucket_size";
    case ProblemKind::kMmReserved: return "mm_reserved";
    case ProblemKind::kMmOwner: return "mm_owner";
    case ProblemKind::kMmBucketMismatch: return "mm_bucket_mismatch";
    case ProblemKind::kMmBackingSize: return "mm_backing_size";
    case ProblemKind::kMmNoMemory: return "mm_no_memory";
    case ProblemKind::kActiveStateDiffers: return "active_state_differs";
    case ProblemKind::kLogicalDiffers: return "logical_differs";
    case ProblemKind::kTxId: return "tx_id";
    case ProblemKind::kZeroExtents: return "zero_extents";
    case ProblemKind::kPageCount: return "page_count";
    case ProblemKind::kDbBaseOffset: return "db_base_offset";
    case ProblemKind::kSlotSequence: return "slot_sequence";
  }
  return "unknown";
}

std::string FormatProblem(const Problem& problem) {
  char where[64];
  std::snprintf(where, sizeof where, "@%llu (0x%llx) ", static_cast<unsigned long long>(problem.offset_bytes),
                static_cast<unsigned long long>(problem.offset_bytes));
  return std::string(where) + std::string(ProblemKindName(problem.kind)) + ": " + problem.message;
}

std::string FormatProblems(const std::vector<Problem>& problems) {
  if (problems.empty()) return "no problems\n";
  std::string out;
  for (const Problem& problem : problems) out += FormatProblem(problem) + "\n";
  return out;
}

}  // namespace stablevfs::check
