// AutoVacuum: whether the database file shrinks when pages are freed.
#pragma once

#include <cstdint>

namespace stablevfs {

// SQLite's auto_vacuum mode for a database the Db creates. It can only be chosen before the first table exists
// (SQLite ignores the pragma afterwards, and VACUUM cannot run inside an update's transaction), so it applies
// to a fresh memory and is ignored for an existing image. kNone is SQLite's default and the original's: deleted
// pages go to the freelist and the file never shrinks. kFull truncates the file at every commit that freed
// pages, which is what exercises the truncate path of the overlay and the page map.
enum class AutoVacuum : uint8_t { kNone, kFull, kIncremental };

}  // namespace stablevfs
