#include "lib/db/statement_cache.h"

#include <sqlite3.h>

#include <cassert>

namespace stablevfs {

StatementCache::StatementCache(size_t capacity) : capacity_(capacity) { assert(capacity > 0); }

StatementCache::~StatementCache() { Clear(); }

sqlite3_stmt* StatementCache::Find(std::string_view sql) {
  auto it = index_.find(sql);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  entries_.splice(entries_.begin(), entries_, it->second);  // now the most recently used; iterators stay valid
  return it->second->second;
}

void StatementCache::Insert(std::string sql, sqlite3_stmt* stmt) {
  assert(stmt != nullptr);
  assert(index_.find(sql) == index_.end());
  if (entries_.size() >= capacity_) {
    Entry& victim = entries_.back();
    sqlite3_finalize(victim.second);
    index_.erase(victim.first);
    entries_.pop_back();
    ++stats_.evictions;
  }
  entries_.emplace_front(std::move(sql), stmt);
  index_.emplace(entries_.front().first, entries_.begin());
  stats_.size = entries_.size();
}

void StatementCache::Clear() {
  for (Entry& entry : entries_) sqlite3_finalize(entry.second);
  entries_.clear();
  index_.clear();
  stats_.size = 0;
}

}  // namespace stablevfs
