#!/usr/bin/env bash
# The gate on test-only layouts, through stablevfs-variants (tests/variants/layout_variants.h).
#
# Goal: a layout 8 whose page-write failure after the first page returns an error instead of trapping (the
# trap REFERENCE 3.4 requires, removed) is reported by `check` under the error model: the gate fails, the
# verdict matrix shows FAIL in its error cell (ic still passes, powerloss and torn are the expected failures of
# any layout 8), and the counterexample names the site. The guide's own layout (8-sbmirror) passes like layout
# 8. Method: run check on each with a small budget and read the matrix rows; replay a saved counterexample.
. "$(dirname "$0")/../cli/lib.sh"
SCENARIOS="$(cd "$(dirname "$0")/../../scenarios" && pwd)"

run check --layout 8-no-trap --budget-seconds 8 --scenarios "$SCENARIOS" --workloads-dir "$SCENARIOS/workloads" \
    --save-dir fails --report-json no-trap.json
expect_exit 1
grep -qE '^8-no-trap +trap-rollback +pass +FAIL +expected failure +expected failure +pass$' out.txt ||
  fail "the matrix row of 8-no-trap: error must FAIL, ic pass, powerloss and torn expected failures"
grep -qE '^layout 8-no-trap x error: FAIL: (image|error\.active_state) \(.*commit\.page_write_in_place=nth\([2-9][0-9]*\):error' out.txt ||
  fail "the error cell should name the page write after the first that returned an error"
grep -q '^FAIL: layout 8-no-trap, ' out.txt || fail "the last line should say FAIL"
command -v python3 > /dev/null && {
  python3 - no-trap.json > py.txt 2>&1 << 'PY' || fail "the report of 8-no-trap is wrong: $(cat py.txt)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "fail" and r["layout"] == "8-no-trap"
cells = {c["crash_model"]: c for c in r["verdicts"][0]["cells"]}
assert cells["error"]["result"] == "unexpected_failure" and cells["ic"]["result"] == "pass", cells
assert cells["error"]["counterexample_ops"] <= 6, cells["error"]
print(cells["error"]["counterexample"])
PY
  ce=$(cat py.txt)
  run replay "$ce"
  expect_exit 1
  expect_out "fired commit.page_write_in_place:error"
}

run check --layout 8-sbmirror --budget-seconds 6 --scenarios "$SCENARIOS" --workloads-dir "$SCENARIOS/workloads" \
    --save-dir fails2
expect_exit 0
grep -qE '^8-sbmirror +trap-rollback +pass +pass +expected failure +expected failure +pass$' out.txt ||
  fail "the guide's layout passes as layout 8 does"

finish
