#!/usr/bin/env bash
# Self-contained publish of the edgestore daemon for a Raspberry-Pi-class gateway, then its .deb.
#
#   ./build-arm64.sh                 linux-arm64: artifacts/publish/linux-arm64 and artifacts/edgestore_<v>_arm64.deb
#   ./build-arm64.sh --x64           the identical pipeline for linux-x64 (amd64 .deb); what CI runs
#   ./build-arm64.sh --rid RID       linux-arm64 or linux-x64
#   ./build-arm64.sh --out DIR       artifacts directory (default: artifacts)
#
# Single file (the managed code is bundled into the executable; libe_sqlite3.so stays beside it) and
# ReadyToRun (precompiled code: faster start-up on a slow CPU). Not trimmed: configuration binding and
# the command line use reflection, and the tests do not run against a trimmed build.
#
# Exit codes: 0 built, 2 usage, 3 a runtime pack cannot be restored from the configured NuGet feeds.
set -euo pipefail

repo=$(cd "$(dirname "$0")" && pwd)
rid=linux-arm64
out="$repo/artifacts"
while (($# > 0)); do
    case "$1" in
        --x64) rid=linux-x64; shift ;;
        --rid) rid=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "build-arm64: unknown argument $1" >&2; exit 2 ;;
    esac
done

case "$rid" in
    linux-arm64) arch=arm64 ;;
    linux-x64) arch=amd64 ;;
    *) echo "build-arm64: --rid must be linux-arm64 or linux-x64" >&2; exit 2 ;;
esac

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p "$out"
out=$(cd "$out" && pwd)
publish_dir="$out/publish/$rid"
log="$out/build-$rid.log"
project="$repo/src/EdgeStore/EdgeStore.csproj"

restore() {
    dotnet restore "$project" -r "$rid" -p:PublishReadyToRun="$1" >"$log" 2>&1
}

# The runtime pack (Microsoft.NETCore.App.Runtime.<rid>), the apphost pack and, for ReadyToRun, the
# crossgen pack come from NuGet; a machine whose feeds lack them cannot build this RID.
missing_packs() {
    grep -E "NU110[0-2]" "$log" | grep -oiE "Microsoft\.[A-Za-z0-9.]*\.linux-[a-z0-9]+" | sort -u || true
}

cannot_restore() {
    local missing
    missing=$(missing_packs)
    echo "build-arm64: cannot restore the .NET packs needed to publish for $rid." >&2
    if [[ -n "$missing" ]]; then
        echo "build-arm64: missing from the configured NuGet feeds:" >&2
        while IFS= read -r package; do
            echo "    $package" >&2
        done <<<"$missing"
        echo "build-arm64: this succeeds on a machine whose NuGet feeds carry these packages (nuget.org does);" >&2
        echo "build-arm64: './build-arm64.sh --x64' runs the same pipeline for linux-x64 here. Log: $log" >&2
        exit 3
    fi
    tail -n 20 "$log" >&2
    exit 1
}

ready_to_run=true
echo "build-arm64: restoring for $rid (self-contained, single file, ReadyToRun)"
if ! restore true; then
    missing=$(missing_packs)
    if [[ -n "$missing" ]] && ! grep -viq "crossgen2" <<<"$missing"; then
        echo "build-arm64: the ReadyToRun compiler pack is not available ($missing); publishing without ReadyToRun"
        ready_to_run=false
        restore false || cannot_restore
    else
        cannot_restore
    fi
fi

echo "build-arm64: publishing to $publish_dir"
rm -rf "$publish_dir"
dotnet publish "$project" --no-restore -c Release -r "$rid" --self-contained true \
    -p:PublishSingleFile=true -p:PublishReadyToRun="$ready_to_run" -p:DebugType=none \
    -o "$publish_dir" >>"$log" 2>&1 || {
    tail -n 30 "$log" >&2
    echo "build-arm64: publish failed; full log in $log" >&2
    exit 1
}

# Smoke test: the binary starts and answers --version (natively, or under qemu for arm64 when a
# qemu-aarch64 and an arm64 loader are present).
host_arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
if [[ "$arch" == "$host_arch" ]]; then
    echo "build-arm64: $("$publish_dir/edgestore" --version) answers --version"
elif [[ "$arch" == arm64 ]] && command -v qemu-aarch64-static >/dev/null && [[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]]; then
    echo "build-arm64: $(qemu-aarch64-static -L /usr/aarch64-linux-gnu "$publish_dir/edgestore" --version) answers --version under qemu"
else
    echo "build-arm64: no way to run an $arch binary here; skipped the --version check"
fi

deb=$("$repo/packaging/build-deb.sh" --arch "$arch" --publish-dir "$publish_dir" --out "$out" | tail -n 1)
echo "build-arm64: built $deb"
