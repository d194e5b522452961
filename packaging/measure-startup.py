#!/usr/bin/env python3
"""Start-up figures of the published edgestore binary: time from exec to READY=1 on a notify socket,
and the resident memory (VmRSS, VmHWM) once ready and a few seconds later. Prints one line per run and
a summary; it measures, it never fails on a number.

    packaging/measure-startup.py BINARY [--runs 5]
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time


def vm(pid, key):
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024  # MiB
    return float("nan")


def run_once(binary, workdir, run):
    sock_path = os.path.join(workdir, f"notify-{run}.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(sock_path)
    listener.settimeout(60)
    env = dict(os.environ)
    for name in ("INVOCATION_ID", "JOURNAL_STREAM", "SYSTEMD_EXEC_PID", "WATCHDOG_PID"):
        env.pop(name, None)
    env.update({
        "NOTIFY_SOCKET": sock_path,
        "WATCHDOG_USEC": "30000000",
        "EDGESTORE__STORAGE__PATH": os.path.join(workdir, f"run-{run}.db"),
        "EDGESTORE__MQTT__PORT": "1",  # no broker: start-up must not depend on one
    })
    started = time.monotonic()
    process = subprocess.Popen([binary, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if listener.recv(4096) == b"READY=1":
                ready_s = time.monotonic() - started
                break
        rss_ready = vm(process.pid, "VmRSS")
        time.sleep(5)
        rss_later = vm(process.pid, "VmRSS")
        hwm = vm(process.pid, "VmHWM")
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(60)
        listener.close()
    return ready_s, rss_ready, rss_later, hwm, code


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for run in range(args.runs):
            ready_s, rss_ready, rss_later, hwm, code = run_once(os.path.abspath(args.binary), workdir, run)
            print(f"run {run + 1}: exec->READY {ready_s * 1000:.0f} ms, RSS at READY {rss_ready:.1f} MiB, "
                  f"RSS +5 s {rss_later:.1f} MiB, peak {hwm:.1f} MiB, exit {code} (new database)")
            results.append((ready_s, rss_ready, rss_later, hwm))
    ready = [r[0] * 1000 for r in results]
    print(f"exec->READY median {statistics.median(ready):.0f} ms (min {min(ready):.0f}, max {max(ready):.0f}); "
          f"RSS +5 s median {statistics.median(r[2] for r in results):.1f} MiB; "
          f"peak median {statistics.median(r[3] for r in results):.1f} MiB")


if __name__ == "__main__":
    main()
