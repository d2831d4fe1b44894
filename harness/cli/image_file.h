// Image files: how the image tools (fsck, inspect, extract, sql) name, open, check and save the files that
// hold a stable memory.
//
// An image file is either a raw stable memory dump, such as a canister snapshot's `stable_memory.bin` (a
// MemoryManager at offset 0 and the database on one MemoryId, 120 by the ecosystem's convention), or, with
// --raw, a bare virtual memory: exactly the bytes the library sees as its StableMemory. Either is a whole
// number of 64 KiB Wasm pages, since both are stable memories.
//
// Guarantees:
//  - The read-only path (OpenImageReadOnly, CheckedImage) opens the file with fopen(..., "rb") and never
//    writes to it, so fsck, inspect and extract cannot damage an image, however broken it is.
//  - SaveFileAtomically writes a temporary file beside the target, flushes it to disk and renames it over the
//    target, so a reader (or a crash) sees the old file or the new one, never a torn one.
//  - Bad input is a UsageError (exit code 2) whose message names the file and says what to do.
//  - Checking uses the independent checker of harness/check only (never lib/'s decoder): a tool that shared
//    the library's decoder could not show the library's decoding bugs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/check/byte_source.h"
#include "harness/check/checker_registry.h"
#include "harness/check/layout_report.h"
#include "harness/check/memory_manager_check.h"
#include "harness/check/problem.h"
#include "harness/cli/args.h"

namespace stablevfs::cli {

// Where the database lives inside an image file.
struct ImageTarget {
  bool raw = false;  // the file is a bare virtual memory (no MemoryManager)
  uint8_t memory_id = check::mm::kDefaultSqliteMemoryId;  // inside a MemoryManager image; unused when raw

  // "MemoryId 120" or "the raw virtual memory", for messages.
  std::string Describe() const;
};

// The --memory-id and --raw options, appended to a command's option list.
void AddImageTargetOptions(std::vector<OptionSpec>& specs);

// Reads --memory-id and --raw. Throws UsageError for both at once, a malformed id, and ids 255 and above
// (255 marks an unallocated bucket in the MemoryManager; it is not a memory).
ImageTarget ImageTargetFromArgs(const Args& args);

// True iff something exists at `path` (file, directory, anything).
bool PathExists(const std::string& path);

// Checks that `path` is a readable regular file whose size is a whole number of 64 KiB pages, and opens it
// read-only. Throws UsageError naming the file and what to do otherwise.
std::unique_ptr<check::FileSource> OpenImageReadOnly(const std::string& path);

// Reads a whole image file, with the checks of OpenImageReadOnly. A file larger than half of the machine's
// physical memory is a UsageError naming its size (it could not be held).
std::vector<uint8_t> ReadImageFile(const std::string& path);

// Writes `bytes` to `path` atomically (see the header comment). A replaced file keeps its mode; a new file
// gets 0666 minus the umask. `path` itself is replaced: pass a symbolic link's target to keep the link.
// Throws std::runtime_error naming the path on any I/O failure; the temporary file is removed then and `path`
// is untouched.
void SaveFileAtomically(const std::string& path, std::span<const uint8_t> bytes);

// A problem the checker found, placed in the file.
struct LocatedProblem {
  check::Problem problem;      // offset relative to its scope, as the checker reports it
  std::string scope;           // "stable memory" (MemoryManager header) or "memory 120" / "raw memory" (layout)
  std::optional<uint64_t> file_offset;  // the byte of the file the offset names, when it lies inside the file
};

// "memory 120 @152 (0x98) [file 0x10098] root_table: ..." (the file offset only where it differs).
std::string FormatLocatedProblem(const LocatedProblem& located);

// An image file opened read-only and checked by the independent checker (harness/check).
// Not copyable or movable: the memory view refers to the file and the decoded header it owns.
class CheckedImage {
 public:
  // Opens `path` read-only (OpenImageReadOnly: UsageError for a missing, unreadable or mis-sized file) and
  // checks the MemoryManager header (unless raw) and the database image of `target` with the checker its
  // superblock asks for (check::CheckImage: the layout is detected from the stored magic and version).
  CheckedImage(std::string path, ImageTarget target, const check::CheckOptions& options = {});
  // Checks the image held in `bytes` (one being built, before it is written to a file), named `name` in
  // messages, as the path constructor checks a file. `bytes` must outlive the CheckedImage, unchanged.
  CheckedImage(std::string name, std::span<const uint8_t> bytes, ImageTarget target,
               const check::CheckOptions& options = {});
  CheckedImage(const CheckedImage&) = delete;
  CheckedImage& operator=(const CheckedImage&) = delete;

  const std::string& path() const { return path_; }
  const ImageTarget& target() const { return target_; }
  uint64_t file_bytes() const { return file_->size_bytes(); }

  // The MemoryManager report. REQUIRES: !target().raw.
  const check::MemoryManagerReport& manager() const { return dump_.manager; }
  // Whether the layout was checked: always when raw; with a MemoryManager, when the header decoded and the
  // memory exists.
  bool layout_checked() const { return target_.raw || dump_.layout_checked; }
  // REQUIRES: layout_checked().
  const check::LayoutReport& layout() const { return target_.raw ? raw_layout_ : dump_.layout; }
  // The bytes of the virtual memory (the whole file when raw). REQUIRES: layout_checked().
  const check::ByteSource& memory() const;

  // The file offset of `memory_offset`, or nullopt when it lies outside the memory.
  std::optional<uint64_t> FileOffset(uint64_t memory_offset) const;
  // "memory 120" or "raw memory": the scope name of layout problems.
  std::string MemoryScope() const;

  // Every problem: MemoryManager header, then locating the memory, then the layout; each in checker order.
  std::vector<LocatedProblem> Problems() const;
  uint64_t problems_suppressed() const { return layout_checked() ? layout().problems_suppressed : 0; }
  bool clean() const { return Problems().empty() && problems_suppressed() == 0 && layout_checked(); }

  // MemoryIds with a nonzero size in the MemoryManager header (for "did you mean --memory-id N" hints).
  std::vector<uint8_t> MemoriesInUse() const;
  // A hint for a target that holds no database: which memories exist, or whether --raw might fit. Empty
  // when there is nothing useful to say.
  std::string TargetHint() const;

 private:
  CheckedImage(std::string path, std::unique_ptr<check::ByteSource> file, ImageTarget target,
               const check::CheckOptions& options);

  std::string path_;
  ImageTarget target_;
  std::unique_ptr<check::ByteSource> file_;  // the file, or the bytes standing for it
  check::StableMemoryDumpReport dump_;  // when !raw
  check::LayoutReport raw_layout_;     // when raw
  std::unique_ptr<check::VirtualMemorySource> memory_;  // when !raw and dump_.layout_checked
};

}  // namespace stablevfs::cli
