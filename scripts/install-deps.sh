#!/usr/bin/env bash
# Installs what EdgeStore's demo and tests need on a fresh Debian machine (as root, or with sudo).
set -euo pipefail

# python3: the real memory-pressure test's thrashing load; mount (mount/umount): the disk-full test's tmpfs;
# sqlite3: a second reading process in the maintenance tests.
packages=(mosquitto mosquitto-clients sqlite3 shellcheck python3 mount)
"$(dirname "$0")/apt-install.sh" install-deps "${packages[@]}"

if ! command -v dotnet >/dev/null 2>&1; then
    echo "install-deps: the .NET 10 SDK (dotnet) is not on PATH; install it first" >&2
    exit 1
fi
