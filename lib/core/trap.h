// Trap: the end of the current message.
//
// On the Internet Computer a trap aborts the message and the system discards every change it made, heap and
// stable memory alike (contents and size). A trap is therefore not an error the library can handle: it is
// thrown as an exception that nothing in lib/ swallows for good. Code that crosses the SQLite C boundary
// catches it, stores it (std::exception_ptr) and rethrows it once SQLite has returned, so a trap raised inside
// an xRead still ends the message. The harness (harness/sim) catches it at the message boundary and rolls back.
#pragma once

#include <stdexcept>
#include <string>

namespace stablevfs {

class Trap : public std::runtime_error {
 public:
  explicit Trap(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace stablevfs
