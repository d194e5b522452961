# shellcheck shell=bash disable=SC2154
# (SC2154: $cache, $deb, $repo, $out and $extract are set by test-package.sh, which sources this file.)
# Sourced by test-package.sh (uses its check(), $deb, $cache, $repo, $out, $version): installs the package
# on a Debian 12 root booted with systemd-nspawn and drives it with nsenter. machined is not needed
# (--register=no --keep-unit), so this works on a host whose PID 1 is not systemd.

machine_root_version=v1
machine_cache="$cache/bookworm"
if [[ ! -f "$machine_cache/.edgestore-root-$machine_root_version" ]]; then
    echo "test-package: creating the cached Debian 12 root in $machine_cache (once)"
    rm -rf "$machine_cache" "$machine_cache.tmp"
    mkdir -p "$cache"
    debootstrap --variant=minbase \
        --include=systemd,systemd-sysv,dbus,adduser,libssl3,ca-certificates,mosquitto,mosquitto-clients \
        bookworm "$machine_cache.tmp" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1
    chroot "$machine_cache.tmp" apt-get clean
    touch "$machine_cache.tmp/.edgestore-root-$machine_root_version"
    mv "$machine_cache.tmp" "$machine_cache"
fi

machine=$(mktemp -d /var/tmp/edgestore-nspawn.XXXXXX)
nspawn_pid=""
stop_machine() {
    if [[ -n "$nspawn_pid" ]] && kill -0 "$nspawn_pid" 2>/dev/null; then
        kill "$nspawn_pid" 2>/dev/null || true
        for _ in $(seq 1 30); do
            kill -0 "$nspawn_pid" 2>/dev/null || break
            sleep 1
        done
        kill -9 "$nspawn_pid" 2>/dev/null || true
    fi
    rm -rf "$machine" "$extract"
}
trap stop_machine EXIT

cp -a "$machine_cache/." "$machine/"
cp "$deb" "$machine/root/"
# What an image builder does with the overlay's broker files.
install -m 0644 "$repo/rootfs-overlay/etc/mosquitto/conf.d/edgestore.conf" "$machine/etc/mosquitto/conf.d/edgestore.conf"
install -m 0644 "$repo/rootfs-overlay/etc/mosquitto/edgestore.acl" "$machine/etc/mosquitto/edgestore.acl"

# Own network namespace: the container's 127.0.0.1:1883 is its own, whatever runs on the host.
systemd-nspawn --boot -D "$machine" --register=no --keep-unit --private-network \
    --machine="edgestore-test-$$" --console=passive >"$out/nspawn.log" 2>&1 &
nspawn_pid=$!

# The container's PID 1 is the child of systemd-nspawn that runs systemd. nspawn first forks a short-lived
# helper child, so the first child found may be gone a moment later: wait for the one whose command is systemd.
init_pid=""
for _ in $(seq 1 60); do
    for child in $(pgrep -P "$nspawn_pid" || true); do
        if [[ "$(cat "/proc/$child/comm" 2>/dev/null || true)" == systemd && -e "/proc/$child/ns/user" ]]; then
            init_pid=$child
            break
        fi
    done
    [[ -n "$init_pid" ]] && break
    sleep 1
done
inside() { nsenter -t "$init_pid" -a -- "$@"; }

booted() {
    [[ -n "$init_pid" ]] || return 1
    local state
    state=$(timeout 120 nsenter -t "$init_pid" -a -- systemctl is-system-running --wait 2>&1 || true)
    echo "    nspawn: system $state"
    [[ "$state" == running || "$state" == degraded ]]
}
check "a Debian 12 root boots under systemd-nspawn" booted

wait_for() { # wait_for SECONDS COMMAND...
    local seconds=$1
    shift
    for _ in $(seq 1 "$seconds"); do
        "$@" && return 0
        sleep 1
    done
    return 1
}
unit_property() { inside systemctl show -p "$1" --value edgestore.service; }
journal() { inside journalctl -u edgestore.service --no-pager -o cat; }

unit_active() { [[ $(inside systemctl is-active "$1" 2>/dev/null) == active ]]; }
unit_inactive() { ! unit_active "$1"; }
journal_has() { journal | grep -q "$1"; }
ready_after_migration() {
    local lines migrated ready
    lines=$(journal)
    migrated=$(grep -n "Migrated database" <<<"$lines" | head -n 1 | cut -d: -f1)
    ready=$(grep -n "Told systemd the daemon is ready" <<<"$lines" | head -n 1 | cut -d: -f1)
    [[ -n "$migrated" && -n "$ready" && "$migrated" -lt "$ready" ]]
}
# The systemd console formatter's "<6>" prefix is consumed by journald: stored lines carry a priority, not the prefix.
priorities_parsed() {
    inside journalctl -u edgestore.service -p info --no-pager -o cat | grep -q "Told systemd" \
        && ! journal | grep -q "^<[0-7]>"
}
status_text_connected() { [[ $(unit_property StatusText) == *"broker connected"* ]]; }
message_stored() {
    inside runuser -u edgestore -- edgestore query --db /var/lib/edgestore/edgestore.db --topic "sensors/#" --format jsonl 2>/dev/null \
        | grep -F '"topic":"sensors/dev-0001/telemetry"' | grep -qF '21.5'
}
# An operator's shell on the gateway: no flags, any working directory; the shipped configuration names the database.
operator_query_finds_it() {
    inside sh -c 'cd /tmp && edgestore query --topic "sensors/#" --format jsonl' 2>/dev/null \
        | grep -F '"topic":"sensors/dev-0001/telemetry"' | grep -qF '21.5'
}
operator_status_exits() {
    local code=0 text
    text=$(inside sh -c 'cd / && edgestore status' 2>&1) || code=$?
    echo "    edgestore status exited $code (want $1): $(grep -m1 '^state:' <<<"$text" || head -n 1 <<<"$text")"
    [[ $code == "$1" ]]
}
database_private() { [[ $(inside stat -c "%U %a" /var/lib/edgestore/edgestore.db) == "edgestore 600" ]]; }
watchdog_fed() { # systemd stamps WatchdogTimestamp on every WATCHDOG=1 it accepts.
    local now
    now=$(unit_property WatchdogTimestampMonotonic)
    [[ -n "$now" && "$now" != 0 && "$now" != "$watchdog_stamp" ]]
}
same_process_no_restart() { [[ $(unit_property MainPID) == "$main_pid" && $(unit_property NRestarts) == 0 ]]; }
no_watchdog_timeout() { ! inside journalctl --no-pager -o cat | grep -qi "watchdog timeout"; }
stopped_with_success() { [[ $(unit_property Result) == success && $(unit_property ExecMainStatus) == 0 ]]; }
absent() { ! inside test -e "$1"; }
program_removed() { absent /usr/lib/edgestore/edgestore && absent /usr/bin/edgestore && absent /usr/lib/systemd/system/edgestore.service; }
data_and_config_kept() { inside test -f /var/lib/edgestore/edgestore.db && inside test -f /etc/edgestore/edgestore.json; }
purged() { absent /var/lib/edgestore && absent /etc/edgestore && ! inside getent passwd edgestore && ! inside getent group edgestore; }
no_orphan_files() { [[ -z $(inside find / -xdev -nouser -print -quit) ]]; }
no_unit_state() { [[ -z $(inside find /etc/systemd /var/lib/systemd /usr/lib/systemd -name "edgestore*" -print -quit) ]]; }
no_statoverride() { ! inside dpkg-statoverride --list | grep -q edgestore; }
dpkg_forgot() { ! inside dpkg-query -W -f="\${Status}" edgestore 2>/dev/null | grep -q .; }

if [[ -n "$init_pid" ]]; then
    check "mosquitto runs with the overlay's conf.d" wait_for 30 unit_active mosquitto.service
    check "dpkg -i installs the package" inside env DEBIAN_FRONTEND=noninteractive dpkg -i "/root/$(basename "$deb")"
    check "the postinst created the edgestore system user" inside getent passwd edgestore
    check "the postinst enabled the unit" inside systemctl is-enabled --quiet edgestore.service
    # Type=notify: "active" only after READY=1.
    check "edgestore.service reaches active (READY=1 received)" wait_for 90 unit_active edgestore.service
    check "READY came after the database was migrated" ready_after_migration
    # journald may index the line a moment after READY: give it a few seconds.
    check "journald parsed the log priorities" wait_for 20 priorities_parsed
    check "EdgeStore subscribed at the local broker" wait_for 60 journal_has "Subscribed to"
    check "STATUS= reaches systemd" wait_for 30 status_text_connected
    main_pid=$(unit_property MainPID)
    check "the unit's watchdog is 30 s" test "$(unit_property WatchdogUSec)" = 30s
    watchdog_stamp=$(unit_property WatchdogTimestampMonotonic)

    inside mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t sensors/dev-0001/telemetry -m '{"seq":1,"ts":1763769600000,"temperature":21.5}' || true
    check "a published message is stored in /var/lib/edgestore" wait_for 30 message_stored
    check "the database is private to the service (UMask=0077)" database_private
    check "edgestore query with no flags, from /tmp, reads the service's database" operator_query_finds_it
    check "edgestore status with no flags says running (exit 0)" wait_for 30 operator_status_exits 0

    echo "test-package: waiting 40 s, longer than WatchdogSec=30"
    sleep 40
    check "the service survived a watchdog period (same PID, NRestarts=0)" same_process_no_restart
    check "the journal shows no watchdog timeout" no_watchdog_timeout
    check "systemd received WATCHDOG=1 keep-alives" watchdog_fed

    check "systemctl stop returns" inside systemctl stop edgestore.service
    check "the stop was a clean exit 0" stopped_with_success
    check "the journal shows the final commit" journal_has "Stopped cleanly"
    check "edgestore status says not running after the stop (exit 3)" operator_status_exits 3
    inside systemctl start edgestore.service || true

    check "dpkg -r removes the package" inside dpkg -r edgestore
    check "remove stopped the service" unit_inactive edgestore.service
    check "remove took the program and unit away" program_removed
    check "remove kept the database and the config" data_and_config_kept

    check "dpkg -P purges the package" inside dpkg -P edgestore
    check "purge left no state, config, user or group" purged
    check "purge left no file owned by a deleted user" no_orphan_files
    check "purge left no unit state or enablement link" no_unit_state
    check "purge left no dpkg-statoverride" no_statoverride
    check "dpkg knows nothing of edgestore" dpkg_forgot

    journal >"$out/edgestore-journal.log" 2>&1 || true
    inside systemctl poweroff --no-block >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do
        kill -0 "$nspawn_pid" 2>/dev/null || break
        sleep 1
    done
else
    indent nspawn <"$out/nspawn.log" >&2
fi
