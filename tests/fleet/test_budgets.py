"""Credit budgets on a fleet (molecule/fleet gives two hosts a budget; its verify.yml runs this after
the rollouts, on the upgraded fleet): once a VM has spent its budget, its premium requests are
answered by the included fallback model, marked, or refused with one 429 naming the budget where the
fallback is off; included models keep answering; and the spend survives a restart of the proxy."""
import re
import time
import urllib.request

import anthropic
import openai
import pytest

from constants import SERVICE

PREMIUM, INCLUDED = "claude-sonnet-4.5", "gpt-4.1"
FALLBACK_HEADER = "x-litellm-copilot-fallback"


def budget_host(fleet, budget):
    """The one host of the fleet whose inventory sets the budget."""
    hosts = [host for host in fleet if host.vars.get(budget)]
    assert len(hosts) == 1, "molecule/fleet must give exactly one host %s, it gives %s" % (budget, hosts)
    return hosts[0]


@pytest.fixture
def daily(fleet):
    """The host with a daily budget and the quota fallback off."""
    host = budget_host(fleet, "litellm_copilot_credit_budget_daily")
    assert not host.vars.get("litellm_copilot_quota_fallback"), host
    return host


@pytest.fixture
def monthly(fleet):
    """The host with a monthly budget and the quota fallback on (the role's default)."""
    return budget_host(fleet, "litellm_copilot_credit_budget_monthly")


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


def test_a_spent_daily_budget_without_fallback_refuses_premium_with_one_message(daily):
    client = openai.OpenAI(base_url=daily.url + "/v1", api_key=daily.key, max_retries=0, timeout=60)
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
    spent = spend(daily.url)
    assert spent["day"] > 0


def test_a_spent_monthly_budget_falls_back_marked_and_survives_a_restart(monthly):
    proxy_key = monthly.key
    client = openai.OpenAI(base_url=monthly.url + "/v1", api_key=proxy_key, max_retries=0, timeout=60)
    answer = spend_budget(client)
    assert answer.headers[FALLBACK_HEADER] == "budget"
    reply = answer.parse()
    assert reply.model != PREMIUM and "You said: spend" in reply.choices[0].message.content
    # Claude Code's path too: /v1/messages, streamed, for a dated Claude name.
    messages = anthropic.Anthropic(base_url=monthly.url, api_key=proxy_key, max_retries=0, timeout=60)
    with messages.messages.with_streaming_response.create(
            model="claude-sonnet-4-5-20250929", max_tokens=100, stream=True,
            messages=[{"role": "user", "content": "stream after the budget"}]) as streamed:
        assert streamed.headers[FALLBACK_HEADER] == "budget"
        assert "event: message_stop" in "\n".join(streamed.iter_lines())  # a whole stream, answered
    before = spend(monthly.url)
    assert before["month"] > 0

    monthly.run("systemctl", "restart", SERVICE + ".service")
    deadline = time.monotonic() + 120
    while True:
        try:
            after = spend(monthly.url)
            break
        except OSError:
            assert time.monotonic() < deadline, "the proxy did not come back after its restart"
            time.sleep(1)
    assert after == before, "the spend did not survive the restart"
    again = spend_budget(client)
    assert again.headers[FALLBACK_HEADER] == "budget", "the budget forgot its spend across the restart"
