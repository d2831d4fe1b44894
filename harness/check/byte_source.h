// ByteSource: read-only random access to the bytes the checker decodes.
//
// The checker reads images from several places: a live StableMemory (a virtual memory handed to the library),
// a byte vector (a snapshot), a file (a canister's stable_memory.bin, possibly gigabytes), or one virtual
// memory inside a raw MemoryManager image (memory_manager_check.h). This interface lets every check read only
// the bytes it needs from any of them. Reads never trap: a ByteSource has a fixed size, callers ask
// Contains() first, and an out-of-range Read is a checker bug reported by std::out_of_range.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "lib/memory/stable_memory.h"

namespace stablevfs::check {

class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Total readable length in bytes. Constant for the lifetime of the source.
  virtual uint64_t size_bytes() const = 0;

  // Copies out.size() bytes starting at `offset_bytes` into `out`.
  // REQUIRES: Contains(offset_bytes, out.size()); otherwise throws std::out_of_range.
  virtual void Read(uint64_t offset_bytes, std::span<uint8_t> out) const = 0;

  // True iff [offset_bytes, offset_bytes + length_bytes) lies inside the source. Overflow-safe.
  bool Contains(uint64_t offset_bytes, uint64_t length_bytes) const {
    const uint64_t size = size_bytes();
    return offset_bytes <= size && length_bytes <= size - offset_bytes;
  }

  // Read() into a fresh vector. REQUIRES: Contains(offset_bytes, length_bytes).
  std::vector<uint8_t> ReadVector(uint64_t offset_bytes, uint64_t length_bytes) const;

 protected:
  // Throws std::out_of_range naming the access unless Contains(offset_bytes, length_bytes).
  void RequireContains(uint64_t offset_bytes, uint64_t length_bytes) const;
};

// A view of bytes owned by the caller, who keeps them alive and unchanged while the source is used.
class SpanSource final : public ByteSource {
 public:
  explicit SpanSource(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  uint64_t size_bytes() const override { return bytes_.size(); }
  void Read(uint64_t offset_bytes, std::span<uint8_t> out) const override;

 private:
  std::span<const uint8_t> bytes_;
};

// A StableMemory, read through its public interface. The size is sampled at construction: the memory must
// not grow while the source is used. Reading through a harness/sim decorator goes through that decorator
// (and its accounting); pass the undecorated memory when that matters.
class StableMemorySource final : public ByteSource {
 public:
  explicit StableMemorySource(StableMemory& memory) : memory_(memory), size_bytes_(memory.size_bytes()) {}
  uint64_t size_bytes() const override { return size_bytes_; }
  void Read(uint64_t offset_bytes, std::span<uint8_t> out) const override;

 private:
  StableMemory& memory_;
  uint64_t size_bytes_;
};

// A file read on demand (a canister snapshot's stable_memory.bin can be far larger than what a check needs).
// Throws std::runtime_error when the file cannot be opened or read.
class FileSource final : public ByteSource {
 public:
  explicit FileSource(const std::string& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  uint64_t size_bytes() const override { return size_bytes_; }
  void Read(uint64_t offset_bytes, std::span<uint8_t> out) const override;

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  uint64_t size_bytes_ = 0;
};

}  // namespace stablevfs::check
