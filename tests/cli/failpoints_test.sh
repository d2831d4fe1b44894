#!/usr/bin/env bash
# stablevfs failpoints: the failpoint catalogue, joined with the hit counts of the last run.
#
# Goal: show that the catalogue lists the library's sites and the simulator's memory.write, says when there are
# no hit counts, joins the counts of the last run (the hits file a run wrote to .stablevfs/last-hits.json or to
# --hits FILE) with HITS and FIRED columns, has a JSON form, and rejects a missing or malformed hits file with
# exit 2 naming the file (and the line of a syntax error). Method: run in a fresh directory, produce a hits file
# with `stablevfs sql --failpoints ... --hits`, and check the tables.
. "$(dirname "$0")/lib.sh"

# --- no last run here ---
run failpoints
expect_exit 0
expect_out "NAME"
expect_out "SIMULATES"
expect_out "commit.page_write"
expect_out "commit.superblock_publish"
expect_out "sqlite.step"
grep -qE '^memory\.write +harness/sim: every stable write +trap, crash, torn, lost, misdirect, bitflip' out.txt ||
  fail "memory.write should be listed with its layer and its six actions"
expect_no_out "HITS"
expect_out "No hit counts: there is no .stablevfs/last-hits.json here (stablevfs sql, fuzz and replay write one)."
run failpoints --json
expect_exit 0
expect_out '{"hits_file": null, "command": null,'
expect_out '{"name": "memory.write", "layer": "harness/sim: every stable write"'

# --- a run leaves its counters; the next listing joins them ---
run sql db.img "CREATE TABLE t(x)" "INSERT INTO t VALUES (1)" --failpoints "commit.page_write=1*off->error" \
    --hits .stablevfs/last-hits.json
expect_exit 1
[ -f .stablevfs/last-hits.json ] || fail "sql --hits should write .stablevfs/last-hits.json"
grep -q '"format": "stablevfs-hits-1"' .stablevfs/last-hits.json || fail "the hits file should name its format"
grep -q '"commit.page_write": {"error": 1}' .stablevfs/last-hits.json || fail "the hits file should count the firing"
run failpoints
expect_exit 0
expect_out "HITS  FIRED"
grep -qE '^commit\.page_write +lib/layout commit +error, trap, crash +[1-9][0-9]* +error=1 ' out.txt ||
  fail "commit.page_write should show its hits and error=1"
grep -qE '^compact\.copy +.* +0 +- ' out.txt || fail "a site the run never reached should show 0 hits"
expect_out "Hit counts from .stablevfs/last-hits.json (sql db.img"
run failpoints --json
expect_out '"hits_file": ".stablevfs/last-hits.json"'
expect_out '"fired": {"error": 1}'

# --- sql writes the default hits file without being asked, like fuzz and replay ---
rm -rf .stablevfs
run sql plain.img "SELECT 1"
expect_exit 0
[ -f .stablevfs/last-hits.json ] || fail "sql should write .stablevfs/last-hits.json by default"
run failpoints
expect_out "Hit counts from .stablevfs/last-hits.json (sql plain.img SELECT 1)"
run sql again.img "CREATE TABLE t(x)" "INSERT INTO t VALUES (1)" --failpoints "commit.page_write=1*off->error" \
    --hits .stablevfs/last-hits.json

# --- an explicit --hits FILE ---
mv .stablevfs/last-hits.json other.json
run failpoints --hits other.json
expect_exit 0
expect_out "Hit counts from other.json"
run failpoints
expect_out "No hit counts"

# --- bad input ---
run failpoints --hits nosuch.json
expect_usage_error "nosuch.json: no such hits file"
printf '{"format": "stablevfs-hits-1",\n "hits": {"a": 1,}\n}\n' > broken.json
run failpoints --hits broken.json
expect_usage_error "broken.json: not valid JSON: expected a string key at line 2"
printf '{"format": "something-else"}' > foreign.json
run failpoints --hits foreign.json
expect_usage_error "foreign.json: not a stablevfs hits file"
printf '{"format": "stablevfs-hits-1", "hits": {"sqlite.step": -3}}' > negative.json
run failpoints --hits negative.json
expect_usage_error "hits of \"sqlite.step\" is not a whole number"
printf '{"format": "stablevfs-hits-1", "fired": {"sqlite.step": {"explode": 1}}}' > action.json
run failpoints --hits action.json
expect_usage_error "names an unknown action \"explode\""
run failpoints extra
expect_usage_error "unexpected argument 'extra'"
run failpoints --hits
expect_usage_error "needs a value (FILE)"
run failpoints --verbose
expect_usage_error "unknown option '--verbose'"

finish
