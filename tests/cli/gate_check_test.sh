#!/usr/bin/env bash
# stablevfs check: the correctness gate.
#
# Goal: show that the gate passes on the library as it is (exit 0) within a small budget, prints its seed and
# a summary row for every suite (the explorer's crash points of the standard workloads among them), writes a JSON report and a JUnit file that parse and hold what CI needs, and
# leaves the failpoint counters for `stablevfs failpoints`; and that a failing suite turns the gate red: a
# scenario directory holding a scenario whose expectation is wrong makes check exit 1, name the file and the
# line, and put a <failure> in the JUnit file; and an explored workload that breaks (a lost write) fails the
# explore suite with a counterexample whose replay fails. Method: run check with --budget-seconds 20 against the
# checked-in scenarios, then with a tiny budget against a directory with one broken scenario. JSON and XML are
# validated with python3 (the test is skipped, exit 77, when it is missing).
SCENARIOS="$(cd "$(dirname "$0")/../../scenarios" && pwd)"
WORKLOADS="$SCENARIOS/workloads"
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || { echo "python3 not found: cannot validate the JSON and JUnit reports"; exit 77; }

# --- the gate passes ---
run check --budget-seconds 20 --scenarios "$SCENARIOS" --workloads-dir "$WORKLOADS" --report-json report.json \
    --junit junit.xml --save-dir fails
expect_exit 0
head -1 out.txt | grep -qx "stablevfs check: seed 24301 (the default), budget 20 s, 50 steps per generated case" ||
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
grep -qE '^PASS: 11 suites, [0-9]+ cases, [0-9]+ messages in [0-9.]+ s \([0-9]+ messages/s\), seed 24301$' out.txt ||
  fail "the last line should say PASS with the totals"
[ ! -d fails ] || fail "a passing gate should save no counterexample"

python3 - report.json > py.txt 2>&1 << 'PY' || fail "report.json is not the expected JSON: $(cat py.txt)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["format"] == "stablevfs-report-1" and r["command"] == "check" and r["result"] == "pass", r["result"]
assert r["seed"] == 24301 and r["shard"] == "0/1"
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
assert len(fp) == 16 and fp["commit.page_write"]["hits"] > 0
assert set(fp["memory.write"]["fired"]) == {"trap", "crash", "torn", "lost", "misdirect", "bitflip"}
assert all(n > 0 for site in fp.values() for n in site["fired"].values()), "an action never fired"
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
expect_out "16 of 16 sites hit"

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
expect_out "  stablevfs replay broken/wrong-expect.scn"
grep -q '^FAIL: ' out.txt || fail "the last line should say FAIL"
python3 - bad.json bad.xml > py.txt 2>&1 << 'PY' || fail "the reports of a failed gate are wrong: $(cat py.txt)"
import json, sys, xml.etree.ElementTree as ET
r = json.load(open(sys.argv[1]))
assert r["result"] == "fail"
v = [v for v in r["violations"] if v["suite"] == "scenarios"]
assert len(v) == 1 and v[0]["scenario"] == "broken/wrong-expect.scn", v
assert v[0]["replay"] == "stablevfs replay broken/wrong-expect.scn", v
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
expect_out "  counterexample: fails/check-explore-lost-op2.scn"
expect_out "  replay: stablevfs replay fails/check-explore-lost-op2.scn"
run replay fails/check-explore-lost-op2.scn
expect_exit 1
expect_out "unexpected violation image"

# --- bad input ---
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
