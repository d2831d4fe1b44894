#!/usr/bin/env bash
# One output-path rule for every subcommand that writes a file (harness/cli/output_path.h).
#
# Goal: an output (--hits, --report-json, --junit, --svg, --json, --save-dir, extract's OUT.db, convert's OUT)
# that is the same file as an input, or as another output, is refused with exit 2 before anything runs and the
# input keeps its bytes; an output in a missing directory, or that is a directory, is exit 2 too (not 3).
# Method: build a small image and scenario, then run each command with each bad output and compare the inputs
# byte for byte with copies taken before.
. "$(dirname "$0")/lib.sh"

run sql img "CREATE TABLE t(x); INSERT INTO t VALUES(1)"
expect_exit 0
cp img img.orig
cat > s.scn << 'EOF'
layout 6
update CREATE TABLE t(x)
expect committed
EOF
cp s.scn s.scn.orig
mkdir adir
rm -rf .stablevfs   # the setup's hits file: the refused commands below must write none

# --- an output that is an input ---
run sql img "SELECT 1" --hits img
expect_usage_error "--hits img: is the same file as IMAGE"
expect_same img img.orig "sql --hits IMAGE must not replace the image"
ln -s img link.img
run sql img "SELECT 1" --hits link.img
expect_usage_error "--hits link.img: is the same file as IMAGE img"
expect_same img img.orig "a symbolic link to the image is the image"
run sql new.img "CREATE TABLE t(x)" --hits ./new.img
expect_usage_error "--hits ./new.img: is the same file as IMAGE new.img"
[ ! -e new.img ] || fail "a refused sql must not create the image"
run replay s.scn --hits s.scn
expect_usage_error "--hits s.scn: is the same file as the scenario file"
expect_same s.scn s.scn.orig "replay --hits must not overwrite the scenario"
run inspect img --svg img
expect_usage_error "--svg img: is the same file as IMAGE"
run extract img img --force
expect_usage_error "OUT.db img: is the same file as IMAGE"
run convert img ./img --to 8 --force
expect_usage_error "OUT ./img: is the same file as IMAGE img"
expect_same img img.orig "inspect, extract and convert never write the image"
printf 'statement ok\nCREATE TABLE t(x)\n' > a.test
cp a.test a.test.orig
run slt a.test --json a.test
expect_usage_error "--json a.test: is the same file as FILE"
expect_same a.test a.test.orig "slt --json must not truncate the test file"
run explore s.scn --report-json s.scn --actions error
expect_usage_error "--report-json s.scn: is the same file as WORKLOAD"
expect_same s.scn s.scn.orig "explore --report-json must not overwrite the workload"
mkdir wl && cp s.scn wl/
run explore --workloads-dir wl --save-dir wl --actions error
expect_usage_error "--save-dir wl: is the same directory as the workloads directory"
run fuzz --cases 1 --steps 5 --report-json r.out --junit r.out
expect_usage_error "--junit r.out: is the same file as --report-json r.out"
run check --scenarios adir --save-dir adir --budget-seconds 1
expect_usage_error "--save-dir adir: is the same directory as --scenarios"

# --- an output in a missing directory, or that is a directory ---
run inspect img --svg no/such/dir/x.svg
expect_usage_error "--svg no/such/dir/x.svg: cannot open for writing: directory no/such/dir does not exist"
run inspect img --svg adir
expect_usage_error "--svg adir: is a directory"
run extract img no/such/dir/out.db
expect_usage_error "OUT.db no/such/dir/out.db: cannot open for writing: directory no/such/dir does not exist"
run extract img adir --force
expect_usage_error "OUT.db adir: is a directory"
run sql img "SELECT 1" --hits adir
expect_usage_error "--hits adir: is a directory"
run sql img "SELECT 1" --hits no/such/dir/h.json
expect_usage_error "--hits no/such/dir/h.json: cannot open for writing: directory no/such does not exist"
run fuzz --cases 1 --steps 5 --report-json adir
expect_usage_error "--report-json adir: is a directory"
run fuzz --cases 1 --steps 5 --save-dir img
expect_usage_error "--save-dir img: exists and is not a directory"
run replay s.scn --hits adir/
expect_usage_error "--hits adir/: is a directory"
run slt a.test --json no/such/dir/r.json
expect_usage_error "--json no/such/dir/r.json: cannot open for writing"
expect_same img img.orig "no refused command touches the image"
[ ! -e .stablevfs ] || fail "a refused command should run nothing and write no hits file"

# --- the default hits directory is still created on demand ---
run sql img "SELECT 1"
expect_exit 0
[ -f .stablevfs/last-hits.json ] || fail "the default hits file should be written"

finish
