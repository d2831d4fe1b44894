#!/usr/bin/env bash
# stablevfs bench: both suites end to end on every builtin layout, the JSON report, re-rendering a saved report,
# and the README section.
#
# Goal: a user can run the benchmark small, get Markdown and a JSON report that says what ran (the icstable
# backends and the harness once per layout, side by side, each row and goal naming its layout), render the same
# Markdown again from the JSON without running anything, and have the README's generated section rewritten
# from it while the rest of the README stays byte for byte; `--layout NAME` narrows the run to one layout; bad
# input (an unknown layout, a README without markers, run options with --from-json, a file that is not a report
# or a report of the format before layouts) is refused with exit 2 before anything runs or is written.
# Method: run the built binary at 1% scale with one run, on a tiny explored workload, in a temporary directory.
. "$(dirname "$0")/lib.sh"

mkdir workloads
printf 'update CREATE TABLE t(k TEXT PRIMARY KEY, v BLOB)\nexpect committed\n' > workloads/tiny.scn
SMALL="--workload insert_5000,point_read_10 --backend memdb,icstable,icstable-sim --scale 0.01 --runs 1"
HARNESS="--harness-cases 1 --harness-steps 10 --explore-jobs 1,2 --workloads-dir workloads"

# --- both suites, small, every builtin layout (the default) ---
run bench $SMALL $HARNESS --json report.json --markdown report.md
expect_exit 0
expect_err "JSON report: report.json"
expect_err "harness / layout 6 / explore --jobs 2"
expect_err "harness / layout 8 / explore --jobs 2"
expect_err "insert_5000 / icstable/8:"
grep -qF '"format": "stablevfs-bench-2"' report.json || fail "report.json should name its format"
grep -qF '"command_line": "stablevfs bench --workload insert_5000' report.json || fail "report.json should carry the command"
grep -qF '"atomicity": "trap-rollback"' report.json || fail "report.json should list the layouts with their promises"
grep -qF '"layout": "8"' report.json || fail "report.json should tag results with their layout"
for row in '| insert_5000 | memdb |' '| insert_5000 | icstable/6 |' '| insert_5000 | icstable/8 |' \
           '| insert_5000 | icstable-sim/6 |' '| insert_5000 | icstable-sim/8 |'; do
  grep -qF -- "$row" report.md || fail "report.md should have the row $row"
done
grep -qF '| insert_5000 | icstable |' report.md && fail "a row without its layout"
grep -qF '| workload | memdb ms | icstable/6 | icstable/8 | icstable/sv1 | icstable-sim/6 | icstable-sim/8 | icstable-sim/sv1 |' report.md ||
  fail "report.md should show the layouts side by side"
grep -qF '| workload | layout 6 | layout 8 | layout sv1 | 8 / 6 | sv1 / 6 |' report.md || fail "report.md should compare the simulated instructions"
grep -qF '## Harness throughput' report.md || fail "report.md should have the harness tables"
grep -qF '| 8 | ic | lost write |' report.md || fail "layout 8's controls should run under ic"
grep -qF '| 6 | powerloss | lost write |' report.md || fail "layout 6's controls should run under powerloss"
grep -qF 'negative control caught within 10 s' report.md || fail "report.md should judge the controls"
grep -qE '^\| write time within 1\.30x memdb \(icstable, wall\) \| 8 \| insert_5000 \|' report.md ||
  fail "a goal line should name its layout"
grep -qF '| crash points >= 2000 per second per core | 8 |' report.md || fail "the harness goals should be per layout"

# --- one layout ---
run bench --suite vfs --workload insert_5000 --backend memdb,icstable,icstable-sim --scale 0.01 --runs 1 --layout 8 --no-json
expect_exit 0
expect_out '| insert_5000 | icstable/8 |'
expect_out '| insert_5000 | icstable-sim/8 |'
expect_out '| insert_5000 | memdb |'
expect_no_out 'icstable/6'
expect_out 'Layouts: layout 8 (trap-rollback).'

# --- unknown layouts: refused before anything runs, naming the registered ones ---
run bench --suite vfs $SMALL --layout 7 --no-json
expect_exit 2
expect_err "--layout: unknown layout '7' (registered: 6, 8, sv1)"
expect_no_err "insert_5000 /"
run bench --suite harness $HARNESS --layout 6,seven --no-json
expect_exit 2
expect_err "unknown layout 'seven'"
expect_no_err "harness /"
run bench --list
expect_exit 0
expect_out "layouts: 6 8"

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
grep -qF '| icstable/6 cpu x memdb | icstable/8 cpu x memdb | icstable/sv1 cpu x memdb |' README.md || fail "the section should show the layouts side by side"
grep -qF '| insert_5000 |' README.md || fail "the section should have a row for insert_5000"
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
expect_err "stablevfs-bench-2"

sed 's/"stablevfs-bench-2"/"stablevfs-bench-1"/' report.json > old.json
run bench --from-json old.json
expect_exit 2
expect_err "before layouts were a dimension of the benchmark"

run bench --from-json report.json --layout 8
expect_exit 2
expect_err "--layout"

run bench --suite sideways
expect_exit 2
expect_err "--suite is vfs, harness or all"

run bench --help
expect_exit 0
expect_out "--from-json FILE"
expect_out "--readme FILE"
expect_out "--layout NAME[,NAME]|all"

finish
