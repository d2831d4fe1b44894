// stablevfs's command-line dispatch (cli_main.h): one subcommand, and failures mapped onto the exit codes
// every subcommand shares: 0 pass, 1 violation, 2 bad usage or input, 3 internal error.
#include <cstring>
#include <exception>
#include <iostream>

#include "harness/cli/args.h"
#include "harness/cli/cli_main.h"
#include "harness/cli/commands.h"

namespace {

void PrintTopHelp(std::ostream& out) {
  out << "usage: stablevfs <command> [options]   ('stablevfs <command> --help' for its options)\n\n"
         "A fault-injection and crash-consistency harness for SQLite in Internet Computer stable memory.\n\n"
         "commands:\n";
  for (int i = 0; i < stablevfs::cli::kCommandCount; ++i) {
    const auto& c = stablevfs::cli::kCommands[i];
    std::string name = c.name;
    out << "  " << name << std::string(name.size() < 12 ? 12 - name.size() : 1, ' ') << c.summary << "\n";
  }
  out << "\nexit codes: 0 pass, 1 violation or check failure, 2 bad usage or input, 3 internal error\n";
}

}  // namespace

namespace stablevfs::cli {

int Main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    PrintTopHelp(std::cout);
    return argc < 2 ? kExitUsage : kExitPass;
  }
  for (int i = 0; i < kCommandCount; ++i) {
    if (std::strcmp(argv[1], kCommands[i].name) != 0) continue;
    try {
      return kCommands[i].run(argc, argv, 2);
    } catch (const UsageError& e) {
      std::cerr << "stablevfs " << argv[1] << ": " << e.what() << "\n";
      return kExitUsage;
    } catch (const std::exception& e) {
      std::cerr << "stablevfs " << argv[1] << ": internal error: " << e.what() << "\n";
      return kExitInternal;
    }
  }
  std::cerr << "stablevfs: unknown command '" << argv[1] << "' (run 'stablevfs --help' for the list)\n";
  return kExitUsage;
}

}  // namespace stablevfs::cli
