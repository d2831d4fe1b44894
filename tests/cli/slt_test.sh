#!/usr/bin/env bash
# stablevfs slt, end to end: sqllogictest files through the VFS beside stock SQLite.
#
# Goal: a file the VFS and stock SQLite agree on exits 0; a wrong expected value in a file is a note (exit 0);
# a VFS that really differs from stock SQLite is a failure (exit 1) shown with file:line and its SQL; faults
# are counted as faulted (exit 0, and so says the JSON report); bad input exits 2 naming what is wrong (no
# file, a missing file, a parse error with file:line, a fault spec with its column). Method: run the built
# binary on small scripts written into the test's temporary directory (the corpus runs are in
# slt_corpus_test.sh).
. "$(dirname "$0")/lib.sh"

cat > table.test << 'SLT'
statement ok
CREATE TABLE t1(a INTEGER, b TEXT)

statement ok
INSERT INTO t1 VALUES(1, 'one'), (2, ''), (10, NULL)

query IT rowsort
SELECT a, b FROM t1
----
1
one
10
NULL
2
(empty)
SLT

run slt table.test
expect_exit 0
expect_out "table.test: 3 records, 2 statements, 1 queries, 3 matched, 0 faulted, 0 skipped, 0 failures"
expect_out "PASS"

# A deliberately wrong expected value: stock SQLite agrees with the VFS, so it is a note, not a failure.
sed 's/^one$/uno/' table.test > wrong.test
run slt wrong.test
expect_exit 0
expect_out "wrong.test: 3 records, 2 statements, 1 queries, 3 matched, 0 faulted, 0 skipped, 0 failures (1 expected-text mismatches"
expect_out "note wrong.test:7: expected-text mismatch, stock SQLite agrees with the VFS"

# A VFS whose stable writes are all lost differs from stock SQLite: failures, exit 1, with file:line and SQL.
run slt table.test --faults 'memory.write=lost' --max-failures 1
expect_exit 1
expect_out "FAIL table.test:7:"
expect_out "SELECT a, b FROM t1"
expect_out "FAIL"

# Injected errors are faulted, not failures; the JSON report says the same.
run slt table.test --faults 'sqlite.step=2*off->1*error' --json report.json
expect_exit 0
expect_out "1 faulted"
expect_out "faults fired: sqlite.step error x1;"
grep -qsF '"faulted": 1' report.json || fail "report.json should count the faulted record"
grep -qsF '"passed": true' report.json || fail "report.json should say passed"

# --- Bad input: exit 2 ---

run slt
expect_usage_error "give at least one sqllogictest FILE"

run slt missing.test
expect_usage_error "missing.test:0: no such file"

printf 'statement ok\nCREATE TABLE t(x)\n\nquery IX nosort\nSELECT 1\n' > bad.test
run slt table.test bad.test
expect_usage_error "bad.test:4: query type string 'IX' may hold only I, R and T"
expect_no_out "table.test:"  # every file is parsed before any runs

run slt table.test --faults 'sqlite.step=1%errr'
expect_usage_error "--faults 'sqlite.step=1%errr': spec column"

run slt table.test --faults 'no.such.site=error'
expect_usage_error "no.such.site"

run slt table.test --seed banana
expect_usage_error "--seed"

run slt --help
expect_exit 0
expect_out "usage: stablevfs slt FILE..."

finish
