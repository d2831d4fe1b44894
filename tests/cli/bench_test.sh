#!/usr/bin/env bash
# stablevfs bench: both suites end to end, the JSON report, re-rendering a saved report, and the README section.
#
# Goal: a user can run the benchmark small, get Markdown and a JSON report that says what ran, render the same
# Markdown again from the JSON without running anything, and have the README's generated section rewritten
# from it while the rest of the README stays byte for byte; bad input (a README without markers, run options
# with --from-json, a file that is not a report) is refused with exit 2 before anything runs or is written.
# Method: run the built binary at 1% scale with one run, on a tiny explored workload, in a temporary directory.
. "$(dirname "$0")/lib.sh"

mkdir workloads
printf 'update CREATE TABLE t(k TEXT PRIMARY KEY, v BLOB)\nexpect committed\n' > workloads/tiny.scn
SMALL="--workload insert_5000,point_read_10 --backend memdb,icstable,icstable-sim --scale 0.01 --runs 1"
HARNESS="--harness-cases 1 --harness-steps 10 --explore-jobs 1,2 --workloads-dir workloads"

# --- both suites, small ---
run bench $SMALL $HARNESS --json report.json --markdown report.md
expect_exit 0
expect_err "JSON report: report.json"
expect_err "harness / explore --jobs 2"
grep -qF '"format": "stablevfs-bench-1"' report.json || fail "report.json should name its format"
grep -qF '"command_line": "stablevfs bench --workload insert_5000' report.json || fail "report.json should carry the command"
grep -qF '| insert_5000 | icstable |' report.md || fail "report.md should have a row for insert_5000 on icstable"
grep -qF '## Harness throughput' report.md || fail "report.md should have the harness tables"
grep -qF 'negative control caught within 10 s' report.md || fail "report.md should judge the controls"

# --- the saved report renders the same Markdown, without running ---
run bench --from-json report.json
expect_exit 0
expect_out_exactly report.md
expect_no_err "harness /"

# --- the README section ---
printf '# Project\n\nWords.\n\n<!-- stablevfs bench: begin generated section -->\nold\n<!-- stablevfs bench: end generated section -->\n\nMore words.\n' > README.md
run bench --from-json report.json --readme README.md
expect_exit 0
expect_err "README section rewritten: README.md"
grep -qF 'old' README.md && fail "the old section should be gone"
grep -qF 'Produced by `stablevfs bench --workload insert_5000' README.md || fail "the section should name its command"
grep -qF '(report: `report.json`)' README.md || fail "the section should name its report"
head -4 README.md | cmp -s - <(printf '# Project\n\nWords.\n\n') || fail "the text before the section changed"
tail -2 README.md | cmp -s - <(printf '\nMore words.\n') || fail "the text after the section changed"
cp README.md once.md
run bench --from-json report.json --readme README.md
expect_same README.md once.md "regenerating from the same report changes nothing"

# --- refusals: exit 2, nothing run, nothing written ---
printf '# No markers here\n' > plain.md
cp plain.md plain.before
run bench --suite vfs $SMALL --readme plain.md --no-json
expect_exit 2
expect_err "plain.md"
expect_err "marker"
expect_no_err "insert_5000 /"
expect_same plain.md plain.before "a README without markers is left alone"

run bench --from-json report.json --runs 3
expect_exit 2
expect_err "--runs"

echo '{"format": "something-else"}' > other.json
run bench --from-json other.json
expect_exit 2
expect_err "other.json"
expect_err "stablevfs-bench-1"

run bench --suite sideways
expect_exit 2
expect_err "--suite is vfs, harness or all"

run bench --help
expect_exit 0
expect_out "--from-json FILE"
expect_out "--readme FILE"

finish
