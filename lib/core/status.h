// Status and Result<T>: how lib/ reports a failure that the caller can handle.
//
// A Status is either OK or one ErrorCode with a message that says what went wrong and what to do. Codes are
// few on purpose (FoundationDB's rule): add one only when a caller reacts to it differently. Codes, names and
// default advice live in one table in status.cpp. Both types are [[nodiscard]]: a dropped Status is a bug;
// write `.IgnoreError()` where dropping it is a decision.
//
// A trap (see trap.h) is not a Status: it ends the message and cannot be handled.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "failpoints/failpoint.h"

namespace stablevfs {

enum class ErrorCode : uint8_t {
  kOk = 0,
  kInvalidArgument,     // the call itself is wrong (zero chunk size, duplicate migration version, ...)
  kCapacity,            // stable memory cannot grow enough; carries current and required pages
  kForeignImage,        // the memory holds something that is not ours; nothing was written
  kUnsupportedVersion,  // ours, but a version this build cannot read; nothing was written
  kCorrupt,             // ours, but inconsistent (checksum, bounds); nothing was written
  kSqlite,              // SQLite reported an error; carries the SQLite result code
  kImport,              // an import rule was broken (order, bounds, checksum); carries expected and actual
  kBusy,                // the object is in a state that refuses the call (importing, already open, in update)
  kInjected,            // a failpoint armed with `error` fired
};

// The permanent name of a code ("capacity", "foreign_image", ...), used in reports and tests.
std::string_view ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message);
  // A failpoint armed with `error` hands this back from STABLEVFS_FAILPOINT (see failpoints/failpoint.h).
  Status(fp::InjectedError injected);  // NOLINT(google-explicit-constructor): the macro relies on it

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string message) { return {ErrorCode::kInvalidArgument, std::move(message)}; }
  static Status Busy(std::string message) { return {ErrorCode::kBusy, std::move(message)}; }
  static Status Corrupt(std::string message) { return {ErrorCode::kCorrupt, std::move(message)}; }
  static Status ForeignImage(std::string message) { return {ErrorCode::kForeignImage, std::move(message)}; }
  static Status UnsupportedVersion(std::string message) {
    return {ErrorCode::kUnsupportedVersion, std::move(message)};
  }
  // current_pages: the memory's size now; required_pages: the size the operation needed.
  static Status Capacity(uint64_t current_pages, uint64_t required_pages, std::string message = {});
  // sqlite_code: the SQLite (extended) result code.
  static Status Sqlite(int sqlite_code, std::string message);
  // expected / actual: the offset or checksum the import rule wanted and what it got.
  static Status Import(uint64_t expected, uint64_t actual, std::string message);

  bool ok() const { return detail_ == nullptr; }
  ErrorCode code() const { return detail_ ? detail_->code : ErrorCode::kOk; }
  // The message alone ("" when OK).
  const std::string& message() const;
  // "<code name>: <message>", or "ok".
  std::string ToString() const;

  // Extra fields; zero / absent when the code does not carry them.
  int sqlite_code() const { return detail_ ? detail_->sqlite_code : 0; }
  uint64_t current_pages() const { return detail_ ? detail_->a : 0; }
  uint64_t required_pages() const { return detail_ ? detail_->b : 0; }
  uint64_t expected() const { return detail_ ? detail_->a : 0; }
  uint64_t actual() const { return detail_ ? detail_->b : 0; }
  // For kInjected: the failpoint that fired.
  const std::string& failpoint() const;

  // Marks a deliberate drop of a Status.
  void IgnoreError() const {}

  Status(const Status& other) : detail_(other.detail_ ? std::make_unique<Detail>(*other.detail_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) detail_ = other.detail_ ? std::make_unique<Detail>(*other.detail_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

 private:
  struct Detail {
    ErrorCode code = ErrorCode::kOk;
    std::string message;
    int sqlite_code = 0;
    uint64_t a = 0;  // current_pages or expected
    uint64_t b = 0;  // required_pages or actual
    std::string failpoint;
  };
  std::unique_ptr<Detail> detail_;  // null means OK: the OK path allocates nothing
};

// A value or the Status that explains its absence.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {}  // NOLINT(google-explicit-constructor)
  Result(fp::InjectedError injected) : status_(injected) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace stablevfs

// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define STABLEVFS_RETURN_IF_ERROR(expr)              \
  do {                                               \
    ::stablevfs::Status stablevfs_status_ = (expr);  \
    if (!stablevfs_status_.ok()) return stablevfs_status_; \
  } while (0)
