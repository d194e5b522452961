#!/usr/bin/env bash
# EdgeStore's main job end to end on this machine: a local mosquitto on 127.0.0.1:1883 (the project's
# config, unless a broker already listens there), the edgestore daemon, simulated sensors, and the stored
# rows read back from SQLite by a separate process. Leaves nothing running; exits 0 when it all worked.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
readonly out_dir=out/edgestore
readonly edgestore="$out_dir/edgestore"
readonly db=data/edgestore.db
readonly daemon_log=data/edgestore.log
readonly broker_log=data/mosquitto.log
broker_pid=""
daemon_pid=""

log() { printf 'demo: %s\n' "$*"; }

fail() {
    printf 'demo: %s\n' "$*" >&2
    exit 1
}

broker_listening() { (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; }

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

log "building edgestore (Release) into $out_dir"
dotnet publish src/EdgeStore/EdgeStore.csproj -c Release -o "$out_dir" --nologo -v quiet

mkdir -p data/mosquitto
if broker_listening; then
    log "a broker already listens on 127.0.0.1:1883; using it"
else
    # As root mosquitto switches to its own user, which must be able to write its persistence directory.
    if [[ $(id -u) -eq 0 ]] && id mosquitto >/dev/null 2>&1; then
        chown mosquitto: data/mosquitto
    fi
    mosquitto -c config/mosquitto/edgestore-dev.conf >"$broker_log" 2>&1 &
    broker_pid=$!
    for _ in $(seq 1 100); do
        broker_listening && break
        kill -0 "$broker_pid" 2>/dev/null || fail "mosquitto exited at start; see $broker_log"
        sleep 0.1
    done
    broker_listening || fail "mosquitto did not listen on 127.0.0.1:1883 within 10 s; see $broker_log"
    log "started mosquitto (pid $broker_pid) with config/mosquitto/edgestore-dev.conf"
fi

# Each demo starts from an empty database, so the count below is this run's messages alone.
rm -f "$db" "$db-wal" "$db-shm"
EDGESTORE__STORAGE__PATH="$db" EDGESTORE__MQTT__CLIENTID=edgestore-demo "$edgestore" run >"$daemon_log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 600); do
    grep -qs "Subscribed to" "$daemon_log" && break
    kill -0 "$daemon_pid" 2>/dev/null || { tail -n 20 "$daemon_log" >&2; fail "edgestore run exited at start"; }
    sleep 0.1
done
grep -q "Subscribed to" "$daemon_log" || { tail -n 20 "$daemon_log" >&2; fail "edgestore did not subscribe within 60 s"; }
log "edgestore run (pid $daemon_pid) is connected: $(grep -m1 "Subscribed to" "$daemon_log" | sed 's/^[[:space:]]*//')"

log "10 simulated sensors publish for 10 s at 200 messages/s (QoS 1)"
simulate_output=$("$edgestore" simulate --host 127.0.0.1 --port 1883 --devices 10 --rate 200 --duration 10s --qos 1)
echo "$simulate_output"
published=$(sed -n 's/.*published \([0-9][0-9]*\) messages.*/\1/p' <<<"$simulate_output" | tail -n 1)
[[ -n "$published" ]] || fail "edgestore simulate did not say how many messages it published"

stored=0
for _ in $(seq 1 600); do
    stored=$(stored_rows)
    ((stored >= published)) && break
    sleep 0.1
done

log "the 20 latest stored readings (edgestore query, a separate read-only process):"
"$edgestore" query --db "$db" --topic 'sensors/+/telemetry' --since 10m --limit 20 --desc --format table
log "stored $stored of $published published messages in $db"

stop_process "$daemon_pid" edgestore
wait "$daemon_pid" && daemon_status=0 || daemon_status=$?
daemon_pid=""
((daemon_status == 0)) || fail "edgestore run exited with $daemon_status after SIGTERM; see $daemon_log"
log "edgestore stopped cleanly (SIGTERM, exit 0)"
# More rows than published only if the broker still held an earlier run's unacknowledged messages for this session.
((stored >= published)) || fail "stored $stored rows but $published were published"
