// The ordered record of what one message did to stable memory, and of the storage faults injected into it.
//
// SimStableMemory appends one JournalEvent per write or grow of the current message, in order. An event
// keeps the *true* write (the offset and, in the decorator's byte arena, the bytes the library meant to
// write) apart from what the storage did with it (the fault fields), as TigerBeetle's simulated storage keeps
// true data apart from its fault record. That separation is what lets the simulator
//   - freeze the memory as if the power failed before any event (replay a prefix of the events, with their
//     faults, on top of the state before the message),
//   - heal the storage faults of a message (replay the true writes), and
//   - list every injected fault with its offsets for the judgement.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "failpoints/failpoint.h"

namespace stablevfs::sim {

// The 512-byte sector: the unit a torn write persists or loses.
inline constexpr uint64_t kSectorBytes = 512;

// Byte ranges [first, second) relative to the start of a write.
using ByteRanges = std::vector<std::pair<uint64_t, uint64_t>>;

// One event of the current message.
struct JournalEvent {
  enum class Kind : uint8_t { kWrite, kGrow };
  Kind kind = Kind::kWrite;

  // kWrite: the true write.
  uint64_t write_index = 0;   // 0-based ordinal among the message's writes
  uint64_t offset_bytes = 0;  // where the library meant the bytes to land
  uint64_t length_bytes = 0;

  // kGrow.
  uint64_t delta_pages = 0;
  int64_t grow_result = -1;   // what grow returned: the previous size, or -1

  // kWrite: what the storage did with it. kOff: the write landed as meant. kLost: nothing landed.
  // kMisdirect: it landed at landed_offset_bytes. kBitflip: it landed with bit flipped_bit of the payload
  // inverted (bit 0 = low bit of the first byte). kTorn: only persisted_ranges landed, then the power failed.
  fp::Action fault = fp::Action::kOff;
  uint64_t landed_offset_bytes = 0;  // == offset_bytes unless misdirected
  uint64_t flipped_bit = 0;
  ByteRanges persisted_ranges;       // kTorn only

  // Where the true bytes start in the decorator's journal arena (meaningful only when the journal records
  // bytes).
  uint64_t data_offset = 0;
};

// A storage fault present in the memory: what the harness injected and where.
struct InjectedFault {
  fp::Action action = fp::Action::kOff;  // kTorn, kLost, kMisdirect or kBitflip
  uint64_t message_ordinal = 0;          // 1-based ordinal of the message; 0 outside any message
  uint64_t write_index = 0;              // the write's ordinal in that message (0 outside a message)
  uint64_t offset_bytes = 0;             // where the write was meant to land
  uint64_t length_bytes = 0;
  uint64_t landed_offset_bytes = 0;      // where it landed (kMisdirect), else offset_bytes
  uint64_t flipped_bit = 0;              // kBitflip
  ByteRanges persisted_ranges;           // kTorn: what landed, relative to landed_offset_bytes

  bool operator==(const InjectedFault&) const = default;
};

// One line for a report, e.g. "misdirect message 3 write 7: 4096 bytes meant for 65536 landed at 69632".
std::string ToString(const InjectedFault& fault);

}  // namespace stablevfs::sim
