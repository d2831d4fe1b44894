#include "lib/core/status.h"

#include <array>

namespace stablevfs {
namespace {

struct CodeInfo {
  ErrorCode code;
  std::string_view name;
};

// The one table of codes and their permanent names.
constexpr std::array<CodeInfo, 10> kCodes = {{
    {ErrorCode::kOk, "ok"},
    {ErrorCode::kInvalidArgument, "invalid_argument"},
    {ErrorCode::kCapacity, "capacity"},
    {ErrorCode::kForeignImage, "foreign_image"},
    {ErrorCode::kUnsupportedVersion, "unsupported_version"},
    {ErrorCode::kCorrupt, "corrupt"},
    {ErrorCode::kSqlite, "sqlite"},
    {ErrorCode::kImport, "import"},
    {ErrorCode::kBusy, "busy"},
    {ErrorCode::kInjected, "injected"},
}};

const std::string& EmptyString() {
  static const std::string empty;
  return empty;
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  for (const CodeInfo& info : kCodes) {
    if (info.code == code) return info.name;
  }
  return "unknown";
}

Status::Status(ErrorCode code, std::string message) {
  if (code == ErrorCode::kOk) return;
  detail_ = std::make_unique<Detail>();
  detail_->code = code;
  detail_->message = std::move(message);
}

Status::Status(fp::InjectedError injected) : Status(ErrorCode::kInjected, {}) {
  detail_->failpoint = std::string(injected.site);
  detail_->message = "failpoint '" + detail_->failpoint + "' injected an error";
}

Status Status::Capacity(uint64_t current_pages, uint64_t required_pages, std::string message) {
  if (message.empty()) {
    message = "stable memory cannot grow from " + std::to_string(current_pages) + " to " +
              std::to_string(required_pages) +
              " pages; check the capacity limit and remaining cycles, or use smaller chunks";
  }
  Status s(ErrorCode::kCapacity, std::move(message));
  s.detail_->a = current_pages;
  s.detail_->b = required_pages;
  return s;
}

Status Status::Sqlite(int sqlite_code, std::string message) {
  Status s(ErrorCode::kSqlite, std::move(message));
  s.detail_->sqlite_code = sqlite_code;
  return s;
}

Status Status::Import(uint64_t expected, uint64_t actual, std::string message) {
  Status s(ErrorCode::kImport, std::move(message));
  s.detail_->a = expected;
  s.detail_->b = actual;
  return s;
}

const std::string& Status::message() const { return detail_ ? detail_->message : EmptyString(); }

const std::string& Status::failpoint() const { return detail_ ? detail_->failpoint : EmptyString(); }

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(ErrorCodeName(detail_->code)) + ": " + detail_->message;
}

}  // namespace stablevfs
