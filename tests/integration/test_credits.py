"""Credit seats: what the meter on the VM (copilot_meter.py, read through the proxy's /metrics) says
this VM spent, against what Copilot (the simulator, billing by the token at the models' rates) charged
the seat, for the real OpenAI and Anthropic SDKs and the real Claude Code CLI; and the seat's quota as
Copilot's last answer reported it. Budgets, which need a config of their own, are the fleet scenario's
(molecule/fleet: tests/fleet/test_budgets.py)."""
import json
import re
import urllib.request

import pytest
from conftest import COPILOT_SIM_URL, PROXY_URL, claude_settings, run_claude, sim_call
from lab import host_vars

# The meter and the bill price the same tokens at the same published rates: they may differ only by
# rounding, and by what LiteLLM's usage for a stream leaves out.
TOLERANCE = 0.05
SAMPLE = re.compile(r'^(?P<name>[a-z_]+)\{(?P<labels>[^}]*)\} (?P<value>\S+)$')
# Long enough for Copilot's prompt caches (1024 tokens and more), as a tool-using agent's system prompt is.
LONG_SYSTEM = "You are a careful coding agent working in a large repository. " * 120


def metrics():
    """{(metric, ((label, value), ...)): value} from the proxy's /metrics."""
    with urllib.request.urlopen(PROXY_URL + "/metrics", timeout=30) as answer:
        assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
        text = answer.read().decode()
    samples = {}
    for line in text.splitlines():
        found = SAMPLE.match(line)
        if found:
            labels = tuple(tuple(pair.split("=", 1)) for pair in found["labels"].split(","))
            samples[found["name"], tuple((key, value.strip('"')) for key, value in labels)] = float(found["value"])
    return samples


def credits_by_model(samples):
    return {dict(labels)["model"]: value for (name, labels), value in samples.items()
            if name == "litellm_copilot_credits_total"}


def tokens(samples, kind):
    return sum(value for (name, labels), value in samples.items()
               if name == "litellm_copilot_tokens_total" and dict(labels)["kind"] == kind)


def seat_usage(token):
    request = urllib.request.Request(COPILOT_SIM_URL + "/copilot_internal/user", headers={"Authorization": "token " + token})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


@pytest.fixture(scope="module")
def credit_seat():
    """The lab account, switched to credits for this module (it is an annual seat otherwise: the
    premium-request tests count its premium requests)."""
    token = host_vars()["litellm_copilot_github_token"]
    before = sim_call("GET", "/_sim/bill?token=" + token)
    sim_call("POST", "/_sim/accounts/billing", {"token": token, "billing": "credits", "credits_remaining": 900})
    yield token
    sim_call("POST", "/_sim/accounts/billing", {"token": token, "billing": before["billing"]})


def test_the_meter_matches_what_copilot_billed(credit_seat, openai_client, anthropic_client, developer,
                                               claude_on_host):
    bill_before = sim_call("GET", "/_sim/bill?token=" + credit_seat)
    metered_before = metrics()

    # The OpenAI SDK: chat (plain and streamed), Responses; an included model costs nothing.
    for _ in range(2):  # the second sends the same long prefix: cached
        openai_client.chat.completions.create(model="claude-sonnet-4.5", messages=[
            {"role": "system", "content": LONG_SYSTEM}, {"role": "user", "content": "plan the change"}])
    stream = openai_client.chat.completions.create(model="gpt-5", stream=True,
                                                   messages=[{"role": "user", "content": "stream it"}])
    assert "You said: stream it" in "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    openai_client.responses.create(model="gpt-5", input="answer through Responses")
    openai_client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "included"}])
    # The Anthropic SDK: a cache breakpoint on the system prompt, written once and then read.
    system = [{"type": "text", "text": LONG_SYSTEM, "cache_control": {"type": "ephemeral"}}]
    for _ in range(2):
        anthropic_client.messages.create(model="claude-sonnet-4-5-20250929", max_tokens=200, system=system,
                                         messages=[{"role": "user", "content": "review the diff"}])
    with anthropic_client.messages.stream(model="claude-haiku-4-5", max_tokens=200, system=system,
                                          messages=[{"role": "user", "content": "stream a review"}]) as stream:
        assert "You said: stream a review" in stream.get_final_text()
    # Claude Code: one prompt whose agent loop makes 5 tool calls, then a second prompt.
    first = run_claude(developer, 'SIM:TOOLS 5 Bash {"command": "echo credit-{call}", "description": "Print a step"}',
                       "--allowedTools", "Bash(echo:*)")
    assert first["is_error"] is False, first
    second = run_claude(developer, "Now sum it up", "--continue")
    assert second["is_error"] is False, second

    bill_after = sim_call("GET", "/_sim/bill?token=" + credit_seat)
    metered_after = metrics()
    billed = bill_after["credits_spent"] - bill_before["credits_spent"]
    before, after = credits_by_model(metered_before), credits_by_model(metered_after)
    metered = {model: after[model] - before.get(model, 0.0) for model in after}
    print("billed %.6f credits, metered %.6f: %s" % (billed, sum(metered.values()), metered))
    assert billed > 0 and abs(sum(metered.values()) - billed) <= TOLERANCE * billed, (metered, billed)
    # Per model too: the Claude Code model, the SDKs' models; the included one is free on both sides.
    claude_code_model = claude_settings(developer)["env"]["ANTHROPIC_MODEL"]
    for model in {"claude-sonnet-4.5", "claude-haiku-4.5", "gpt-5", claude_code_model}:
        charged = bill_after["models"][model]["credits"] - bill_before["models"].get(model, {}).get("credits", 0.0)
        assert charged > 0 and abs(metered[model] - charged) <= TOLERANCE * charged, (model, metered[model], charged)
    assert metered["gpt-4.1"] == 0.0
    # Caching shows on both sides: the second long-prefix request read what the first wrote.
    cached = tokens(metered_after, "cached_input") - tokens(metered_before, "cached_input")
    cached_billed = sum(line["cached_input"] for line in bill_after["models"].values()) \
        - sum(line["cached_input"] for line in bill_before["models"].values())
    print("cached input tokens: metered %d, billed %d" % (cached, cached_billed))
    assert cached > 1000 and abs(cached - cached_billed) <= TOLERANCE * cached_billed, (cached, cached_billed)


def test_the_quota_gauge_is_copilots_last_word(credit_seat, openai_client):
    openai_client.chat.completions.create(model="claude-sonnet-4.5", messages=[{"role": "user", "content": "gauge"}])
    premium = seat_usage(credit_seat)["quota_snapshots"]["premium_interactions"]
    samples = metrics()
    quota = (("quota", "premium_interactions"),)
    # The headers and /copilot_internal/user carry the same numbers; the meter kept the last headers.
    assert samples["litellm_copilot_quota_remaining_ratio", quota] == pytest.approx(premium["percent_remaining"] / 100,
                                                                                   abs=0.0006)
    reset = samples["litellm_copilot_quota_reset_timestamp_seconds", quota]
    assert reset > 0 and re.fullmatch(r"\d{4}-\d{2}-01", seat_usage(credit_seat)["quota_reset_date"])
    assert samples["litellm_copilot_billing_info", (("billing", "credits"),)] == 1.0
