// Output paths: the one rule every stablevfs subcommand applies to the files and directories it writes
// (--hits, --report-json, --junit, --svg, --json, --save-dir, extract's OUT.db, convert's OUT), checked
// before anything runs so that a typo costs nothing and an input is never destroyed.
//
// The rule, for each output:
//  - it has a name (an empty one is refused);
//  - a file output is not a directory and lies in an existing, writable directory (the hits file may have
//    its parent created, one level, as the `.stablevfs/` convention needs); an existing file is writable;
//  - a directory output is a directory when it exists, and otherwise can be created below its nearest
//    existing ancestor, which must be a directory;
//  - it is not the same file (or directory) as any input of the command, nor as another output: compared by
//    device and inode when both exist, and by their canonical paths otherwise (so `sql new.img --hits
//    new.img`, where neither exists yet, is caught too).
// A violation is a UsageError (exit 2) naming the option, the path and what to do.
#pragma once

#include <string>
#include <vector>

#include "harness/cli/args.h"

namespace stablevfs::cli {

enum class OutputKind {
  kFile,             // a file in an existing directory
  kFileNewParent,    // a file whose parent directory is created when missing (the hits file)
  kDirectory,        // a directory, created (with its parents) when missing
};

struct OutputPath {
  std::string option;  // how the user named it: "--hits", "OUT.db"
  std::string path;
  OutputKind kind = OutputKind::kFile;
  // Written only if it can be, a failure being a warning (the default hits file, which nobody asked for):
  // compared with the inputs and the other outputs, but not refused for its directory.
  bool best_effort = false;
};

// The hits file of a command (hits_file.h) as an output: `path` is --hits when given (then checked like any
// output), else the default path (best effort).
OutputPath HitsOutput(const Args& args, const std::string& path);

struct InputPath {
  std::string what;  // how messages name it: "IMAGE", "the scenario file", "--scenarios"
  std::string path;
};

// Appends option --`name` to `outputs` when the command line gives it.
void AddOutputOption(std::vector<OutputPath>& outputs, const Args& args, const std::string& name,
                     OutputKind kind = OutputKind::kFile);

// Applies the rule above to every output. Throws UsageError for the first that breaks it.
void CheckOutputPaths(const std::vector<OutputPath>& outputs, const std::vector<InputPath>& inputs);

// True iff `a` and `b` name the same file or directory: the same device and inode when both exist, else the
// same canonical path (symbolic links resolved as far as the path exists).
bool SameOutputTarget(const std::string& a, const std::string& b);

}  // namespace stablevfs::cli
