#include "harness/json/json_writer.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include "harness/json/json_text.h"

namespace stablevfs::json {

void JsonWriter::Key(std::string_view key) {
  Separate();
  out_ << JsonString(key) << ": ";
  after_key_ = true;
}

void JsonWriter::Value(std::string_view text) {
  Separate();
  out_ << JsonString(text);
}

void JsonWriter::Value(bool b) {
  Separate();
  out_ << (b ? "true" : "false");
}

void JsonWriter::Value(uint64_t n) {
  Separate();
  out_ << n;
}

void JsonWriter::Value(int64_t n) {
  Separate();
  out_ << n;
}

void JsonWriter::Value(double d) {
  Separate();
  if (!std::isfinite(d)) {
    out_ << "null";  // JSON has no NaN or infinity
    return;
  }
  // The shortest text that reads back as the same double, so a report read back (bench's ReadJson) renders
  // exactly as the run that wrote it did.
  char text[64];
  const std::to_chars_result written = std::to_chars(text, text + sizeof text, d);
  out_ << std::string_view(text, static_cast<size_t>(written.ptr - text));
}

void JsonWriter::Null() {
  Separate();
  out_ << "null";
}

void JsonWriter::Open(char c) {
  Separate();
  out_ << c;
  first_ = true;
  ++depth_;
}

void JsonWriter::Close(char c) {
  --depth_;
  if (!first_) Newline();
  out_ << c;
  first_ = false;
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0) return;
  if (!first_) out_ << ',';
  Newline();
  first_ = false;
}

void JsonWriter::Newline() {
  out_ << '\n';
  for (int i = 0; i < depth_; ++i) out_ << "  ";
}

}  // namespace stablevfs::json
