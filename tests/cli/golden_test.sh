#!/usr/bin/env bash
# The golden images (tests/golden): today's code reads yesterday's bytes, and still writes them.
#
# Goal: for every image checked in, fsck --raw finds it clean and checks it as the layout its name says; the
# library (stablevfs sql --raw) reads the rows of expected-rows.txt from it without writing to it; extract
# writes a file that the stock sqlite3 shell finds intact and reads as the same rows. make_golden.sh, run twice
# into temporary directories, writes the same bytes both times and the same bytes as the images checked in:
# this is the check that fails CI when a layout's format changes, naming the layout and how to regenerate if
# the change was intended. Every layout the binary registers has an image, and every image names a registered
# layout. Method: the checks on the set of images are functions of a directory, so negative controls run them
# on damaged copies (a flipped byte, a missing image, a broken version field) and expect each to be caught.
# Without the sqlite3 shell the extract rows are not checked and the test ends in a skip (77), unless
# something else failed.
GOLDEN=$(cd "$(dirname "$0")/../golden" && pwd)
. "$(dirname "$0")/lib.sh"
MAKE=$GOLDEN/make_golden.sh
REGENERATE="tests/golden/make_golden.sh --stablevfs $BIN"
HAVE_SQLITE3=1
command -v sqlite3 > /dev/null || HAVE_SQLITE3=0

# The layouts the binary registers, as make_golden.sh reads them (the parse lives there only).
LAYOUTS=$("$MAKE" --stablevfs "$BIN" --list-layouts 2> list-err.txt)
if [ -z "$LAYOUTS" ]; then
  LAST_CMD="make_golden.sh --list-layouts"
  cp list-err.txt err.txt
  : > out.txt
  fail "make_golden.sh --list-layouts named no layout"
fi

# missing_images DIR: one line per registered layout without DIR/layout-L.img.
missing_images() {
  local layout
  for layout in $LAYOUTS; do
    [ -f "$1/layout-$layout.img" ] ||
      echo "layout $layout has no golden image: tests/golden/layout-$layout.img is missing; make it with '$REGENERATE $layout' and commit it"
  done
}

# unregistered_images DIR: one line per DIR/layout-L.img whose L the binary does not register.
unregistered_images() {
  local image layout
  for image in "$1"/layout-*.img; do
    [ -e "$image" ] || continue
    layout=$(basename "$image" .img)
    layout=${layout#layout-}
    printf '%s\n' $LAYOUTS | grep -qxF -- "$layout" ||
      echo "$(basename "$image") names layout $layout, which the binary does not register ($(echo $LAYOUTS)): remove the image with the layout, or register it"
  done
}

# changed_images GOLDEN_DIR NEW_DIR: one message per layout whose image in NEW_DIR differs from GOLDEN_DIR's.
changed_images() {
  local layout difference where
  for layout in $LAYOUTS; do
    [ -f "$1/layout-$layout.img" ] || continue  # reported by missing_images
    if ! difference=$(cmp "$1/layout-$layout.img" "$2/layout-$layout.img" 2>&1); then
      case $difference in
        *"differ: byte "*)
          where=${difference##*differ: byte }
          where=$((${where%%,*} - 1))
          where="first difference at offset $where ($(printf '0x%x' "$where"))" ;;
        *) where=$difference ;;
      esac
      echo "layout $layout changed: for tests/golden/golden.sql this build writes other bytes than" \
        "tests/golden/layout-$layout.img holds ($where; $(wc -c < "$1/layout-$layout.img") bytes checked in," \
        "$(wc -c < "$2/layout-$layout.img" 2> /dev/null || echo no) bytes written). If that is an accident, it is a" \
        "bug: images in the field hold the old bytes; find the change. If the format change of layout $layout is" \
        "intended, regenerate with '$REGENERATE $layout' and commit the image saying which bytes changed and" \
        "why (tests/golden/README.md)."
    fi
  done
}

# --- every registered layout has an image, and every image a registered layout ---
problems=$(missing_images "$GOLDEN"; unregistered_images "$GOLDEN")
[ -z "$problems" ] || { LAST_CMD="ls tests/golden"; : > out.txt; : > err.txt; fail "$problems"; }

# --- each image: fsck, the library, extract and the sqlite3 shell ---
for image in "$GOLDEN"/layout-*.img; do
  [ -e "$image" ] || continue
  name=$(basename "$image" .img)
  layout=${name#layout-}

  run fsck "$image" --raw
  expect_exit 0
  expect_out "checking the raw virtual memory as layout $layout (detected from its superblock)"
  expect_out "fsck: clean: $image the raw virtual memory: layout $layout,"

  cp "$image" "$name-copy.img"
  run_stdin "$GOLDEN/rows.sql" sql "$name-copy.img" --raw --mode list --hits hits.json
  expect_exit 0
  expect_out_exactly "$GOLDEN/expected-rows.txt"
  expect_err " 0 committed (last_tx_id "
  expect_err "; $name-copy.img unchanged"
  expect_same "$name-copy.img" "$image" "reading $name through the library must not write to it"

  run extract "$image" "$name.db" --raw
  expect_exit 0
  expect_out "layout $layout, from $image the raw virtual memory"
  if [ "$HAVE_SQLITE3" -eq 1 ] && [ -f "$name.db" ]; then
    LAST_CMD="sqlite3 -header -list $name.db < rows.sql"
    sqlite3 -header -list "$name.db" < "$GOLDEN/rows.sql" > out.txt 2> err.txt
    LAST_RC=$?
    expect_exit 0
    expect_out_exactly "$GOLDEN/expected-rows.txt"
    [ "$(sqlite3 "$name.db" 'PRAGMA integrity_check')" = "ok" ] || fail "sqlite3 should find $name.db intact"
  fi
done

# --- make_golden.sh writes the same bytes twice, and the bytes checked in ---
LAST_CMD="make_golden.sh --stablevfs BIN --out first"
"$MAKE" --stablevfs "$BIN" --out first > out.txt 2> err.txt
LAST_RC=$?
expect_exit 0
LAST_CMD="make_golden.sh --stablevfs BIN --out second"
"$MAKE" --stablevfs "$BIN" --out second > out.txt 2> err.txt
LAST_RC=$?
expect_exit 0
for layout in $LAYOUTS; do
  cmp -s "first/layout-$layout.img" "second/layout-$layout.img" ||
    fail "layout $layout is not deterministic: two runs of make_golden.sh with one binary wrote different images
  (no clocks, seeded randomness: a project rule)"
done
linked=$(cat first/sqlite-version.txt 2> /dev/null)
recorded=$(cat "$GOLDEN/sqlite-version.txt" 2> /dev/null)
if [ "$linked" != "$recorded" ]; then
  fail "the images were written with SQLite $recorded and this build links SQLite $linked: SQLite stores its version
  number in page 1 of every database it commits, so no image can be byte-identical. That is not a layout change:
  if the other checks pass, regenerate with '$REGENERATE' and say so in the commit (tests/golden/README.md)"
else
  changed=$(changed_images "$GOLDEN" first)
  [ -z "$changed" ] || { LAST_CMD="cmp tests/golden/layout-L.img <new>"; : > out.txt; : > err.txt; fail "$changed"; }
fi

# --- negative controls: each check above can fail (on copies of the images just written) ---
first=${LAYOUTS%%$'\n'*}
cp -r first damaged
# A flipped bit in the last byte of an image: the comparison must see any byte, also one that no reader looks at.
size=$(wc -c < "damaged/layout-$first.img")
last=$(od -An -tu1 -j $((size - 1)) -N1 "damaged/layout-$first.img" | tr -d ' ')
corrupt "damaged/layout-$first.img" $((size - 1)) "\\x$(printf '%02x' $((last ^ 1)))"
changed=$(changed_images damaged first)
case $changed in
  *"layout $first changed:"*"first difference at offset $((size - 1))"*"'$REGENERATE $first'"*) ;;
  *) fail "a flipped byte in layout-$first.img should be reported as 'layout $first changed' with where and how to regenerate; got: $changed" ;;
esac
[ "$(printf '%s\n' "$changed" | grep -c .)" -eq 1 ] || fail "only layout $first should be reported as changed; got: $changed"
# The version field (offset 8, where every layout of the family stores its version): fsck finds no layout.
cp "first/layout-$first.img" badversion.img
corrupt badversion.img 8 '\x7f'
run fsck badversion.img --raw
expect_exit 1
expect_out "bad_version"
# A layout without an image, and an image without a layout.
rm "damaged/layout-$first.img"
cp "first/layout-$first.img" damaged/layout-nosuch.img
problems=$(missing_images damaged)
[[ $problems == *"layout $first has no golden image: tests/golden/layout-$first.img is missing"* ]] ||
  fail "a missing layout-$first.img should be named; got: $problems"
problems=$(unregistered_images damaged)
[[ $problems == *"layout-nosuch.img names layout nosuch, which the binary does not register"* ]] ||
  fail "an image of an unregistered layout should be named; got: $problems"

if [ "$HAVE_SQLITE3" -eq 0 ] && [ "$FAILURES" -eq 0 ]; then
  echo "sqlite3 not found: the extracted rows were not checked with the sqlite3 shell (make deps installs it): skipped"
  exit 77
fi
finish
