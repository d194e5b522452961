#!/usr/bin/env bash
# Packaging checks, run by scripts/test.sh: build the amd64 and arm64 packages (Native AOT, build-arm64.sh),
# run the arm64 binary end to end under qemu-user (packaging/test-arm64.sh), check both packages with lintian,
# check the amd64 one (contents, unit, overlay), then install it on a Debian 12 root booted under real
# systemd (systemd-nspawn --boot): the service must send READY, survive a watchdog period, stop cleanly,
# and remove and purge must leave nothing behind.
#
#   packaging/test-package.sh [--out DIR] [--skip-boot] [--deb FILE]
#   (--deb checks an already built amd64 package instead of building one: for iterating on the checks; the arm64
#   build, its qemu run and its lintian check are then not run, and the output says so)
#
# The Debian root is cached in /var/cache/edgestore-test (EDGESTORE_TEST_CACHE), so later runs are fast.
# Prints "packaging: N passed, N failed" at the end; exits non-zero when any check failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/artifacts"
skip_boot=false
prebuilt_deb=""
while (($# > 0)); do
    case "$1" in
        --out) out=$2; shift 2 ;;
        --skip-boot) skip_boot=true; shift ;;
        --deb) prebuilt_deb=$2; shift 2 ;;
        *) echo "test-package: unknown argument $1" >&2; exit 2 ;;
    esac
done
cache=${EDGESTORE_TEST_CACHE:-/var/cache/edgestore-test}
mkdir -p "$out"
out=$(cd "$out" && pwd)

passed=0
failed=0
check() { # check NAME COMMAND...: runs the command, counts and reports the outcome.
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "test-package: PASS $name"
    else
        failed=$((failed + 1))
        echo "test-package: FAIL $name" >&2
    fi
}
indent() { # indent LABEL: prefixes every line of stdin, for reports inside the check output.
    local line
    while IFS= read -r line; do
        echo "    $1: $line"
    done
}
finish() {
    echo "packaging: $passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}

# What the checks use, from Debian's archive.
needed=()
for tool in lintian:lintian dpkg-shlibdeps:dpkg-dev debootstrap:debootstrap systemd-nspawn:systemd-container systemd-analyze:systemd; do
    command -v "${tool%%:*}" >/dev/null || needed+=("${tool##*:}")
done
if ((${#needed[@]} > 0)); then
    echo "test-package: installing ${needed[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
fi

# 1. The same pipeline for both architectures: Native AOT, then the .deb.
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)
deb="$out/edgestore_${version}-1_amd64.deb"
arm64_deb="$out/edgestore_${version}-1_arm64.deb"
if [[ -n "$prebuilt_deb" ]]; then
    deb=$prebuilt_deb
    arm64_deb=""
    echo "test-package: checking $deb (not rebuilt); --deb: the arm64 build, qemu and lintian checks are not run"
else
    build_start=$SECONDS
    "$repo/build-arm64.sh" --x64 --out "$out"
    echo "test-package: build-arm64.sh --x64 took $((SECONDS - build_start)) s"
    check "the amd64 package was built" test -f "$deb"
    answers_version() { [[ "$("$out/publish/linux-x64/edgestore" --version)" == "$version" ]]; }
    check "the published binary answers --version with $version" answers_version

    # linux-arm64, cross-compiled here; a failed restore or publish fails the check (no "missing pack" pass).
    arm64_build() {
        local status=0
        build_start=$SECONDS
        "$repo/build-arm64.sh" --out "$out" >"$out/arm64.out" 2>&1 || status=$?
        indent arm64 <"$out/arm64.out"
        echo "test-package: build-arm64.sh (linux-arm64) exited $status after $((SECONDS - build_start)) s"
        [[ $status -eq 0 && -f "$arm64_deb" && -x "$out/publish/linux-arm64/edgestore" ]]
    }
    check "build-arm64.sh builds the arm64 binary and package" arm64_build
    # The arm64 binary end to end under qemu-user (uses check(), $out, $repo, $version).
    # shellcheck source=packaging/test-arm64.sh
    . "$repo/packaging/test-arm64.sh"
fi

# 2. lintian: no errors, no warnings (overrides carry their reason in the file), for each package.
lintian_check() {
    local report
    report=$(lintian --tag-display-limit 0 "$1" 2>&1 || true)
    [[ -z "$report" ]] || indent lintian <<<"$report"
    ! grep -qE '^(E|W): ' <<<"$report"
}
check "lintian reports no error and no warning (amd64)" lintian_check "$deb"
if [[ -n "$arm64_deb" ]]; then
    check "lintian reports no error and no warning (arm64)" lintian_check "$arm64_deb"
fi

# 3. Contents.
extract=$(mktemp -d)
trap 'rm -rf "$extract"' EXIT
dpkg-deb -R "$deb" "$extract/root"
root="$extract/root"
for path in usr/lib/edgestore/edgestore usr/lib/edgestore/libe_sqlite3.so usr/bin/edgestore \
    usr/lib/systemd/system/edgestore.service usr/lib/sysusers.d/edgestore.conf etc/edgestore/edgestore.json \
    usr/share/doc/edgestore/copyright usr/share/doc/edgestore/changelog.Debian.gz usr/share/man/man1/edgestore.1.gz \
    usr/share/doc/edgestore/examples/systemd/remote-broker.conf usr/share/doc/edgestore/examples/mosquitto/edgestore.conf \
    DEBIAN/postinst DEBIAN/prerm DEBIAN/postrm DEBIAN/md5sums DEBIAN/conffiles; do
    check "package holds $path" test -e "$root/$path"
done
check "/usr/bin/edgestore links to the app" test "$(readlink "$root/usr/bin/edgestore")" = ../lib/edgestore/edgestore
check "the config is the only conffile" test "$(cat "$root/DEBIAN/conffiles")" = /etc/edgestore/edgestore.json
md5sums_complete() {
    (cd "$root" && md5sum --quiet -c DEBIAN/md5sums) \
        && [[ $(wc -l <"$root/DEBIAN/md5sums") -eq $(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | wc -l) ]]
}
check "md5sums match every shipped file" md5sums_complete
depends_right() {
    local depends
    depends=$(dpkg-deb -f "$1" Depends)
    echo "    Depends ($(dpkg-deb -f "$1" Architecture)): $depends"
    [[ $depends == *libssl3* && $depends != *libicu* && $depends == *"libc6 (>= "* ]]
}
check "Depends names libssl3 and a versioned libc6, and no libicu (amd64)" depends_right "$deb"
if [[ -n "$arm64_deb" ]]; then
    check "Depends names libssl3 and a versioned libc6, and no libicu (arm64)" depends_right "$arm64_deb"
fi
recommends_mosquitto() { [[ $(dpkg-deb -f "$deb" Recommends) == *mosquitto* ]]; }
check "Recommends mosquitto" recommends_mosquitto

# 4. The rootfs overlay matches the package.
overlay="$repo/rootfs-overlay"
check "overlay config is the package's conffile" cmp "$overlay/etc/edgestore/edgestore.json" "$root/etc/edgestore/edgestore.json"
check "overlay enables the packaged unit" test "$(readlink "$overlay/etc/systemd/system/multi-user.target.wants/edgestore.service")" = /usr/lib/systemd/system/edgestore.service
check "packaged unit is systemd/edgestore.service" cmp "$repo/systemd/edgestore.service" "$root/usr/lib/systemd/system/edgestore.service"
check "packaged mosquitto example is the overlay's" cmp "$overlay/etc/mosquitto/conf.d/edgestore.conf" "$root/usr/share/doc/edgestore/examples/mosquitto/edgestore.conf"
check "overlay config is valid JSON" python3 -m json.tool "$overlay/etc/edgestore/edgestore.json" /dev/null

# 5. The unit: verify clean against the package's tree (plus this machine's own units, for the targets it
# refers to), and the exposure score at most 1.2.
cp -an /usr/lib/systemd/system/. "$root/usr/lib/systemd/system/"
verify_check() {
    local report
    report=$(systemd-analyze verify --root="$root" --man=no /usr/lib/systemd/system/edgestore.service 2>&1 || echo "exit $?")
    [[ -z "$report" ]] || indent verify <<<"$report"
    [[ -z "$report" ]]
}
check "systemd-analyze verify is clean" verify_check
security_check() {
    local score
    score=$(systemd-analyze security --offline=yes "$repo/systemd/edgestore.service" 2>&1 | sed -n 's/.*Overall exposure level for edgestore.service: \([0-9.]*\).*/\1/p')
    echo "    security: exposure $score"
    [[ -n "$score" ]] && awk -v s="$score" 'BEGIN { exit !(s <= 1.2) }'
}
check "systemd-analyze security exposure is at most 1.2" security_check
dropin_verifies() { # Installed as an administrator would, the unit must still verify clean.
    local dropin_dir="$root/etc/systemd/system/edgestore.service.d" report
    mkdir -p "$dropin_dir"
    cp "$1" "$dropin_dir/"
    report=$(systemd-analyze verify --root="$root" --man=no /usr/lib/systemd/system/edgestore.service 2>&1 || echo "exit $?")
    rm -rf "$dropin_dir"
    [[ -z "$report" ]] || indent verify <<<"$report"
    [[ -z "$report" ]]
}
for dropin in "$repo"/systemd/*.conf; do
    check "drop-in $(basename "$dropin") verifies" dropin_verifies "$dropin"
done

if [[ "$skip_boot" == true ]]; then
    finish
    exit $?
fi

# 6. Under real systemd: a Debian 12 root, booted with systemd-nspawn.
# shellcheck source=packaging/nspawn-boot-test.sh
. "$repo/packaging/nspawn-boot-test.sh"
finish
