#!/usr/bin/env python3
"""How fast systemd brings a killed proxy back: kill -9 of the service's main process, then the
seconds until /health/liveliness answers 200 again (target: 15 s). Median of --runs runs.

    .venv/bin/python bench/load_kill.py --container lab1 --proxy http://127.0.0.1:4000 --runs 5

The lab host is a podman container (scripts/lab-host.sh); commands run in it with podman exec.
"""
import argparse
import statistics
import sys
import time

from common import answers, on_host, serving


def alive(url):
    return answers(url)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--container", required=True)
    parser.add_argument("--proxy", default="http://127.0.0.1:4000")
    parser.add_argument("--service", default="litellm-copilot")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--limit", type=float, default=180, help="give up after this many seconds")
    args = parser.parse_args()
    times = []
    for run in range(args.runs):
        while not alive(args.proxy):
            time.sleep(0.5)
        # The proxy itself (hand_over.py records it), as a crash in LiteLLM would end it.
        pid = serving(args.container, args.service)[1]
        on_host(args.container, "kill", "-9", pid)
        killed = time.monotonic()
        time.sleep(0.2)
        while not alive(args.proxy):
            if time.monotonic() - killed > args.limit:
                sys.exit("run %d: not back after %.0f s" % (run + 1, args.limit))
            time.sleep(0.1)
        times.append(time.monotonic() - killed)
        print("run %d: healthy %.1f s after kill -9" % (run + 1, times[-1]), file=sys.stderr)
    print("kill -9 to healthy: median %.1f s, min %.1f s, max %.1f s over %d runs"
          % (statistics.median(times), min(times), max(times), len(times)))


if __name__ == "__main__":
    main()
