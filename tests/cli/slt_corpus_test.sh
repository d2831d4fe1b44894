#!/usr/bin/env bash
# stablevfs slt on two real sqllogictest files, read in place from the shared corpus.
#
# Goal: on evidence/in1.test and select1.test (1,247 records) the VFS matches stock SQLite on every record that
# runs, with the counts the files hold, and the command exits 0, also with faults armed. Method: run the built
# binary on the corpus beside the repository (../shared/corpora from its root; never copied into it). Exit 77
# (skipped) when the corpus is absent. The whole corpus is slt_full_corpus.sh (label long, opt-in).
CORPUS="$(cd "$(dirname "$0")" && pwd)/../../../shared/corpora/sqllogictest/test"
if [ ! -d "$CORPUS" ]; then
  echo "sqllogictest corpus absent at $CORPUS: skipped"
  exit 77
fi
. "$(dirname "$0")/lib.sh"

run slt "$CORPUS/evidence/in1.test" "$CORPUS/select1.test"
expect_exit 0
expect_out "in1.test: 216 records, 27 statements, 187 queries, 214 matched, 0 faulted, 2 skipped, 0 failures"
expect_out "select1.test: 1031 records, 31 statements, 1000 queries, 1031 matched, 0 faulted, 0 skipped, 0 failures"
expect_out "total (2 files): 1247 records, 58 statements, 1187 queries, 1245 matched, 0 faulted, 2 skipped, 0 failures"
expect_out "PASS"

# With injected errors, traps and crashes every record still matches or is faulted: never a failure.
run slt "$CORPUS/evidence/in1.test" "$CORPUS/select1.test" --seed 7 \
  --faults 'sqlite.step=1%error;commit.page_write=2%error;overlay.write=1%trap;commit.superblock_publish=5%crash'
expect_exit 0
expect_out " 0 failures"
expect_out "faults fired:"
expect_no_out "FAIL"

finish
