#include "harness/cli/image_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "harness/cli/atomic_file.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs::cli {
namespace {

std::string Hex(uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

// Stats `path` for reading as an image and throws the UsageError a user can act on.
uint64_t RequireImageFile(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int error = errno;
    if (error == ENOENT) {
      throw UsageError(path + ": no such file; check the path (to create a new image, run 'stablevfs sql " + path +
                       " \"CREATE TABLE ...\"')");
    }
    throw UsageError(path + ": cannot read: " + std::strerror(error));
  }
  if (S_ISDIR(info.st_mode)) throw UsageError(path + ": is a directory, not an image file");
  if (!S_ISREG(info.st_mode)) throw UsageError(path + ": is not a regular file; copy the image to a file first");
  const auto size_bytes = static_cast<uint64_t>(info.st_size);
  if (size_bytes % kWasmPageBytes != 0) {
    const uint64_t whole = size_bytes - size_bytes % kWasmPageBytes;
    throw UsageError(path + ": size " + std::to_string(size_bytes) + " bytes is not a multiple of 64 KiB (65536): " +
                     std::to_string(size_bytes - whole) + " bytes past the last whole page, which ends at offset " +
                     std::to_string(whole) + " (" + Hex(whole) +
                     "). A stable memory is a whole number of 64 KiB Wasm pages: the file is truncated or is not "
                     "an image; use a canister snapshot's stable_memory.bin or a file written by 'stablevfs sql'");
  }
  return size_bytes;
}

}  // namespace

std::string ImageTarget::Describe() const {
  return raw ? std::string("the raw virtual memory") : "MemoryId " + std::to_string(memory_id);
}

void AddImageTargetOptions(std::vector<OptionSpec>& specs) {
  specs.push_back({"memory-id", true, "N",
                   "the MemoryId (0..254) of the database inside the MemoryManager image", "120"});
  specs.push_back({"raw", false, "",
                   "the file is a bare virtual memory (the database's own bytes), not a MemoryManager image", ""});
}

ImageTarget ImageTargetFromArgs(const Args& args) {
  ImageTarget target;
  target.raw = args.has("raw");
  if (args.has("memory-id")) {
    if (target.raw) {
      throw UsageError("--raw and --memory-id exclude each other: --raw reads the file as one bare virtual memory, "
                       "--memory-id picks a memory inside a MemoryManager image; give one of them");
    }
    const uint64_t id = args.get_u64("memory-id", check::mm::kDefaultSqliteMemoryId);
    if (id == 255) {
      throw UsageError("--memory-id 255: 255 is the MemoryManager's marker for an unallocated bucket, not a memory; "
                       "use 0..254 (SQLite databases conventionally live on 120)");
    }
    if (id > 255) throw UsageError("--memory-id " + std::to_string(id) + ": a MemoryId is 0..254");
    target.memory_id = static_cast<uint8_t>(id);
  }
  return target;
}

bool PathExists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

std::unique_ptr<check::FileSource> OpenImageReadOnly(const std::string& path) {
  RequireImageFile(path);
  try {
    return std::make_unique<check::FileSource>(path);
  } catch (const std::runtime_error& e) {
    throw UsageError(path + ": " + e.what() + "; check the file's permissions");
  }
}

std::vector<uint8_t> ReadImageFile(const std::string& path) {
  const uint64_t size_bytes = RequireImageFile(path);
  // The whole file is held in memory: one larger than half of it would fail to allocate (exit 3) or, with
  // overcommit, get the process killed part way. Refuse it as bad input, with the sizes.
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page_size > 0) {
    const uint64_t limit_bytes = static_cast<uint64_t>(pages) / 2 * static_cast<uint64_t>(page_size);
    if (size_bytes > limit_bytes) {
      throw UsageError(path + ": " + std::to_string(size_bytes) + " bytes is more than this command can hold in "
                       "memory (half of this machine's " + std::to_string(static_cast<uint64_t>(pages) *
                       static_cast<uint64_t>(page_size)) + " bytes); the file was not read or changed");
    }
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    throw UsageError(path + ": cannot open: " + std::strerror(errno) + "; check the file's permissions");
  }
  std::vector<uint8_t> bytes(size_bytes);
  const size_t read = bytes.empty() ? 0 : std::fread(bytes.data(), 1, bytes.size(), file);
  std::fclose(file);
  if (read != bytes.size()) {
    throw UsageError(path + ": read only " + std::to_string(read) + " of " + std::to_string(size_bytes) +
                     " bytes (did the file change while it was read?)");
  }
  return bytes;
}

void SaveFileAtomically(const std::string& path, std::span<const uint8_t> bytes) {
  AtomicFile file(path);  // removed on every way out but Commit, signals included
  file.Write(bytes);
  file.Commit(bytes.size());
}

std::string FormatLocatedProblem(const LocatedProblem& located) {
  std::string out = located.scope + " " + check::FormatProblem(located.problem);
  if (located.file_offset && *located.file_offset != located.problem.offset_bytes) {
    // Insert the file offset right after the checker's "@<dec> (0x<hex>)" so the line reads left to right.
    const std::string where = "[file " + Hex(*located.file_offset) + "] ";
    const size_t kind_at = out.find(") ", located.scope.size());
    if (kind_at != std::string::npos) out.insert(kind_at + 2, where);
  }
  return out;
}

CheckedImage::CheckedImage(std::string path, ImageTarget target, const check::CheckOptions& options)
    : CheckedImage(path, OpenImageReadOnly(path), target, options) {}

CheckedImage::CheckedImage(std::string name, std::span<const uint8_t> bytes, ImageTarget target,
                           const check::CheckOptions& options)
    : CheckedImage(std::move(name), std::make_unique<check::SpanSource>(bytes), target, options) {}

CheckedImage::CheckedImage(std::string path, std::unique_ptr<check::ByteSource> file, ImageTarget target,
                           const check::CheckOptions& options)
    : path_(std::move(path)), target_(target), file_(std::move(file)) {
  if (target_.raw) {
    raw_layout_ = check::CheckImage(*file_, options);
    return;
  }
  dump_ = check::CheckStableMemoryDump(*file_, target_.memory_id, options);
  if (dump_.layout_checked) {
    memory_ = std::make_unique<check::VirtualMemorySource>(*file_, dump_.manager.header, target_.memory_id);
  }
}

const check::ByteSource& CheckedImage::memory() const {
  if (target_.raw) return *file_;
  if (!memory_) throw std::logic_error("CheckedImage::memory() without a checked layout");
  return *memory_;
}

std::optional<uint64_t> CheckedImage::FileOffset(uint64_t memory_offset) const {
  if (target_.raw) return memory_offset < file_->size_bytes() ? std::optional<uint64_t>(memory_offset) : std::nullopt;
  if (!memory_ || memory_offset >= memory_->size_bytes()) return std::nullopt;
  return memory_->RawOffset(memory_offset);
}

std::string CheckedImage::MemoryScope() const {
  return target_.raw ? std::string("raw memory") : "memory " + std::to_string(target_.memory_id);
}

std::vector<LocatedProblem> CheckedImage::Problems() const {
  std::vector<LocatedProblem> out;
  auto in_file = [&](uint64_t offset) {
    return offset < file_->size_bytes() ? std::optional<uint64_t>(offset) : std::nullopt;
  };
  if (!target_.raw) {
    for (const check::Problem& p : dump_.manager.problems) out.push_back({p, "stable memory", in_file(p.offset_bytes)});
    // Locating the memory is judged by the header's bytes, so these offsets are file offsets too.
    for (const check::Problem& p : dump_.problems) out.push_back({p, "stable memory", in_file(p.offset_bytes)});
  }
  if (layout_checked()) {
    for (const check::Problem& p : layout().problems) out.push_back({p, MemoryScope(), FileOffset(p.offset_bytes)});
  }
  return out;
}

std::vector<uint8_t> CheckedImage::MemoriesInUse() const {
  std::vector<uint8_t> ids;
  if (target_.raw || !dump_.manager.decoded) return ids;
  for (uint64_t i = 0; i < check::mm::kMemoryCount; ++i) {
    if (dump_.manager.header.memory_size_pages[i] != 0) ids.push_back(static_cast<uint8_t>(i));
  }
  return ids;
}

std::string CheckedImage::TargetHint() const {
  if (target_.raw) {
    if (layout_checked() && !layout().decoded && file_->size_bytes() >= 3) {
      uint8_t magic[3] = {};
      file_->Read(0, magic);
      if (std::memcmp(magic, "MGR", 3) == 0) {
        return "hint: the file starts with a MemoryManager header (\"MGR\"); drop --raw to read MemoryId 120, or "
               "pick one with --memory-id";
      }
    }
    return "";
  }
  if (!dump_.manager.decoded) {
    if (file_->size_bytes() >= 8) {
      uint8_t magic[8] = {};
      file_->Read(0, magic);
      if (std::memcmp(magic, "ICSQLITE", 8) == 0) {
        return "hint: the file starts with a database superblock (\"ICSQLITE\"): it is a bare virtual memory; "
               "add --raw";
      }
    }
    return "";
  }
  if (dump_.layout_checked) return "";
  const std::vector<uint8_t> ids = MemoriesInUse();
  if (ids.empty()) return "hint: no memory in this MemoryManager holds any data";
  std::string list;
  for (const uint8_t id : ids) list += (list.empty() ? "" : ", ") + std::to_string(id);
  return "hint: memories with data: " + list + "; pick one with --memory-id N";
}

}  // namespace stablevfs::cli
