#!/usr/bin/env bash
# Numeric options and numbers in scenario files: non-finite and absurd values are refused (exit 2, naming the
# option or the file:line:column and the limit), and durations print as given.
#
# Goal: `fuzz --time inf` used to run 0 cases and print PASS, `check --budget-seconds inf` one case per suite;
# `--budget-seconds 0.001` printed "budget 0 s"; `fuzz --cases 0` printed "cases 0..18446744073709551615";
# misdirect(-9223372036854775808) was refused as "too large"; a migration version of 2^64-1 passed the
# parser and failed in the library (exit 1). Method: each value once, checking exit code and message.
. "$(dirname "$0")/lib.sh"

for value in inf -inf nan 1e400; do
  run fuzz --time "$value"
  expect_usage_error "--time: expected a number of seconds >= 0, got '$value' (at most 31536000, 365 days)"
done
run fuzz --time 1e18
expect_usage_error "--time: 1e18 seconds is more than the limit of 31536000 (365 days)"
run check --budget-seconds inf
expect_usage_error "--budget-seconds: expected a number of seconds >= 0, got 'inf'"
run check --budget-seconds 1e18
expect_usage_error "--budget-seconds: 1e18 seconds is more than the limit of 31536000"
[ ! -e .stablevfs ] || fail "a refused command should run nothing"

# A short budget prints as given (it used to print "budget 0 s"); the run takes about 2 s.
run check --budget-seconds 0.001 --steps 5
expect_out "budget 0.001 s, 5 steps per generated case"

run fuzz --seed 1 --cases 0
expect_exit 0
expect_out "no cases"
expect_no_out "18446744073709551615"

# The whole int64 range of a misdirect distance, both ends.
run fuzz --seed 1 --cases 1 --steps 5 --faults 'memory.write=1*misdirect(-9223372036854775808)'
expect_no_err "out of range"
expect_out "faults memory.write=1*misdirect(-9223372036854775808)"
# A negative distance that lands a write on the MemoryManager header: the verdict says why nothing decodes.
run replay --seed 1 --case 0 --steps 20 --faults 'memory.write=every(2):misdirect(-65536)'
expect_exit 1
expect_out "does not decode to a logical file: the MemoryManager header does not decode: @0 (0x0) mm_magic"
run fuzz --cases 1 --faults 'memory.write=misdirect(+9223372036854775808)'
expect_usage_error "out of range (-9223372036854775808..9223372036854775807)"

# A migration version the library cannot take is refused by the parser, with its column.
printf 'layout 6\nmigrate 18446744073709551615:CREATE TABLE t(x)\n' > big.scn
run replay big.scn
expect_usage_error "big.scn:2:9: migration version 18446744073709551615 is too large (at most 9223372036854775807)"

# A layout line that contradicts --layout points at itself.
printf '# a comment\nlayout 8\nupdate CREATE TABLE t(x)\n' > eight.scn
run replay eight.scn --layout 6
expect_usage_error "eight.scn:2:8: the file is written for layout 8, not --layout 6"

finish
