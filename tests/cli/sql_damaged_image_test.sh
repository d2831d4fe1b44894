#!/usr/bin/env bash
# stablevfs sql refuses images it should not run on: damaged ones, ones with a damaged SQLite header, ones
# too large to hold, and SQL text with a NUL byte.
#
# Goal: sql never writes into an image the independent checker rejects (a page mapped twice, which the
# library opens without complaint) unless --force; a damaged SQLite header is named for what it is (exit 2,
# the offset and the bytes) instead of an internal PRAGMA failure (exit 1); a file larger than memory is
# exit 2 with its size, not an allocation failure (exit 3); a NUL in a script from stdin is exit 2 with its
# byte offset instead of running half of the script. Method: damage a raw layout 6 image at known offsets
# (inspect prints them: pages 0 and 1 at 0x10000 and 0x14000, their map entries at 0x18000 and 0x18008)
# and compare the files byte for byte.
. "$(dirname "$0")/lib.sh"

run sql good.img --raw "CREATE TABLE t(x)"
expect_exit 0

# --- a page mapped twice: logical page 1's entry names page 0's physical page ---
cp good.img twice.img
corrupt twice.img $((0x18008)) '\x00\x00\x01\x00'
cp twice.img before.img
run fsck twice.img --raw
expect_exit 1
run sql twice.img --raw "INSERT INTO t VALUES(1)"
expect_usage_error "twice.img: the raw virtual memory: the independent checker finds"
expect_err "run 'stablevfs fsck twice.img --raw' for every problem"
expect_same twice.img before.img "a damaged image is never written without --force"
run sql twice.img --raw "SELECT 1"
expect_usage_error "the independent checker finds"
run sql twice.img --raw --force "SELECT 1"
expect_err "warning: --force: running on a damaged image"

# --- a damaged SQLite header: what is wrong, where, and which command to run ---
cp good.img magic.img
corrupt magic.img $((0x10000)) 'XQLite'
cp magic.img before.img
run sql magic.img --raw "SELECT 1"
expect_usage_error "magic.img: the raw virtual memory: the SQLite header of its logical file is damaged: logical offset 0 holds \"XQLite format 3\\x00\", not SQLite's magic"
expect_err "stablevfs fsck magic.img --raw"
expect_no_err "PRAGMA journal_mode"
expect_same magic.img before.img "a damaged header is never written"
cp good.img pagesize.img
corrupt pagesize.img $((0x10000 + 16)) '\x00\x03'
run sql pagesize.img --raw "SELECT 1"
expect_usage_error "the page size at logical offset 16 is 3, not 16384"

# --- larger than this machine can hold: refused with its size (a sparse file costs no disk) ---
truncate -s 1T huge.img
run sql huge.img --raw "SELECT 1"
expect_usage_error "huge.img: 1099511627776 bytes is more than this command can hold in memory"
expect_file_size huge.img 1099511627776
rm -f huge.img

# --- a NUL byte in a script read from stdin: refused with its byte offset, nothing run ---
printf 'CREATE TABLE a(x);\nCREATE TABLE b(y)\0; CREATE TABLE c(z);\n' > nul.sql
cp good.img before.img
run_stdin nul.sql sql good.img --raw
expect_usage_error "stdin: byte offset 36 (line 2, column 18): a NUL byte in the SQL"
expect_same good.img before.img "a script with a NUL runs nothing"

# --- a NUL byte in a scenario line: file:line:column, nothing run ---
printf 'layout 6\nupdate CREATE TABLE t(x)\0; CREATE TABLE u(y)\nexpect committed\n' > nul.scn
run replay nul.scn
expect_usage_error "nul.scn:2:25: a NUL byte"
expect_no_out "PASS"

finish
