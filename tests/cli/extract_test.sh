#!/usr/bin/env bash
# stablevfs extract: the logical SQLite file of an image, for the stock sqlite3 shell.
#
# Goal: show that extract writes a database file that sqlite3 opens and finds intact with the same rows, that it
# refuses to overwrite without --force, refuses a damaged image (exit 1, nothing written) unless --salvage, never
# writes to the image, and rejects bad input with exit 2. Method: build images with `stablevfs sql`, extract
# them, and run the real sqlite3 shell on the result (the test is skipped, exit 77, without sqlite3).
. "$(dirname "$0")/lib.sh"
command -v sqlite3 > /dev/null || { echo "sqlite3 not found: skipped"; exit 77; }

run sql db.img "CREATE TABLE kv(k TEXT PRIMARY KEY, v); INSERT INTO kv VALUES ('a', 1), ('b', x'0102'), ('c', NULL)"
expect_exit 0
run sql db.img "CREATE INDEX kv_v ON kv(v); UPDATE kv SET v = 3 WHERE k = 'c'"
expect_exit 0
cp db.img before.img

run extract db.img out.db
expect_exit 0
expect_out "extract: wrote out.db: "
expect_out "last_tx_id 4, layout 6, from db.img MemoryId 120"
expect_same db.img before.img "extract never writes to the image"
[ "$(sqlite3 out.db 'PRAGMA integrity_check')" = "ok" ] || fail "sqlite3 should find out.db intact"
[ "$(sqlite3 out.db "SELECT group_concat(k || '=' || quote(v), ',') FROM kv")" = "a=1,b=X'0102',c=3" ] ||
  fail "out.db should hold the rows written through the library"
[ "$(sqlite3 out.db 'PRAGMA page_size')" = "16384" ] || fail "out.db should have the library's 16 KiB pages"

# --- never overwrite by accident ---
cp out.db kept.db
run extract db.img out.db
expect_usage_error "out.db exists; pass --force to replace it"
expect_same out.db kept.db "an existing OUT.db is kept without --force"
run sql db.img "INSERT INTO kv VALUES ('d', 4)"
run extract db.img out.db --force
expect_exit 0
[ "$(sqlite3 out.db 'SELECT count(*) FROM kv')" = "4" ] || fail "--force should replace out.db with the new state"
run extract db.img db.img --force
expect_usage_error "OUT.db db.img: is the same file as IMAGE"
ls ./*.tmp-* > /dev/null 2>&1 && fail "a temporary file was left behind"

# --- a damaged image ---
cp db.img bad.img
corrupt bad.img 65656 '\x01\x02\x03'
cp bad.img before.img
run extract bad.img bad.db
expect_exit 1
expect_out "memory 120 @120 (0x78) [file 0x10078] misaligned:"
expect_out "problems; nothing written (--salvage writes what it resolves to anyway)"
[ -e bad.db ] && fail "nothing should be written for a damaged image without --salvage"
run extract bad.img bad.db --salvage
expect_exit 1
expect_out "(salvaged from a damaged image)"
[ -e bad.db ] || fail "--salvage should write bad.db"
expect_same bad.img before.img "extract never writes to a damaged image"
run extract db.img none.db --memory-id 9
expect_exit 1
expect_out "mm_no_memory"
expect_out "nothing written (no superblock to resolve)"

# --- raw memories ---
run sql raw.img --raw "CREATE TABLE r(x); INSERT INTO r VALUES ('raw')"
run extract raw.img raw.db --raw
expect_exit 0
[ "$(sqlite3 raw.db 'PRAGMA integrity_check; SELECT x FROM r')" = "ok
raw" ] || fail "raw.db should be intact and hold the row"

# --- bad input ---
run extract db.img
expect_usage_error "missing OUT.db"
run extract
expect_usage_error "missing IMAGE"
run extract db.img a.db b.db
expect_usage_error "unexpected argument 'b.db'"
run extract nosuch.img x.db
expect_usage_error "nosuch.img: no such file"
head -c 1000 /dev/zero > odd.img
run extract odd.img x.db
expect_usage_error "odd.img: size 1000 bytes is not a multiple of 64 KiB"
run extract db.img x.db --memory-id 255
expect_usage_error "255 is the MemoryManager's marker"
run extract db.img x.db --raw --memory-id 120
expect_usage_error "--raw and --memory-id exclude each other"
run extract db.img x.db --overwrite
expect_usage_error "unknown option '--overwrite'"
[ -e x.db ] && fail "bad input must not write OUT.db"

finish
