#!/usr/bin/env bash
# Seeds the working corpora of the fuzz targets: BUILD_DIR/corpus/<target>, where libFuzzer also keeps what it
# finds. Sources: generated small images and the golden images (image), the scenario files (scenario), their
# arm lines (failpoint_spec), the sqllogictest corpus beside the repository, ../shared/corpora, cut to its
# first 400 lines per file (slt_script). The checked-in fuzz/seeds and fuzz/regressions are read in place by
# run_fuzzers.sh, not copied. Idempotent: files are named by their content's hash.
# Usage: fuzz/seed_corpora.sh BUILD_DIR [TARGET...]   (default: every target)
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [TARGET...]" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || { echo "$0: build directory $1 not found; configure it with: cmake --preset fuzz" >&2; exit 2; }
shift
SRC=$(cd "$(dirname "$0")/.." && pwd)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(image scenario failpoint_spec slt_script)

# add DIR: stdin into DIR/<sha1 of the content> (empty inputs are skipped).
add() {
  local tmp; tmp=$(mktemp)
  cat > "$tmp"
  if [ -s "$tmp" ]; then mv "$tmp" "$1/$(sha1sum < "$tmp" | cut -c1-40)"; else rm -f "$tmp"; fi
}

for target in "${TARGETS[@]}"; do
  dir="$BUILD/corpus/$target"
  mkdir -p "$dir"
  case "$target" in
    image)
      "$BUILD/fuzz/fuzz_make_image_seeds" "$dir" > /dev/null
      for f in "$SRC"/tests/golden/*.img; do add "$dir" < "$f"; done ;;
    scenario)
      while IFS= read -r -d '' f; do add "$dir" < "$f"; done < <(find "$SRC/scenarios" -name '*.scn' -print0) ;;
    failpoint_spec)
      while IFS= read -r -d '' f; do
        sed -n 's/^arm //p' "$f" | while IFS= read -r line; do printf '%s' "$line" | add "$dir"; done
      done < <(find "$SRC/scenarios" -name '*.scn' -print0) ;;
    slt_script)
      corpus="$SRC/../shared/corpora/sqllogictest"
      if [ -d "$corpus" ]; then
        while IFS= read -r -d '' f; do head -n 400 "$f" | add "$dir"; done < <(find "$corpus" -name '*.test' -print0)
      else
        echo "seed_corpora: no sqllogictest corpus at $corpus; slt_script starts from fuzz/seeds alone" >&2
      fi ;;
    *) echo "$0: unknown target '$target' (expected image, scenario, failpoint_spec, slt_script)" >&2; exit 2 ;;
  esac
done
