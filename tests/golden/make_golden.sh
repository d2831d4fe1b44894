#!/usr/bin/env bash
# make_golden.sh: makes the golden images of every builtin on-disk layout, tests/golden/layout-L.img.
#
# What it makes. For each layout L it runs the fixed workload golden.sql through the library, one update per
# statement, with `stablevfs sql IMAGE --raw --auto-vacuum incremental --layout L`, and keeps the image the
# library wrote. The images are checked in; tests/cli/golden_test.sh and tests/harness/golden_images_test.cpp
# read them with today's code (fsck, the library, extract and the sqlite3 shell) and run this script into a
# temporary directory to check that today's code still writes them byte for byte. So a change of any layout's
# bytes, intended or not, fails CI until the images are regenerated (README.md).
#
# Why raw images. --raw makes a bare virtual memory: the layout's own bytes and nothing else, a few hundred KiB.
# A MemoryManager image would be 8 MiB a file (the MemoryManager's 8 MiB bucket) for nothing the layouts own;
# the MemoryManager has its own tests and is not what a layout change touches.
#
# Which layouts. Without LAYOUT arguments, every layout the binary lists for `stablevfs sql --layout` (the
# "(6, 8)" in the option's line of `stablevfs sql --help`): that list is LayoutRegistry::Names(), and the
# stablevfs binary registers nothing but the builtins, so it is LayoutRegistry::Builtins(), read from the
# binary and never written down here; a new builtin gets its image without an edit. The golden test takes the
# list from this script (--list-layouts), so the parse lives in this one place, and golden_images_test.cpp
# checks the images against LayoutRegistry::Builtins() itself. The script fails when it cannot find the list.
#
# Determinism. The same binary writes the same bytes: the VFS seeds SQLite's PRNG from the transaction id and
# the file size, its clock is simulated, and golden.sql uses no randomblob(). SQLite writes its own version
# number into page 1 of every database it commits, so the images depend on the SQLite the binary links too:
# the script records it in sqlite-version.txt, and the golden test names a different one as the cause.
#
# Regenerating after an intended format change (or an SQLite upgrade, or a change to golden.sql):
#     cmake --build --preset default --target stablevfs
#     tests/golden/make_golden.sh                   # every builtin layout, into tests/golden
#     tests/golden/make_golden.sh 8                 # only layout 8
#     ctest --preset default -R golden              # the images read back as expected-rows.txt says
# then commit the new images in a commit of their own, saying which layout's format changed, what changed in
# its bytes (REFERENCE section, field, offset), and why old images stay readable or why they need not. Never
# regenerate to make a red test green without knowing which change made it red. expected-rows.txt is not
# written here: the rows stay the same when a layout changes; edit it (README.md) only with golden.sql.
#
# usage: tests/golden/make_golden.sh [--stablevfs BIN] [--out DIR] [--list-layouts] [LAYOUT...]
#   --stablevfs BIN   the binary (default: $STABLEVFS, else build/default/harness/cli/stablevfs of this tree)
#   --out DIR         where layout-L.img and sqlite-version.txt go (default: this script's directory)
#   --list-layouts    print the layouts the binary registers, one a line, and write nothing
# Exit status: 0 when every image was written (each one checked clean by `stablevfs fsck --raw`), 1 when a
# step failed, 2 for bad usage.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${STABLEVFS:-$repo/build/default/harness/cli/stablevfs}
out=$here
list_only=0
layouts=()

usage() {
  echo "usage: $0 [--stablevfs BIN] [--out DIR] [--list-layouts] [LAYOUT...]" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case $1 in
    --stablevfs) [ $# -ge 2 ] || usage; bin=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --list-layouts) list_only=1; shift ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "make_golden.sh: unknown option '$1'" >&2; usage ;;
    *) layouts+=("$1"); shift ;;
  esac
done
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
[ -x "$bin" ] || { echo "make_golden.sh: $bin is not an executable: build it (cmake --build --preset default --target stablevfs) or pass --stablevfs BIN" >&2; exit 2; }

# The layouts the binary registers, from the --layout line of `stablevfs sql --help`, which reads
#   --layout NAME             the layout of a new database (6, 8) (default 6)
# Each name must be a token (LayoutInfo::name has no blanks), so a changed help text fails here, loudly.
registered_layouts() {
  local help list name
  help=$("$bin" sql --help) || { echo "make_golden.sh: '$bin sql --help' failed" >&2; return 1; }
  list=$(printf '%s\n' "$help" | sed -n 's/^ *--layout NAME .*(\([^()]*\)) (default [^()]*)$/\1/p')
  if [ -z "$list" ]; then
    echo "make_golden.sh: found no layout list on the --layout line of 'stablevfs sql --help'; name the layouts as arguments" >&2
    return 1
  fi
  for name in ${list//,/ }; do
    if ! [[ $name =~ ^[A-Za-z0-9._-]+$ ]]; then
      echo "make_golden.sh: '$name' in '($list)' of 'stablevfs sql --help' is not a layout name; name the layouts as arguments" >&2
      return 1
    fi
    echo "$name"
  done
}

if [ ${#layouts[@]} -eq 0 ] || [ $list_only -eq 1 ]; then
  all=$(registered_layouts) || exit 1
  if [ $list_only -eq 1 ]; then
    printf '%s\n' "$all"
    exit 0
  fi
  mapfile -t layouts <<< "$all"
fi

mkdir -p "$out" || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/make-golden.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# The SQLite the binary links, whose version number SQLite writes into page 1 of every image.
"$bin" sql "$work/version.img" --raw --mode list --hits "$work/hits.json" "SELECT sqlite_version()" \
  > "$work/version.txt" 2> "$work/err.txt" || { cat "$work/err.txt" >&2; exit 1; }
tail -n 1 "$work/version.txt" > "$work/sqlite-version.txt"

status=0
for layout in "${layouts[@]}"; do
  image=$work/layout-$layout.img
  if ! "$bin" sql "$image" --raw --auto-vacuum incremental --layout "$layout" --hits "$work/hits.json" \
      < "$here/golden.sql" > /dev/null 2> "$work/err.txt"; then
    echo "make_golden.sh: layout $layout: golden.sql failed:" >&2
    cat "$work/err.txt" >&2
    status=1
    continue
  fi
  # Never leave an image behind that the independent checker finds fault with.
  if ! "$bin" fsck "$image" --raw > "$work/fsck.txt" 2>&1; then
    echo "make_golden.sh: layout $layout: the image is not clean:" >&2
    cat "$work/fsck.txt" >&2
    status=1
    continue
  fi
  mv "$image" "$out/layout-$layout.img" || { status=1; continue; }
  echo "make_golden.sh: wrote $out/layout-$layout.img ($(wc -c < "$out/layout-$layout.img") bytes)"
done
mv "$work/sqlite-version.txt" "$out/sqlite-version.txt" || status=1
exit $status
