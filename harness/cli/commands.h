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

// The correctness gate (cmd_check.cpp, cmd_fuzz.cpp, cmd_replay.cpp).
int RunCheck(int argc, char** argv, int first);
int RunFuzz(int argc, char** argv, int first);
int RunReplay(int argc, char** argv, int first);

// Exhaustive crash-point exploration of workloads (cmd_explore.cpp; the explorer is harness/explore/).
int RunExplore(int argc, char** argv, int first);

// Image tools (cmd_fsck.cpp, cmd_inspect.cpp, cmd_extract.cpp, cmd_convert.cpp, cmd_sql.cpp) and the failpoint
// catalogue (cmd_failpoints.cpp).
int RunFsck(int argc, char** argv, int first);
int RunInspect(int argc, char** argv, int first);
int RunExtract(int argc, char** argv, int first);
int RunConvert(int argc, char** argv, int first);
int RunSql(int argc, char** argv, int first);
int RunFailpoints(int argc, char** argv, int first);

// sqllogictest files through the VFS beside stock SQLite (cmd_slt.cpp).
int RunSlt(int argc, char** argv, int first);

// VFS workload benchmarks (cmd_bench.cpp; the workloads live in bench/workloads/).
int RunBench(int argc, char** argv, int first);

}  // namespace stablevfs::cli
