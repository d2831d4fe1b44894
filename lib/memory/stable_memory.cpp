#include "lib/memory/stable_memory.h"

#include <string>

#include "lib/core/trap.h"

namespace stablevfs {

void CheckAccess(const char* what, uint64_t offset_bytes, uint64_t len, uint64_t size_bytes) {
  // offset + len may overflow; compare without adding.
  if (offset_bytes > size_bytes || len > size_bytes - offset_bytes) {
    throw Trap(std::string("stable memory ") + what + " out of bounds: offset " + std::to_string(offset_bytes) +
               " + length " + std::to_string(len) + " > size " + std::to_string(size_bytes) + " bytes");
  }
}

}  // namespace stablevfs
