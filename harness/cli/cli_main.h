// The stablevfs command line as a function: what the `stablevfs` executable runs, for programs that add
// layouts of their own first (a test's deliberately broken variants, a user's layout; docs/adding-a-layout.md):
//
//   int main(int argc, char** argv) {
//     stablevfs::LayoutRegistry::Global().Register(MyLayoutInfo()).IgnoreError();
//     stablevfs::check::CheckerRegistry::Global().Register(MyChecker());
//     return stablevfs::cli::Main(argc, argv);   // `prog check --layout mine` runs the gate on it
//   }
#pragma once

namespace stablevfs::cli {

// Dispatches argv[1] to its subcommand and maps failures onto the exit codes every subcommand shares: 0 pass,
// 1 violation, 2 bad usage or input, 3 internal error. `stablevfs --help` lists the commands.
int Main(int argc, char** argv);

}  // namespace stablevfs::cli
