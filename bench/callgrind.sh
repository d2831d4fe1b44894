#!/usr/bin/env bash
# Instruction counts of the VFS workloads under Callgrind: a machine-independent companion to the timings of
# `stablevfs bench` (the IC charges instructions, not nanoseconds).
#
# For each workload and backend (and layout, for icstable and icstable-sim) it runs
#     valgrind --tool=callgrind <stablevfs> bench --suite vfs --workload W --backend B [--layout L] --runs 1 \
#         --quiet --no-json
# and reports the Ir (instructions executed) total that Callgrind writes as "summary:" in its output file. Each
# run measures one backend on one layout: the benchmark would otherwise run icstable once per layout in the
# same process and the counts would add up.
#
# Two ways to count only the workload:
#   toggle    (default) the benchmark brackets its timed region with CALLGRIND_TOGGLE_COLLECT when it was
#             built with <valgrind/callgrind.h> (Debian package valgrind ships it); Callgrind runs with
#             --collect-atstart=no, so the total is exactly the region: the workload's transactions, nothing
#             of setup, verification or process start.
#   subtract  whole-process counts: a run with --runs 1 minus a baseline run with --runs 0 (same setup, no
#             timed part), both with --no-verify --no-callgrind-toggles. Approximate: the difference also
#             holds what the run leaves to clean up (freeing a larger database) and, for reads, opening
#             the query connection. Prefer toggle mode.
# In toggle mode a total of 0 means the binary has no client requests; the script then switches to
# subtract mode for the rest of the run and says so.
#
# Usage: bench/callgrind.sh [options] [-- extra arguments for `stablevfs bench`]
#   --binary PATH       the stablevfs executable (default: build/default/harness/cli/stablevfs)
#   --subcommand WORD   the subcommand that runs the benchmark (default: bench; '' for a bare driver)
#   --workload LIST     comma-separated workloads (default: every workload the binary lists)
#   --backend LIST      comma-separated backends (default: memdb,icstable)
#   --layout LIST       comma-separated layouts of icstable and icstable-sim (default: every layout the binary
#                       lists); memdb and unix have none and run once
#   --mode toggle|subtract
#   --out DIR           where the callgrind.out.* files go (default: build/callgrind); they stay there for
#                       callgrind_annotate
#   --top N             also print the N most expensive functions of each run (callgrind_annotate)
# Output: a Markdown table on standard output (workload, backend/layout such as icstable/8, Ir, ratio to memdb);
# progress on stderr.
# Example: bench/callgrind.sh --workload reset_insert_1000,point_read_100 -- --scale 0.5
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
binary="$repo/build/default/harness/cli/stablevfs"
subcommand="bench"
workloads=""
backends="memdb,icstable"
layouts=""
mode="toggle"
out="$repo/build/callgrind"
top=0
extra=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --subcommand) subcommand="$2"; shift 2 ;;
    --workload) workloads="$2"; shift 2 ;;
    --backend) backends="$2"; shift 2 ;;
    --layout) layouts="$2"; shift 2 ;;
    --mode) mode="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --top) top="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "callgrind.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not found (apt-get install valgrind)" >&2; exit 2; }
[[ -x "$binary" ]] || { echo "callgrind.sh: $binary is not an executable (build first, or pass --binary)" >&2; exit 2; }
[[ "$mode" == toggle || "$mode" == subtract ]] || { echo "callgrind.sh: --mode is toggle or subtract" >&2; exit 2; }
mkdir -p "$out"

# The command prefix: the binary, then the subcommand unless it is empty.
cmd=("$binary")
[[ -n "$subcommand" ]] && cmd+=("$subcommand")
# Instruction counts are of the VFS workloads; the harness suite (seconds of fuzzing and exploring) would run
# under Valgrind with every workload and take many minutes for nothing.
# No warm-up pass: in toggle mode it would be counted with the run.
[[ "$subcommand" == bench ]] && cmd+=(--suite vfs --warmup 0)

if [[ -z "$workloads" ]]; then
  # `--list` prints "workloads: a b c" on its first line.
  workloads=$("${cmd[@]}" --list | sed -n 's/^workloads: //p' | tr ' ' ',')
  [[ -n "$workloads" ]] || { echo "callgrind.sh: '${cmd[*]} --list' listed no workloads" >&2; exit 2; }
fi

if [[ -z "$layouts" && "$subcommand" == bench ]]; then
  # `--list` prints "layouts: 6 8" (every builtin layout).
  layouts=$("${cmd[@]}" --list | sed -n 's/^layouts: //p' | tr ' ' ',')
  [[ -n "$layouts" ]] || { echo "callgrind.sh: '${cmd[*]} --list' listed no layouts" >&2; exit 2; }
fi

# Ir total of one callgrind output file: its "summary:" line, else callgrind_annotate's PROGRAM TOTALS.
ir_total() {
  local file="$1" total
  total=$(sed -n 's/^summary: *\([0-9][0-9]*\).*/\1/p' "$file" | tail -1)
  if [[ -z "$total" ]]; then
    total=$(callgrind_annotate "$file" 2>/dev/null | sed -n 's/^ *\([0-9,][0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
  fi
  echo "${total:-0}"
}

# Runs one Callgrind measurement; prints the Ir total. $1: output file, $2: collect at start (yes/no),
# the rest: benchmark arguments.
measure() {
  local file="$1" atstart="$2"
  shift 2
  if ! valgrind --tool=callgrind --collect-atstart="$atstart" --callgrind-out-file="$file" \
      "${cmd[@]}" "$@" --quiet --no-json ${extra[@]+"${extra[@]}"} >/dev/null 2>"$file.log"; then
    echo "callgrind.sh: run failed, see $file.log" >&2
    echo "FAILED"
    return
  fi
  ir_total "$file"
}

declare -A ir
IFS=, read -r -a workload_list <<<"$workloads"
IFS=, read -r -a backend_names <<<"$backends"
IFS=, read -r -a layout_list <<<"$layouts"
# The series: memdb and unix as they are, the icstable backends once per layout ("icstable/8").
series_list=()
for b in "${backend_names[@]}"; do
  if [[ ( "$b" == icstable || "$b" == icstable-sim ) && ${#layout_list[@]} -gt 0 ]]; then
    for l in "${layout_list[@]}"; do series_list+=("$b/$l"); done
  else
    series_list+=("$b")
  fi
done
for w in "${workload_list[@]}"; do
  for s in "${series_list[@]}"; do
    b="${s%%/*}"
    select=(--workload "$w" --backend "$b")
    [[ "$s" == */* ]] && select+=(--layout "${s#*/}")
    base="$out/callgrind.out.$w.${s//\//-}"
    echo "callgrind.sh: $w / $s ($mode)" >&2
    if [[ "$mode" == toggle ]]; then
      n=$(measure "$base" no "${select[@]}" --runs 1)
      if [[ "$n" == 0 ]]; then
        echo "callgrind.sh: no instructions collected: the binary was built without <valgrind/callgrind.h>;" \
             "switching to subtract mode" >&2
        mode=subtract
      fi
    fi
    if [[ "$mode" == subtract ]]; then
      full=$(measure "$base" yes "${select[@]}" --runs 1 --no-verify --no-callgrind-toggles)
      empty=$(measure "$base.baseline" yes "${select[@]}" --runs 0 --no-verify --no-callgrind-toggles)
      if [[ "$full" == FAILED || "$empty" == FAILED ]]; then n=FAILED; else n=$((full - empty)); fi
    fi
    ir["$w/$s"]="$n"
    if [[ "$top" -gt 0 && "$n" != FAILED ]]; then
      echo "--- $w / $s: top $top functions" >&2
      # The function table follows the "Ir  file:function" header and its dashed rule.
      callgrind_annotate "$base" 2>/dev/null |
        awk -v top="$top" '/file:function/ { table = 1; getline; next } table && NF { print; if (++n == top) exit }' >&2 ||
        true  # awk leaving early ends callgrind_annotate with SIGPIPE, which is fine
    fi
  done
done

group() { printf "%s" "$1" | sed ':a; s/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/; ta'; }

echo "# Callgrind instruction counts ($mode mode)"
echo
echo "Binary: ${cmd[*]}; extra arguments: ${extra[*]:-(none)}; valgrind $(valgrind --version | sed 's/valgrind-//')."
echo
echo "| workload | backend | Ir | x memdb |"
echo "|---|---|--:|--:|"
for w in "${workload_list[@]}"; do
  for s in "${series_list[@]}"; do
    n="${ir[$w/$s]}"
    ratio="–"
    m="${ir[$w/memdb]:-}"
    if [[ "$n" != FAILED && -n "$m" && "$m" != FAILED && "$m" -gt 0 ]]; then
      ratio=$(awk -v a="$n" -v b="$m" 'BEGIN { printf "%.2f", a / b }')
    fi
    if [[ "$n" == FAILED ]]; then shown=FAILED; else shown=$(group "$n"); fi
    echo "| $w | $s | $shown | $ratio |"
  done
done
