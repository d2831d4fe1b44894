// KvData: the keys and values of the KV benchmark table, as pure functions of an index.
//
// Every workload and every backend must see byte-identical data, run after run, so keys and values are
// computed from their row index (and a generation for rewritten values), never drawn from a clock or a
// shared generator. Keys are fixed-width text, "k" + 8 decimal digits ("k00000042"), so that text order equals
// index order and an ordered scan visits rows in index order; this is also the original benchmark's key
// shape, which keeps B-tree fan-out comparable. Values are BLOBs of a configurable length (100 bytes by
// default) filled from a 64-bit mixing function, so they do not compress into runs of equal bytes and a
// rewritten value (generation > 0) differs from the one it replaces in every 8-byte word.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/db/value.h"

namespace stablevfs::bench {

// The schema every KV workload uses (REFERENCE.md section 5).
inline constexpr std::string_view kKvCreateSql =
    "CREATE TABLE kv(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID";
inline constexpr std::string_view kKvDropSql = "DROP TABLE IF EXISTS kv";

// Keys are "k" + 8 digits, so indices must stay below 10^8 (the churn test at full size reaches 105,000).
inline constexpr uint64_t kKvIndexLimit = 100'000'000;
inline constexpr size_t kKvKeyBytes = 9;

// The key of row `index`: "k%08u". REQUIRES: index < kKvIndexLimit.
std::string KvKey(uint64_t index);

// The value of row `index` after `generation` rewrites (0 = as first inserted): `value_bytes` bytes.
std::vector<uint8_t> KvValue(uint64_t index, uint64_t generation, uint32_t value_bytes);

// The same, as bound parameters.
inline Value KvKeyParam(uint64_t index) { return Value(KvKey(index)); }
inline Value KvValueParam(uint64_t index, uint64_t generation, uint32_t value_bytes) {
  return Value(Blob{KvValue(index, generation, value_bytes)});
}

// A stride coprime with `count` (count >= 1), used to visit all of [0, count) in a scattered but fixed order:
// index_i = (i * stride) % count. Scattered reads touch many leaf pages instead of the first few, which is
// what exercises a VFS read path.
uint64_t ScatterStride(uint64_t count);

}  // namespace stablevfs::bench
