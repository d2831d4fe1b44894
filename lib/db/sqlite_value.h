// Value <-> SQLite: binding a Value to a statement parameter and reading a result column as a Value. One
// conversion for every SQLite connection the project drives with Values: the library's (sqlite_connection.h),
// the benchmark's memdb/unix baselines (same costs as the library, by construction) and the slt stock engine.
#pragma once

#include <sqlite3.h>

#include "lib/db/value.h"

namespace stablevfs {

// Binds `value` to parameter `index` (1-based); returns SQLite's result code. Text and BLOBs are copied
// (SQLITE_TRANSIENT), so the value need not outlive the call. An empty BLOB binds as a zero-length BLOB, not NULL.
int BindValue(sqlite3_stmt* stmt, int index, const Value& value);

// Column `column` of the current row, by its storage class.
Value ReadColumn(sqlite3_stmt* stmt, int column);

}  // namespace stablevfs
