// stablevfs-variants: the stablevfs command with the test-only layouts of layout_variants.h registered, so
// the gate can be run on them exactly as on a builtin: `stablevfs-variants check --layout 8-no-trap` must
// fail (and says under which crash model), `stablevfs-variants check --layout 8-sbmirror` must pass. A test
// target only; never installed.
#include "harness/cli/cli_main.h"
#include "tests/variants/layout_variants.h"

int main(int argc, char** argv) {
  stablevfs::variants::RegisterTestLayouts();
  return stablevfs::cli::Main(argc, argv);
}
