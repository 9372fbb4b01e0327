#!/usr/bin/env bash
# The project's test command (README: `npm test`). Makes sure Postgres and Redis answer at the
# configured URLs -- starting the compose services when they do not and Docker is present --
# then runs every test file with Node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/ensure-services.mjs
exec node scripts/run-tests.mjs "$@"
