#!/usr/bin/env python3
"""Latency the proxy adds, under load: N concurrent requests straight to the Copilot simulator, then
the same through a deployed proxy; p50/p95 of each, and the difference. --kind picks the request:
streamed chat completions (the default), non-streamed ones, or streamed Anthropic /v1/messages.

    PROXY_KEY=$(podman exec lab1 cat /var/lib/litellm-copilot/master-key) \\
      .venv/bin/python bench/load.py --proxy http://127.0.0.1:4000 --sim http://127.0.0.1:18080

Each run sends --concurrency requests at once (direct first, then via the proxy) and measures
each request from send to the stream's last byte, and to its first content chunk. The report is
the median over --runs runs of each run's percentiles (a non-streamed answer's "first" is its end).
Both paths use the same client, the OpenAI SDK or, for /v1/messages, the Anthropic SDK
(requirements-dev.txt), so its own overhead cancels out in the difference.

--baseline URL adds a second proxy (one started by bench/side_proxy.py on the same host with
another config, or another host's with another LiteLLM) measured in the same runs: the proxies take
turns going first, so drift in the machine's load hits them alike. Give it several times, as
SERVICE=URL, to measure several side proxies (e.g. the deployed config and LiteLLM's bare proxy):

    bench/load.py --container lab1 --baseline litellm-copilot-side=http://127.0.0.1:14000 \\
      --baseline litellm-copilot-bare=http://127.0.0.1:14001 --kind chat --concurrency 1 --requests 40
 With --container, the report adds each proxy's resident memory
and CPU time per request (its service's processes, from /proc on the lab host): on a busy machine the waits
grow with everyone else's work, the CPU a request costs the proxy much less.
"""
import argparse
import asyncio
import json
import os
import statistics
import sys
import time

import urllib.request

import anthropic
import openai

from common import ide_headers, on_host, percentile

# The simulator's built-in individual account (tests/copilot_sim): not a secret.
SIM_TOKEN = "gho_0upwQmFbMbl2HhFQ8qgPIfQU8M21Yg4B1AG9"
# What the role itself sends Copilot, so direct requests look like the proxy's.
IDE_HEADERS = ide_headers()


async def one_stream(client, model, number):
    """A streamed chat completion: (seconds to the first content delta, seconds to the end)."""
    started = time.perf_counter()
    first = None
    stream = await client.chat.completions.create(
        model=model, stream=True, messages=[{"role": "user", "content": "bench %d" % number}])
    finish = None
    async for chunk in stream:
        for choice in chunk.choices:
            if first is None and choice.delta.content:
                first = time.perf_counter()
            finish = choice.finish_reason or finish
    if finish is None:
        raise RuntimeError("stream ended without a finish_reason")
    return (first or time.perf_counter()) - started, time.perf_counter() - started


async def one_chat(client, model, number):
    """A non-streamed chat completion: the whole answer is also the first byte of content."""
    started = time.perf_counter()
    answer = await client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "bench %d" % number}])
    if not answer.choices or not answer.choices[0].message.content:
        raise RuntimeError("an answer without content")
    elapsed = time.perf_counter() - started
    return elapsed, elapsed


async def one_messages(client, model, number):
    """A streamed Anthropic /v1/messages request, as Claude Code sends them."""
    started = time.perf_counter()
    first = None
    async with client.messages.stream(model=model, max_tokens=200,
                                      messages=[{"role": "user", "content": "bench %d" % number}]) as stream:
        async for text in stream.text_stream:
            if first is None and text:
                first = time.perf_counter()
        final = await stream.get_final_message()
    if final.stop_reason is None:
        raise RuntimeError("stream ended without a stop_reason")
    return (first or time.perf_counter()) - started, time.perf_counter() - started


# --kind: how one request is sent, and the client that sends it (base URL as the OpenAI SDK takes it).
KINDS = {"stream": one_stream, "chat": one_chat, "messages": one_messages}


def client_for(kind, base_url, key, headers):
    if kind == "messages":
        # Copilot's /v1/messages sits at its API root; the proxy's at its root, not under /v1.
        root = base_url[:-len("/v1")] if base_url.endswith("/v1") else base_url
        return anthropic.AsyncAnthropic(base_url=root, api_key=key, max_retries=0, timeout=300,
                                        default_headers=dict(headers, authorization="Bearer " + key))
    return openai.AsyncOpenAI(base_url=base_url, api_key=key, default_headers=headers, max_retries=0, timeout=300)


async def burst(kind, base_url, key, headers, model, concurrency, requests):
    """`requests` requests, `concurrency` of them in flight at any time."""
    client = client_for(kind, base_url, key, headers)
    gate = asyncio.Semaphore(concurrency)

    async def gated(number):
        async with gate:
            return await KINDS[kind](client, model, number)
    try:
        results = await asyncio.gather(*(gated(n) for n in range(requests)), return_exceptions=True)
    finally:
        await client.close()
    errors = [r for r in results if isinstance(r, BaseException)]
    timings = [r for r in results if not isinstance(r, BaseException)]
    return timings, errors


def copilot_endpoint(sim, github_token):
    """Exchange the GitHub token at the simulator like Copilot clients do: (API base, Copilot token)."""
    request = urllib.request.Request(sim + "/copilot_internal/v2/token",
                                     headers=dict(IDE_HEADERS, authorization="token " + github_token))
    with urllib.request.urlopen(request, timeout=30) as answer:
        exchange = json.load(answer)
    return exchange["endpoints"]["api"], exchange["token"]


def service_pids(container, service):
    """The service's main process (the hand-over supervisor) and its children (the proxy)."""
    main = on_host(container, "systemctl", "show", "--property", "MainPID", "--value", service).strip()
    children = on_host(container, "ps", "--ppid", main, "-o", "pid=", check=False).split()
    return [main, *children]


def cpu_seconds(container, service):
    """CPU time (user + system, seconds) the service's running processes have used so far."""
    ticks = int(on_host(container, "getconf", "CLK_TCK"))
    total = 0
    for pid in service_pids(container, service):
        fields = on_host(container, "cat", "/proc/%s/stat" % pid).rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def summary(timings):
    first = [t[0] * 1000 for t in timings]
    total = [t[1] * 1000 for t in timings]
    return {"first_p50": percentile(first, 0.5), "first_p95": percentile(first, 0.95),
            "first_p99": percentile(first, 0.99),
            "total_p50": percentile(total, 0.5), "total_p95": percentile(total, 0.95)}


def rss_mib(container, service):
    """Resident memory (MiB) of the service's running processes, summed."""
    total = 0
    for pid in service_pids(container, service):
        status = on_host(container, "cat", "/proc/%s/status" % pid, check=False)
        total += sum(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return total / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proxy", default=os.environ.get("PROXY_URL", "http://127.0.0.1:4000"))
    parser.add_argument("--key", default=os.environ.get("PROXY_KEY", ""), help="master key (default $PROXY_KEY)")
    parser.add_argument("--baseline", action="append", default=[], metavar="[SERVICE=]URL",
                        help="another proxy to measure in the same runs (same master key); SERVICE is its "
                             "service on --container (default --baseline-service); may be given several times")
    parser.add_argument("--container", default="", help="the lab host of the proxies, to read their CPU time")
    parser.add_argument("--service", default="litellm-copilot", help="the proxy's service (--container)")
    parser.add_argument("--baseline-service", default="litellm-copilot-side",
                        help="the baseline proxy's service (--container; bench/side_proxy.py's name)")
    parser.add_argument("--sim", default=os.environ.get("COPILOT_SIM_URL", "http://127.0.0.1:18080"))
    parser.add_argument("--github-token", default=SIM_TOKEN)
    parser.add_argument("--kind", choices=sorted(KINDS), default="stream",
                        help="streamed chat (default), non-streamed chat, or streamed Anthropic /v1/messages")
    parser.add_argument("--model", default="",
                        help="default: gpt-4.1, or claude-sonnet-4.5 for --kind messages (Copilot's /v1/messages)")
    parser.add_argument("--concurrency", type=int, default=200, help="requests in flight at once")
    parser.add_argument("--requests", type=int, default=0,
                        help="requests per run and path (default: --concurrency, at least 20)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=5,
                        help="untimed requests per path first (lazy imports, first-request set-up)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    if not args.key:
        parser.error("the proxy's master key: --key or PROXY_KEY")
    args.model = args.model or ("claude-sonnet-4.5" if args.kind == "messages" else "gpt-4.1")

    proxies = {"proxy": args.proxy}
    services = {"proxy": args.service}
    for given in args.baseline:
        service, _, url = given.rpartition("=")
        name = service or "baseline"
        if name in proxies:
            parser.error("--baseline %s: that name is taken; give each baseline its own SERVICE=" % given)
        proxies[name], services[name] = url, service or args.baseline_service
    runs = {name: [] for name in ["direct", *proxies]}
    errors = dict.fromkeys(runs, 0)
    cpu = dict.fromkeys(proxies, 0.0)
    rss = dict.fromkeys(proxies, 0.0)  # the most seen after a run
    requests = args.requests or max(args.concurrency, 20)
    if args.warmup:
        direct_base, copilot_token = copilot_endpoint(args.sim, args.github_token)
        asyncio.run(burst(args.kind, direct_base, copilot_token, IDE_HEADERS, args.model, 1, args.warmup))
        for url in proxies.values():
            asyncio.run(burst(args.kind, url.rstrip("/") + "/v1", args.key, {}, args.model, 1, args.warmup))
    for run in range(args.runs):
        # A fresh Copilot token each run, as a client would hold one.
        direct_base, copilot_token = copilot_endpoint(args.sim, args.github_token)
        targets = {"direct": (direct_base, copilot_token, IDE_HEADERS)}
        # The proxies take turns going first (each run starts one further along the list).
        order = list(proxies)
        for name in order[run % len(order):] + order[:run % len(order)]:
            targets[name] = (proxies[name].rstrip("/") + "/v1", args.key, {})
        for name, (base_url, key, headers) in targets.items():
            before = cpu_seconds(args.container, services[name]) if args.container and name in cpu else 0
            timings, failed = asyncio.run(burst(args.kind, base_url, key, headers, args.model, args.concurrency, requests))
            if args.container and name in cpu:
                cpu[name] += cpu_seconds(args.container, services[name]) - before
                rss[name] = max(rss[name], rss_mib(args.container, services[name]))
            errors[name] += len(failed)
            if failed:
                print("run %d %s: %d errors, first: %r" % (run + 1, name, len(failed), failed[0]), file=sys.stderr)
            if timings:
                runs[name].append(summary(timings))
        print("run %d/%d done" % (run + 1, args.runs), file=sys.stderr)

    result = {"kind": args.kind, "model": args.model, "concurrency": args.concurrency, "requests": requests, "runs": args.runs, "errors": errors}
    if args.container:
        # Includes the work a request leaves behind (logging after the stream's end) while the next runs.
        result["cpu_ms_per_request"] = {name: round(1000 * cpu[name] / (requests * args.runs), 1) for name in cpu}
        result["rss_mib_after_runs"] = {name: round(rss[name]) for name in rss}
    rows = ["direct"]
    for name in runs:
        result[name] = {key: round(statistics.median(r[key] for r in runs[name]), 1) for key in runs[name][0]}
    for name in proxies:
        added = "added" if name == "proxy" else "added (%s)" % name.replace("litellm-copilot-", "")
        result[added] = {key: round(result[name][key] - result["direct"][key], 1) for key in result["direct"]}
        rows += [name, added]
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print("%d %s requests (%s), %d at once, median of %d runs, errors: %s"
              % (requests, args.kind, args.model, args.concurrency, args.runs, ", ".join("%s %d" % item for item in errors.items())))
        if args.baseline:
            print(", ".join("%s: %s" % item for item in proxies.items()))
        print("%-28s %12s %12s %12s %12s %12s" % ("ms", "first p50", "first p95", "first p99", "total p50", "total p95"))
        for name in rows:
            row = result[name]
            print("%-28s %12.1f %12.1f %12.1f %12.1f %12.1f" % (name, row["first_p50"], row["first_p95"], row["first_p99"],
                                                                row["total_p50"], row["total_p95"]))
        if args.container:
            print("proxy CPU per request: " + ", ".join(
                "%s %.1f ms" % item for item in result["cpu_ms_per_request"].items()))
            print("proxy resident memory after the runs (most): " + ", ".join(
                "%s %d MiB" % item for item in result["rss_mib_after_runs"].items()))
    return 1 if any(errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
