// The table of stablevfs subcommands, in the order `stablevfs --help` lists them:
//   check, fuzz, replay, explore, fsck, inspect, extract, convert, sql, slt, failpoints, bench.
// Only commands that exist are listed. To add one, declare its Run<Name> in commands.h, implement it in
// cmd_<name>.cpp, and insert its row at its place in that order (the comments mark where the others go).
#include "harness/cli/commands.h"

namespace stablevfs::cli {

const Command kCommands[] = {
    {"check", "the CI correctness gate: every suite within a time budget (exit 1 when one fails)", RunCheck},
    {"fuzz", "run a seeded, shardable fuzz campaign; shrink and save the first violation (exit 1)", RunFuzz},
    {"replay", "re-run one case (a scenario file, or --seed/--case) and show every message's judgement", RunReplay},
    {"explore", "exhaustive crash points: every (failpoint, ordinal, action) of each message, from a snapshot",
     RunExplore},
    {"fsck", "validate an image file: every problem with its offset (exit 1 if any)", RunFsck},
    {"inspect", "show an image's superblock, page map and live/orphan space; --svg draws it", RunInspect},
    {"extract", "write the logical SQLite file of an image, for the stock sqlite3 shell", RunExtract},
    {"convert", "rewrite an image's database into another layout (6 -> 8, ...), verified, to a new file", RunConvert},
    {"sql", "create or open an image file and run SQL on it, one update per statement", RunSql},
    {"slt", "run sqllogictest files through the VFS beside stock SQLite", RunSlt},
    {"failpoints", "list the failpoint catalogue, with hit counts from the last run", RunFailpoints},
    {"bench", "VFS workloads on memdb, unix, icstable and the simulated IC, and the harness throughput", RunBench},
};

const int kCommandCount = static_cast<int>(sizeof kCommands / sizeof kCommands[0]);

}  // namespace stablevfs::cli
