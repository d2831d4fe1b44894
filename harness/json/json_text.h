// JSON text for the harness and its tools: quoting for the --json outputs, and a small strict reader for the
// files commands hand to each other (the failpoint hits file, hits_file.h).
//
// The writer side here is JsonString, for commands that assemble their --json output themselves;
// json_writer.h streams a report with a fixed shape. The reader accepts RFC 8259 JSON (objects, arrays, strings with escapes, numbers, true, false, null)
// and reports the first syntax error with its line and byte offset, so a hand-edited file gets a message that
// says where it broke. Numbers keep their text: the callers want exact 64-bit counters, not doubles.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace stablevfs::json {

// `text` as a JSON string literal, quotes included. Quotes, backslashes and control characters (below 0x20,
// and 0x7F) are escaped; bytes that are not well-formed UTF-8 become U+FFFD (utf8.h), so the result is valid
// JSON whatever the bytes (a file name may hold any); other bytes pass through.
std::string JsonString(std::string_view text);

// One parsed JSON value.
struct JsonValue {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // the number as written (kNumber) or the decoded string (kString)
  std::vector<JsonValue> items;  // kArray
  std::map<std::string, JsonValue, std::less<>> members;  // kObject (a repeated key keeps the last value)

  // The member `key` of an object, or nullptr (also when this is not an object).
  const JsonValue* Find(std::string_view key) const;
  // The member `key` of an object; throws std::out_of_range naming the key when there is none (for tests and
  // readers that have checked the shape).
  const JsonValue& operator[](std::string_view key) const;
  bool is_null() const { return kind == Kind::kNull; }
  // The number as a double; throws std::invalid_argument when this is not a number.
  double number() const;
  // Stores the value in *out and returns true when this is a number that is a whole u64 (no sign, fraction
  // or exponent); false otherwise.
  bool AsU64(uint64_t* out) const;
  // The same for a whole i64 (an optional leading minus).
  bool AsI64(int64_t* out) const;
  // Stores the value in *out and returns true when this is a number (any JSON number) that fits a double.
  bool AsDouble(double* out) const;
};

// A syntax error: the message says what was expected, at which line (1-based) and byte offset (0-based).
class JsonError : public std::runtime_error {
 public:
  JsonError(const std::string& what, uint64_t line, uint64_t offset_bytes)
      : std::runtime_error(what), line_(line), offset_bytes_(offset_bytes) {}
  uint64_t line() const { return line_; }
  uint64_t offset_bytes() const { return offset_bytes_; }

 private:
  uint64_t line_;
  uint64_t offset_bytes_;
};

// Parses one JSON document (surrounding whitespace allowed, nothing else after it). Throws JsonError.
// Nesting deeper than 64 levels is rejected (the files we read are two or three levels deep).
JsonValue ParseJson(std::string_view text);

}  // namespace stablevfs::json
