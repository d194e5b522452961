#!/usr/bin/env bash
# Installs what EdgeStore's demo and tests need on a fresh Debian machine (as root, or with sudo).
set -euo pipefail

# python3: the real memory-pressure test's thrashing load; mount (mount/umount): the disk-full test's tmpfs;
# sqlite3: a second reading process in the maintenance tests.
packages=(mosquitto mosquitto-clients sqlite3 shellcheck python3 mount)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} > 0)); then
    sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then
        sudo_cmd=(sudo)
    fi
    echo "install-deps: installing ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
    echo "install-deps: the .NET 10 SDK (dotnet) is not on PATH; install it first" >&2
    exit 1
fi
