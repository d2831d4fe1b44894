#include "harness/cli/output_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "harness/cli/args.h"

namespace stablevfs::cli {
namespace {

namespace fs = std::filesystem;

// The directory a file output lands in: "." for a bare name.
std::string ParentOf(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

bool IsDirectory(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool Exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

std::string Described(const OutputPath& out) { return out.option + " " + out.path; }

// The directory `dir` must exist and be writable: the output is created in it (a temporary file beside the
// target, renamed into place, for the atomic writers).
void RequireWritableDirectory(const OutputPath& out, const std::string& dir) {
  if (!Exists(dir)) {
    throw UsageError(Described(out) + ": cannot open for writing: directory " + dir +
                     " does not exist; create it first or pick another path");
  }
  if (!IsDirectory(dir)) {
    throw UsageError(Described(out) + ": cannot open for writing: " + dir + " is not a directory");
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw UsageError(Described(out) + ": cannot open for writing: directory " + dir + " is not writable (" +
                     std::strerror(errno) + ")");
  }
}

void CheckFile(const OutputPath& out) {
  struct stat info {};
  if (::stat(out.path.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) {
      throw UsageError(Described(out) + ": is a directory; give a file name (for example " +
                       (fs::path(out.path) / "out").string() + ")");
    }
    if (!S_ISREG(info.st_mode)) {
      throw UsageError(Described(out) + ": is not a regular file (a device, pipe or socket); give a file name");
    }
    if (::access(out.path.c_str(), W_OK) != 0) {
      throw UsageError(Described(out) + ": cannot open for writing: " + std::strerror(errno));
    }
  } else if (!out.path.empty() && out.path.back() == '/') {
    throw UsageError(Described(out) + ": ends with '/', which names a directory; give a file name");
  }
  const std::string parent = ParentOf(out.path);
  if (out.kind == OutputKind::kFileNewParent && !Exists(parent)) {
    // The parent is created (one level, as WriteHitsFile does), so its own parent must take it.
    RequireWritableDirectory(out, ParentOf(parent));
    return;
  }
  RequireWritableDirectory(out, parent);
}

void CheckDirectory(const OutputPath& out) {
  if (Exists(out.path)) {
    if (!IsDirectory(out.path)) throw UsageError(Described(out) + ": exists and is not a directory");
    if (::access(out.path.c_str(), W_OK | X_OK) != 0) {
      throw UsageError(Described(out) + ": directory is not writable (" + std::strerror(errno) + ")");
    }
    return;
  }
  // create_directories makes every missing level: the nearest existing ancestor must be a directory.
  fs::path ancestor = fs::path(out.path).parent_path();
  while (!ancestor.empty() && !Exists(ancestor.string())) ancestor = ancestor.parent_path();
  const std::string existing = ancestor.empty() ? std::string(".") : ancestor.string();
  if (!IsDirectory(existing)) {
    throw UsageError(Described(out) + ": cannot create the directory: " + existing + " is not a directory");
  }
  if (::access(existing.c_str(), W_OK | X_OK) != 0) {
    throw UsageError(Described(out) + ": cannot create the directory: " + existing + " is not writable (" +
                     std::strerror(errno) + ")");
  }
}

}  // namespace

bool SameOutputTarget(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  const bool a_exists = ::stat(a.c_str(), &sa) == 0;
  const bool b_exists = ::stat(b.c_str(), &sb) == 0;
  if (a_exists && b_exists) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  if (a_exists != b_exists) return false;  // one exists and the other does not: two names, two files
  std::error_code ec_a;
  std::error_code ec_b;
  const fs::path ca = fs::weakly_canonical(fs::absolute(a, ec_a), ec_a);
  const fs::path cb = fs::weakly_canonical(fs::absolute(b, ec_b), ec_b);
  if (ec_a || ec_b) return a == b;
  return ca == cb;
}

void AddOutputOption(std::vector<OutputPath>& outputs, const Args& args, const std::string& name, OutputKind kind) {
  if (const std::optional<std::string> path = args.get(name)) outputs.push_back(OutputPath{"--" + name, *path, kind});
}

OutputPath HitsOutput(const Args& args, const std::string& path) {
  return OutputPath{"--hits", path, OutputKind::kFileNewParent, !args.has("hits")};
}

void CheckOutputPaths(const std::vector<OutputPath>& outputs, const std::vector<InputPath>& inputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const OutputPath& out = outputs[i];
    if (out.path.empty()) {
      throw UsageError(out.option + " needs a " +
                       std::string(out.kind == OutputKind::kDirectory ? "directory" : "file") + " name");
    }
    // Inputs first: overwriting one is the costly mistake, and its message says what would have been lost.
    for (const InputPath& in : inputs) {
      if (in.path.empty() || !SameOutputTarget(out.path, in.path)) continue;
      throw UsageError(Described(out) + ": is the same " +
                       std::string(out.kind == OutputKind::kDirectory ? "directory" : "file") + " as " + in.what +
                       (in.path == out.path ? "" : " " + in.path) +
                       ", which this command reads; writing it would destroy it: pick another name (nothing was run)");
    }
    for (size_t j = 0; j < i; ++j) {
      if (!SameOutputTarget(out.path, outputs[j].path)) continue;
      throw UsageError(Described(out) + ": is the same file as " + Described(outputs[j]) +
                       "; one would overwrite the other: pick two names (nothing was run)");
    }
    if (out.best_effort) continue;
    if (out.kind == OutputKind::kDirectory) {
      CheckDirectory(out);
    } else {
      CheckFile(out);
    }
  }
}

}  // namespace stablevfs::cli
