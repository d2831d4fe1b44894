#!/usr/bin/env bash
# The image tools on layout 8, and on a canister-snapshot-shaped file holding several layouts.
#
# Goal: show that `stablevfs sql --layout 8` creates a layout-8 database, that fsck, inspect (text, JSON and
# --svg) and extract detect the layout from its superblock and work on it, that sql reopens it as layout 8 and
# refuses to change its layout, and that a stable memory shaped like a canister snapshot (a MemoryManager with
# several memories whose buckets interleave: a layout-8 database on MemoryId 120, a layout-6 one on 7, other
# bytes on 3) is read memory by memory. Also: a damaged layout-8 image is reported with its offsets, and bad
# --layout values exit 2. Method: build images with `stablevfs sql`, read them back with every tool; compare
# rows with the stock sqlite3 shell when it is installed.
. "$(dirname "$0")/lib.sh"

# --- a layout-8 image made by sql ---
run sql db8.img --layout 8 "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)" \
    "INSERT INTO t VALUES (1, 'one'), (2, 'two')" "INSERT INTO t SELECT 3, 'three'"
expect_exit 0
expect_err "3 committed"
run fsck db8.img
expect_exit 0
expect_out "checking MemoryId 120 as layout 8 (detected from its superblock)"
expect_out "fsck: clean: db8.img MemoryId 120: layout 8, db_size"
run fsck db8.img --json
expect_exit 0
expect_out '"layout": "8"'
run inspect db8.img --svg db8.svg
expect_exit 0
expect_out "superblock of layout 8: pages in place, zero extents (ic-sqlite-vfs 2.x) (memory offset 0, file 0x10000):"
expect_out "  db_base_offset        0x10000 (logical page 0 lives here)"
expect_out "  zero_extent_count     0"
expect_out "space (the layout's estimate: active = 64 KiB + 16 KiB per page in place outside a zero extent)"
expect_no_out "segment"
grep -q "<svg" db8.svg || fail "inspect --svg should write a picture of the layout-8 memory"
grep -q "live page" db8.svg || fail "the picture should show the pages in place as live pages"
run inspect db8.img --json
expect_exit 0
expect_out '"layout": "8"'
expect_out '"layout_fields": {"zero_extent_count": 0}'
run extract db8.img db8.db
expect_exit 0
expect_out ", layout 8, from db8.img MemoryId 120"
if command -v sqlite3 > /dev/null; then
  [ "$(sqlite3 db8.db 'SELECT group_concat(v) FROM t ORDER BY id')" = "one,two,three" ] ||
    fail "the extracted layout-8 database should hold the rows"
  [ "$(sqlite3 db8.db 'PRAGMA integrity_check')" = "ok" ] || fail "the extracted file should pass integrity_check"
fi

# --- sql reopens it as layout 8 (zero extents need a shrinking file: tests/harness/check_layout8_test.cpp) ---
run sql db8.img "SELECT count(*) FROM t" --mode list
expect_exit 0
expect_out "3"
run sql db8.img --layout 6 "SELECT 1"
expect_usage_error "holds a layout 8 database, not layout 6"
run sql db8.img --layout 8 "CREATE TABLE big(b BLOB)" "INSERT INTO big VALUES (zeroblob(200000))" "DROP TABLE big"
expect_exit 0
run fsck db8.img
expect_exit 0

# --- a damaged layout-8 image: offsets in the memory and in the file ---
cp db8.img bad8.img
corrupt bad8.img $((65536 + 128)) '\x09'   # page_count of MemoryId 120's superblock
run fsck bad8.img
expect_exit 1
expect_out "memory 120 @152 (0x98) [file 0x10098] meta_checksum:"
expect_out "memory 120 @128 (0x80) [file 0x10080] page_count:"

# --- a canister-snapshot-shaped memory: several memories, interleaved buckets, two layouts ---
run sql snap.img --bucket-pages 1 --memory-id 3 "CREATE TABLE other(x)" "INSERT INTO other VALUES (3)"
expect_exit 0
run sql snap.img --memory-id 120 --layout 8 "CREATE TABLE t(x)" "INSERT INTO t VALUES (120)"
expect_exit 0
run sql snap.img --memory-id 7 --layout 6 "CREATE TABLE t(x)" "INSERT INTO t VALUES (7)"
expect_exit 0
run sql snap.img --memory-id 120 "INSERT INTO t SELECT x + 1 FROM t" "CREATE TABLE pad(b BLOB)" \
    "INSERT INTO pad VALUES (zeroblob(150000))"
expect_exit 0
run inspect snap.img
expect_exit 0
expect_out "memory 3:"
expect_out "memory 7:"
expect_out "memory 120:"
run fsck snap.img
expect_exit 0
expect_out "as layout 8"
run fsck snap.img --memory-id 7
expect_exit 0
expect_out "checking MemoryId 7 as layout 6"
run sql snap.img --memory-id 120 "SELECT group_concat(x) FROM t" --mode list
expect_exit 0
expect_out "120,121"
run sql snap.img --memory-id 7 "SELECT x FROM t" --mode list
expect_exit 0
expect_out "7"
run extract snap.img snap120.db
expect_exit 0
if command -v sqlite3 > /dev/null; then
  [ "$(sqlite3 snap120.db 'SELECT group_concat(x) FROM t')" = "120,121" ] || fail "memory 120 of the snapshot"
fi

# --- bad --layout values ---
run sql new.img --layout 9 "SELECT 1"
expect_usage_error "--layout: unknown layout '9' (registered: 6, 8, sv1)"
[ ! -e new.img ] || fail "a refused --layout must not create the image"
run sql new.img --layout all "SELECT 1"
expect_usage_error "--layout all is not accepted here"
run fuzz --layout 9 --cases 1
expect_usage_error "--layout: unknown layout '9'"
run slt x.test --layout ""
expect_usage_error "--layout: unknown layout ''"

finish
