#!/usr/bin/env bash
# STABLEVFS_FAILPOINTS arms failpoints in every command that has a spec option, and a bad value is refused.
#
# Goal: the variable README and `failpoints --help` promise is honoured by fuzz, replay, explore, slt and
# sql (merged with --faults / --failpoints: both armed, a site both name takes the option's chain), is
# refused with exit 2 naming the variable when malformed, and makes check refuse to run rather than ignore
# it. Method: a negative control armed only through the variable must fail the run; the merged spec must
# show in the output and in the saved counterexample.
. "$(dirname "$0")/lib.sh"

# --- honoured: lost writes armed by the variable alone are caught ---
STABLEVFS_FAILPOINTS='memory.write=100%lost' run fuzz --seed 1 --cases 1 --steps 10
expect_exit 1
expect_out "faults memory.write=lost"
expect_out "VIOLATION"
# The saved counterexample carries the faults: it replays the violation without the variable.
grep -qF "the session-wide faults memory.write=lost are made explicit" stablevfs-failures/fuzz-seed1-case0.scn ||
  fail "the saved counterexample should record the variable's faults"
run replay stablevfs-failures/fuzz-seed1-case0.scn
expect_exit 1
expect_out "VIOLATION image"
STABLEVFS_FAILPOINTS='memory.write=100%lost' run replay --seed 1 --case 0 --steps 10
expect_exit 1
expect_out "faults memory.write=lost"
run replay --seed 1 --case 0 --steps 10
expect_exit 0

# --- merged with --faults: both armed, the option's chain wins for a site both name ---
STABLEVFS_FAILPOINTS='memory.write=100%lost;memory.grow=1%error' run fuzz --seed 1 --cases 1 --steps 10 \
  --faults 'memory.write=1*off'
expect_out "faults memory.grow=1%error;memory.write=1*off"

# --- sql: the variable fails the statement as --failpoints would ---
run sql kv.img "CREATE TABLE kv(k, v)"
expect_exit 0
cp kv.img before.img
STABLEVFS_FAILPOINTS='commit.page_write=error' run sql kv.img "INSERT INTO kv VALUES(1, 2)"
expect_exit 1
expect_same kv.img before.img "a failed statement leaves the image as it was"

# --- slt: a record faulted by the variable is counted as faulted ---
printf 'statement ok\nCREATE TABLE t(x)\n\nstatement ok\nINSERT INTO t VALUES(1)\n' > one.test
STABLEVFS_FAILPOINTS='sqlite.step=error' run slt one.test
expect_out "faults: sqlite.step=error"

# --- malformed: exit 2 naming the variable, nothing run ---
for command in "fuzz --cases 1 --steps 5" "replay --seed 1 --case 0 --steps 5" "sql kv.img SELECT\ 1" \
               "slt one.test" "explore --actions error"; do
  eval "STABLEVFS_FAILPOINTS='junk' run $command"
  expect_usage_error "STABLEVFS_FAILPOINTS='junk': spec column"
done
STABLEVFS_FAILPOINTS='memory.write=5%lostt' run fuzz --cases 1
expect_usage_error "STABLEVFS_FAILPOINTS='memory.write=5%lostt': spec column 16: unknown action 'lostt'"
expect_same kv.img before.img "a refused sql leaves the image as it was"

# --- check arms its own faults: it refuses instead of ignoring the variable ---
STABLEVFS_FAILPOINTS='memory.write=100%lost' run check --budget-seconds 1
expect_usage_error "STABLEVFS_FAILPOINTS='memory.write=100%lost' is set, but check"
# The help of the catalogue says how the variable combines, as the commands do.
run failpoints --help
expect_out "STABLEVFS_FAILPOINTS=SPEC arms a spec for a whole command"
# A blank value arms nothing anywhere.
STABLEVFS_FAILPOINTS=' ' run fuzz --seed 1 --cases 1 --steps 5
expect_exit 0

finish
