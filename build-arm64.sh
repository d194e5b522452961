#!/usr/bin/env bash
# Native AOT publish of the edgestore daemon for a Raspberry-Pi-class gateway, then its .deb.
#
#   ./build-arm64.sh                 linux-arm64, cross-compiled on an x64 Debian 12 machine:
#                                    artifacts/publish/linux-arm64 and artifacts/edgestore_<v>-1_arm64.deb
#   ./build-arm64.sh --x64           the identical pipeline for linux-x64 (amd64 .deb); what CI installs under nspawn
#   ./build-arm64.sh --rid RID       linux-arm64 or linux-x64
#   ./build-arm64.sh --out DIR       artifacts directory (default: artifacts)
#
# Native AOT (PublishAot=true): ILCompiler turns the app and the parts of .NET it uses into one native executable
# (no JIT, no IL, no runtime bundled beside it); libe_sqlite3.so stays beside it. The native link uses Debian's
# clang-14 with lld-14 for both RIDs; for linux-arm64 clang targets aarch64-linux-gnu and finds Debian's cross
# libc (libc6-dev-arm64-cross) and crt/libgcc files (gcc-aarch64-linux-gnu) by itself, no sysroot option needed;
# aarch64-linux-gnu-objcopy (binutils-aarch64-linux-gnu) splits the symbols off. What is missing is installed with
# apt-get (sudo when not root). The symbols stay in PUBLISH_DIR/edgestore.dbg (gdb finds them there through the
# binary's .gnu_debuglink); build-deb.sh does not ship them.
#
# Warnings are errors. EDGESTORE_PUBLISH_ARGS adds arguments to dotnet publish, for experiments only (for example
# EDGESTORE_PUBLISH_ARGS=-p:TreatWarningsAsErrors=false); CI never sets it.
# Exit codes: 0 built, 1 failed (the log is named), 2 usage, 3 a pack cannot be restored from the NuGet feeds.
set -euo pipefail

repo=$(cd "$(dirname "$0")" && pwd)
rid=linux-arm64
out="$repo/artifacts"
while (($# > 0)); do
    case "$1" in
        --x64) rid=linux-x64; shift ;;
        --rid) rid=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "build-arm64: unknown argument $1" >&2; exit 2 ;;
    esac
done

case "$rid" in
    linux-arm64) arch=arm64 objcopy=aarch64-linux-gnu-objcopy elf_machine="ARM aarch64" ;;
    linux-x64) arch=amd64 objcopy=objcopy elf_machine="x86-64" ;;
    *) echo "build-arm64: --rid must be linux-arm64 or linux-x64" >&2; exit 2 ;;
esac

# The native toolchain, from Debian's archive.
packages=(clang-14 lld-14 binutils file)
if [[ "$arch" == arm64 ]]; then
    packages+=(binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
fi
"$repo/scripts/apt-install.sh" build-arm64 "${packages[@]}"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p "$out"
out=$(cd "$out" && pwd)
publish_dir="$out/publish/$rid"
log="$out/build-$rid.log"
project="$repo/src/EdgeStore/EdgeStore.csproj"
extra_args=()
if [[ -n "${EDGESTORE_PUBLISH_ARGS:-}" ]]; then
    read -r -a extra_args <<<"$EDGESTORE_PUBLISH_ARGS"
    echo "build-arm64: extra publish arguments from EDGESTORE_PUBLISH_ARGS: ${extra_args[*]}"
fi
aot_args=(-c Release -r "$rid" -p:PublishAot=true -p:CppCompilerAndLinker=clang-14 -p:LinkerFlavor=lld
    -p:ObjCopyName="$objcopy" "${extra_args[@]}")

# The runtime pack and the ILCompiler packs (the x64 compiler and the target's runtime libraries) come from NuGet.
echo "build-arm64: restoring for $rid (Native AOT)"
if ! dotnet restore "$project" -r "$rid" -p:PublishAot=true "${extra_args[@]}" >"$log" 2>&1; then
    packs=$(grep -E "NU110[0-2]" "$log" | grep -oiE "(runtime\.linux-[a-z0-9]+\.)?Microsoft\.[A-Za-z0-9.]*" | sort -u | paste -sd ' ' || true)
    if [[ -n "$packs" ]]; then
        echo "build-arm64: cannot restore $packs for $rid from the configured NuGet feeds; log: $log" >&2
        exit 3
    fi
    tail -n 20 "$log" >&2
    echo "build-arm64: restore failed for $rid; log: $log" >&2
    exit 1
fi

echo "build-arm64: publishing to $publish_dir"
start=$SECONDS
rm -rf "$publish_dir"
dotnet publish "$project" --no-restore "${aot_args[@]}" -o "$publish_dir" >>"$log" 2>&1 || {
    grep -E "error|warning" "$log" | sort -u | tail -n 30 >&2 || true
    echo "build-arm64: publish failed for $rid; full log in $log" >&2
    exit 1
}
# Program databases of the referenced projects are of no use beside a native binary.
rm -f "$publish_dir"/*.pdb
echo "build-arm64: published in $((SECONDS - start)) s: $(du -h "$publish_dir/edgestore" | cut -f1) edgestore," \
    "$(du -h "$publish_dir/edgestore.dbg" 2>/dev/null | cut -f1 || echo no) edgestore.dbg (not shipped)"

# The binary and SQLite beside it must be built for the target.
for elf in edgestore libe_sqlite3.so; do
    description=$(file -b "$publish_dir/$elf" 2>&1 || true)
    if [[ "$description" != ELF*"$elf_machine"* ]]; then
        echo "build-arm64: $publish_dir/$elf is not an $elf_machine ELF file: $description" >&2
        exit 1
    fi
done

# Smoke test: the binary starts and answers --version (natively, or under qemu for arm64 when qemu-user-static
# and the arm64 loader are installed; packaging/test-arm64.sh installs them and runs the daemon under qemu).
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)
runner=()
host_arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
if [[ "$arch" != "$host_arch" ]]; then
    if [[ "$arch" == arm64 ]] && command -v qemu-aarch64-static >/dev/null && [[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]]; then
        runner=(qemu-aarch64-static -L /usr/aarch64-linux-gnu)
    else
        runner=(none)
    fi
fi
if [[ "${runner[*]}" == none ]]; then
    echo "build-arm64: no qemu-aarch64-static here, so the --version check did not run (packaging/test-arm64.sh runs it)"
else
    answer=$(timeout 120 "${runner[@]}" "$publish_dir/edgestore" --version 2>&1) || true
    if [[ "$answer" != "$version" ]]; then
        echo "build-arm64: '${runner[*]} $publish_dir/edgestore --version' answered '$answer', not $version" >&2
        exit 1
    fi
    echo "build-arm64: the $rid binary answers --version with $answer${runner[*]:+ (under qemu)}"
fi

deb=$("$repo/packaging/build-deb.sh" --arch "$arch" --publish-dir "$publish_dir" --out "$out" | tail -n 1)
echo "build-arm64: built $deb"
