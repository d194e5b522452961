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

# The .deb, the unit and the service under a real systemd (installs lintian, debootstrap, systemd-container).
packaging_status=0
./packaging/test-package.sh 2>&1 | tee -a "$log" || packaging_status=$?
if ((packaging_status != 0 && status == 0)); then
    status=$packaging_status
fi

# One plain closing line summing every test assembly's results (the console logger prints
# "Passed: N", "Failed: N" and "Skipped: N" lines under each "Total tests:"), and the packaging checks'
# "packaging: N passed, N failed" line.
awk '$1 == "Passed:"  && NF == 2 { passed  += $2 }
     $1 == "Failed:"  && NF == 2 { failed  += $2 }
     $1 == "Skipped:" && NF == 2 { skipped += $2 }
     /^packaging: [0-9]+ passed, [0-9]+ failed$/ { passed += $2; failed += $4 }
     END { printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped }' "$log"
exit "$status"
