// Image reports: the text and JSON pieces that fsck, inspect and extract print about a checked image, kept in
// one place so the three commands describe an image in the same words and the same JSON shapes.
//
// Everything here only formats what the independent checker (harness/check) decoded; nothing decodes bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/check/layout_report.h"
#include "harness/check/memory_manager_check.h"
#include "harness/cli/args.h"
#include "harness/cli/image_file.h"

namespace stablevfs::cli {

// Throws UsageError unless the command got between `min` and `max` positional arguments; the message names
// what is missing (`names[i]` is the name of positional i, e.g. "IMAGE") or the first unexpected argument,
// and repeats `usage`.
void RequirePositionals(const Args& args, size_t min, size_t max, const std::vector<std::string>& names,
                        const std::string& command, const std::string& usage);

// "0x1f".
std::string Hex(uint64_t value);
// "196608 bytes (192 KiB)"; the parenthesis is left out below 1 KiB.
std::string Bytes(uint64_t value);

// One line about the file and the MemoryManager (or the raw memory), e.g.
// "img.bin: 8454144 bytes (8.06 MiB) of stable memory; MemoryManager v1, 1 bucket of 128 pages allocated".
std::string ImageSummaryLine(const CheckedImage& image);

// One line per memory with data in a MemoryManager image ("memory 120: 3 pages, bucket 0"); "" when raw or
// the header did not decode.
std::string MemoryList(const CheckedImage& image);

// {"image": ..., "size_bytes": ..., "raw": ..., "memory_id": ...} members without braces, for embedding.
std::string ImageJsonMembers(const CheckedImage& image);
// The MemoryManager header as a JSON object, or null when raw or not decoded.
std::string ManagerJson(const CheckedImage& image);
// The superblock fields as a JSON object (numbers, hex strings for checksums), or null when not decoded.
std::string SuperblockJson(const check::LayoutReport& layout);
// The space accounting as a JSON object.
std::string SpaceJson(const check::SpaceAccounting& space);
// The problems as a JSON array of {"scope", "kind", "offset", "file_offset" (or null), "message"}.
std::string ProblemsJson(const std::vector<LocatedProblem>& problems);

// "1 page", "3 pages": `count` and `noun`, with an "s" unless count is 1.
std::string Count(uint64_t count, const std::string& noun);

// "12.34%" for basis points.
std::string Percent(uint64_t basis_points);

}  // namespace stablevfs::cli
