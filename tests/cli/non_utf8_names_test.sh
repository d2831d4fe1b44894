#!/usr/bin/env bash
# JSON and XML outputs stay valid whatever bytes a file name holds.
#
# Goal: a Linux file name is bytes, not text; fsck --json, inspect --json and inspect --svg carry the image's
# name, and must still be valid UTF-8 JSON / XML (bytes that are not UTF-8 become U+FFFD), never raw bytes.
# Method: an image named with 0xff and 0xfe bytes, each output checked with iconv (UTF-8), python3's json
# module and xmllint when present.
. "$(dirname "$0")/lib.sh"

name=$(printf 'img-\xff\xfe.bin')
run sql "$name" "CREATE TABLE t(x)"
expect_exit 0

valid_utf8() { iconv -f UTF-8 -t UTF-8 "$1" > /dev/null 2>&1 || fail "$2: not valid UTF-8"; }
valid_json() {
  command -v python3 > /dev/null || return 0
  python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$1" 2> /dev/null ||
    fail "$2: not valid JSON"
}

run fsck "$name" --json
expect_exit 0
valid_utf8 out.txt "fsck --json"
valid_json out.txt "fsck --json"
grep -qF "$(printf 'img-\xef\xbf\xbd\xef\xbf\xbd.bin')" out.txt || fail "fsck --json should name the file with U+FFFD"

run inspect "$name" --json
expect_exit 0
valid_utf8 out.txt "inspect --json"
valid_json out.txt "inspect --json"

run inspect "$name" --svg picture.svg
expect_exit 0
valid_utf8 picture.svg "inspect --svg"
if command -v xmllint > /dev/null; then
  xmllint --noout picture.svg 2> xml.txt || fail "inspect --svg is not valid XML: $(head -3 xml.txt)"
fi

finish
