#!/usr/bin/env bash
# The gate commands (check, fuzz, replay) refuse bad input with exit 2 and a message naming the input.
#
# Goal: every option the gate reads is validated before any case runs: a shard outside 0 <= I < N, a shard
# that is not I/N, an unknown crash model, a failpoint spec with its column, generator weights with their
# column, a non-number, an unwritable report file; nothing runs and nothing is written then. Method: each bad
# command once, checking the exit code and the message.
. "$(dirname "$0")/lib.sh"

run fuzz --shard 3/2
expect_usage_error "--shard 3/2: shard index 3 is out of range; shards of 2 are numbered 0..1"
run fuzz --shard 2/2
expect_usage_error "--shard 2/2: shard index 2 is out of range"
run fuzz --shard 0/0
expect_usage_error "--shard 0/0: the shard count N must be at least 1"
run fuzz --shard 1
expect_usage_error "--shard: expected I/N (shard I of N, 0 <= I < N), got '1'"
run fuzz --shard a/2
expect_usage_error "--shard index: expected a whole number, got 'a'"
run fuzz --crash-model tornado
expect_usage_error "--crash-model: unknown crash model 'tornado' (expected ic, error, powerloss, torn or all)"
run replay --seed 1 --case 0 --crash-model x
expect_usage_error "--crash-model: unknown crash model 'x'"
run fuzz --faults 'memory.write=5%lostt'
expect_usage_error "--faults 'memory.write=5%lostt': spec column 16: unknown action 'lostt'"
run fuzz --faults 'no.such.site=error'
expect_usage_error "--faults 'no.such.site=error': "
expect_err "no.such.site"
run fuzz --faults 'memory.write=error'
expect_usage_error "--faults 'memory.write=error': "
run fuzz --weights 'update=x'
expect_usage_error "--weights 'update=x': column 8: "
run fuzz --weights 'updates=3'
expect_usage_error "--weights 'updates=3': column 1: "
run fuzz --seed minus-one
expect_usage_error "--seed: expected a whole number, got 'minus-one'"
run fuzz --steps 0
expect_usage_error "--steps: must be at least 1"
run fuzz --time -3
expect_usage_error "--time: expected a number of seconds >= 0, got '-3'"
run fuzz --report-json no/such/dir/r.json
expect_usage_error "--report-json no/such/dir/r.json: cannot open for writing"
run fuzz --junit no/such/dir/r.xml
expect_usage_error "--junit no/such/dir/r.xml: cannot open for writing"
run fuzz --sharrd 0/1
expect_usage_error "unknown option '--sharrd'"
run fuzz leftover
expect_usage_error "unexpected argument 'leftover'"
run check --budget-seconds -1
expect_usage_error "--budget-seconds: expected a number of seconds >= 0"
run check --jobs many
expect_usage_error "--jobs: expected a whole number, got 'many'"
[ ! -e .stablevfs ] || fail "a refused command should run nothing and write no hits file"
[ ! -e stablevfs-failures ] || fail "a refused command should save nothing"

finish
