// stablevfs: the command-line front of the harness (harness/cli/cli_main.h).
#include "harness/cli/cli_main.h"

int main(int argc, char** argv) { return stablevfs::cli::Main(argc, argv); }
