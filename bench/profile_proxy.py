#!/usr/bin/env python3
"""Where the proxy spends its CPU on a request: cProfile (CPU-time timer) of the proxy's main
thread (the event loop that serves every request) during sequential requests of one --kind
(bench/load.py's: streamed chat, non-streamed chat, streamed Anthropic /v1/messages).

    PROXY_KEY=$(podman exec lab1 cat /var/lib/litellm-copilot/master-key) \\
      .venv/bin/python bench/profile_proxy.py --container lab1 --proxy http://127.0.0.1:4000 --requests 300

The service's proxy process (the hand-over supervisor's child) runs through a small wrapper (a
runtime systemd drop-in, removed at the end) that starts profiling on SIGUSR1 and writes the
profile on SIGUSR2. After --warmup requests (lazy imports, first-request set-up) profiling starts,
--requests requests run, then it stops: start-up and warm-up are not in the profile. Prints the
top entries per request by own and by cumulative CPU time.
"""
import argparse
import asyncio
import os
import pstats
import subprocess
import sys
import tempfile
import time

from common import add_proxy_arguments, answers, on_host, serving
from load import KINDS, burst

DROP_IN_DIR = "/run/systemd/system/{service}.service.d"
# In a directory the service user may write (the meter's; the state directory is root's).
PROFILE = "/var/lib/litellm-copilot/meter/proxy.prof"
WRAPPER = "/run/litellm-copilot-profile.py"
# Runs the service's script as __main__, profiling its main thread between SIGUSR1 and SIGUSR2.
WRAPPER_CODE = """import cProfile, runpy, signal, sys, time
profile = cProfile.Profile(time.process_time)
signal.signal(signal.SIGUSR1, lambda *_: profile.enable())
def stop(*_):
    profile.disable()
    profile.dump_stats(%r)
signal.signal(signal.SIGUSR2, stop)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
""" % PROFILE


def alive(url):
    return answers(url, "/health/readiness", timeout=5)


def exec_start(container, service):
    """The service's ExecStart command line (argv), from systemd."""
    shown = on_host(container, "systemctl", "show", "--property", "ExecStart", "--value", service)
    argv = shown.split("argv[]=", 1)[1].split(" ;", 1)[0]
    return argv.split()


def send(args, requests):
    base = args.proxy.rstrip("/") + "/v1"
    timings, errors = asyncio.run(burst(args.kind, base, args.key, {}, args.model, 1, requests))
    if errors:
        sys.exit("%d of %d requests failed, first: %r" % (len(errors), requests, errors[0]))
    return timings


def profiled_run(args):
    """Runs the service through the wrapper, profiles --requests requests after --warmup; the stats."""
    argv = exec_start(args.container, args.service)
    drop_in = DROP_IN_DIR.format(service=args.service)
    subprocess.run(["podman", "exec", "-i", args.container, "tee", WRAPPER], input=WRAPPER_CODE, text=True,
                   check=True, capture_output=True)
    on_host(args.container, "mkdir", "-p", drop_in)
    # The proxy's command follows the supervisor's "--": its interpreter, then the wrapper.
    proxy = argv.index("--") + 2
    command = argv[:proxy] + [WRAPPER] + argv[proxy:]
    subprocess.run(["podman", "exec", "-i", args.container, "tee", drop_in + "/profile.conf"], check=True,
                   input="[Service]\nExecStart=\nExecStart=%s\n" % " ".join(command), capture_output=True,
                   text=True)
    on_host(args.container, "systemctl", "daemon-reload")
    on_host(args.container, "rm", "-f", PROFILE)
    on_host(args.container, "systemctl", "restart", args.service)
    deadline = time.monotonic() + 300
    while not alive(args.proxy):
        if time.monotonic() > deadline:
            sys.exit("the profiled proxy did not become ready in 300 s")
        time.sleep(0.5)
    send(args, args.warmup)
    pid = serving(args.container, args.service)[1]
    on_host(args.container, "kill", "-USR1", pid)
    send(args, args.requests)
    time.sleep(1)  # callbacks that run after the answer's end
    on_host(args.container, "kill", "-USR2", pid)
    # The profile is written by the signal handler once the event loop gives it a turn.
    for _ in range(100):
        if subprocess.run(["podman", "exec", args.container, "test", "-s", PROFILE]).returncode == 0:
            break
        time.sleep(0.2)
    time.sleep(1)
    with tempfile.NamedTemporaryFile(suffix=".prof", delete=False) as local:
        pass
    subprocess.run(["podman", "cp", "%s:%s" % (args.container, PROFILE), local.name], check=True)
    stats = pstats.Stats(local.name)
    if args.save:
        os.replace(local.name, args.save)
    else:
        os.unlink(local.name)
    return stats.stats


def name(func):
    path, line, function = func
    short = path.split("site-packages/")[-1]
    return "%s:%d(%s)" % (short, line, function)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_proxy_arguments(parser)
    parser.add_argument("--kind", choices=sorted(KINDS), default="stream",
                        help="streamed chat (default), non-streamed chat, or streamed Anthropic /v1/messages")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", default="", help="keep the profile (pstats format) in this file")
    args = parser.parse_args()
    if not args.key:
        parser.error("the proxy's master key: --key or PROXY_KEY")
    if args.kind == "messages" and args.model == "gpt-4.1":
        args.model = "claude-sonnet-4.5"  # Copilot's /v1/messages serves its Claude models
    try:
        stats = profiled_run(args)
    finally:
        on_host(args.container, "rm", "-rf", DROP_IN_DIR.format(service=args.service), WRAPPER, PROFILE,
                check=False)
        on_host(args.container, "systemctl", "daemon-reload", check=False)
        on_host(args.container, "systemctl", "restart", args.service, check=False)
    per = 1000.0 / args.requests
    total = sum(own for (_, _, own, _, _) in stats.values())
    print("%d sequential %s requests (%s) after %d warm-up ones; proxy main thread: %.2f ms CPU per request"
          % (args.requests, args.kind, args.model, args.warmup, total * per))
    for title, key in (("own CPU time", 2), ("cumulative CPU time", 3)):
        print("\ntop %d by %s per request:" % (args.top, title))
        print("%10s %10s %10s  %s" % ("calls/req", "own ms", "cum ms", "function"))
        for func, row in sorted(stats.items(), key=lambda item: -item[1][key])[:args.top]:
            print("%10.1f %10.3f %10.3f  %s" % (row[1] / args.requests, row[2] * per, row[3] * per, name(func)))
    for func, row in sorted(stats.items(), key=lambda item: -item[1][2])[:3]:
        print("\ncallers of %s (cum ms per request):" % name(func))
        for caller, numbers in sorted(row[4].items(), key=lambda item: -item[1][3])[:6]:
            print("%10.3f  %s" % (numbers[3] * per, name(caller)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
