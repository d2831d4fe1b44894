#include "harness/check/byte_source.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace stablevfs::check {

std::vector<uint8_t> ByteSource::ReadVector(uint64_t offset_bytes, uint64_t length_bytes) const {
  RequireContains(offset_bytes, length_bytes);
  std::vector<uint8_t> bytes(length_bytes);
  Read(offset_bytes, bytes);
  return bytes;
}

void ByteSource::RequireContains(uint64_t offset_bytes, uint64_t length_bytes) const {
  if (!Contains(offset_bytes, length_bytes)) {
    throw std::out_of_range("checker read of " + std::to_string(length_bytes) + " bytes at offset " +
                            std::to_string(offset_bytes) + " outside a source of " + std::to_string(size_bytes()) +
                            " bytes");
  }
}

void SpanSource::Read(uint64_t offset_bytes, std::span<uint8_t> out) const {
  RequireContains(offset_bytes, out.size());
  if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset_bytes, out.size());
}

void StableMemorySource::Read(uint64_t offset_bytes, std::span<uint8_t> out) const {
  RequireContains(offset_bytes, out.size());
  // Checked above against the size sampled at construction, so the memory itself cannot trap unless it was
  // shrunk behind our back (which the IC cannot do).
  memory_.read(offset_bytes, out);
}

FileSource::FileSource(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  if (std::fseek(file_, 0, SEEK_END) != 0) {
    std::fclose(file_);
    throw std::runtime_error("cannot seek in " + path);
  }
  const long end = std::ftell(file_);
  if (end < 0) {
    std::fclose(file_);
    throw std::runtime_error("cannot size " + path);
  }
  size_bytes_ = static_cast<uint64_t>(end);
}

FileSource::~FileSource() {
  if (file_ != nullptr) std::fclose(file_);
}

void FileSource::Read(uint64_t offset_bytes, std::span<uint8_t> out) const {
  RequireContains(offset_bytes, out.size());
  if (out.empty()) return;
  if (std::fseek(file_, static_cast<long>(offset_bytes), SEEK_SET) != 0 ||
      std::fread(out.data(), 1, out.size(), file_) != out.size()) {
    throw std::runtime_error("cannot read " + std::to_string(out.size()) + " bytes at offset " +
                             std::to_string(offset_bytes) + " of " + path_);
  }
}

}  // namespace stablevfs::check
