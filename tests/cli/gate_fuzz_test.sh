#!/usr/bin/env bash
# stablevfs fuzz: seeded campaigns, shards, jobs, and what happens at a violation.
#
# Goal: show that a campaign is a function of its options: the same seed prints the same output (timings
# aside), with one job or two; that shards I/N partition the cases so that 0/2 and 1/2 together run exactly
# the cases of the unsharded run; that every run prints its seed first and writes the JSON report; and that a
# negative control (--faults 'memory.write=5%lost') exits 1, saves a shrunk scenario whose replay exits 1
# too, and prints the one command that replays it. Method: small campaigns (6 cases of 25 steps) compared
# line by line. The generator's ALTER TABLE and migrations are switched off in the comparisons: these tests
# are about partitioning and determinism and must not stop early at a finding, whatever the library does.
. "$(dirname "$0")/lib.sh"
WEIGHTS="sql.alter-add-column=0,migrate=0"

# --- determinism: the same seed twice, and with two jobs ---
run fuzz --seed 11 --cases 6 --steps 25 --crash-model all --weights "$WEIGHTS" --verbose --report-json f.json
expect_exit 0
head -1 out.txt | grep -qx "stablevfs fuzz: seed 11" || fail "the first line should print the seed"
expect_out "campaign: layout 6 (power-loss), shard 0/1, cases 0..5, 25 steps per case, crash model all, faults none"
expect_out "result: 6 cases, "
grep -qE '^timing: [0-9.]+ s with 1 job, [0-9.]+ cases/s, [0-9.]+ messages/s$' out.txt || fail "a timing line"
grep -c '^case [0-5] ' out.txt | grep -qx 6 || fail "--verbose should list the 6 cases"
grep -q '^case 1 (case seed [0-9]*, error): ' out.txt || fail "with --crash-model all, case 1 runs model error"
grep -q '^case 2 (case seed [0-9]*, powerloss): ' out.txt || fail "with --crash-model all, case 2 runs powerloss"
grep -v '^timing:' out.txt > first.txt
run fuzz --seed 11 --cases 6 --steps 25 --crash-model all --weights "$WEIGHTS" --verbose
grep -v '^timing:' out.txt > second.txt
expect_same first.txt second.txt "the same seed must give the same output"
run fuzz --seed 11 --cases 6 --steps 25 --crash-model all --weights "$WEIGHTS" --verbose --jobs 2
expect_exit 0
grep -qE '^timing: .* with 2 jobs,' out.txt || fail "the timing line should name the jobs"
grep -v '^timing:' out.txt > jobs2.txt
expect_same first.txt jobs2.txt "two jobs must give the output of one"
run fuzz --seed 12 --cases 6 --steps 25 --crash-model all --weights "$WEIGHTS" --verbose
grep '^case ' out.txt > other_seed.txt
grep '^case ' first.txt > first_cases.txt
cmp -s first_cases.txt other_seed.txt && fail "another seed should give other cases"

command -v python3 > /dev/null && {
  python3 - f.json > py.txt 2>&1 << 'PY' || fail "the fuzz JSON report is wrong: $(cat py.txt)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["command"] == "fuzz" and r["seed"] == 11 and r["shard"] == "0/1" and r["cases"] == 6, r
assert r["result"] == "pass" and r["violations"] == []
assert [s["name"] for s in r["suites"]] == ["fuzz-ic", "fuzz-error", "fuzz-powerloss", "fuzz-torn"]
assert sum(s["cases"] for s in r["suites"]) == 6
assert r["failpoints"]["commit.page_write"]["hits"] > 0
PY
}

# --- shards: 0/2 and 1/2 run the cases of the whole campaign, no more, no less ---
run fuzz --seed 11 --cases 6 --steps 25 --crash-model all --weights "$WEIGHTS" --verbose --shard 0/2
expect_exit 0
expect_out "campaign: layout 6 (power-loss), shard 0/2, cases 0..5 with k mod 2 == 0,"
grep '^case ' out.txt > shard0.txt
run fuzz --seed 11 --cases 6 --steps 25 --crash-model all --weights "$WEIGHTS" --verbose --shard 1/2 --jobs 2
expect_exit 0
grep '^case ' out.txt > shard1.txt
grep -c . shard0.txt | grep -qx 3 || fail "shard 0/2 of 6 cases should run 3 (cases 0, 2, 4)"
grep -q '^case 3 ' shard1.txt || fail "shard 1/2 should run case 3"
grep -q '^case 3 ' shard0.txt && fail "shard 0/2 should not run case 3"
sort shard0.txt shard1.txt > union.txt
sort first_cases.txt > all.txt
expect_same all.txt union.txt "shards 0/2 and 1/2 together should run exactly the unsharded cases"

# --- a negative control is caught, shrunk, saved and replayable ---
run fuzz --seed 3 --cases 5 --steps 25 --faults 'memory.write=5%lost' --save-dir found --report-json v.json
expect_exit 1
expect_out "VIOLATION case "
expect_out "counterexample: "
grep -q '^FAIL$' out.txt || fail "the verdict line should say FAIL"
replay_line=$(grep '^replay: ' out.txt | head -1)
replay_cmd=${replay_line#replay: stablevfs }
[ -n "$replay_line" ] || fail "fuzz should print the replay command"
saved=$(ls found/*.scn 2> /dev/null | head -1)
[ -n "$saved" ] || fail "fuzz should save the counterexample in --save-dir"
case "$replay_cmd" in replay\ found/*.scn*) ;; *) fail "the replay command should replay the saved file: $replay_line" ;; esac
grep -q '^# counterexample: stablevfs fuzz, case ' "$saved" || fail "the saved scenario should say where it came from"
grep -q '^expect-violation' "$saved" && fail "a counterexample must not declare its violation (its replay must fail)"
# shellcheck disable=SC2086
eval "run $replay_cmd"
expect_exit 1
expect_out "FAIL $saved "
if command -v python3 > /dev/null; then
  python3 - v.json "$saved" > py.txt 2>&1 << 'PY' || fail "the JSON report of a violation is wrong: $(cat py.txt)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "fail" and len(r["violations"]) == 1, r["violations"]
v = r["violations"][0]
assert v["scenario"] == sys.argv[2] and v["replay"].startswith("stablevfs replay ") and v["seed"] == 3, v
assert isinstance(v["case"], int) and v["property"], v
assert r["failpoints"]["memory.write"]["fired"]["lost"] > 0
PY
fi

# --- --time: stops starting cases, says so in --help ---
run fuzz --seed 5 --time 0 --steps 5
expect_exit 0
expect_out "result: 0 cases"
expect_out "stopped: --time ran out"
run fuzz --help
expect_exit 0
expect_out "depends on the speed of the"

finish
