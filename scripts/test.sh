#!/usr/bin/env bash
# Runs every EdgeStore test on a fresh Debian machine: installs what the tests need
# (mosquitto included), builds, and runs the whole suite. Exit code 0 means all passed.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
dotnet test EdgeStore.sln -c Release --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?

# One plain closing line summing every test assembly's results (the console logger prints
# "Passed: N", "Failed: N" and "Skipped: N" lines under each "Total tests:").
awk '$1 == "Passed:"  && NF == 2 { passed  += $2 }
     $1 == "Failed:"  && NF == 2 { failed  += $2 }
     $1 == "Skipped:" && NF == 2 { skipped += $2 }
     END { printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped }' "$log"
exit "$status"
