#include "harness/cli/atomic_file.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace stablevfs::cli {
namespace {

// The temporaries a signal handler must remove. A handler may only call async-signal-safe functions, so the
// paths live in fixed buffers, published by an atomic flag per slot (no allocation, no lock in the handler).
constexpr int kSlots = 16;
constexpr size_t kPathBytes = 4096;
struct Slot {
  std::atomic<bool> used{false};
  char path[kPathBytes] = {};
};
Slot g_slots[kSlots];
std::mutex g_register_mutex;  // registration only, never taken in the handler
bool g_handlers_installed = false;

extern "C" void RemoveTemporariesAndReraise(int signal_number) {
  for (Slot& slot : g_slots) {
    if (slot.used.load()) ::unlink(slot.path);
  }
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

int Register(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_register_mutex);
  if (!g_handlers_installed) {
    for (const int s : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction action {};
      action.sa_handler = RemoveTemporariesAndReraise;
      sigemptyset(&action.sa_mask);
      ::sigaction(s, &action, nullptr);
    }
    g_handlers_installed = true;
  }
  if (path.size() >= kPathBytes) return -1;  // too long to register: the destructor still removes it
  for (int i = 0; i < kSlots; ++i) {
    if (g_slots[i].used.load()) continue;
    std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
    g_slots[i].used.store(true);
    return i;
  }
  return -1;
}

void Unregister(int slot) {
  if (slot < 0) return;
  std::lock_guard<std::mutex> lock(g_register_mutex);
  g_slots[slot].used.store(false);
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temporary_(path_ + ".tmp-XXXXXX") {
  // Block the three signals while the file is created and registered: a signal in between would leave it.
  sigset_t block;
  sigset_t previous;
  sigemptyset(&block);
  for (const int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&block, s);
  ::pthread_sigmask(SIG_BLOCK, &block, &previous);
  fd_ = ::mkstemp(temporary_.data());
  const int error = errno;
  if (fd_ >= 0) registration_ = Register(temporary_);
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (fd_ < 0) {
    throw std::runtime_error("cannot create a temporary file beside " + path_ + ": " + std::strerror(error));
  }
  // mkstemp creates the file 0600: keep the mode of the file being replaced, or give a new file the mode an
  // ordinary new file gets.
  mode_t mode = 0;
  struct stat existing {};
  if (::stat(path_.c_str(), &existing) == 0) {
    mode = existing.st_mode & 07777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  if (::fchmod(fd_, mode) != 0) Fail("cannot set the mode of");
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  if (fd_ >= 0) ::close(fd_);
  ::unlink(temporary_.c_str());
  Unregister(registration_);
}

void AtomicFile::Fail(const std::string& what) {
  const std::string reason = std::strerror(errno);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(temporary_.c_str());
  Unregister(registration_);
  registration_ = -1;
  committed_ = true;  // nothing left for the destructor to do
  throw std::runtime_error(what + " " + temporary_ + ": " + reason + "; " + path_ + " was not changed");
}

void AtomicFile::Write(std::span<const uint8_t> bytes) {
  if (fd_ < 0) throw std::logic_error("AtomicFile::Write after a failure or Commit");
  if (::lseek(fd_, static_cast<off_t>(position_), SEEK_SET) < 0) Fail("cannot seek in");
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Fail("cannot write");
    }
    done += static_cast<size_t>(n);
  }
  position_ += bytes.size();
}

void AtomicFile::SkipTo(uint64_t offset_bytes) {
  if (offset_bytes < position_) throw std::logic_error("AtomicFile::SkipTo backwards");
  position_ = offset_bytes;
}

void AtomicFile::Commit(uint64_t length_bytes) {
  if (fd_ < 0) throw std::logic_error("AtomicFile::Commit after a failure or Commit");
  if (length_bytes < position_) throw std::logic_error("AtomicFile::Commit shorter than what was written");
  if (::ftruncate(fd_, static_cast<off_t>(length_bytes)) != 0) Fail("cannot set the length of");
  if (::fsync(fd_) != 0) Fail("cannot flush");
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) Fail("cannot close");
  if (::rename(temporary_.c_str(), path_.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temporary_.c_str());
    Unregister(registration_);
    registration_ = -1;
    committed_ = true;
    throw std::runtime_error("cannot rename " + temporary_ + " to " + path_ + ": " + reason + "; " + path_ +
                             " was not changed");
  }
  Unregister(registration_);
  registration_ = -1;
  committed_ = true;
}

}  // namespace stablevfs::cli
