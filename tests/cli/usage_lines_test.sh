#!/usr/bin/env bash
# Every subcommand's usage line lists every option of its option table.
#
# Goal: hold the usage line (written by hand) and the option table (what the parser accepts, printed under
# "options:") together, so an option added to one cannot be forgotten in the other (check once omitted
# --shrink-runs and --hits). Method: for each command `stablevfs --help` lists, read its --help, take the
# usage block (from "usage:" to the first blank line) and each "--name" of the options section, and require
# every name in the usage block.
. "$(dirname "$0")/lib.sh"

run --help
expect_exit 0
commands=$(sed -n '/^commands:/,/^$/p' out.txt | awk 'NF > 1 && $1 != "commands:" {print $1}')
[ -n "$commands" ] || fail "stablevfs --help lists no commands"
for command in $commands; do
  run "$command" --help
  expect_exit 0
  usage=$(sed -n '/^usage:/,/^$/p' out.txt)
  [ -n "$usage" ] || { fail "$command --help has no usage line"; continue; }
  options=$(sed -n '/^options:/,/^$/p' out.txt | grep -o '^  --[a-z0-9-]*' | sed 's/^  //' | grep -vx -- '--help')
  for option in $options; do
    grep -qE -- "${option}([^a-z0-9-]|\$)" <<< "$usage" || fail "$command: the usage line does not list $option"
  done
done

finish
