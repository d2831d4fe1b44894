// What every text-parser fuzz target does on a broken promise: print the target, what broke and the input, then
// abort, which libFuzzer (and replay_main.cpp) report as a finding with the input saved.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace stablevfs::fuzz {

[[noreturn]] inline void TextFinding(const char* target, const std::string& what, std::string_view text) {
  std::fprintf(stderr, "%s finding: %s\n--- input ---\n%.*s\n--- end ---\n", target, what.c_str(),
               static_cast<int>(text.size()), text.data());
  std::fflush(stderr);
  std::abort();
}

// Lines of `text` as a parser numbers them (1 for an empty text, +1 per newline).
inline size_t LineCount(std::string_view text) {
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  return lines;
}

}  // namespace stablevfs::fuzz
