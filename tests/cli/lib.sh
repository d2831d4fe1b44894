# Shared helpers of the stablevfs command-line tests (sourced by tests/cli/*_test.sh).
#
# Each test script gets the path of the built stablevfs binary as $1, works in a fresh temporary directory
# (removed at exit), and runs commands through `run`, which records the exit code and both output streams so
# that every check can look at them. A failed expectation prints what was expected, the command and its
# output, and makes the script exit 1 at the end; a script never stops at the first failure, so one run
# shows every broken expectation.
set -u

BIN=${1:?usage: $0 PATH_TO_STABLEVFS}
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
[ -x "$BIN" ] || { echo "not executable: $BIN"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/stablevfs-cli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1

FAILURES=0
LAST_CMD=""
LAST_RC=0

# run ARGS...: runs stablevfs ARGS with stdin from /dev/null; output in out.txt and err.txt.
run() {
  LAST_CMD="stablevfs $*"
  "$BIN" "$@" < /dev/null > out.txt 2> err.txt
  LAST_RC=$?
}

# run_stdin FILE ARGS...: as run, with stdin from FILE.
run_stdin() {
  local input=$1
  shift
  LAST_CMD="stablevfs $* < $input"
  "$BIN" "$@" < "$input" > out.txt 2> err.txt
  LAST_RC=$?
}

fail() {
  FAILURES=$((FAILURES + 1))
  echo "FAIL: $1"
  echo "  command: $LAST_CMD (exit $LAST_RC)"
  sed 's/^/  stdout: /' out.txt | head -40
  sed 's/^/  stderr: /' err.txt | head -20
}

expect_exit() {
  [ "$LAST_RC" -eq "$1" ] || fail "expected exit $1, got $LAST_RC"
}

# expect_out TEXT / expect_err TEXT: the stream contains TEXT (a fixed string).
expect_out() { grep -qF -- "$1" out.txt || fail "stdout should contain: $1"; }
expect_err() { grep -qF -- "$1" err.txt || fail "stderr should contain: $1"; }
expect_no_out() { ! grep -qF -- "$1" out.txt || fail "stdout should not contain: $1"; }
expect_no_err() { ! grep -qF -- "$1" err.txt || fail "stderr should not contain: $1"; }

# expect_out_exactly FILE: stdout equals FILE byte for byte.
expect_out_exactly() { cmp -s out.txt "$1" || { fail "stdout differs from the expected text:"; diff "$1" out.txt | sed 's/^/  diff: /'; }; }

# expect_same FILE_A FILE_B WHY: the two files are identical.
expect_same() { cmp -s "$1" "$2" || fail "$1 and $2 should be identical: $3"; }

# expect_file_size FILE BYTES
expect_file_size() {
  local size
  size=$(wc -c < "$1" 2> /dev/null || echo missing)
  [ "$size" = "$2" ] || fail "$1 should be $2 bytes, is $size"
}

# corrupt FILE OFFSET HEXBYTES: overwrites bytes in place, e.g. corrupt img 65656 '\x01\x02'.
corrupt() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

# A usage error: exit 2 and a message on stderr that contains TEXT.
expect_usage_error() {
  expect_exit 2
  expect_err "$1"
}

finish() {
  if [ "$FAILURES" -ne 0 ]; then
    echo "$FAILURES expectation(s) failed"
    exit 1
  fi
  echo "all expectations met"
  exit 0
}
