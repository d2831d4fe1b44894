#!/usr/bin/env bash
# stablevfs sql: creating and opening image files and running SQL on them through the library.
#
# Goal: show that `sql` creates a MemoryManager image (or a --raw virtual memory), runs one update per
# statement with sqlite3_complete splitting, prints rows like the sqlite3 shell, saves the file only when
# something committed, stops at the first failing statement leaving the image as of the last commit (also when
# a failpoint traps or crashes the message), and refuses foreign, corrupt and mis-sized files with exit 2
# without touching them. Method: run the built binary on files in a temporary directory and compare outputs,
# exit codes and file bytes (cmp) before and after.
. "$(dirname "$0")/lib.sh"

# --- creating an image ---
run sql kv.img "CREATE TABLE kv(k TEXT PRIMARY KEY, v); INSERT INTO kv VALUES('a', 1), ('b', 2.5)"
expect_exit 0
expect_err "2 of 2 statements run, 2 committed (last_tx_id 2); created kv.img"
# A MemoryManager image with one bucket: page 0 (header) + 128 pages of bucket 0.
expect_file_size kv.img 8454144
ls kv.img.tmp-* > /dev/null 2>&1 && fail "a temporary file was left behind"

# --- output formats ---
run sql kv.img "SELECT k, v FROM kv ORDER BY k"
expect_exit 0
printf 'k  v\n-  ---\na  1\nb  2.5\n' > expected.txt
expect_out_exactly expected.txt
expect_err "0 committed (last_tx_id 2); kv.img unchanged"

run sql kv.img --mode list --null NULL "SELECT 0.1 + 0.2 AS r, x'00ff' AS b, NULL AS n, 'x|y' AS t"
expect_exit 0
printf 'r|b|n|t\n0.3|x'"'"'00ff'"'"'|NULL|x|y\n' > expected.txt
expect_out_exactly expected.txt

run sql kv.img --mode table "SELECT 1"
expect_usage_error "--mode: expected column or list"

# --- a SELECT-only run leaves the file byte-identical ---
cp kv.img before.img
run sql kv.img "SELECT count(*) FROM kv" "SELECT 1"
expect_exit 0
expect_same kv.img before.img "nothing committed"

# --- statements from stdin, split like the sqlite3 shell (';' inside strings, comments and triggers) ---
cat > script.sql <<'SQL'
-- a comment; with a semicolon
CREATE TABLE log(msg TEXT);
CREATE TRIGGER kv_log AFTER INSERT ON kv BEGIN
  INSERT INTO log VALUES('inserted; ' || new.k);
END;
INSERT INTO kv VALUES('c;d', 3); /* trailing; comment */
SELECT msg FROM log
SQL
run_stdin script.sql sql kv.img --mode list
expect_exit 0
printf 'msg\ninserted; c;d\n' > expected.txt
expect_out_exactly expected.txt
expect_err "4 of 4 statements run, 3 committed (last_tx_id 5); saved kv.img"

# --- the first failing statement stops the run; earlier statements stay committed ---
cat > failing.sql <<'SQL'
INSERT INTO kv VALUES('e', 5);

INSERT INTO kv VALUES('a', 9);
INSERT INTO kv VALUES('f', 6);
SQL
run_stdin failing.sql sql kv.img
expect_exit 1
expect_err "statement 2 (stdin, line 3) failed"
expect_err "UNIQUE constraint failed: kv.k"
expect_err "INSERT INTO kv VALUES('a', 9);"
expect_err "2 of 3 statements run, 1 committed (last_tx_id 6); saved kv.img"
run sql kv.img --mode list "SELECT group_concat(k, ',') FROM (SELECT k FROM kv ORDER BY k)"
expect_out "a,b,c;d,e"
expect_no_out ",f"

run sql kv.img "SELECT * FROM missing_table"
expect_exit 1
expect_err "statement 1 (argument 1, line 1) failed"
expect_err "no such table: missing_table"

# --- transaction control is refused before anything runs ---
cp kv.img before.img
run sql kv.img "INSERT INTO kv VALUES('g', 7); BEGIN; COMMIT"
expect_usage_error "statement 2 (argument 1, line 1): BEGIN"
expect_same kv.img before.img "refused script must not run"

# --- failpoints: an error fails the statement; trap and crash roll the message back ---
cp kv.img before.img
run sql kv.img "INSERT INTO kv VALUES('g', 7)" --failpoints "commit.page_write=error"
expect_exit 1
expect_err "failpoint 'commit.page_write' injected an error"
expect_err "kv.img unchanged"
expect_same kv.img before.img "a failed publish commits nothing"

run sql kv.img "INSERT INTO kv VALUES('g', 7)" "INSERT INTO kv VALUES('h', 8)" \
    --failpoints "commit.superblock_publish=1*off->trap"
expect_exit 1
expect_err "statement 2 (argument 2, line 1) ended the message (trap at failpoint commit.superblock_publish)"
expect_err "1 committed (last_tx_id 7); saved kv.img"
run sql kv.img "INSERT INTO kv VALUES('i', 9)" --failpoints "memory.write=crash"
expect_exit 1
expect_err "crash at failpoint memory.write"
run sql kv.img --mode list "SELECT group_concat(k, ',') FROM (SELECT k FROM kv ORDER BY k)"
expect_out "a,b,c;d,e,g"
expect_no_out ",h"
expect_no_out ",i"
run fsck kv.img
expect_exit 0

run sql kv.img "SELECT 1" --failpoints "no.such.site=error"
expect_usage_error "--failpoints 'no.such.site=error': "

# --- a second database on another MemoryId of the same stable memory ---
run sql kv.img --memory-id 7 "CREATE TABLE other(x); INSERT INTO other VALUES(42)"
expect_exit 0
expect_err "MemoryId 7 of kv.img was empty"
run sql kv.img --memory-id 7 --mode list "SELECT x FROM other"
expect_out "42"
run sql kv.img --mode list "SELECT count(*) FROM kv"
expect_out "5"

# --- --raw: a bare virtual memory ---
run sql raw.img --raw "CREATE TABLE r(x); INSERT INTO r VALUES(1)"
expect_exit 0
expect_err "created raw.img"
run fsck raw.img --raw
expect_exit 0
run sql raw.img "SELECT 1"
expect_usage_error "starts with a database superblock: add --raw"

# --- --auto-vacuum: chosen for a new database; with incremental, PRAGMA incremental_vacuum shrinks the file ---
run sql av.img --raw --auto-vacuum incremental "CREATE TABLE big(b)" \
    "INSERT INTO big VALUES (zeroblob(100000))" "DELETE FROM big" "PRAGMA incremental_vacuum"
expect_exit 0
# Page 1, the pointer-map page of an auto_vacuum file, the table's root: the 7 overflow pages are gone.
run sql av.img --raw --mode list "PRAGMA auto_vacuum" "PRAGMA page_count"
printf 'auto_vacuum\n2\npage_count\n3\n' > expected.txt
expect_out_exactly expected.txt
run sql av.img --raw --auto-vacuum full --mode list "PRAGMA auto_vacuum"
expect_exit 0
expect_out "2"
expect_err "note: --auto-vacuum applies to new databases only; av.img keeps the auto_vacuum it was created with"
run sql plain.img --raw --mode list "CREATE TABLE t(x)" "PRAGMA auto_vacuum"
expect_out "0"
run sql av2.img --raw --auto-vacuum sometimes "SELECT 1"
expect_usage_error "--auto-vacuum: expected none, full or incremental, got 'sometimes'"
[ -e av2.img ] && fail "a bad --auto-vacuum must not create the image"

# --- saving keeps the file's mode and follows a symbolic link ---
chmod 600 kv.img
ln -s kv.img link.img
run sql link.img "INSERT INTO kv VALUES('j', 10)"
expect_exit 0
[ -L link.img ] || fail "saving through a symbolic link should keep the link"
[ "$(stat -c %a kv.img)" = "600" ] || fail "saving should keep the image's mode 600, got $(stat -c %a kv.img)"
run sql kv.img --mode list "SELECT v FROM kv WHERE k = 'j'"
expect_out "10"

# --- the hit counts are a by-product: failing to write them at the default path is a warning, not a failure;
# an explicit --hits that cannot be written is bad input, refused before anything runs (output_path.h) ---
: > notadir
run sql kv.img "SELECT 1" --hits notadir/hits.json
expect_usage_error "--hits notadir/hits.json: cannot open for writing: notadir is not a directory"
mkdir blocked && : > blocked/.stablevfs
(cd blocked && "$BIN" sql ../kv.img "SELECT 1" < /dev/null > ../out.txt 2> ../err.txt)
LAST_RC=$?
LAST_CMD="(in blocked/, where .stablevfs is a file) stablevfs sql ../kv.img 'SELECT 1'"
expect_exit 0
expect_err "warning: hit counts not saved"

# --- bad input: nothing is written ---
head -c 65536 /dev/urandom > foreign.img
printf 'XYZ' | dd of=foreign.img bs=1 conv=notrunc status=none   # make sure it does not start with MGR
cp foreign.img before.img
run sql foreign.img "CREATE TABLE t(x)"
expect_usage_error "foreign.img: not a MemoryManager image"
expect_same foreign.img before.img "a foreign file is never written"
run sql foreign.img --raw "CREATE TABLE t(x)"
expect_usage_error "foreign_image"
expect_same foreign.img before.img "a foreign file is never written (--raw)"

cp kv.img corrupt.img
corrupt corrupt.img $((65536 + 16)) '\x01'   # db_size of MemoryId 120: the meta checksum no longer matches
cp corrupt.img before.img
run sql corrupt.img "INSERT INTO kv VALUES('z', 0)"
expect_usage_error "corrupt.img: MemoryId 120 holds no database the library can open"
expect_same corrupt.img before.img "a corrupt image is never written"

cp kv.img badmgr.img
corrupt badmgr.img 3 '\x02'   # MemoryManager layout version
run sql badmgr.img "SELECT 1"
expect_usage_error "badmgr.img: the MemoryManager header is refused"

head -c 100000 /dev/zero > odd.img
run sql odd.img "SELECT 1"
expect_usage_error "odd.img: size 100000 bytes is not a multiple of 64 KiB"
expect_file_size odd.img 100000

run sql missing-dir/new.img "SELECT 1"
expect_usage_error "directory missing-dir does not exist"
run sql
expect_usage_error "missing IMAGE"
run sql kv.img --raw --memory-id 3 "SELECT 1"
expect_usage_error "--raw and --memory-id exclude each other"
run sql kv.img --memory-id 255 "SELECT 1"
expect_usage_error "255 is the MemoryManager's marker"
run sql kv.img --memory-id
expect_usage_error "needs a value"
run sql kv.img --bogus
expect_usage_error "unknown option '--bogus'"

finish
