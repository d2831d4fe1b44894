#!/usr/bin/env bash
# stablevfs --help and every image-tool subcommand's --help.
#
# Goal: show that each subcommand documents its usage, options and exit codes and exits 0 for --help, that the
# top-level help lists them, and that an unknown command is a usage error (exit 2). Method: run the binary and
# look for the parts every help text must have.
. "$(dirname "$0")/lib.sh"

run --help
expect_exit 0
for command in fsck inspect extract sql failpoints; do expect_out "  $command "; done
run
expect_exit 2
run frobnicate
expect_usage_error "unknown command 'frobnicate'"

for command in fsck inspect extract sql failpoints; do
  run "$command" --help
  expect_exit 0
  expect_out "usage: stablevfs $command"
  expect_out "options:"
  expect_out "exit codes: 0 pass, 1 violation or check failure, 2 bad usage or input, 3 internal error"
done
for command in fsck inspect extract sql; do
  run "$command" --help
  expect_out "--memory-id N"
  expect_out "--raw"
done
run inspect --help
expect_out "--svg FILE"
run extract --help
expect_out "--force"
run sql --help
expect_out "sqlite3_complete"
run failpoints --help
expect_out ".stablevfs/last-hits.json"

finish
