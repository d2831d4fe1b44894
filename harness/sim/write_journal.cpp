#include "harness/sim/write_journal.h"

namespace stablevfs::sim {

std::string ToString(const InjectedFault& fault) {
  std::string out(fp::ActionName(fault.action));
  if (fault.message_ordinal != 0) {
    out += " message " + std::to_string(fault.message_ordinal) + " write " + std::to_string(fault.write_index);
  } else {
    out += " outside any message";
  }
  out += ": " + std::to_string(fault.length_bytes) + " bytes meant for " + std::to_string(fault.offset_bytes);
  switch (fault.action) {
    case fp::Action::kMisdirect:
      out += " landed at " + std::to_string(fault.landed_offset_bytes);
      break;
    case fp::Action::kBitflip:
      out += " landed with bit " + std::to_string(fault.flipped_bit) + " flipped";
      break;
    case fp::Action::kTorn: {
      out += " persisted only";
      if (fault.persisted_ranges.empty()) out += " nothing";
      for (const auto& [begin, end] : fault.persisted_ranges) {
        out += " [" + std::to_string(begin) + "," + std::to_string(end) + ")";
      }
      break;
    }
    case fp::Action::kLost:
      out += " never landed";
      break;
    default:
      break;
  }
  return out;
}

}  // namespace stablevfs::sim
