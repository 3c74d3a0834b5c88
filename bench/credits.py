#!/usr/bin/env python3
"""AI credits on a credit seat: what a Claude Code task costs, billed by Copilot and metered by the
proxy, with the role's request shaper on (this project) and off (stock LiteLLM behaviour); then a
runaway loop of premium requests under a daily credit budget. Prints markdown tables.

  bench/credits.py --inventory hosts.yml --host lab1 --runs 3

Before measuring, the lab token's simulator account becomes a credit seat (`POST
/_sim/accounts/billing`, --credits left); it gets its billing back at the end.

The task (bench/common.py `claude_task`, the one bench/premium.py runs), as the developer on the lab
host with the role's Claude Code settings: one prompt whose agent loop makes --tool-calls Bash calls
(`SIM:TOOLS`), then a second prompt in the same session (`--continue`). Each run does it twice in a
fresh directory: *cold*, once the simulator's prompt caches have expired (--cache-ttl seconds after
the last request, so nothing of an earlier run is cached), then *warm*: the next task (another first
prompt) in the same directory at once, as a developer's next task, which finds Claude Code's tools and
system prompt cached. Per task: credits billed (the simulator's bill, `GET /_sim/bill`, after minus
before), credits metered (the proxy's `/metrics`, `litellm_copilot_credits_total`, after minus before),
the cached share of input tokens (cached_input / (input + cached_input)) on both sides, and the
upstream inference requests. Each case re-applies the role's configure step with
`-e litellm_copilot_request_shaper=true|false`, as bench/premium.py does (and the same as a JSON
boolean, see main()).

The runaway loop: the configure step with a daily budget (`litellm_copilot_credit_budget_daily`) of
what the VM spent today so far plus --headroom credits (the daily budget counts the whole local day),
then --loop-requests premium requests (--loop-model, OpenAI SDK, one after the other, each a different
prompt of --prompt-chars characters, so none is read from Copilot's prompt cache). Counts the answers
the included fallback model gave (header `x-litellm-copilot-fallback: budget`), the failures (there
must be none) and the credits the simulator billed during the loop, which must not exceed the headroom
plus one request's cost (from the bill). The host gets its inventory's settings back at the end
(configure without extra variables: no budget, shaper on, unless the inventory says otherwise).

Needs a lab host deployed with the Molecule default scenario's variables (a developer account with
the role's Claude Code settings) and its simulator running. Run from the repository root after
scripts/bootstrap.sh.
"""
import argparse
import json
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request

import openai

from common import Lab, claude_task, fmt, inference, install_claude, log  # noqa: E402  (bench/ is on sys.path)

KINDS = ("input", "cached_input", "output")
FALLBACK_HEADER = "x-litellm-copilot-fallback"
SAMPLE = re.compile(r'^(?P<name>[a-z_]+)\{(?P<labels>[^}]*)\} (?P<value>\S+)$')
CASES = (("this project (shaper on)", True), ("stock LiteLLM (shaper off)", False))


# --- The two sides: Copilot's bill and the proxy's meter ------------------------------------------

def sim_call(lab, method, path, body=None):
    """The simulator's control API (`/_sim/...`); its JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(lab.sim + path, data=data, method=method,
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def bill(lab):
    """What the simulator charged the lab token's seat: {credits, requests, input, cached_input, output}
    summed over its models, and the raw bill under "models"."""
    raw = sim_call(lab, "GET", "/_sim/bill?" + urllib.parse.urlencode({"token": lab.vars["litellm_copilot_github_token"]}))
    totals = {"credits": raw["credits_spent"], "models": raw["models"]}
    for kind in ("requests",) + KINDS:
        totals[kind] = sum(line[kind] for line in raw["models"].values())
    return totals


def meter(lab):
    """What the proxy metered (its /metrics): {credits, requests, input, cached_input, output,
    fallbacks: {reason: n}, spend: {period: credits}, budget: {period: credits}}."""
    with urllib.request.urlopen(lab.proxy + "/metrics", timeout=30) as answer:
        text = answer.read().decode()
    totals = {"credits": 0.0, "requests": 0.0, "fallbacks": {}, "spend": {}, "budget": {}, **{kind: 0.0 for kind in KINDS}}
    for line in text.splitlines():
        found = SAMPLE.match(line)
        if not found:
            continue
        labels = dict(pair.split("=", 1) for pair in found["labels"].split(","))
        labels = {key: value.strip('"') for key, value in labels.items()}
        name, value = found["name"], float(found["value"])
        if name == "litellm_copilot_credits_total":
            totals["credits"] += value
        elif name == "litellm_copilot_requests_total":
            totals["requests"] += value
        elif name == "litellm_copilot_tokens_total":
            totals[labels["kind"]] += value
        elif name == "litellm_copilot_fallbacks_total":
            totals["fallbacks"][labels["reason"]] = value
        elif name == "litellm_copilot_spend_credits":
            totals["spend"][labels["period"]] = value
        elif name == "litellm_copilot_budget_credits":
            totals["budget"][labels["period"]] = value
    return totals


def both_sides(lab, before=None):
    """(bill, meter) now. The meter records an answer just after the client got it: with `before`
    (an earlier pair), waits up to 10 s until it has recorded as many requests as were billed since."""
    deadline = time.monotonic() + 10
    while True:
        billed, metered = bill(lab), meter(lab)
        if before is None or time.monotonic() > deadline \
                or metered["requests"] - before[1]["requests"] >= billed["requests"] - before[0]["requests"]:
            return billed, metered
        time.sleep(0.2)


def cached_share(side, before):
    """cached_input / (input + cached_input) between two readings of one side."""
    cached = side["cached_input"] - before["cached_input"]
    total = side["input"] - before["input"] + cached
    return cached / total if total else 0.0


def credit_seat(lab, credits):
    """Make the lab token's account a credit seat with `credits` left; returns what to restore."""
    token = lab.vars["litellm_copilot_github_token"]
    before = sim_call(lab, "GET", "/_sim/bill?" + urllib.parse.urlencode({"token": token}))
    sim_call(lab, "POST", "/_sim/accounts/billing", {"token": token, "billing": "credits", "credits_remaining": credits})
    return {"token": token, "billing": before["billing"], "credits_remaining": before["credits_remaining"]}


# --- 1. Credits per Claude Code task ------------------------------------------------------------

def measured_task(lab, tool_calls, word, cwd):
    """One two-prompt task in `cwd`: billed and metered credits, cached shares, upstream requests, ok."""
    lab.sim_requests(clear=True)
    before = both_sides(lab)
    ok = claude_task(lab, tool_calls, word=word, cwd=cwd)
    after = both_sides(lab, before)
    return {"billed": after[0]["credits"] - before[0]["credits"],
            "metered": after[1]["credits"] - before[1]["credits"],
            "cached_billed": cached_share(after[0], before[0]),
            "cached_metered": cached_share(after[1], before[1]),
            "tokens": {kind: after[0][kind] - before[0][kind] for kind in KINDS},
            "requests": len(inference(lab.sim_requests())), "ok": ok}


def task_runs(lab, case, shaper, runs, tool_calls, cache_ttl, state):
    """`runs` times: a cold task in a fresh directory, then a warm one in the same directory.
    `state["last"]`: when the simulator last saw a request of ours (its caches live cache_ttl from then)."""
    results = {"cold": [], "warm": []}
    for number in range(runs):
        # Claude Code's prompt names its working directory: names of one length in both cases, so
        # that their prompts are the same size ("shaper-off" costs 3 input tokens more per task).
        cwd = "%s/bench-credits/shaper-%d-run-%d-%d" % (lab.home, int(shaper), number + 1, int(time.time()))
        lab.exec("mkdir", "-p", cwd, user=lab.user)
        wait = state["last"] + cache_ttl + 5 - time.monotonic()
        if wait > 0:
            log("%s: run %d/%d: waiting %d s for the simulator's prompt caches to expire" % (case, number + 1, runs, wait))
            time.sleep(wait)
        for kind, word in (("cold", "step"), ("warm", "again")):
            results[kind].append(measured_task(lab, tool_calls, word, cwd))
            state["last"] = time.monotonic()
            got = results[kind][-1]
            log("%s: run %d/%d %s: billed %.4f, metered %.4f credits, cached %.1f%% / %.1f%%, %d requests, answers %s"
                % (case, number + 1, runs, kind, got["billed"], got["metered"], 100 * got["cached_billed"],
                   100 * got["cached_metered"], got["requests"], "ok" if got["ok"] else "WRONG"))
    return results


# --- 2. A runaway loop under a daily budget -----------------------------------------------------

def runaway(lab, headroom, requests, prompt_chars, model):
    """The loop under a daily budget of today's spend + headroom; its counts. The caller restores the host."""
    spent_today = meter(lab)["spend"].get("day", 0.0)
    budget = round(spent_today + headroom, 6)
    log("runaway: daily budget %s credits (spent today %.4f + headroom %s); configuring" % (budget, spent_today, headroom))
    lab.configure(True, {"litellm_copilot_credit_budget_daily": budget})
    key = lab.exec("cat", "/var/lib/litellm-copilot/master-key").stdout.strip()
    client = openai.OpenAI(base_url=lab.proxy + "/v1", api_key=key, max_retries=0, timeout=120)
    filler = ("Refactor the billing module, keep its interface, and explain every step. " * (prompt_chars // 73 + 1))
    before = both_sides(lab)
    counts = {"fallback": 0, "premium": 0, "failures": [], "models": {}}
    started = time.monotonic()
    for number in range(requests):
        prompt = ("Runaway request %d. " % number + filler)[:prompt_chars]  # its own start: no cached prefix
        try:
            raw = client.chat.completions.with_raw_response.create(
                model=model, messages=[{"role": "user", "content": prompt}])
            answer = raw.parse()
        except openai.OpenAIError as error:
            counts["failures"].append("%d: %s" % (number, str(error)[:200]))
            continue
        reason = raw.headers.get(FALLBACK_HEADER)
        counts["fallback" if reason == "budget" else "premium"] += 1
        counts["models"][answer.model] = counts["models"].get(answer.model, 0) + 1
        if reason not in (None, "budget") or not answer.choices[0].message.content:
            counts["failures"].append("%d: fallback header %r, answer %r" % (number, reason, answer.choices[0].message.content))
    seconds = time.monotonic() - started
    after = both_sides(lab, before)
    line_before = before[0]["models"].get(model, {"requests": 0, "credits": 0.0})
    line_after = after[0]["models"].get(model, {"requests": 0, "credits": 0.0})
    premium_billed = line_after["requests"] - line_before["requests"]
    billed = after[0]["credits"] - before[0]["credits"]
    one = (line_after["credits"] - line_before["credits"]) / premium_billed if premium_billed else 0.0
    return {"budget": budget, "headroom": headroom, "requests": requests, "seconds": seconds,
            "fallback": counts["fallback"], "premium": counts["premium"], "models": counts["models"],
            "failures": counts["failures"], "premium_billed": premium_billed, "billed": billed,
            "metered": after[1]["credits"] - before[1]["credits"], "one_request": one,
            "fallbacks_metered": after[1]["fallbacks"].get("budget", 0) - before[1]["fallbacks"].get("budget", 0),
            "within": billed <= headroom + one + 1e-9}


# --- Output ---------------------------------------------------------------------------------------

def print_tasks(results, model, claude_version, tool_calls, runs):
    print("Claude Code %s, model %s, %d tool calls then a second prompt; %d runs per case, each a cold then a warm task."
          % (claude_version.split(" ")[0], model, tool_calls, runs))
    print()
    print("| case | task | runs | credits billed (median) | min | max | credits metered (median) "
          "| largest abs(metered - billed) | cached share of input, billed (median) | metered (median) "
          "| billed tokens: input / cached input / output (median) | upstream requests (median) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for case, result in results.items():
        for kind in ("cold", "warm"):
            rows = result[kind]
            billed = [r["billed"] for r in rows]
            tokens = " / ".join("%d" % statistics.median(r["tokens"][kind] for r in rows) for kind in KINDS)
            print("| %s | %s | %d | %.4f | %.4f | %.4f | %.4f | %.6f | %.1f %% | %.1f %% | %s | %s |" % (
                case, kind, len(rows), statistics.median(billed), min(billed), max(billed),
                statistics.median(r["metered"] for r in rows), max(abs(r["metered"] - r["billed"]) for r in rows),
                100 * statistics.median(r["cached_billed"] for r in rows),
                100 * statistics.median(r["cached_metered"] for r in rows), tokens,
                fmt(statistics.median(r["requests"] for r in rows))))


def print_runaway(loop, model):
    print("| budget left when the loop starts (B) | requests | answered by %s | answered by the fallback "
          "(`%s: budget`) | failures | credits billed in the loop | one request (bill) | B + one request | within |"
          % (model, FALLBACK_HEADER))
    print("|---|---|---|---|---|---|---|---|---|")
    print("| %s | %d | %d | %d | %d | %.4f | %.4f | %.4f | %s |" % (
        fmt(loop["headroom"]), loop["requests"], loop["premium"], loop["fallback"], len(loop["failures"]),
        loop["billed"], loop["one_request"], loop["headroom"] + loop["one_request"], "yes" if loop["within"] else "NO"))
    print()
    print("Daily budget set: %s credits. Loop: %.1f s. Answers by model: %s. Billed premium requests: %d. "
          "Metered in the loop: %.4f credits, %d budget fallbacks."
          % (loop["budget"], loop["seconds"], ", ".join("%s %d" % item for item in sorted(loop["models"].items())),
             loop["premium_billed"], loop["metered"], loop["fallbacks_metered"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inventory", required=True, help="inventory of the deployed lab host")
    parser.add_argument("--host", required=True, help="the lab host (a podman container) in it")
    parser.add_argument("--runs", type=int, default=3, help="runs per case of the Claude Code task")
    parser.add_argument("--tool-calls", type=int, default=5, help="tool calls the first prompt's agent loop makes")
    parser.add_argument("--cache-ttl", type=float, default=300,
                        help="seconds the simulator keeps a prompt prefix (copilot_sim.prompt_cache.CACHE_TTL)")
    parser.add_argument("--credits", type=float, default=100000, help="credits left on the seat while measuring")
    parser.add_argument("--headroom", type=float, default=2, help="credits the daily budget leaves the runaway loop")
    parser.add_argument("--loop-requests", type=int, default=200)
    parser.add_argument("--loop-model", default="claude-sonnet-4.5")
    parser.add_argument("--prompt-chars", type=int, default=8000, help="size of each loop request's prompt")
    parser.add_argument("--only", choices=("task", "runaway"), help="measure only one of the two")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    args = parser.parse_args()

    lab = Lab(args.inventory, args.host)
    restore = credit_seat(lab, args.credits)
    tasks, loop, reconfigured, claude_version = {}, None, False, ""
    try:
        if args.only != "runaway":
            claude_version = install_claude(lab)
            log("Claude Code on %s: %s" % (lab.host, claude_version))
            state = {"last": time.monotonic()}
            for case, shaper in CASES:
                log("%s: configuring" % case)
                reconfigured = True
                # Also as a JSON boolean: the role hands `-e litellm_copilot_request_shaper=false`
                # (a string) to its config filter unconverted, which then keeps the shaper's callback
                # while the shaper's file is removed, and the proxy no longer starts.
                lab.configure(shaper, {"litellm_copilot_request_shaper": shaper})
                tasks[case] = task_runs(lab, case, shaper, args.runs, args.tool_calls, args.cache_ttl, state)
        if args.only != "task":
            reconfigured = True
            loop = runaway(lab, args.headroom, args.loop_requests, args.prompt_chars, args.loop_model)
    finally:
        if reconfigured:
            log("restoring the host's settings (its inventory's: no budget, shaper on)")
            lab.configure(True)
            log("budgets in force now: %s" % (meter(lab)["budget"] or "none"))
        sim_call(lab, "POST", "/_sim/accounts/billing", restore)

    model = lab.settings()["ANTHROPIC_MODEL"]
    if args.json:
        print(json.dumps({"model": model, "claude_code": claude_version, "tasks": tasks, "runaway": loop}, indent=2))
    else:
        if tasks:
            print_tasks(tasks, model, claude_version, args.tool_calls, args.runs)
            print()
        if loop:
            print_runaway(loop, args.loop_model)
    wrong = [case for case, result in tasks.items() if not all(r["ok"] for kind in result.values() for r in kind)]
    if wrong:
        log("answers differed from the script in: " + ", ".join(wrong))
    if loop and loop["failures"]:
        log("failures in the loop: %s" % loop["failures"][:5])
    return 1 if wrong or (loop and (loop["failures"] or not loop["within"])) else 0


if __name__ == "__main__":
    sys.exit(main())
