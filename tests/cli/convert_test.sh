#!/usr/bin/env bash
# stablevfs convert: an image's database rewritten into another layout, to a new file.
#
# Goal: every golden image converts (--raw) to every other layout, and each result passes fsck as the target
# layout, extracts to the same SQLite file as its source byte for byte, passes the sqlite3 shell's
# integrity_check, and shows in inspect --json the source's schema_version and last_tx_id and a checksum that
# is not stale; a canister-snapshot-shaped file (buckets of memories 3, 120 and 7 interleaved) converts on one
# memory and every byte outside that memory's buckets stays as it was (the MemoryManager header included),
# unless the memory needed more pages: then the header changes only in the bucket count, that memory's size
# and the new bucket's owner; a damaged source, a source whose verified checksum does not match, OUT equal to
# IMAGE and bad options exit 2, and nothing is left behind; IMAGE never changes. Method: images made by
# `stablevfs sql` or checked in under tests/golden, compared with cmp, extract and inspect --json.

GOLDEN=$(cd "$(dirname "$0")/../golden" && pwd)
. "$(dirname "$0")/lib.sh"
HAVE_SQLITE3=1
command -v sqlite3 > /dev/null || HAVE_SQLITE3=0

# expect_absent FILE: neither FILE nor a temporary file beside it exists (nothing left behind).
expect_absent() {
  [ -e "$1" ] && fail "$1 should not exist"
  ls "$1".tmp-* > /dev/null 2>&1 && fail "a temporary file was left beside $1"
  return 0
}

# json_field FILE NAME: the value of "NAME": in FILE (inspect --json output), up to the next comma or brace.
json_field() { grep -o "\"$2\": [^,}]*" "$1" | head -1 | sed "s/^\"$2\": //"; }

# memory_line FILE ID: the MemoryManager's entry of memory ID in FILE (inspect --json output).
memory_line() { grep -o "{\"id\": $2, \"size_pages\": [0-9]*, \"buckets\": \[[0-9, ]*\]}" "$1"; }

# buckets_of FILE ID: the bucket ids of memory ID, one per line.
buckets_of() { memory_line "$1" "$2" | sed 's/.*"buckets": \[//; s/\]}//' | tr -d ' ' | tr ',' '\n'; }

# --- the sources: the golden images (copies, so the tree's files are never touched) ---
cp "$GOLDEN/layout-6.img" src-6.img
cp "$GOLDEN/layout-8.img" src-8.img
cp "$GOLDEN/layout-sv1.img" src-sv1.img
for layout in 6 8 sv1; do cp "src-$layout.img" "orig-$layout.img"; done

# --- every layout to every other, --raw ---
for pair in "6 8" "8 6" "6 sv1" "sv1 6" "8 sv1" "sv1 8"; do
  set -- $pair
  from=$1
  to=$2
  out=out-$from-$to.img
  run convert "src-$from.img" "$out" --raw --to "$to"
  expect_exit 0
  expect_out "convert: read src-$from.img: the raw virtual memory, layout $from, clean by the independent checker"
  expect_out "convert: verified the output: fsck clean (layout $to), extract identical"
  expect_out "integrity_check says ok"
  expect_out "convert: wrote $out: layout $from -> $to, "
  expect_out "; fsck clean, integrity ok, extract identical"
  expect_same "src-$from.img" "orig-$from.img" "convert never writes to IMAGE"
  printed_checksum=$(grep -o 'checksum 0x[0-9a-f]*' out.txt | tail -1 | sed 's/checksum //')

  run fsck "$out" --raw
  expect_exit 0
  expect_out "fsck: clean: $out the raw virtual memory: layout $to,"

  run extract "src-$from.img" "src-$from-for-$to.db" --raw
  expect_exit 0
  run extract "$out" "$out.db" --raw
  expect_exit 0
  expect_same "src-$from-for-$to.db" "$out.db" "the logical SQLite file of $out"
  if [ "$HAVE_SQLITE3" -eq 1 ]; then
    [ "$(sqlite3 "$out.db" 'PRAGMA integrity_check')" = "ok" ] || fail "$out.db should pass integrity_check"
  fi

  run inspect "src-$from.img" --raw --json
  cp out.txt "src-$from.json"
  run inspect "$out" --raw --json
  expect_exit 0
  cp out.txt "$out.json"
  for field in schema_version last_tx_id db_size; do
    [ "$(json_field "$out.json" $field)" = "$(json_field "src-$from.json" $field)" ] ||
      fail "$out: $field should be $(json_field "src-$from.json" $field) as in the source, is $(json_field "$out.json" $field)"
  done
  [ "$(json_field "$out.json" layout)" = "\"$to\"" ] || fail "$out should be layout $to"
  [ "$(json_field "$out.json" checksum_stale)" = "false" ] || fail "$out: the checksum should not be stale"
  [ "$(json_field "$out.json" checksum_refreshing)" = "false" ] || fail "$out: no refresh should be in progress"
  [ "$(json_field "$out.json" flags)" = "0" ] || fail "$out: flags should be 0"
  [ "$(json_field "$out.json" checksum)" = "\"$printed_checksum\"" ] ||
    fail "$out: the checksum should be the $printed_checksum convert printed, is $(json_field "$out.json" checksum)"
done
# The golden workload is the same SQL in every layout, so every conversion carries the same checksum.
if [ -f out-6-8.img.json ] && [ -f out-8-6.img.json ]; then
  [ "$(json_field out-6-8.img.json checksum)" = "$(json_field out-8-6.img.json checksum)" ] ||
    fail "6 -> 8 and 8 -> 6 of the same workload should carry the same checksum"
fi

# --- a canister-snapshot-shaped file: memories 3, 120 and 7 with interleaved buckets of one page ---
run sql snap.bin --bucket-pages 1 --memory-id 3 "CREATE TABLE a(x)" "INSERT INTO a VALUES (randomblob(100000))"
expect_exit 0
run sql snap.bin --memory-id 120 --layout 6 "CREATE TABLE t(id INTEGER PRIMARY KEY, v)" \
    "INSERT INTO t VALUES (1, randomblob(50000))"
expect_exit 0
run sql snap.bin --memory-id 7 --layout 8 "CREATE TABLE b(y)" "INSERT INTO b VALUES (randomblob(40000))"
expect_exit 0
run sql snap.bin --memory-id 120 "INSERT INTO t VALUES (2, zeroblob(300000))"
expect_exit 0
cp snap.bin snap.orig
run inspect snap.bin --json
cp out.txt snap.json
for id in 3 7 120; do
  run extract snap.bin "snap-$id.db" --memory-id "$id"
  expect_exit 0
done

# same_outside FILE_A FILE_B BUCKETS...: every differing byte of the two files (over the shorter) lies in one
# of the listed buckets (of one page each), or in page 0 when the list holds "page0". Prints the first byte
# that does not.
same_outside() {
  local a=$1 b=$2
  shift 2
  cmp -l "$a" "$b" 2> /dev/null | awk -v list="$*" '
    BEGIN { n = split(list, ids, " "); for (i = 1; i <= n; i++) inside[ids[i]] = 1 }
    {
      offset = $1 - 1
      if (offset < 65536) { if ("page0" in inside) next; print offset; exit 1 }
      if (!((int((offset - 65536) / 65536)) in inside)) { print offset; exit 1 }
    }'
}

# snapshot_converted OUT LAYOUT: OUT holds memory 120 in LAYOUT and everything else as snap.bin did.
snapshot_converted() {
  local out=$1 to=$2
  expect_same snap.bin snap.orig "convert never writes to IMAGE"
  run fsck "$out"
  expect_exit 0
  expect_out "fsck: clean: $out MemoryId 120: layout $to,"
  for id in 3 7; do
    run fsck "$out" --memory-id "$id"
    expect_exit 0
  done
  for id in 3 7 120; do
    run extract "$out" "$out-$id.db" --memory-id "$id"
    expect_exit 0
    expect_same "snap-$id.db" "$out-$id.db" "the logical file of memory $id"
  done
  run inspect "$out" --json
  cp out.txt "$out.json"
  [ "$(memory_line "$out.json" 120)" = "$(memory_line snap.json 120)" ] ||
    fail "$out: memory 120 needed no new bucket, so its size and buckets should stay: $(memory_line "$out.json" 120)"
  expect_file_size "$out" "$(wc -c < snap.bin)"
  cmp -n 65536 snap.bin "$out" > /dev/null || fail "$out: the MemoryManager header and owner table should be unchanged"
  local where
  where=$(same_outside snap.bin "$out" $(buckets_of snap.json 120)) ||
    fail "$out: byte $where changed outside memory 120's buckets"
  [ "$(json_field "$out.json" schema_version)" = "$(json_field snap.json schema_version)" ] || fail "$out: schema_version"
  [ "$(json_field "$out.json" last_tx_id)" = "$(json_field snap.json last_tx_id)" ] || fail "$out: last_tx_id"
  [ "$(json_field "$out.json" checksum_stale)" = "false" ] || fail "$out: the checksum should not be stale"
}

run convert snap.bin snap-8.bin --to 8
expect_exit 0
expect_out "convert: read snap.bin: MemoryId 120 of 3 memories, layout 6, clean by the independent checker"
expect_out "convert: MemoryId 120: kept at 10 pages (no new bucket)"
expect_out "the 2 memories beside it byte for byte as before, the MemoryManager header changed in nothing"
expect_out "convert: wrote snap-8.bin: layout 6 -> 8, "
expect_out ", MemoryId 120 of 3 memories; fsck clean, integrity ok, extract identical"
snapshot_converted snap-8.bin 8

run convert snap.bin snap-sv1.bin --to sv1 --memory-id 120
expect_exit 0
snapshot_converted snap-sv1.bin sv1

# Memory 7 (layout 8, 4 logical pages in 2 stable pages) needs 3 pages as layout 6: one new bucket.
run convert snap.bin snap-7.bin --memory-id 7 --to 6
expect_exit 0
expect_out "convert: MemoryId 7: grown from 2 to 3 pages (1 new bucket)"
expect_out "the MemoryManager header changed only in MemoryId 7's size and 1 new bucket"
run fsck snap-7.bin --memory-id 7
expect_exit 0
expect_out "layout 6"
run extract snap-7.bin snap-7-7.db --memory-id 7
expect_exit 0
expect_same snap-7.db snap-7-7.db "the logical file of memory 7"
for id in 3 120; do
  run extract snap-7.bin "snap-7-$id.db" --memory-id "$id"
  expect_exit 0
  expect_same "snap-$id.db" "snap-7-$id.db" "the logical file of memory $id"
done
run inspect snap-7.bin --memory-id 7 --json
cp out.txt snap-7.json
for id in 3 120; do
  [ "$(memory_line snap-7.json $id)" = "$(memory_line snap.json $id)" ] || fail "snap-7.bin: memory $id's entry changed"
done
old_buckets=$(json_field snap.json allocated_buckets)
[ "$(json_field snap-7.json allocated_buckets)" = "$((old_buckets + 1))" ] ||
  fail "snap-7.bin: one bucket should have been allocated ($old_buckets before)"
[ "$(memory_line snap-7.json 7)" = "{\"id\": 7, \"size_pages\": 3, \"buckets\": [$(buckets_of snap.json 7 | paste -sd, - | sed 's/,/, /g'), $old_buckets]}" ] ||
  fail "snap-7.bin: memory 7 should own its buckets and the new one $old_buckets: $(memory_line snap-7.json 7)"
expect_file_size snap-7.bin $(( $(wc -c < snap.bin) + 65536 ))
# Page 0 changes only in the bucket count (offset 4), memory 7's size (40 + 8 * 7) and the new owner byte.
changed=$(cmp -l -n 65536 snap.bin snap-7.bin | awk '{ print $1 - 1 }' | tr '\n' ' ')
[ "$changed" = "4 96 $((2080 + old_buckets)) " ] ||
  fail "snap-7.bin: page 0 should change at 4, 96 and $((2080 + old_buckets)) only, changed at: $changed"
where=$(same_outside snap.bin snap-7.bin page0 $(buckets_of snap.json 7)) ||
  fail "snap-7.bin: byte $where changed outside page 0 and memory 7's buckets"

# --- a damaged source: refused with the problem and its offset, nothing written ---
cp src-6.img bad.img
corrupt bad.img 16 '\x07'   # db_size: layout 6's meta checksum (at 144) no longer matches
run convert bad.img bad-out.img --raw --to 8
expect_usage_error "bad.img (the raw virtual memory) is not clean by the independent checker"
expect_err "raw memory @144 (0x90) meta_checksum: "
expect_err "run 'stablevfs fsck bad.img --raw' for the full report; nothing written"
expect_absent bad-out.img
cp snap.bin badsnap.bin
corrupt badsnap.bin $((0x60000 + 16)) '\x07'   # memory 120's first bucket (5) is at file 0x60000
run convert badsnap.bin badsnap-out.bin --to 8
expect_usage_error "memory 120 @144 (0x90) [file 0x60090] meta_checksum: "
expect_err "run 'stablevfs fsck badsnap.bin --memory-id 120'"
expect_absent badsnap-out.bin

# A verified checksum that does not match the file (a page changed behind it; fsck does not hash pages).
cp out-6-8.img verified.img
corrupt verified.img $((65536 + 16384 * 5 + 1000)) '\x5a'   # logical page 5, in place
run fsck verified.img --raw
expect_exit 0
run convert verified.img verified-out.img --raw --to 6
expect_usage_error "verified.img (the raw virtual memory) is damaged: its checksum"
expect_err "is marked verified (not stale), but the logical file of 98304 bytes hashes to"
expect_absent verified-out.img

# --- OUT == IMAGE: refused before anything runs, IMAGE unchanged ---
for same in src-6.img ./src-6.img "$WORK/src-6.img"; do
  run convert src-6.img "$same" --raw --to 8 --force
  expect_usage_error ": is the same file as IMAGE"
  expect_same src-6.img orig-6.img "IMAGE must not change"
done
ln -s src-6.img link.img
run convert src-6.img link.img --raw --to 8 --force
expect_usage_error "OUT link.img: is the same file as IMAGE src-6.img"
expect_same src-6.img orig-6.img "IMAGE must not change"

# --- an existing OUT: only with --force ---
echo keep > exists.img
run convert src-6.img exists.img --raw --to 8
expect_usage_error "exists.img exists; pass --force to replace it"
[ "$(cat exists.img)" = "keep" ] || fail "exists.img should be untouched"
run convert src-6.img exists.img --raw --to 8 --force
expect_exit 0
run fsck exists.img --raw
expect_exit 0

# --- refusals and bad options: exit 2, naming the option or the file, nothing written ---
run convert src-6.img same.img --raw --to 6
expect_usage_error "src-6.img (the raw virtual memory) is already layout 6; nothing to convert"
expect_absent same.img
run convert src-6.img x.img --raw
expect_usage_error "missing --to LAYOUT"
run convert src-6.img x.img --raw --to 9
expect_usage_error "--to: unknown layout '9' (registered: "
run convert src-6.img x.img --raw --to
expect_exit 2
expect_err "--to"
run convert src-6.img --raw --to 8
expect_usage_error "missing OUT"
run convert --raw --to 8
expect_usage_error "missing IMAGE"
run convert src-6.img x.img y.img --raw --to 8
expect_exit 2
expect_err "y.img"
run convert src-6.img x.img --raw --memory-id 3 --to 8
expect_usage_error "--raw and --memory-id exclude each other"
run convert snap.bin x.img --memory-id 255 --to 8
expect_usage_error "--memory-id 255"
run convert snap.bin x.img --to 8 --bogus
expect_usage_error "--bogus"
run convert missing.img x.img --raw --to 8
expect_usage_error "missing.img: no such file"
run convert src-6.img x.img --to 8
expect_usage_error "add --raw"
run convert snap.bin x.img --memory-id 5 --to 8
expect_usage_error "memories with data: 3, 7, 120"
run convert src-6.img no-such-dir/x.img --raw --to 8
expect_usage_error "cannot open for writing: directory no-such-dir does not exist"
expect_absent x.img

# --- help ---
run convert --help
expect_exit 0
expect_out "usage: stablevfs convert IMAGE OUT --to LAYOUT [--memory-id N | --raw] [--force]"
expect_out "--to LAYOUT"
run --help
expect_out "  convert     rewrite an image's database into another layout"

finish
