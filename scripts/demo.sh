#!/usr/bin/env bash
# EdgeStore's main job end to end on this machine: a local mosquitto on 127.0.0.1:1883 (the project's
# config, unless an MQTT broker already listens there), the edgestore daemon, simulated sensors, and the
# stored rows read back from SQLite by a separate process. Leaves nothing running; exits 0 when it all worked.
#
# Usage: scripts/demo.sh [--fresh]
#   --fresh                 start from an empty database (data/edgestore.db is deleted first); without it an
#                           existing database is kept with its rows, and the demo says how many it holds
#   EDGESTORE_DEMO_PORT=N   use 127.0.0.1:N instead of 127.0.0.1:1883 for the broker
set -euo pipefail
cd "$(dirname "$0")/.."

fresh=false
for argument in "$@"; do
    case "$argument" in
        --fresh) fresh=true ;;
        -h | --help)
            sed -n '6,9p' "$0" | cut -c3-
            exit 0
            ;;
        *)
            printf 'demo: unknown argument %s; usage: scripts/demo.sh [--fresh]\n' "$argument" >&2
            exit 2
            ;;
    esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
readonly port=${EDGESTORE_DEMO_PORT:-1883}
readonly out_dir=out/edgestore
readonly edgestore="$out_dir/edgestore"
readonly db=data/edgestore.db
readonly daemon_log=data/edgestore.log
readonly broker_log=data/mosquitto.log
readonly probe_timeout_seconds=3
broker_pid=""
daemon_pid=""

log() { printf 'demo: %s\n' "$*"; }

fail() {
    printf 'demo: %s\n' "$*" >&2
    exit 1
}

if ! [[ "$port" =~ ^[0-9]{1,5}$ ]] || ((port < 1 || port > 65535)); then
    fail "EDGESTORE_DEMO_PORT=$port is not a TCP port; give a number from 1 to 65535, or unset it for 1883"
fi

broker_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

# Sends an MQTT 3.1.1 CONNECT (clean session, keep-alive 10 s, client id "edgestore-demo-probe") and prints the
# first four bytes of the reply in hex ("20 02 00 00": a CONNACK that accepts), or nothing when no reply came
# within the timeout.
mqtt_probe() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$port"
        printf '\x10\x20\x00\x04MQTT\x04\x02\x00\x0a\x00\x14edgestore-demo-probe' >&3
        timeout "$probe_timeout_seconds" head -c 4 <&3 | od -An -tx1 | xargs
    ) 2>/dev/null || true
}

# Fails at once, naming the port and what to do, unless what listens on the port is an MQTT broker that accepts an
# anonymous client.
require_mqtt_broker() {
    local reply
    reply=$(mqtt_probe)
    if [[ "$reply" != "20 02 "* ]]; then
        fail "127.0.0.1:$port accepts TCP connections but is not an MQTT broker (no CONNACK to an MQTT CONNECT within ${probe_timeout_seconds} s${reply:+; it answered the bytes $reply}). Stop the program listening there (ss -ltnp 'sport = :$port' names it), or run the demo on a free port: EDGESTORE_DEMO_PORT=18830 scripts/demo.sh"
    fi
    if [[ "${reply##* }" != 00 ]]; then
        fail "the MQTT broker on 127.0.0.1:$port refused the demo's anonymous connection (CONNACK return code 0x${reply##* }). Allow anonymous clients on 127.0.0.1 as config/mosquitto/edgestore-dev.conf does, or run the demo on a free port: EDGESTORE_DEMO_PORT=18830 scripts/demo.sh"
    fi
}

stop_process() {
    local pid=$1 name=$2
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name (pid $pid) ignored SIGTERM for 10 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
}

cleanup() {
    stop_process "$daemon_pid" edgestore
    stop_process "$broker_pid" mosquitto
}
trap cleanup EXIT

stored_rows() { sqlite3 -readonly "$db" 'SELECT COUNT(*) FROM messages' 2>/dev/null || echo 0; }

# Before anything slow: a port held by something that is not an MQTT broker fails the demo within seconds.
use_running_broker=false
if broker_listening; then
    require_mqtt_broker
    use_running_broker=true
fi

./scripts/install-deps.sh

log "building edgestore (Release) into $out_dir; the binary is $edgestore"
dotnet publish src/EdgeStore/EdgeStore.csproj -c Release -o "$out_dir" --nologo -v quiet

mkdir -p data/mosquitto
if [[ "$use_running_broker" == true ]]; then
    log "an MQTT broker already listens on 127.0.0.1:$port; using it"
else
    broker_config=config/mosquitto/edgestore-dev.conf
    if [[ "$port" != 1883 ]]; then
        # The same settings on the requested port.
        broker_config=data/mosquitto/edgestore-demo-$port.conf
        sed "s/^listener 1883 /listener $port /" config/mosquitto/edgestore-dev.conf >"$broker_config"
    fi
    # As root mosquitto switches to its own user, which must be able to write its persistence directory.
    if [[ $(id -u) -eq 0 ]] && id mosquitto >/dev/null 2>&1; then
        chown mosquitto: data/mosquitto
    fi
    mosquitto -c "$broker_config" >"$broker_log" 2>&1 &
    broker_pid=$!
    for _ in $(seq 1 100); do
        broker_listening && break
        kill -0 "$broker_pid" 2>/dev/null || fail "mosquitto exited at start; see $broker_log"
        sleep 0.1
    done
    broker_listening || fail "mosquitto did not listen on 127.0.0.1:$port within 10 s; see $broker_log"
    log "started mosquitto (pid $broker_pid) on 127.0.0.1:$port with $broker_config; its log is $broker_log"
fi

if [[ "$fresh" == true && -e "$db" ]]; then
    log "--fresh: deleting $db to start from an empty database"
    rm -f "$db" "$db-wal" "$db-shm"
fi
if [[ -e "$db" ]]; then
    stored_before=$(stored_rows)
    log "keeping the existing database $db with its $stored_before rows (scripts/demo.sh --fresh starts an empty one)"
else
    stored_before=0
    log "creating a new database $db"
fi

log "starting edgestore run; its log is $daemon_log"
EDGESTORE__STORAGE__PATH="$db" EDGESTORE__MQTT__HOST=127.0.0.1 EDGESTORE__MQTT__PORT="$port" \
    EDGESTORE__MQTT__CLIENTID=edgestore-demo "$edgestore" run >"$daemon_log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 600); do
    grep -qs "Subscribed to" "$daemon_log" && break
    kill -0 "$daemon_pid" 2>/dev/null || { tail -n 20 "$daemon_log" >&2; fail "edgestore run exited at start; see $daemon_log"; }
    sleep 0.1
done
grep -q "Subscribed to" "$daemon_log" || { tail -n 20 "$daemon_log" >&2; fail "edgestore did not subscribe within 60 s; see $daemon_log"; }
log "edgestore run (pid $daemon_pid) is connected: $(grep -m1 "Subscribed to" "$daemon_log" | sed 's/^[[:space:]]*//')"

log "10 simulated sensors publish for 10 s at 200 messages/s (QoS 1)"
simulate_output=$("$edgestore" simulate --host 127.0.0.1 --port "$port" --devices 10 --rate 200 --duration 10s --qos 1)
echo "$simulate_output"
published=$(sed -n 's/.*published \([0-9][0-9]*\) messages.*/\1/p' <<<"$simulate_output" | tail -n 1)
[[ -n "$published" ]] || fail "edgestore simulate did not say how many messages it published"

stored=0
for _ in $(seq 1 600); do
    stored=$(($(stored_rows) - stored_before))
    ((stored >= published)) && break
    sleep 0.1
done

log "the 20 latest stored readings (edgestore query, a separate read-only process):"
"$edgestore" query --db "$db" --topic 'sensors/+/telemetry' --since 10m --limit 20 --desc --format table
log "stored $stored of $published published messages in $db ($((stored_before + stored)) rows in all)"

stop_process "$daemon_pid" edgestore
wait "$daemon_pid" && daemon_status=0 || daemon_status=$?
daemon_pid=""
((daemon_status == 0)) || fail "edgestore run exited with $daemon_status after SIGTERM; see $daemon_log"
log "edgestore stopped cleanly (SIGTERM, exit 0)"
# More new rows than published only if the broker still held an earlier run's unacknowledged messages for this session.
((stored >= published)) || fail "stored $stored new rows but $published messages were published; see $daemon_log"

broker_logs=""
[[ -n "$broker_pid" ]] && broker_logs=", $broker_log (mosquitto)"
run_environment="EDGESTORE__STORAGE__PATH=$db"
[[ "$port" != 1883 ]] && run_environment+=" EDGESTORE__MQTT__PORT=$port"
broker_hint="mosquitto -c ${broker_config:-config/mosquitto/edgestore-dev.conf} &"
cat <<EOF

Where things are:
  binary     $edgestore
  database   $db ($((stored_before + stored)) rows; the next run keeps them, scripts/demo.sh --fresh starts over)
  logs       $daemon_log (edgestore run)$broker_logs
  status     data/status.json (written by edgestore run while it runs)

Try next:
  $edgestore query --db $db --topic 'sensors/+/telemetry' --since 1h --limit 10 --format table
  $edgestore topics --db $db
  $edgestore query --db $db --topic sensors/dev-0001/telemetry --field temperature --since 1h
  $broker_hint     (a broker on 127.0.0.1:$port, unless one runs)
  $run_environment $edgestore run     (the daemon again; Ctrl-C stops it)
  $edgestore status --db $db     (in a second terminal while it runs: what it is doing)
EOF
