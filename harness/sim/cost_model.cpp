#include "harness/sim/cost_model.h"

namespace stablevfs::sim {
namespace {

constexpr uint64_t kGiB = 1024ull * 1024 * 1024;

// The dirty-page limits are stated in bytes by the IC and enforced in 4 KiB pages.
static_assert(2 * kGiB / kOsPageBytes == 524288);

}  // namespace

std::string_view MessageKindName(MessageKind kind) {
  switch (kind) {
    case MessageKind::kUpdate:
      return "update";
    case MessageKind::kQuery:
      return "query";
    case MessageKind::kUpgrade:
      return "upgrade";
  }
  return "unknown";
}

MessageLimits DefaultLimits(MessageKind kind) {
  switch (kind) {
    case MessageKind::kUpdate:
      return {.instructions_max = 40'000'000'000ull, .dirty_pages_max = 2 * kGiB / kOsPageBytes};
    case MessageKind::kQuery:
      return {.instructions_max = 5'000'000'000ull, .dirty_pages_max = 1 * kGiB / kOsPageBytes};
    case MessageKind::kUpgrade:
      return {.instructions_max = 300'000'000'000ull, .dirty_pages_max = 8 * kGiB / kOsPageBytes};
  }
  return {};
}

CostCounters& CostCounters::operator+=(const CostCounters& other) {
  read_calls += other.read_calls;
  write_calls += other.write_calls;
  bytes_read += other.bytes_read;
  bytes_written += other.bytes_written;
  grow_calls += other.grow_calls;
  dirty_pages += other.dirty_pages;
  instructions += other.instructions;
  return *this;
}

}  // namespace stablevfs::sim
