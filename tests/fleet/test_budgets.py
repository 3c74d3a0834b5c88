"""Credit budgets on a fleet (Molecule's fleet scenario runs this after its rollouts; its inventory
gives two hosts a budget): once a VM has spent its budget, its premium requests are answered by the
included fallback model, marked, or refused with one 429 naming the budget where the fallback is off;
included models keep answering; and the spend survives a restart of the proxy.

FLEET_BUDGETS names the hosts and their proxies, "host=url,host=url": the first has a daily budget and
the fallback off, the second a monthly budget with the fallback on. The master keys are read on the
hosts (podman exec), as Molecule's own verify does."""
import os
import re
import subprocess
import time
import urllib.request

import anthropic
import openai
import pytest

HOSTS = dict(entry.split("=", 1) for entry in os.environ.get("FLEET_BUDGETS", "").split(",") if entry)
if len(HOSTS) != 2:
    raise pytest.UsageError("FLEET_BUDGETS must name two hosts and their proxies (host=url,host=url): "
                            "molecule/fleet/verify.yml sets it")
(DAILY_HOST, DAILY_URL), (MONTHLY_HOST, MONTHLY_URL) = HOSTS.items()
PREMIUM, INCLUDED = "claude-sonnet-4.5", "gpt-4.1"
FALLBACK_HEADER = "x-litellm-copilot-fallback"


def on_host(host, *command):
    return subprocess.run(["podman", "exec", host, *command], check=True, capture_output=True, text=True).stdout


def key(host):
    return on_host(host, "cat", "/var/lib/litellm-copilot/master-key").strip()


def spend(url):
    """{period: credits} this VM spent, from its /metrics."""
    with urllib.request.urlopen(url + "/metrics", timeout=30) as answer:
        text = answer.read().decode()
    return {period: float(value) for period, value in
            re.findall(r'^litellm_copilot_spend_credits\{period="(\w+)"\} (\S+)$', text, re.M)}


def spend_budget(client):
    """A premium request per call until the budget refuses one (the first one may fit the budget)."""
    for _ in range(3):
        answer = client.chat.completions.with_raw_response.create(
            model=PREMIUM, messages=[{"role": "user", "content": "spend " * 400}])
        if answer.headers.get(FALLBACK_HEADER):
            return answer
    raise AssertionError("three premium requests and the budget never refused one")


def test_a_spent_daily_budget_without_fallback_refuses_premium_with_one_message():
    client = openai.OpenAI(base_url=DAILY_URL + "/v1", api_key=key(DAILY_HOST), max_retries=0, timeout=60)
    for _ in range(3):
        try:
            client.chat.completions.create(model=PREMIUM, messages=[{"role": "user", "content": "spend " * 400}])
        except openai.RateLimitError as refused:
            message = str(refused)
            break
    else:
        raise AssertionError("three premium requests and the daily budget never refused one")
    assert "litellm_copilot_credit_budget_daily is spent" in message and "local midnight" in message, message
    # Included models answer on: the budget only holds back what costs credits.
    answer = client.chat.completions.create(model=INCLUDED, messages=[{"role": "user", "content": "still here"}])
    assert "You said: still here" in answer.choices[0].message.content
    spent = spend(DAILY_URL)
    assert spent["day"] > 0


def test_a_spent_monthly_budget_falls_back_marked_and_survives_a_restart():
    proxy_key = key(MONTHLY_HOST)
    client = openai.OpenAI(base_url=MONTHLY_URL + "/v1", api_key=proxy_key, max_retries=0, timeout=60)
    answer = spend_budget(client)
    assert answer.headers[FALLBACK_HEADER] == "budget"
    reply = answer.parse()
    assert reply.model != PREMIUM and "You said: spend" in reply.choices[0].message.content
    # Claude Code's path too: /v1/messages, streamed, for a dated Claude name.
    messages = anthropic.Anthropic(base_url=MONTHLY_URL, api_key=proxy_key, max_retries=0, timeout=60)
    with messages.messages.with_streaming_response.create(
            model="claude-sonnet-4-5-20250929", max_tokens=100, stream=True,
            messages=[{"role": "user", "content": "stream after the budget"}]) as streamed:
        assert streamed.headers[FALLBACK_HEADER] == "budget"
        assert "event: message_stop" in "\n".join(streamed.iter_lines())  # a whole stream, answered
    before = spend(MONTHLY_URL)
    assert before["month"] > 0

    on_host(MONTHLY_HOST, "systemctl", "restart", "litellm-copilot.service")
    deadline = time.monotonic() + 120
    while True:
        try:
            after = spend(MONTHLY_URL)
            break
        except OSError:
            assert time.monotonic() < deadline, "the proxy did not come back after its restart"
            time.sleep(1)
    assert after == before, "the spend did not survive the restart"
    again = spend_budget(client)
    assert again.headers[FALLBACK_HEADER] == "budget", "the budget forgot its spend across the restart"
