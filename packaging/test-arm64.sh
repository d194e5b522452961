#!/usr/bin/env bash
# shellcheck disable=SC2154
# (SC2154: when sourced, $out, $repo and $version come from test-package.sh.)
# The linux-arm64 Native AOT binary end to end under qemu-user: --version, `edgestore run` against a mosquitto this
# script starts on a free 127.0.0.1 port, 50 QoS 1 messages stored, `edgestore query` and `edgestore status` under
# qemu, `config show`, metrics and remote tuning (the JSON paths), the uplink forwarding, and SIGTERM: exit 0 within 30 s with "Stopped
# cleanly" and the rows still in the file.
#
# Sourced by packaging/test-package.sh (after build-arm64.sh built artifacts/publish/linux-arm64 and linux-x64), so
# every assertion goes through its check() and counts in "packaging: N passed, N failed". Run on its own it does
# the same with its own counters, building what is missing first:
#   packaging/test-arm64.sh [--out DIR]      (default DIR: artifacts)
# Installs qemu-user-static, libc6-arm64-cross, libstdc++6-arm64-cross, mosquitto, mosquitto-clients and file with
# apt-get when missing. Every wait is bounded; on a failure the daemon's and the broker's logs are printed indented.
set -euo pipefail

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    repo=$(cd "$(dirname "$0")/.." && pwd)
    out="$repo/artifacts"
    while (($# > 0)); do
        case "$1" in
            --out) out=$2; shift 2 ;;
            -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
            *) echo "test-arm64: unknown argument $1" >&2; exit 2 ;;
        esac
    done
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
    version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)
    passed=0
    failed=0
    check() {
        local name=$1
        shift
        if "$@"; then
            passed=$((passed + 1))
            echo "test-arm64: PASS $name"
        else
            failed=$((failed + 1))
            echo "test-arm64: FAIL $name" >&2
        fi
    }
    indent() {
        local line
        while IFS= read -r line; do
            echo "    $1: $line"
        done
    }
    for build_rid in linux-x64 linux-arm64; do
        if [[ ! -x "$out/publish/$build_rid/edgestore" ]]; then
            "$repo/build-arm64.sh" --rid "$build_rid" --out "$out"
        fi
    done
    arm64_standalone=true
else
    arm64_standalone=false
fi

"$repo/scripts/apt-install.sh" test-arm64 qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross mosquitto mosquitto-clients file python3

arm64_binary="$out/publish/linux-arm64/edgestore"
x64_binary="$out/publish/linux-x64/edgestore"
arm64_sysroot=/usr/aarch64-linux-gnu
arm64_work=$(mktemp -d /tmp/edgestore-arm64.XXXXXX)
arm64_db="$arm64_work/data/edgestore.db"
arm64_config="$arm64_work/edgestore.json"
arm64_daemon_log="$arm64_work/edgestore.log"
arm64_broker_log="$arm64_work/mosquitto.log"
arm64_broker_pid=""
arm64_daemon_pid=""
arm64_upstream_pid=""
arm64_failed_before=$failed
arm64_start=$SECONDS
arm64_count=50
arm64_topic=sensors/arm64-qemu/telemetry

on_arm64() { timeout 120 qemu-aarch64-static -L "$arm64_sysroot" "$arm64_binary" "$@"; }

arm64_stop() { # arm64_stop PID NAME: SIGTERM, up to 30 s, then SIGKILL; only the PID this script started.
    local pid=$1
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "test-arm64: $2 (pid $pid) ignored SIGTERM for 30 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
}
arm64_cleanup() {
    arm64_stop "$arm64_daemon_pid" "edgestore run under qemu"
    arm64_daemon_pid=""
    arm64_stop "$arm64_upstream_pid" "mosquitto_sub (upstream)"
    arm64_upstream_pid=""
    arm64_stop "$arm64_broker_pid" mosquitto
    arm64_broker_pid=""
    rm -rf "$arm64_work"
}
# Sourced, this runs before test-package.sh sets an EXIT trap of its own; whatever was there is put back below.
arm64_parent_trap=$(trap -p EXIT)
trap arm64_cleanup EXIT

arm64_wait() { # arm64_wait SECONDS COMMAND...: polls every half second.
    local deadline=$((SECONDS + $1))
    shift
    while ((SECONDS < deadline)); do
        "$@" && return 0
        sleep 0.5
    done
    "$@"
}

arm64_wait_running() { # arm64_wait_running SECONDS COMMAND...: as arm64_wait, but fails at once when the daemon exited.
    local deadline=$((SECONDS + $1))
    shift
    while ((SECONDS < deadline)); do
        "$@" && return 0
        if ! kill -0 "$arm64_daemon_pid" 2>/dev/null; then
            echo "    qemu: edgestore run is not running"
            return 1
        fi
        sleep 0.5
    done
    "$@"
}

# 1. The binary: an aarch64 ELF, and so is the SQLite beside it.
arm64_is_aarch64() {
    local description
    description=$(file -b "$1" 2>&1 || true)
    echo "    file: $(basename "$1"): ${description%%, BuildID*}"
    [[ "$description" == ELF\ 64-bit*"ARM aarch64"* ]]
}
check "the arm64 binary is an ARM aarch64 ELF file" arm64_is_aarch64 "$arm64_binary"
check "libe_sqlite3.so beside it is an ARM aarch64 ELF file" arm64_is_aarch64 "$out/publish/linux-arm64/libe_sqlite3.so"

arm64_version() {
    local answer
    answer=$(on_arm64 --version 2>&1 || true)
    echo "    qemu: edgestore --version: $answer"
    [[ "$answer" == "$version" ]]
}
check "under qemu the arm64 binary answers --version with $version" arm64_version

# 2. A broker of our own on a free loopback port.
arm64_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$arm64_work/data"
cat >"$arm64_work/mosquitto.conf" <<EOF
per_listener_settings false
listener $arm64_port 127.0.0.1
allow_anonymous true
max_inflight_messages 1000
max_queued_messages 100000
log_dest stdout
EOF
chmod 0755 "$arm64_work"
chmod 0644 "$arm64_work/mosquitto.conf"
mosquitto -c "$arm64_work/mosquitto.conf" >"$arm64_broker_log" 2>&1 &
arm64_broker_pid=$!
arm64_broker_listens() { kill -0 "$arm64_broker_pid" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$arm64_port") 2>/dev/null; }
check "mosquitto (pid $arm64_broker_pid) listens on 127.0.0.1:$arm64_port" arm64_wait 10 arm64_broker_listens

# 3. The daemon under qemu.
cat >"$arm64_config" <<EOF
{
  "Mqtt": {
    "Host": "127.0.0.1",
    "Port": $arm64_port,
    "ClientId": "edgestore-arm64-qemu-test",
    "Subscriptions": [ { "Filter": "sensors/#", "Qos": 1 } ]
  },
  "Storage": { "Path": "$arm64_db" },
  "Node": { "Id": "qemu" },
  "Metrics": { "IntervalSeconds": 5 },
  "Uplink": { "Enabled": true, "Host": "127.0.0.1", "Port": $arm64_port }
}
EOF
# The uplink (MQTTnet, the one MQTT library EdgeStore does not own) forwards to the same broker under gateways/qemu/;
# a subscriber started before the daemon records what arrives upstream.
arm64_upstream="$arm64_work/upstream.txt"
mosquitto_sub -h 127.0.0.1 -p "$arm64_port" -q 1 -t 'gateways/qemu/#' -v >"$arm64_upstream" 2>&1 &
arm64_upstream_pid=$!
qemu-aarch64-static -L "$arm64_sysroot" "$arm64_binary" run --config "$arm64_config" >"$arm64_daemon_log" 2>&1 &
arm64_daemon_pid=$!
echo "test-arm64: edgestore run under qemu is pid $arm64_daemon_pid, its log $arm64_daemon_log"
arm64_subscribed() { # within 120 s; a daemon that exits fails at once
    local deadline=$((SECONDS + 120))
    while ((SECONDS < deadline)); do
        grep -qs "Subscribed to" "$arm64_daemon_log" && return 0
        if ! kill -0 "$arm64_daemon_pid" 2>/dev/null; then
            echo "    qemu: edgestore run exited before it subscribed"
            return 1
        fi
        sleep 0.5
    done
    echo "    qemu: edgestore run did not subscribe within 120 s"
    return 1
}
check "edgestore run under qemu subscribes at the broker (within 120 s)" arm64_subscribed

# 4. 50 QoS 1 messages, each with its own probe number and temperature 20 + N/10.
arm64_payloads() {
    local n
    for n in $(seq 1 "$arm64_count"); do
        printf '{"seq":%d,"ts":%d,"temperature":%d.%d,"probe":"arm64-%d"}\n' "$n" "$((1763769600000 + n * 1000))" \
            "$((20 + n / 10))" "$((n % 10))" "$n"
    done
}
arm64_publish() { arm64_payloads | timeout 60 mosquitto_pub -h 127.0.0.1 -p "$arm64_port" -q 1 -t "$arm64_topic" -l; }
check "mosquitto_pub published $arm64_count QoS 1 messages to $arm64_topic" arm64_publish

arm64_x64_rows() { "$x64_binary" query --db "$arm64_db" --topic 'sensors/#' --format jsonl 2>/dev/null | grep -c '"probe":"arm64-' || true; }
arm64_all_stored() { [[ $(arm64_x64_rows) -eq $arm64_count ]]; }
check "all $arm64_count messages are stored (read by the x64 binary, within 120 s)" arm64_wait_running 120 arm64_all_stored

arm64_query() {
    local rows distinct
    rows=$(on_arm64 query --topic 'sensors/#' --format jsonl --config "$arm64_config" 2>"$arm64_work/query.err") || {
        indent query <"$arm64_work/query.err"
        return 1
    }
    distinct=$(grep -o '"probe":"arm64-[0-9]*"' <<<"$rows" | sort -u | wc -l)
    echo "    qemu: edgestore query: $(wc -l <<<"$rows") rows, $distinct distinct probes"
    [[ $(wc -l <<<"$rows") -eq $arm64_count && $distinct -eq $arm64_count ]] \
        && grep -F '"probe":"arm64-37"' <<<"$rows" | grep -qF '"temperature":23.7' \
        && ! grep -v -F "\"topic\":\"$arm64_topic\"" <<<"$rows" | grep -q .
}
check "edgestore query under qemu returns exactly the $arm64_count rows (probe 37 at 23.7)" arm64_query

arm64_status() {
    local code=0 text
    text=$(on_arm64 status --config "$arm64_config" 2>&1) || code=$?
    echo "    qemu: edgestore status exited $code: $(grep -m1 '^state:' <<<"$text" || head -n 1 <<<"$text")"
    [[ $code -eq 0 ]]
}
check "edgestore status under qemu exits 0 while the daemon runs (within 60 s)" arm64_wait_running 60 arm64_status
# The collector's young-generation cap is compiled into the binary (EdgeStore.csproj): without it the peak RssAnon of a
# burst is about twice as high. status.json reports what the running daemon's collector uses.
arm64_gc_budget() {
    local shown
    shown=$(on_arm64 status --format json --config "$arm64_config" 2>&1) || { indent "status --format json" <<<"$shown"; return 1; }
    echo "    qemu: $(tr -d ' \n' <<<"$shown" | grep -o '"gcGen0MaxBudgetBytes":[0-9]*' || echo 'no gcGen0MaxBudgetBytes in status')"
    tr -d ' \n' <<<"$shown" | grep -qF '"gcGen0MaxBudgetBytes":2097152'
}
check "the daemon under qemu runs with the young-generation cap it was built with (2 MiB)" arm64_gc_budget

# The paths that write JSON, which is where reflection used to hide (a Native AOT build without their generated code
# crashed `config show` and stopped the daemon at its first metrics sample): config show, metrics and remote tuning.
arm64_config_show() {
    local shown
    shown=$(on_arm64 config show --format json --config "$arm64_config" 2>&1) || { indent "config show" <<<"$shown"; return 1; }
    tr -d ' \n' <<<"$shown" | grep -qF "\"Mqtt:Port\":{\"value\":$arm64_port,\"source\":\"file\"}" \
        && tr -d ' \n' <<<"$shown" | grep -qF '"Ingest:QueueCapacity":{"value":20000,"source":"default"}'
}
check "edgestore config show --format json under qemu prints typed values and their sources" arm64_config_show
arm64_metrics() {
    local sample
    sample=$(timeout 60 mosquitto_sub -h 127.0.0.1 -p "$arm64_port" -t edgestore/qemu/metrics -C 1 2>&1) || return 1
    echo "    qemu: metrics: ${sample:0:120}..."
    grep -qF "\"rowsStored\":$arm64_count," <<<"$sample"
}
check "the daemon under qemu publishes metrics (rowsStored $arm64_count) within 60 s" arm64_metrics
arm64_tuning() {
    local reports="$arm64_work/reported.txt" subscriber deadline=$((SECONDS + 60)) found=1
    mosquitto_sub -h 127.0.0.1 -p "$arm64_port" -t edgestore/qemu/config/reported >"$reports" 2>&1 &
    subscriber=$!
    sleep 0.5
    if timeout 30 mosquitto_pub -h 127.0.0.1 -p "$arm64_port" -q 1 -r -t edgestore/qemu/config/desired \
        -m '{"version": 7, "config": {"ingest": {"maxBatchRows": 500}}}'; then
        while ((SECONDS < deadline)); do
            if grep -F '"appliedVersion":7' "$reports" | grep -F '"status":"applied"' | grep -qF '"remote":{"ingest":{"maxBatchRows":500}}'; then
                found=0
                break
            fi
            sleep 0.5
        done
    fi
    kill "$subscriber" 2>/dev/null || true
    wait "$subscriber" 2>/dev/null || true
    echo "    qemu: reported: $(tail -n 1 "$reports" | cut -c 1-160)..."
    return "$found"
}
check "remote tuning under qemu applies a desired document and reports it back (within 60 s)" arm64_tuning

arm64_forwarded() {
    [[ $(grep -c "^gateways/qemu/$arm64_topic {.*\"probe\":\"arm64-" "$arm64_upstream" || true) -eq $arm64_count ]] \
        && grep -F '"probe":"arm64-37"' "$arm64_upstream" | grep -qF '"temperature":23.7'
}
check "the uplink under qemu forwarded all $arm64_count rows to gateways/qemu/$arm64_topic (within 60 s)" arm64_wait_running 60 arm64_forwarded

# 5. SIGTERM: exit 0 within 30 s, "Stopped cleanly", and the rows still in the file.
arm64_sigterm() {
    local code=0 deadline=$((SECONDS + 30))
    kill -TERM "$arm64_daemon_pid" 2>/dev/null || true
    while kill -0 "$arm64_daemon_pid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.5
    done
    if kill -0 "$arm64_daemon_pid" 2>/dev/null; then
        echo "    qemu: edgestore run still runs 30 s after SIGTERM"
        return 1
    fi
    wait "$arm64_daemon_pid" || code=$?
    arm64_daemon_pid=""
    echo "    qemu: edgestore run exited $code after SIGTERM"
    [[ $code -eq 0 ]]
}
check "SIGTERM: edgestore run under qemu exits 0 within 30 s" arm64_sigterm
arm64_stopped_cleanly() { grep -q "Stopped cleanly: $arm64_count rows stored" "$arm64_daemon_log"; }
check "the daemon logged \"Stopped cleanly: $arm64_count rows stored\"" arm64_stopped_cleanly
check "the $arm64_count rows are in the file after the stop (x64 query)" arm64_all_stored

arm64_stop "$arm64_upstream_pid" "mosquitto_sub (upstream)"
arm64_upstream_pid=""
arm64_stop "$arm64_broker_pid" mosquitto
arm64_broker_pid=""
echo "test-arm64: the qemu checks took $((SECONDS - arm64_start)) s"
if ((failed > arm64_failed_before)); then
    indent "edgestore (qemu)" <"$arm64_daemon_log" >&2 || true
    indent mosquitto <"$arm64_broker_log" >&2 || true
fi
arm64_cleanup
trap - EXIT
eval "$arm64_parent_trap"

if [[ "$arm64_standalone" == true ]]; then
    echo "arm64: $passed passed, $failed failed"
    [[ $failed -eq 0 ]]
fi
