#!/usr/bin/env bash
# stablevfs inspect: the superblock, the page map, the space accounting and the SVG picture of an image.
#
# Goal: show that inspect prints every superblock field as the checker decodes it, the page map with long runs
# abbreviated (and in full with --full), live versus orphaned space, a JSON form, and writes a readable SVG
# (legend, labelled pages, problems outlined), that it exits 1 and still shows what it can for a damaged image,
# and never writes to the image. Method: build images with `stablevfs sql` (one with many small commits, so the
# page map fragments and orphans pile up; one large enough for two segments), inspect them, and check the text.
. "$(dirname "$0")/lib.sh"

run sql db.img "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)"
expect_exit 0
cp db.img before.img

run inspect db.img
expect_exit 0
expect_out "inspect db.img: 8454144 bytes (8.06 MiB) of stable memory; MemoryManager v1, 1 bucket of 128 pages allocated"
expect_out "  memory 120: "
expect_out "bucket 0 at file 0x10000  <- this database"
expect_out "superblock of layout 6: segmented page map, shadow paging (ic-sqlite-vfs 1.x) (memory offset 0, file 0x10000):"
expect_out "  magic                 ICSQLITE"
expect_out "  version               6"
expect_out "  page_size             16384"
expect_out "  last_tx_id            2"
expect_out "  flags                 0x2 (checksum stale)"
expect_out "  layout_version        6"
expect_out "(matches)"
expect_out "page map: "
expect_out "  segment 0 "
expect_out "  root table "
expect_out "space (the layout's estimate: active = 64 KiB + 16 KiB per mapped page + 2056 bytes per segment)"
expect_out "  compaction        not recommended"
expect_out "space (measured"
expect_out "problems: none"
expect_same db.img before.img "inspect never writes"

# --- JSON ---
run inspect db.img --json
expect_exit 0
expect_out '"superblock": {"layout": "6", "magic": "ICSQLITE", "version": 6, "page_size": 16384'
expect_out '"page_runs": ['
expect_out '"measured": {"superblock_bytes": 152, "superblock_region_bytes": 65384'
expect_out '"segments": [{"index": 0, "offset": '

# --- the picture ---
run inspect db.img --svg db.svg
expect_exit 0
expect_out "picture written to db.svg"
head -c 5 db.svg | grep -q '<?xml' || fail "db.svg should start with an XML declaration"
grep -q '<svg xmlns="http://www.w3.org/2000/svg"' db.svg || fail "db.svg should be an SVG document"
tail -n 1 db.svg | grep -q '</svg>' || fail "db.svg should end with </svg>"
grep -q '>p0</text>' db.svg || fail "db.svg should label logical page 0"
grep -q '>s0</text>' db.svg || fail "db.svg should label segment table 0"
grep -q 'live page ' db.svg || fail "db.svg should have a legend entry for live pages"
grep -q 'superblock region' db.svg || fail "db.svg should show the superblock region"
grep -q '>file 0x10000</text>' db.svg || fail "db.svg should label the file offset of the bucket"
ls db.svg.tmp-* > /dev/null 2>&1 && fail "a temporary file was left behind"

# --- many small commits: a fragmented page map, orphans, abbreviation ---
{
  echo "CREATE TABLE p(id INTEGER PRIMARY KEY, b BLOB);"
  echo "INSERT INTO p(b) SELECT zeroblob(15000) FROM (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 80) SELECT i FROM c);"
  for i in $(seq 1 2 80); do echo "UPDATE p SET b = zeroblob(15001) WHERE id = $i;"; done
} > frag.sql
run_stdin frag.sql sql frag.img
expect_exit 0
run inspect frag.img
expect_exit 0
expect_out "more runs of pages (--full shows all)"
expect_out "of allocated"
grep -q '^  orphan  *[1-9]' out.txt || fail "a rewritten database should have orphaned bytes"
run inspect frag.img --full
expect_exit 0
expect_no_out "(--full shows all)"
expect_out "  page 40 "
run inspect frag.img --svg frag.svg
expect_exit 0
grep -q 'orphan ' frag.svg || fail "frag.svg should have a legend entry for orphans"

# --- two segments: more than 256 logical pages ---
run sql big.img "CREATE TABLE b(x BLOB); INSERT INTO b SELECT zeroblob(15000) FROM (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300) SELECT i FROM c)"
expect_exit 0
run inspect big.img
expect_exit 0
expect_out "  segment 1 "
expect_out "2 segments"

# --- a damaged image: exit 1, everything decodable still shown, problems outlined in the picture ---
cp db.img bad.img
corrupt bad.img 65656 '\x01\x02\x03'
cp bad.img before.img
run inspect bad.img --svg bad.svg
expect_exit 1
expect_out "superblock of layout 6: segmented page map, shadow paging (ic-sqlite-vfs 1.x) (memory offset 0, file 0x10000):"
expect_out "(MISMATCH: computed"
expect_out "problems (3):"
expect_out "memory 120 @120 (0x78) [file 0x10078] misaligned:"
expect_same bad.img before.img "inspect never writes, even a damaged image"
grep -q 'stroke="#e00000"' bad.svg || fail "bad.svg should outline problems in red"
grep -q 'problem (3)' bad.svg || fail "bad.svg should count the problems in its legend"

cp db.img nomagic.img
corrupt nomagic.img 65536 'X'   # the superblock magic of MemoryId 120
run inspect nomagic.img --svg nomagic.svg
expect_exit 1
expect_out "no superblock of a registered layout (6, 8, sv1) at memory offset 0"
expect_out "memory 120 @0 (0x0) [file 0x10000] bad_magic:"
expect_no_out "the layout's estimate"
[ -s nomagic.svg ] || fail "an undecodable memory should still be drawn"

# --- raw memories ---
run sql raw.img --raw "CREATE TABLE t(x)"
run inspect raw.img --raw --svg raw.svg
expect_exit 0
expect_out "of raw virtual memory (--raw)"
grep -q '>file ' raw.svg && fail "a raw memory has no separate file offsets to label"

# --- bad input ---
cp db.img before.img
run inspect db.img --svg db.img
expect_usage_error "--svg db.img: is the same file as IMAGE"
expect_same db.img before.img "--svg must not overwrite the image"
run inspect db.img --svg
expect_usage_error "needs a value (FILE)"
run inspect
expect_usage_error "missing IMAGE"
run inspect nosuch.img
expect_usage_error "nosuch.img: no such file"
head -c 65537 /dev/zero > odd.img
run inspect odd.img
expect_usage_error "odd.img: size 65537 bytes is not a multiple of 64 KiB"
run inspect db.img --memory-id 255
expect_usage_error "255 is the MemoryManager's marker"
run inspect db.img --raw --memory-id 1
expect_usage_error "--raw and --memory-id exclude each other"
run inspect db.img --colour
expect_usage_error "unknown option '--colour'"

finish
