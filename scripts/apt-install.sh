#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are not installed yet (as root, or with sudo), with
# one `apt-get update` first. The first argument names the caller in the one line it prints.
#   scripts/apt-install.sh CALLER PACKAGE...
set -euo pipefail

caller=$1
shift
missing=()
for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} > 0)); then
    sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then
        sudo_cmd=(sudo)
    fi
    echo "$caller: installing ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
