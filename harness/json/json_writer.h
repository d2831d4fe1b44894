// JsonWriter: a streaming JSON emitter for reports with a fixed shape (the benchmark report). It tracks commas
// and indentation, so a report writer states only keys and values:
//
//   json::JsonWriter j(out);
//   j.BeginObject();
//   j.Field("name", "insert_5000");           // strings are quoted with JsonString (json_text.h)
//   j.Field("median_ns", std::optional<int64_t>());  // an absent number is written as null
//   j.Key("runs"); j.BeginArray(); j.Value(uint64_t{3}); j.EndArray();
//   j.EndObject();
//
// Output is two-space indented with one member or item per line. Doubles are printed in the shortest form that
// reads back as the same double (std::to_chars); NaN and infinities (which JSON cannot hold) become null. The writer checks nothing: unbalanced Begin/End calls make
// invalid JSON, which the report tests catch by reading the output back with ParseJson.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string_view>

namespace stablevfs::json {

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }

  // The key of the next value (inside an object).
  void Key(std::string_view key);

  void Value(std::string_view text);
  void Value(const char* text) { Value(std::string_view(text)); }
  void Value(bool b);
  void Value(uint64_t n);
  void Value(int64_t n);
  void Value(uint32_t n) { Value(static_cast<uint64_t>(n)); }
  void Value(double d);
  void Null();
  template <typename T>
  void Value(const std::optional<T>& v) {
    if (v) {
      Value(*v);
    } else {
      Null();
    }
  }

  template <typename T>
  void Field(std::string_view key, const T& value) {
    Key(key);
    Value(value);
  }

 private:
  void Open(char c);
  void Close(char c);
  // Writes the comma and line break before a value, unless it follows its key.
  void Separate();
  void Newline();

  std::ostream& out_;
  int depth_ = 0;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace stablevfs::json
