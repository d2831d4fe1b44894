#!/usr/bin/env bash
# stablevfs fsck: validating image files with the independent checker.
#
# Goal: show that fsck passes a clean image (exit 0), reports every problem of a damaged one with its offset in
# its scope and in the file (exit 1), never modifies the file, speaks JSON on request, and rejects bad input
# with exit 2 and a message naming the file. Method: build images with `stablevfs sql`, damage copies in place
# with dd at known offsets (MemoryId 120 is the only memory, so it is bucket 0 at file offset 65536 and its
# superblock's root-table pointer is at file offset 65536 + 120 = 0x10078), and check output and exit codes.
. "$(dirname "$0")/lib.sh"

run sql db.img "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)"
expect_exit 0

# --- a clean image ---
run fsck db.img
expect_exit 0
expect_out "fsck db.img: 8454144 bytes (8.06 MiB) of stable memory; MemoryManager v1, 1 bucket of 128 pages allocated"
expect_out "checking MemoryId 120 as layout 6 (detected from its superblock)"
expect_out "fsck: clean: db.img MemoryId 120: layout 6, db_size"
run fsck db.img --json
expect_exit 0
expect_out '"clean": true'
expect_out '"problems": []'
expect_out '"memory_manager": {"version": 1, "allocated_buckets": 1, "bucket_size_pages": 128'

# --- a damaged layout: the root-table pointer of MemoryId 120 ---
cp db.img bad.img
corrupt bad.img 65656 '\x01\x02\x03'
cp bad.img before.img
run fsck bad.img
expect_exit 1
expect_out "memory 120 @144 (0x90) [file 0x10090] meta_checksum:"
expect_out "memory 120 @120 (0x78) [file 0x10078] misaligned: root table at"
expect_out "memory 120 @120 (0x78) [file 0x10078] out_of_bounds:"
expect_out "fsck: 3 problems in bad.img (MemoryId 120); the file was not modified"
expect_same bad.img before.img "fsck never writes"
run fsck bad.img --json
expect_exit 1
expect_out '"clean": false'
expect_out '{"scope": "memory 120", "kind": "misaligned", "offset": 120, "file_offset": 65656'

# --- a damaged MemoryManager header: problems at stable-memory offsets ---
cp db.img mgr.img
corrupt mgr.img 3 '\x02'        # layout version
corrupt mgr.img 20 '\x01'       # a reserved byte
run fsck mgr.img
expect_exit 1
expect_out "stable memory @3 (0x3) mm_version: MemoryManager layout version 2, expected 1"
expect_out "stable memory @20 (0x14) mm_reserved:"
expect_out "fsck: 2 problems in mgr.img"

# --- the wrong memory, and the wrong kind of file ---
run fsck db.img --memory-id 7
expect_exit 1
expect_out "mm_no_memory: memory 7 has size 0"
expect_out "hint: memories with data: 120; pick one with --memory-id N"
run fsck db.img --raw
expect_exit 1
expect_out "raw memory @0 (0x0) bad_magic:"
expect_out "drop --raw"
run sql raw.img --raw "CREATE TABLE t(x)"
run fsck raw.img --raw
expect_exit 0
expect_out "fsck: clean: raw.img the raw virtual memory"
run fsck raw.img
expect_exit 1
expect_out "mm_magic"
expect_out "add --raw"
: > empty.img
run fsck empty.img
expect_exit 1
expect_out "stable memory @0 (0x0) mm_magic: no MGR magic"

# --- bad input: exit 2, naming the file and what to do ---
run fsck
expect_usage_error "missing IMAGE"
run fsck nosuch.img
expect_usage_error "nosuch.img: no such file; check the path"
mkdir adir
run fsck adir
expect_usage_error "adir: is a directory"
head -c 100000 /dev/zero > odd.img
run fsck odd.img
expect_usage_error "odd.img: size 100000 bytes is not a multiple of 64 KiB (65536): 34464 bytes past the last whole page, which ends at offset 65536 (0x10000)"
run fsck db.img --raw --memory-id 120
expect_usage_error "--raw and --memory-id exclude each other"
run fsck db.img --memory-id 255
expect_usage_error "--memory-id 255: 255 is the MemoryManager's marker for an unallocated bucket"
run fsck db.img --memory-id 300
expect_usage_error "a MemoryId is 0..254"
run fsck db.img --memory-id x7
expect_usage_error "--memory-id: expected a whole number, got 'x7'"
run fsck db.img --memory-id
expect_usage_error "option '--memory-id' needs a value (N)"
run fsck db.img --repair
expect_usage_error "unknown option '--repair'"
expect_no_err "stablevfs fsck: stablevfs fsck:"   # the command's name once, not twice
run fsck db.img other.img
expect_usage_error "unexpected argument 'other.img'"
if [ "$(id -u)" -ne 0 ]; then   # root reads anything: the permission case only means something for others
  cp db.img locked.img
  chmod 000 locked.img
  run fsck locked.img
  expect_usage_error "locked.img"
fi

finish
