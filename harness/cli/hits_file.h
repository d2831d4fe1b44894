// The hits file: the failpoint counters of the last run, handed from the command that ran a workload to
// `stablevfs failpoints`, which joins them with the catalogue.
//
// "The last run" is whatever command last wrote the file. By convention that is `.stablevfs/last-hits.json`
// in the current directory (kDefaultHitsPath): a command that runs library code (sql, fuzz, replay) writes
// it there unless given `--hits FILE`, and `stablevfs failpoints` reads the default path or `--hits FILE`. Counters are per thread (failpoints/registry.h): the writer snapshots the thread
// that ran the workload.
//
// Format (JSON, one object):
//   {"format": "stablevfs-hits-1",
//    "command": "sql img.bin ...",                 the command line that produced the counts
//    "layout": "6",                                the layout it ran on ("all" for several; null: unknown)
//    "hits": {"commit.page_write": 3, ...},        evaluations per site (only non-zero ones)
//    "fired": {"commit.page_write": {"error": 1}}} firings per site and action (only non-zero ones)
// Unknown members are ignored, so later writers may add some; counts are whole u64 numbers.
#pragma once

#include <string>
#include <string_view>

#include "failpoints/registry.h"

namespace stablevfs::cli {

inline constexpr std::string_view kDefaultHitsPath = ".stablevfs/last-hits.json";
inline constexpr std::string_view kHitsFormat = "stablevfs-hits-1";

struct HitsFile {
  std::string command;
  std::string layout;  // "" when the file does not say
  fp::HitSnapshot snapshot;
};

// The file's text for `command` and `snapshot` (ends with a newline).
std::string FormatHitsFile(std::string_view command, const fp::HitSnapshot& snapshot, std::string_view layout = "");

// Writes the file atomically (temp file and rename), creating its parent directory when missing.
// Throws std::runtime_error naming the path when it cannot be written.
void WriteHitsFile(const std::string& path, std::string_view command, const fp::HitSnapshot& snapshot,
                   std::string_view layout = "");

// Reads and validates a hits file. Throws UsageError naming the file, and the line and byte for a syntax
// error, when it cannot be read or is not a hits file of this format.
HitsFile ReadHitsFile(const std::string& path);

}  // namespace stablevfs::cli
