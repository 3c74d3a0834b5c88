#!/usr/bin/env python3
"""What clients see while the proxy is replaced: --clients clients with retries turned off send
streamed requests one after another, and one Anthropic stream is held upstream for --in-flight
seconds (the simulator's delay fault); then the service is reloaded (`systemctl reload`, the
hand-over a changed config, token, environment or venv gets) or restarted (`--how restart`, what a
changed unit gets). Reports the failed requests (refused connections and any other error), the
longest and p95 wait of the requests sent during the window, and whether the held stream
completed. Median of --runs runs for the waits.

    PROXY_KEY=$(podman exec lab1 cat /var/lib/litellm-copilot/master-key) \\
      .venv/bin/python bench/restart.py --container lab1 --proxy http://127.0.0.1:4000 \\
      --sim http://127.0.0.1:18080 --how reload --runs 3

A request's wait is from its send to the stream's end. The window is from the reload or restart
command until a request sent after it is answered, or until the command returns, whichever is later.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

import anthropic
import openai

from common import add_proxy_arguments, percentile


def one_run(args):
    stop = threading.Event()
    records = []  # (sent, seconds, error or None)

    def client(number):
        proxy = openai.OpenAI(base_url=args.proxy.rstrip("/") + "/v1", api_key=args.key, max_retries=0,
                              timeout=300)
        sent = 0
        while not stop.is_set():
            sent += 1
            started = time.monotonic()
            error = None
            try:
                stream = proxy.chat.completions.create(
                    model=args.model, stream=True, messages=[{"role": "user", "content": "r %d %d" % (number, sent)}])
                for _ in stream:
                    pass
            except Exception as exc:  # every failure counts
                error = type(exc).__name__
            records.append((started, time.monotonic() - started, error))
        proxy.close()

    held = {}

    def held_stream():
        proxy = anthropic.Anthropic(base_url=args.proxy.rstrip("/"), api_key=args.key, max_retries=0, timeout=300)
        try:
            with proxy.messages.stream(model="claude-sonnet-4-5", max_tokens=100,
                                       messages=[{"role": "user", "content": "held"}]) as stream:
                held["text"] = "".join(stream.text_stream)
        except Exception as exc:  # reported
            held["error"] = type(exc).__name__

    threads = [threading.Thread(target=client, args=(number,)) for number in range(args.clients)]
    for thread in threads:
        thread.start()
    if args.in_flight:
        sim_fault(args.sim, {"path": "/v1/messages", "delay": args.in_flight, "times": 1})
        threads.append(threading.Thread(target=held_stream))
        threads[-1].start()
    time.sleep(3)
    restart_began = time.monotonic()
    subprocess.run(["podman", "exec", args.container, "systemctl", args.how, args.service], check=True)
    returned = time.monotonic()
    # Back when a request sent after the command completes without error.
    while not [r for r in records if r[0] > restart_began and r[2] is None]:
        time.sleep(0.1)
    back = max(returned, min(r[0] + r[1] for r in records if r[0] > restart_began and r[2] is None))
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join()
    window = [r for r in records if r[0] + r[1] >= restart_began and r[0] <= back]
    waits = [r[1] for r in window if r[2] is None]
    errors = [r[2] for r in records if r[2]]
    return {"requests": len(records), "failed": len(errors), "error_kinds": sorted(set(errors)),
            "window_s": back - restart_began, "in_window": len(window),
            "longest_s": max(waits) if waits else 0.0, "p95_s": percentile(waits, 0.95) if waits else 0.0,
            "held_stream": "none" if not args.in_flight else held.get("error") or (
                "completed" if held.get("text", "").endswith("You said: held") else "wrong answer")}


def sim_fault(sim, fault):
    request = urllib.request.Request(sim.rstrip("/") + "/_sim/faults", data=json.dumps(fault).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_proxy_arguments(parser)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--how", choices=("reload", "restart"), default="reload",
                        help="systemctl reload (the hand-over) or restart")
    parser.add_argument("--in-flight", type=int, default=40,
                        help="seconds one Anthropic stream is held upstream across it (0: none)")
    parser.add_argument("--sim", default=os.environ.get("COPILOT_SIM_URL", "http://127.0.0.1:18080"))
    args = parser.parse_args()
    if not args.key:
        parser.error("the proxy's master key: --key or PROXY_KEY")
    runs = []
    for run in range(args.runs):
        runs.append(one_run(args))
        print("run %d: %s" % (run + 1, runs[-1]), file=sys.stderr)
    print("systemctl %s, %d clients, retries off, %d runs: failed requests %s; held streams %s; window "
          "median %.1f s; longest wait median %.1f s (max %.1f s); p95 wait median %.1f s"
          % (args.how, args.clients, args.runs, [r["failed"] for r in runs], [r["held_stream"] for r in runs],
             statistics.median(r["window_s"] for r in runs), statistics.median(r["longest_s"] for r in runs),
             max(r["longest_s"] for r in runs), statistics.median(r["p95_s"] for r in runs)))
    return 1 if any(r["failed"] or r["held_stream"] not in ("none", "completed") for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
