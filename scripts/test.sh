#!/usr/bin/env bash
# The project's test command (README: `npm test`). Makes sure Postgres and Redis answer at the
# configured URLs -- starting the compose services when they do not and Docker is present --
# then runs every test file with Node's test runner, then the real-switch layer
# (test/realswitch/: on a real FreeSWITCH at FS_PREFIX, default /opt/fs; one line saying it was
# skipped when there is none). Arguments narrow the run: `npm test -- test/unit`,
# `npm test -- test/realswitch/bridge-end.test.ts`.
set -uo pipefail
cd "$(dirname "$0")/.."
node scripts/ensure-services.mjs || exit 1

main=() realswitch=()
for a in "$@"; do
  case "$a" in
    test/realswitch|test/realswitch/*) realswitch+=("$a") ;;
    *) main+=("$a") ;;
  esac
done

status=0
if [ $# -eq 0 ] || [ ${#main[@]} -gt 0 ]; then
  node scripts/run-tests.mjs "${main[@]}" || status=1
fi
if [ $# -eq 0 ] || [ ${#realswitch[@]} -gt 0 ]; then
  node --import tsx test/realswitch/run.ts "${realswitch[@]}" || status=1
fi
exit $status
