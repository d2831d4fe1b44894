// StatementCache: a least-recently-used cache of prepared SQLite statements, keyed by SQL text.
//
// Preparing a statement parses and plans its SQL, which costs far more instructions than running a point read;
// a canister that repeats the same few statements per message keeps them prepared here. The cache owns its
// statements and finalizes them on eviction and destruction. A statement handed out by Find stays owned by the
// cache: the caller resets it before the next lookup could evict it (Connection runs one statement at a time).
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "lib/db/connection.h"

struct sqlite3_stmt;

namespace stablevfs {

class StatementCache {
 public:
  // REQUIRES: capacity > 0.
  explicit StatementCache(size_t capacity = kStatementCacheCapacity);
  // Finalizes every cached statement.
  ~StatementCache();

  // The statement prepared for exactly `sql`, now the most recently used; null when not cached. Counts a hit
  // or a miss.
  sqlite3_stmt* Find(std::string_view sql);

  // Takes ownership of `stmt` (prepared from `sql`, not cached yet) as the most recently used entry, evicting
  // and finalizing the least recently used one when full. REQUIRES: stmt != nullptr, Find(sql) returned null.
  void Insert(std::string sql, sqlite3_stmt* stmt);

  // Finalizes and forgets every statement.
  void Clear();

  const StatementCacheStats& stats() const { return stats_; }

  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

 private:
  struct TransparentHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Entry = std::pair<std::string, sqlite3_stmt*>;
  using EntryList = std::list<Entry>;  // front: most recently used

  size_t capacity_;
  EntryList entries_;
  std::unordered_map<std::string, EntryList::iterator, TransparentHash, std::equal_to<>> index_;
  StatementCacheStats stats_;
};

}  // namespace stablevfs
