#include "harness/cli/progress.h"

#include <unistd.h>

namespace stablevfs::cli {

Progress::Progress(std::string label, std::FILE* out, double plain_interval_seconds)
    : label_(std::move(label)),
      out_(out),
      live_(isatty(fileno(out)) != 0),
      interval_seconds_(live_ ? 0.1 : plain_interval_seconds),
      start_(Clock::now()),
      last_print_(start_) {}

Progress::~Progress() { Clear(); }

void Progress::Update(uint64_t cases, uint64_t messages, uint64_t violations) {
  std::lock_guard<std::mutex> lock(mutex_);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  char line[256];
  const int n = std::snprintf(line, sizeof line, "%s: %llu cases (%.1f/s), %llu messages, %llu violations, %.0f s",
                              label_.c_str(), static_cast<unsigned long long>(cases),
                              elapsed > 0 ? static_cast<double>(cases) / elapsed : 0.0,
                              static_cast<unsigned long long>(messages), static_cast<unsigned long long>(violations),
                              elapsed);
  PrintLocked(line, n > 0 ? static_cast<size_t>(n) : 0);
}

void Progress::UpdatePoints(uint64_t done, uint64_t total) {
  std::lock_guard<std::mutex> lock(mutex_);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  char line[256];
  const int n = std::snprintf(line, sizeof line, "%s: %llu of %llu crash points (%.0f/s), %.0f s", label_.c_str(),
                              static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                              elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0, elapsed);
  PrintLocked(line, n > 0 ? static_cast<size_t>(n) : 0);
}

void Progress::UpdateCase(uint64_t case_index, uint64_t steps_done, uint64_t steps_total) {
  std::lock_guard<std::mutex> lock(mutex_);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  char line[256];
  const int n = std::snprintf(line, sizeof line, "%s: case %llu at op %llu of %llu, %.0f s", label_.c_str(),
                              static_cast<unsigned long long>(case_index), static_cast<unsigned long long>(steps_done),
                              static_cast<unsigned long long>(steps_total), elapsed);
  PrintLocked(line, n > 0 ? static_cast<size_t>(n) : 0);
}

void Progress::PrintLocked(const char* line, size_t chars) {
  const Clock::time_point now = Clock::now();
  if (std::chrono::duration<double>(now - last_print_).count() < interval_seconds_) return;
  last_print_ = now;
  if (live_) {
    // Pad over a longer previous line so no stale characters remain.
    std::fprintf(out_, "\r%s%*s", line, line_chars_ > chars ? static_cast<int>(line_chars_ - chars) : 0, "");
    line_chars_ = chars;
  } else {
    std::fprintf(out_, "%s\n", line);
  }
  std::fflush(out_);
  printed_ = true;
}

void Progress::Clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (live_ && printed_ && line_chars_ > 0) {
    std::fprintf(out_, "\r%*s\r", static_cast<int>(line_chars_), "");
    std::fflush(out_);
    line_chars_ = 0;
  }
}

}  // namespace stablevfs::cli
