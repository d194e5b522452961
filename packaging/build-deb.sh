#!/usr/bin/env bash
# Builds edgestore_<version>_<arch>.deb from a Native AOT publish directory (build-arm64.sh):
#   packaging/build-deb.sh --arch amd64|arm64 --publish-dir DIR --out DIR [--version X.Y.Z]
# Prints the path of the .deb on its last line.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

arch=""
publish_dir=""
out_dir=""
version=""
while (($# > 0)); do
    case "$1" in
        --arch) arch=$2; shift 2 ;;
        --publish-dir) publish_dir=$2; shift 2 ;;
        --out) out_dir=$2; shift 2 ;;
        --version) version=$2; shift 2 ;;
        *) echo "build-deb: unknown argument $1" >&2; exit 2 ;;
    esac
done

case "$arch" in
    amd64 | arm64) ;;
    *) echo "build-deb: --arch must be amd64 or arm64" >&2; exit 2 ;;
esac
if [[ -z "$publish_dir" || ! -x "$publish_dir/edgestore" ]]; then
    echo "build-deb: --publish-dir must hold a published 'edgestore' executable" >&2
    exit 2
fi
if [[ -z "$out_dir" ]]; then
    echo "build-deb: --out DIR is required" >&2
    exit 2
fi
if [[ -z "$version" ]]; then
    version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)
fi
deb_version="${version}-1"

# The shipped configuration: the daemon's own default file when the repo has it.
config="$repo/config/edgestore.json"
if [[ ! -f "$config" ]]; then
    config="$here/edgestore.json"
fi

mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"

install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/edgestore" "$root/usr/lib/systemd/system" \
    "$root/usr/lib/sysusers.d" "$root/etc/edgestore" "$root/usr/share/doc/edgestore/examples/systemd" \
    "$root/usr/share/doc/edgestore/examples/mosquitto" "$root/usr/share/man/man1" "$root/usr/share/lintian/overrides"

# The application: the Native AOT executable and SQLite beside it. Debug symbols (edgestore.dbg) stay out.
for file in "$publish_dir"/*; do
    name=$(basename "$file")
    case "$name" in
        *.pdb | *.dbg | *.xml) continue ;;
    esac
    if [[ "$name" == edgestore ]]; then
        install -m 0755 "$file" "$root/usr/lib/edgestore/$name"
    elif [[ "$name" == *.so ]]; then
        install -m 0644 "$file" "$root/usr/lib/edgestore/$name"
    else
        install -m 0644 "$file" "$root/usr/lib/edgestore/$name"
    fi
done
ln -s ../lib/edgestore/edgestore "$root/usr/bin/edgestore"

# The executable comes stripped from the publish (StripSymbols, the default for Native AOT: its symbols went to
# edgestore.dbg); SQLite's library is stripped here.
strip_tool="strip"
if [[ "$arch" == arm64 && "$(dpkg --print-architecture)" != arm64 ]]; then
    strip_tool=aarch64-linux-gnu-strip
fi
if command -v "$strip_tool" >/dev/null; then
    find "$root/usr/lib/edgestore" -name '*.so' -exec "$strip_tool" --strip-unneeded --remove-section=.comment --remove-section=.note {} +
fi

install -m 0644 "$repo/systemd/edgestore.service" "$root/usr/lib/systemd/system/edgestore.service"
install -m 0644 "$here/debian/sysusers.conf" "$root/usr/lib/sysusers.d/edgestore.conf"
install -m 0644 "$config" "$root/etc/edgestore/edgestore.json"
for dropin in "$repo"/systemd/*.conf; do
    install -m 0644 "$dropin" "$root/usr/share/doc/edgestore/examples/systemd/$(basename "$dropin")"
done
install -m 0644 "$repo/rootfs-overlay/etc/mosquitto/conf.d/edgestore.conf" "$root/usr/share/doc/edgestore/examples/mosquitto/edgestore.conf"
install -m 0644 "$repo/rootfs-overlay/etc/mosquitto/edgestore.acl" "$root/usr/share/doc/edgestore/examples/mosquitto/edgestore.acl"
install -m 0644 "$here/debian/copyright" "$root/usr/share/doc/edgestore/copyright"
gzip -9n < "$here/debian/changelog" > "$root/usr/share/doc/edgestore/changelog.Debian.gz"
gzip -9n < "$here/debian/edgestore.1" > "$root/usr/share/man/man1/edgestore.1.gz"
install -m 0644 "$here/debian/lintian-overrides" "$root/usr/share/lintian/overrides/edgestore"
chmod 0644 "$root/usr/share/doc/edgestore/changelog.Debian.gz" "$root/usr/share/man/man1/edgestore.1.gz"

for script in postinst prerm postrm; do
    install -m 0755 "$here/debian/$script" "$root/DEBIAN/$script"
done
echo "/etc/edgestore/edgestore.json" > "$root/DEBIAN/conffiles"
chmod 0644 "$root/DEBIAN/conffiles"

# Shared-library dependencies, computed by dpkg-shlibdeps from the ELF files (the Native AOT binary needs only
# libc6: libc, libm and the loader). For arm64 built on amd64 it reads the arm64 libraries of Debian's cross
# toolchain (-l/usr/aarch64-linux-gnu/lib, libc6-arm64-cross) with DEB_HOST_ARCH=arm64. That package has only a
# shlibs file, which names "libc6:arm64 (>= 2.36)": the qualifier is this package's own architecture, so it is
# dropped, and 2.36 is the cross libc's version rather than the 2.34 that libc6's symbols file yields for the
# amd64 binary (both link against the same GLIBC_2.34 symbol set): stricter than needed, and met by Debian 12 and
# Raspberry Pi OS bookworm. A failure stops the build; there is no guessed fallback.
mkdir -p "$work/shlibs/debian"
printf 'Source: edgestore\n\nPackage: edgestore\nArchitecture: any\n' > "$work/shlibs/debian/control"
elf_args=()
while IFS= read -r -d '' elf; do
    elf_args+=("-e$elf")
done < <(find "$root/usr/lib/edgestore" -type f \( -name edgestore -o -name '*.so' \) -print0)
shlibdeps_env=()
if [[ "$arch" != "$(dpkg --print-architecture)" ]]; then
    if [[ "$arch" != arm64 || ! -e /usr/aarch64-linux-gnu/lib/libc.so.6 ]]; then
        echo "build-deb: dpkg-shlibdeps needs the arm64 cross libc for an $arch package (apt-get install libc6-arm64-cross)" >&2
        exit 1
    fi
    shlibdeps_env=(DEB_HOST_ARCH=arm64)
    elf_args=(-l/usr/aarch64-linux-gnu/lib "${elf_args[@]}")
fi
if ! shlibdeps_out=$(cd "$work/shlibs" && env "${shlibdeps_env[@]}" dpkg-shlibdeps -O "${elf_args[@]}" 2>"$work/shlibdeps.err"); then
    cat "$work/shlibdeps.err" >&2
    echo "build-deb: dpkg-shlibdeps failed for $arch" >&2
    exit 1
fi
shlib_depends=$(sed -n 's/^shlibs:Depends=//p' <<<"$shlibdeps_out" | sed "s/:$arch\b//g")
if [[ -z "$shlib_depends" ]]; then
    echo "build-deb: dpkg-shlibdeps named no dependency for $arch: $shlibdeps_out" >&2
    exit 1
fi
# Opened at run time with dlopen, so invisible to dpkg-shlibdeps: OpenSSL for TLS to the broker.
# No libicu: the app is built with InvariantGlobalization=true.
depends="$shlib_depends, libssl3, adduser, init-system-helpers (>= 1.54)"

installed_kib=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: edgestore
Version: $deb_version
Architecture: $arch
Maintainer: EdgeStore developers <edgestore@example.org>
Installed-Size: $installed_kib
Depends: $depends
Recommends: mosquitto
Suggests: mosquitto-clients, sqlite3
Section: net
Priority: optional
Description: MQTT telemetry store for IoT gateways
 EdgeStore subscribes to MQTT telemetry and stores every message in a local
 SQLite database in WAL mode. QoS 1 and 2 messages are acknowledged to the
 broker only after the transaction that stores them has committed, so a
 crash or power cut loses nothing that was acknowledged.
 .
 The package runs EdgeStore as a hardened systemd service (Type=notify with
 a watchdog) under its own system user, with the database in
 /var/lib/edgestore and the configuration in /etc/edgestore/edgestore.json.
CONTROL

(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control"

deb="$out_dir/edgestore_${deb_version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz -z3 --build "$root" "$deb" >/dev/null
echo "$deb"
