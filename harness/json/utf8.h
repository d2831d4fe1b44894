// UTF-8 validity for the text the tools emit: JSON (RFC 8259) and XML must be valid UTF-8, but the strings
// they carry can hold any bytes (a file name on Linux is bytes, not text). Invalid bytes are replaced, so the
// document stays valid and every valid character keeps its bytes.
#pragma once

#include <string>
#include <string_view>

namespace stablevfs::json {

// U+FFFD REPLACEMENT CHARACTER, as UTF-8.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// True iff `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// `text` with each byte that does not begin a well-formed sequence replaced by U+FFFD (one per byte, as
// WHATWG's decoder does for a lone byte); well-formed sequences are kept as they are.
std::string ToValidUtf8(std::string_view text);

}  // namespace stablevfs::json
