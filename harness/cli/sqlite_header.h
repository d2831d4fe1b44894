// The SQLite file header (the first 100 bytes of a database file, https://sqlite.org/fileformat.html#the_database_header),
// checked before `stablevfs sql` runs anything: a damaged header makes every statement fail inside the library
// with an internal message ("PRAGMA journal_mode ... file is not a database"); this says what is wrong
// instead, in terms of the file's bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace stablevfs::cli {

inline constexpr size_t kSqliteHeaderBytes = 100;

// What is wrong with `header`, the first 100 bytes of a database file whose pages are `page_bytes` long, or
// nullopt when the fields SQLite checks on open hold valid values: the magic string, the page size (which
// must equal `page_bytes`, the VFS's fixed page size), the read and write format versions (1 or 2), and the
// fixed payload fractions 64, 32, 32. The message names the offset and the bytes found.
std::optional<std::string> SqliteHeaderProblem(std::span<const uint8_t> header, uint64_t page_bytes);

}  // namespace stablevfs::cli
