// The Internet Computer's cost model and per-message limits for stable memory (REFERENCE.md section 1).
//
// What a message pays in instructions for touching stable memory, and how much it may spend before it traps:
//   - every stable read or write call: 20 instructions + 1 per byte;
//   - every 4 KiB OS page the message dirties for the first time: 1,000 instructions;
//   - every grow call: 500 instructions.
// Limits depend on the message kind (application subnets): instructions 40e9 update, 5e9 query, 300e9 upgrade;
// dirty pages 2 GiB update, 1 GiB query, 8 GiB upgrade, counted in 4 KiB pages. Exceeding one traps.
//
// This header only holds the numbers and the counters; SimStableMemory (sim_stable_memory.h) charges them.
// The constants are plain data, so a test or a what-if run can use another cost model without new code.
#pragma once

#include <cstdint>
#include <string_view>

namespace stablevfs::sim {

// The OS page the IC tracks dirtiness in. Undo, dirty-page counting and charging all use it.
inline constexpr uint64_t kOsPageBytes = 4096;

// What kind of message is running: it decides the limits and whether changes survive the message.
enum class MessageKind : uint8_t {
  kUpdate,   // atomic: committed on success, rolled back on a trap
  kQuery,    // always rolled back at its end, even on success
  kUpgrade,  // install / upgrade (pre_upgrade + post_upgrade): an update with larger limits
};

// "update", "query", "upgrade".
std::string_view MessageKindName(MessageKind kind);

// Instruction prices. Defaults are the IC's (REFERENCE.md section 1).
struct CostModel {
  uint64_t access_call_instructions = 20;    // per stable read or write call
  uint64_t access_byte_instructions = 1;     // per byte read or written
  uint64_t dirty_page_instructions = 1000;   // per 4 KiB page newly dirtied in the message
  uint64_t grow_call_instructions = 500;     // per grow call (successful or not)

  // The price of one read or write call of `length_bytes` bytes, without dirty pages.
  uint64_t AccessInstructions(uint64_t length_bytes) const {
    return access_call_instructions + access_byte_instructions * length_bytes;
  }
};

// What one message may spend. Exceeding either traps the message.
struct MessageLimits {
  uint64_t instructions_max = 0;
  uint64_t dirty_pages_max = 0;  // 4 KiB pages

  bool operator==(const MessageLimits&) const = default;
};

// The IC's limits for `kind` on an application subnet.
MessageLimits DefaultLimits(MessageKind kind);

// What a message (or a whole run) did to stable memory and what it cost.
struct CostCounters {
  uint64_t read_calls = 0;
  uint64_t write_calls = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t grow_calls = 0;
  uint64_t dirty_pages = 0;      // 4 KiB pages newly dirtied (charged once per page per message)
  uint64_t instructions = 0;     // everything charged, including ChargeInstructions from the canister

  uint64_t calls() const { return read_calls + write_calls; }
  CostCounters& operator+=(const CostCounters& other);
  bool operator==(const CostCounters&) const = default;
};

}  // namespace stablevfs::sim
