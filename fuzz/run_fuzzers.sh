#!/usr/bin/env bash
# Runs libFuzzer targets one after another (one process each: the machine's cores are shared) for a bounded
# time, and prints per target: runs, exec/s, coverage (cov: edges, ft: features), corpus size and findings.
# Each run starts from BUILD_DIR/corpus/<target> (seeded by seed_corpora.sh when empty) plus the checked-in
# fuzz/seeds/<target> and fuzz/regressions/<target>; crash, leak, timeout and out-of-memory inputs are written
# to BUILD_DIR/findings/<target>/ and logs to BUILD_DIR/fuzz-logs/<target>.log.
# Exit 0 when no target found anything, 1 otherwise, 2 for bad usage or a target that is not built.
# Usage: fuzz/run_fuzzers.sh [--build-dir DIR] [--seconds N] [TARGET...]   (defaults: build/fuzz, 600, all)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$SRC/build/fuzz"
SECONDS_PER_TARGET=600
TARGETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD="$2"; shift 2 ;;
    --seconds) SECONDS_PER_TARGET="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "$0: unknown option $1 (expected --build-dir DIR, --seconds N)" >&2; exit 2 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(image scenario failpoint_spec slt_script)
case "$SECONDS_PER_TARGET" in ''|*[!0-9]*|0) echo "$0: --seconds needs a positive whole number, got '$SECONDS_PER_TARGET'" >&2; exit 2 ;; esac

# Longest input per target: whole images for image (the golden layout 6 image is 576 KiB), text otherwise.
max_len() { case "$1" in image) echo 655360 ;; failpoint_spec) echo 4096 ;; *) echo 65536 ;; esac; }

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
rows=()
for target in "${TARGETS[@]}"; do
  bin="$BUILD/fuzz/fuzz_$target"
  if [ ! -x "$bin" ]; then
    echo "$0: $bin is not built; build it with: cmake --preset fuzz && cmake --build --preset fuzz" >&2
    exit 2
  fi
  corpus="$BUILD/corpus/$target"
  if [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then "$SRC/fuzz/seed_corpora.sh" "$BUILD" "$target"; fi
  inputs=("$corpus")
  for kind in seeds regressions; do [ -d "$SRC/fuzz/$kind/$target" ] && inputs+=("$SRC/fuzz/$kind/$target"); done
  findings="$BUILD/findings/$target"
  mkdir -p "$findings" "$BUILD/fuzz-logs"
  log="$BUILD/fuzz-logs/$target.log"
  before=$(ls "$findings" | wc -l)
  dict=()
  [ -f "$SRC/fuzz/dictionaries/$target.dict" ] && dict=(-dict="$SRC/fuzz/dictionaries/$target.dict")
  echo "fuzzing $target for ${SECONDS_PER_TARGET}s (log $log)"
  set +e
  "$bin" "${inputs[@]}" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 \
    -max_len="$(max_len "$target")" -print_final_stats=1 -artifact_prefix="$findings/" > "$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  found=$(( $(ls "$findings" | wc -l) - before ))
  if [ "$rc" -ne 0 ] && [ "$found" -eq 0 ]; then found=1; fi  # a failure that left no input is still one
  if [ "$found" -ne 0 ]; then
    status=1
    echo "FINDING in $target (exit $rc); the input is in $findings/, the report in $log:"
    grep -m1 -A12 -E '^==[0-9]+==ERROR|finding:|runtime error|deadly signal|uncaught exception' "$log" || tail -20 "$log"
  fi
  rows+=("$(printf '%-15s %10s %8s %6s %7s %7s %8s' "$target" "${runs:-?}" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
            "${corp:-?}" "$found")")
done
printf '%-15s %10s %8s %6s %7s %7s %8s\n' target runs exec/s cov ft corpus findings
printf '%s\n' "${rows[@]}"
exit $status
