#!/usr/bin/env bash
# Bounds on hostile input: what the image tools, check, fuzz and slt refuse or cut short (issue 12).
#
# Goal: show that extract removes its temporary OUT.db.tmp-* when it is interrupted by SIGINT, SIGTERM or
# SIGHUP while it writes (and re-raises the signal), that an image the library refuses is never "clean" in
# fsck, that absurd --steps and budgets are refused with exit 2 naming the limit, and that slt stops a runaway
# record and goes on. Method: a database of about 64 MiB made with `stablevfs sql`, so that writing it takes
# many scheduler slices; the extract is stepped with SIGSTOP/SIGCONT until its temporary exists, then signalled
# while stopped, so the signal always lands mid-write whatever the machine's speed.
. "$(dirname "$0")/lib.sh"

# --- extract: the temporary is removed on SIGINT, SIGTERM and SIGHUP ---
run sql big.img "CREATE TABLE t(x); INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 4000) SELECT randomblob(16000) FROM c"
expect_exit 0
for signal in INT TERM HUP; do
  rm -f out.db
  "$BIN" extract big.img out.db < /dev/null > out.txt 2> err.txt &
  pid=$!
  kill -STOP "$pid"  # at once: the whole extract takes only tens of milliseconds
  caught=""
  for ((step = 0; step < 200000; ++step)); do
    kill -STOP "$pid" 2> /dev/null || break
    if compgen -G "out.db.tmp-*" > /dev/null; then caught=1; break; fi
    kill -CONT "$pid"
  done
  if [ -z "$caught" ]; then
    wait "$pid"
    fail "SIG$signal: extract finished before its temporary could be seen; the test needs a larger image"
    continue
  fi
  kill -"$signal" "$pid"
  kill -CONT "$pid"
  wait "$pid"
  rc=$?
  [ "$rc" -gt 128 ] || fail "SIG$signal: extract should die of the signal, exit code was $rc"
  compgen -G "out.db.tmp-*" > /dev/null && fail "SIG$signal: extract left its temporary behind: $(ls out.db.tmp-*)"
  [ -e out.db ] && fail "SIG$signal: an interrupted extract must not leave out.db"
done
run extract big.img out.db --force
expect_exit 0
compgen -G "out.db.tmp-*" > /dev/null && fail "a finished extract left its temporary behind"

# --- fsck never calls an image clean that the library refuses ---
# The importing flag with an empty staging area, written through sql's own image: the library refuses it.
run sql small.img --raw "CREATE TABLE kv(k, v); INSERT INTO kv VALUES (1, 2)"
expect_exit 0
python3 - small.img << 'PY' || fail "python3 could not edit the image"
import struct, sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
flags = struct.unpack_from("<Q", data, 40)[0]
struct.pack_into("<Q", data, 40, flags | 1)      # importing, every import field left 0
struct.pack_into("<Q", data, 144, 0)
h = 0xcbf29ce484222325
for b in data[:152]:
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
struct.pack_into("<Q", data, 144, h)
open(path, "wb").write(data)
PY
run sql small.img --raw "SELECT count(*) FROM kv"
[ "$LAST_RC" -ne 0 ] || fail "the library should refuse an image importing with no staging area"
run fsck small.img --raw
expect_exit 1
expect_out "import_state"

# --- absurd sizes are refused, naming the limit ---
run check --steps 100000000 --budget-seconds 5
expect_usage_error "past the limit of 100000"
run fuzz --steps 100001 --cases 1
expect_usage_error "past the limit of 100000"
run fuzz --steps 10 --cases 1 --time 1e300
expect_usage_error "more than the limit of 31536000 (365 days)"

# --- slt: a runaway record fails alone and the file goes on ---
cat > runaway.test << 'SLT'
statement ok
CREATE TABLE t(x)

query I nosort
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c
----
0

statement ok
INSERT INTO t VALUES (1)

query I nosort
SELECT count(*) FROM t
----
1
SLT
run slt runaway.test --record-limit 1000000
expect_exit 1
expect_out "record limit"
run slt --help
expect_out "--record-limit"

finish
