#!/usr/bin/env bash
# stablevfs replay: one case, every message, the first judgement that failed.
#
# Goal: show that replaying a checked-in scenario exits 0 and prints each op with its outcome and the
# failpoints that fired; that a wrong expectation, an undeclared violation and a negative control that catches
# nothing each exit 1 naming the line or the property; that a seeded case replays as fuzz ran it (the same
# verdict and op count as `fuzz --verbose` shows for that case); that a malformed line exits 2 with
# file:line:column; and that the replay leaves its failpoint counters for `stablevfs failpoints`. Layouts: a
# file's `layout` line picks its layout, --layout applies to a file without one, and a conflict is refused.
. "$(dirname "$0")/lib.sh"
SCENARIOS="$(cd "$(dirname "$0")/../../scenarios" 2> /dev/null && pwd)"

# --- a good scenario ---
cat > good.scn << 'SCN'
# A commit whose third page write crashes keeps the old state.
crash-model powerloss
update CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)
expect committed
arm commit.page_write=nth(3):crash
update INSERT INTO t VALUES(1, zeroblob(60000))
expect crashed
update INSERT INTO t VALUES(1, zeroblob(60000))
expect committed
SCN
run replay good.scn
expect_exit 0
expect_out "replay good.scn: layout 6 (power-loss), seed 0, crash model powerloss, 4 ops"
expect_out "#0 update CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB) -> committed"
expect_out "#2 update INSERT INTO t VALUES(1, zeroblob(60000)) -> crashed"
expect_out "    fired commit.page_write:crash"
expect_out "PASS good.scn: 4 ops, 3 messages, every expectation and judgement held"
grep -q '"commit.page_write": {"crash": 1}' .stablevfs/last-hits.json || fail "replay should write the hits file"
run failpoints
expect_out "Hit counts from .stablevfs/last-hits.json (stablevfs replay good.scn)"
if [ -n "$SCENARIOS" ]; then
  run replay "$SCENARIOS/failpoints/commit.superblock_publish.scn" --hits h.json
  expect_exit 0
  [ -f h.json ] || fail "--hits should choose where the counters go"
fi

# --- a wrong expectation ---
sed 's/^expect crashed$/expect trapped/' good.scn > wrong.scn
run replay wrong.scn
expect_exit 1
expect_out "FAIL wrong.scn line 6: expected trapped, got crashed"

# --- a negative control ---
cat > control.scn << 'SCN'
expect-violation image
update CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)
arm memory.write=nth(2):lost
update INSERT INTO t VALUES(1, zeroblob(40000))
SCN
run replay control.scn
expect_exit 0
expect_out "negative control (expects a violation of image)"
expect_out "PASS control.scn: 3 ops, 2 messages, the declared violation was caught at line 4: image"
grep -v '^arm' control.scn > blind.scn
run replay blind.scn
expect_exit 1
expect_out "FAIL blind.scn expected a violation of image (a negative control), but every judgement held"
# The same fault without the declaration is an unexpected violation.
grep -v '^expect-violation' control.scn > undeclared.scn
run replay undeclared.scn
expect_exit 1
expect_out "FAIL undeclared.scn line 3: unexpected violation image: "

# --- a seeded case, as fuzz ran it ---
run fuzz --seed 21 --cases 3 --steps 20 --crash-model powerloss --weights sql.alter-add-column=0,migrate=0 --verbose
expect_exit 0
case_line=$(grep '^case 2 ' out.txt)
ops=$(echo "$case_line" | sed -E 's/.*: ([0-9]+) ops, ([0-9]+) messages.*/\1 \2/')
run replay --seed 21 --case 2 --steps 20 --crash-model powerloss --weights sql.alter-add-column=0,migrate=0
expect_exit 0
expect_out "replay: layout 6 (power-loss), seed 21, case 2 (case seed "
expect_out "PASS case 2: $(echo "$ops" | cut -d' ' -f1) ops, $(echo "$ops" | cut -d' ' -f2) messages,"
grep -c '^#[0-9]* ' out.txt | grep -qx "$(echo "$ops" | cut -d' ' -f1)" || fail "replay should print every op of the case"
run replay --seed 21 --case 2 --steps 20 --crash-model all --weights sql.alter-add-column=0,migrate=0
expect_out "crash model powerloss"  # case 2 of an `all` campaign is powerloss

# --- layouts ---
cat > inplace.scn << 'SCN'
layout 8
update CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)
expect committed
arm commit.page_write_in_place=nth(2):error
update INSERT INTO t VALUES(1, zeroblob(60000))
expect trapped
SCN
run replay inplace.scn
expect_exit 0
expect_out "replay inplace.scn: layout 8 (trap-rollback), seed 0"
expect_out "    fired commit.page_write_in_place:error"
run replay inplace.scn --layout 8
expect_exit 0
run replay inplace.scn --layout 6
# The refusal points at the file's layout line and its value, file:line:column.
layout_line=$(grep -n '^layout' inplace.scn | cut -d: -f1)
expect_usage_error "inplace.scn:$layout_line:8: the file is written for layout 8, not --layout 6"
grep -v '^layout' inplace.scn > unnamed.scn
run replay unnamed.scn --layout 8
expect_exit 0
expect_out "layout 8 (trap-rollback)"
run replay unnamed.scn
expect_exit 1
expect_out "expected trapped, got committed"  # layout 6 never reaches the in-place site
run replay --seed 21 --case 2 --steps 20 --crash-model ic --layout 8
expect_exit 0
expect_out "replay: layout 8 (trap-rollback), seed 21, case 2"
run replay good.scn --layout nine
expect_usage_error "--layout: unknown layout 'nine' (registered: 6, 8, sv1)"
printf 'layout 9\nupgrade\n' > badlayout.scn
run replay badlayout.scn
expect_usage_error "badlayout.scn:1:8: unknown layout '9' (registered: 6, 8, sv1)"

# --- bad input ---
printf 'update CREATE TABLE t(a)\nexpect committed\narm commit.page_write=nth(0):crash\n' > malformed.scn
run replay malformed.scn
expect_usage_error "malformed.scn:3:"
printf 'update CREATE TABLE t(a)\n  updat x\n' > typo.scn
run replay typo.scn
expect_usage_error "typo.scn:2:3: unknown operation 'updat'"
run replay missing.scn
expect_usage_error "missing.scn: cannot open"
run replay .
expect_usage_error ".: is a directory, not a scenario file"
run replay
expect_usage_error "give a scenario file, or both --seed and --case"
run replay good.scn --seed 3
expect_usage_error "--seed applies to --seed/--case replays, not to a scenario file"
run replay --seed 1 --case x
expect_usage_error "--case: expected a whole number, got 'x'"
run replay good.scn --faults 'memory.write=lost('
expect_usage_error "--faults 'memory.write=lost(': spec column"

finish
