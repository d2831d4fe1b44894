// The stablevfs subcommands. Each takes the full argv and the index of its first own argument, and returns
// the process exit code (see args.h). Each lives in a cmd_<name>.cpp of its own.
#pragma once

namespace stablevfs::cli {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv, int first);
};

// Every subcommand, in the order `stablevfs --help` lists them.
extern const Command kCommands[];
extern const int kCommandCount;

}  // namespace stablevfs::cli
