#!/usr/bin/env bash
# stablevfs check: the correctness gate.
#
# Goal: show that the gate passes on the library as it is (exit 0) within a small budget, prints its seed and
# a summary row for every suite (the explorer's crash points of the standard workloads among them), writes a JSON report and a JUnit file that parse and hold what CI needs, and
# leaves the failpoint counters for `stablevfs failpoints`; and that a failing suite turns the gate red: a
# scenario directory holding a scenario whose expectation is wrong makes check exit 1, name the file and the
# line, and put a <failure> in the JUnit file; and an explored workload that breaks (a lost write) fails the
# explore suite with a counterexample whose replay fails. Layouts: the default is layout 6; `--layout 8` passes
# with the powerloss and torn cells of its verdict matrix as expected failures, each with a shrunk
# counterexample of at most 6 ops whose replay shows the violation; `--layout all` prints the whole matrix.
# Method: run check with --budget-seconds 20 against the checked-in scenarios, then with a tiny budget against
# a directory with one broken scenario. JSON and XML are validated with python3 (the test is skipped, exit 77,
# when it is missing).
SCENARIOS="$(cd "$(dirname "$0")/../../scenarios" && pwd)"
WORKLOADS="$SCENARIOS/workloads"
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || { echo "python3 not found: cannot validate the JSON and JUnit reports"; exit 77; }

# --- the gate passes ---
run check --budget-seconds 20 --scenarios "$SCENARIOS" --workloads-dir "$WORKLOADS" --report-json report.json \
    --junit junit.xml --save-dir fails
expect_exit 0
head -1 out.txt | grep -qx "stablevfs check: layout 6 (power-loss), seed 24301 (the default), budget 20 s, 50 steps per generated case" ||
  fail "the first line should print the default seed and the budget"
for suite in explore no-fault control-lost control-misdirect control-bitflip crash-ic crash-error \
             crash-powerloss crash-torn scenarios coverage total; do
  grep -qE "^$suite +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+/51 +[0-9]+ +[0-9.]+ s +pass\$" out.txt ||
    fail "the summary table should have a passing row for $suite"
done
expect_out "control-lost: caught in case"
grep -qE '^explore: [0-9]+ workloads, [0-9]+ crash points verified' out.txt || fail "explore should count its crash points"
expect_out "coverage: 16 of 16 sites hit, 51 of 51 (site, action) pairs fired"
grep -qE '^total +[0-9]+ +[0-9]+ +[0-9]+ +51/51 +0 ' out.txt || fail "the total row should count no violation"
grep -qE '^6 +power-loss +pass +pass +pass +pass +pass$' out.txt || fail "the verdict matrix should pass every cell of layout 6"
grep -qE '^PASS: layout 6, 11 suites, [0-9]+ cases, [0-9]+ messages in [0-9.]+ s \([0-9]+ messages/s\), seed 24301$' out.txt ||
  fail "the last line should say PASS with the totals"
[ ! -d fails ] || fail "a passing gate should save no counterexample"

python3 - report.json > py.txt 2>&1 << 'PY' || fail "report.json is not the expected JSON: $(cat py.txt)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["format"] == "stablevfs-report-1" and r["command"] == "check" and r["result"] == "pass", r["result"]
assert r["seed"] == 24301 and r["shard"] == "0/1" and r["layout"] == "6"
v = r["verdicts"]
assert len(v) == 1 and v[0]["layout"] == "6" and v[0]["promise"] == "power-loss" and v[0]["other_suites"] == "pass", v
assert [c["crash_model"] for c in v[0]["cells"]] == ["ic", "error", "powerloss", "torn"]
assert all(c["expected"] == "pass" and c["result"] == "pass" for c in v[0]["cells"]), v
assert r["crash_points"] >= r["suites"][0]["crash_points"] > 0
for key in ("cases", "messages", "crash_points", "duration_seconds", "violations", "coverage", "failpoints"):
    assert key in r, key
names = [s["name"] for s in r["suites"]]
assert names == ["explore", "scenarios", "no-fault", "control-lost", "control-misdirect", "control-bitflip",
                 "crash-ic", "crash-error", "crash-powerloss", "crash-torn", "coverage"], names
assert all(s["result"] == "pass" for s in r["suites"])
assert sum(s["cases"] for s in r["suites"]) == r["cases"] and r["cases"] > 0
assert r["violations"] == []
fp = r["failpoints"]
assert len(fp) == 18 and fp["commit.page_write"]["hits"] > 0 and fp["commit.page_write_in_place"]["hits"] == 0
assert set(fp["memory.write"]["fired"]) == {"trap", "crash", "torn", "lost", "misdirect", "bitflip"}
assert all(n > 0 for name, site in fp.items() if not name.startswith("commit.page_write_in_place")
           and name != "commit.superblock_store" for n in site["fired"].values()), "an action never fired"
assert r["coverage"]["pairs"] == 51 and r["coverage"]["pairs_fired"] == 51 and r["coverage"]["missing"] == []
PY
python3 - junit.xml > py.txt 2>&1 << 'PY' || fail "junit.xml is not the expected JUnit XML: $(cat py.txt)"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites" and root.get("failures") == "0", root.attrib
cases = root.findall("./testsuite/testcase")
assert len(cases) == 11 and cases[0].get("name") == "explore", [c.get("name") for c in cases]
assert not root.findall(".//failure")
PY
grep -q '"command": "stablevfs check --budget-seconds 20' .stablevfs/last-hits.json ||
  fail "check should write the hits file of the last run"
run failpoints
expect_exit 0
expect_out "16 of 16 sites hit (the sites layout 6 reaches)"

# --- a failing suite makes the gate fail ---
mkdir broken
cat > broken/wrong-expect.scn << 'SCN'
update CREATE TABLE t(a)
expect error
SCN
run check --budget-seconds 3 --scenarios broken --workloads-dir "$WORKLOADS" --report-json bad.json --junit bad.xml \
    --save-dir fails
expect_exit 1
grep -qE '^scenarios +1 +1 +0 +[0-9]+/51 +1 +[0-9.]+ s +FAIL$' out.txt || fail "the scenarios row should fail"
expect_out "scenarios FAILED: broken/wrong-expect.scn line 1: expected error, got committed"
expect_out "  stablevfs replay --layout 6 broken/wrong-expect.scn"
grep -q '^FAIL: ' out.txt || fail "the last line should say FAIL"
python3 - bad.json bad.xml > py.txt 2>&1 << 'PY' || fail "the reports of a failed gate are wrong: $(cat py.txt)"
import json, sys, xml.etree.ElementTree as ET
r = json.load(open(sys.argv[1]))
assert r["result"] == "fail"
v = [v for v in r["violations"] if v["suite"] == "scenarios"]
assert len(v) == 1 and v[0]["scenario"] == "broken/wrong-expect.scn", v
assert v[0]["replay"] == "stablevfs replay --layout 6 broken/wrong-expect.scn", v
root = ET.parse(sys.argv[2]).getroot()
failed = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
assert "scenarios" in failed, failed
PY

# --- an explored workload that breaks: the explore suite fails and saves a replayable counterexample ---
mkdir lossy empty
cat > lossy/lost.scn << 'SCN'
update CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)
arm memory.write=nth(2):lost
update INSERT INTO t VALUES(1, zeroblob(40000))
SCN
run check --budget-seconds 2 --workloads-dir lossy --scenarios empty --save-dir fails
expect_exit 1
grep -qE '^explore +1 +2 +[0-9]+ +[0-9]+/51 +[1-9][0-9]* +[0-9.]+ s +FAIL$' out.txt || fail "the explore row should fail"
expect_out "explore FAILED: lost op #2 (dry run): image: "
expect_out "  counterexample (3 ops): fails/check-6-explore-lost-op2.scn"
expect_out "  replay: stablevfs replay fails/check-6-explore-lost-op2.scn"
run replay fails/check-6-explore-lost-op2.scn
expect_exit 1
expect_out "unexpected violation image"

# --- layout 8: passes, with its powerloss and torn cells expected failures shown with short counterexamples ---
# The budget leaves room for the crash suites' first case after explore, which alone takes ~20 s under ASan:
# a case now stops at its suite's deadline, so a spent budget would leave crash-powerloss one message.
run check --layout 8 --budget-seconds 40 --scenarios "$SCENARIOS" --workloads-dir "$WORKLOADS" --report-json l8.json \
    --junit l8.xml --save-dir l8fails
expect_exit 0
head -1 out.txt | grep -qx "stablevfs check: layout 8 (trap-rollback), seed 24301 (the default), budget 40 s, 50 steps per generated case" ||
  fail "the first line should name layout 8 and its promise"
grep -qE '^crash-powerloss +1 +[0-9]+ +[0-9]+ +[0-9]+/42 +1 +[0-9.]+ s +xfail$' out.txt ||
  fail "crash-powerloss should be an expected failure after its first case"
grep -qE '^8 +trap-rollback +pass +pass +expected failure +expected failure +pass$' out.txt ||
  fail "the verdict matrix of layout 8: ic and error pass, powerloss and torn are expected failures"
expect_out "layout 8 x powerloss: expected failure: crash.atomicity"
expect_out "layout 8 x torn: expected failure: crash.atomicity"
grep -qE '^PASS: layout 8, 11 suites, .*; expected failures: powerloss, torn$' out.txt ||
  fail "the last line should pass and name the expected failures"
python3 - l8.json l8.xml > py.txt 2>&1 << 'PY' || fail "the layout-8 reports are wrong: $(cat py.txt)"
import json, sys, xml.etree.ElementTree as ET
r = json.load(open(sys.argv[1]))
assert r["result"] == "pass" and r["layout"] == "8", r["result"]
cells = {c["crash_model"]: c for c in r["verdicts"][0]["cells"]}
assert cells["ic"]["result"] == "pass" and cells["error"]["result"] == "pass", cells
for model in ("powerloss", "torn"):
    c = cells[model]
    assert c["expected"] == "fail" and c["result"] == "expected_failure" and c["property"] == "crash.atomicity", c
    assert 1 <= c["counterexample_ops"] <= 6 and c["counterexample"].startswith("l8fails/"), c
    assert c["replay"] == "stablevfs replay " + c["counterexample"], c
    print(c["counterexample"])
suites = {s["name"]: s for s in r["suites"]}
assert suites["crash-powerloss"]["result"] == "expected-fail" and suites["crash-ic"]["result"] == "pass"
root = ET.parse(sys.argv[2]).getroot()
assert root.get("failures") == "0" and not root.findall(".//failure")
PY
for ce in $(cat py.txt); do
  run replay "$ce"
  expect_exit 1  # the expected failure is a violation of the judgement all the same
  expect_out "violation crash.atomicity"
  expect_out "(an expected failure: layout 8 (trap-rollback) does not promise to survive"
done

# --- the verdict matrix of every builtin layout ---
run check --layout all --budget-seconds 4 --scenarios "$SCENARIOS" --workloads-dir "$WORKLOADS" --save-dir allfails
expect_exit 0
head -1 out.txt | grep -qx "stablevfs check: layouts 6, 8, sv1, seed 24301 (the default), budget 4 s per layout, 50 steps per generated case" ||
  fail "the first line should name every layout"
expect_out "layout 6 (power-loss):"
expect_out "layout 8 (trap-rollback):"
expect_out "layout sv1 (torn-bytes):"
grep -qE '^6 +power-loss +pass +pass +pass +pass +pass$' out.txt || fail "layout 6's row"
grep -qE '^8 +trap-rollback +pass +pass +expected failure +expected failure +pass$' out.txt || fail "layout 8's row"
grep -qE '^sv1 +torn-bytes +pass +pass +pass +pass +pass$' out.txt || fail "sv1's row: it passes every model"
grep -qE '^PASS: layouts 6, 8, sv1, 33 suites, .*; expected failures: 8/powerloss, 8/torn$' out.txt || fail "the last line"

# --- run outside the source tree, without --scenarios: the checked-in scenarios are still found ---
[ -e scenarios ] && fail "the test's directory should have no scenarios folder"
run check --layout sv1 --budget-seconds 2 --save-dir awayfails
expect_exit 0
grep -qE '^scenarios +[1-9][0-9]* +[0-9]+ .* pass$' out.txt || fail "the scenarios suite should run from the source tree's scenarios"
expect_no_out "no scenarios directory"

# --- bad input ---
run check --layout 7
expect_usage_error "--layout: unknown layout '7' (registered: 6, 8, sv1)"
run check --budget-seconds soon
expect_usage_error "--budget-seconds: expected a number of seconds >= 0, got 'soon'"
run check --scenarios no-such-dir
expect_usage_error "--scenarios no-such-dir: not a directory"
run check --workloads-dir no-such-dir
expect_usage_error "--workloads-dir no-such-dir: not a directory"
run check --report-json no-such-dir/r.json
expect_usage_error "--report-json no-such-dir/r.json: cannot open for writing"
run check extra
expect_usage_error "unexpected argument 'extra'"

finish
