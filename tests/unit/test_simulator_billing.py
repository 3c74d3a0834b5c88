"""Tests of the Copilot simulator's billing (tests/copilot_sim/billing.py, prompt_cache.py):
credit seats pay AI credits by the token at the models' API rates, annual seats keep counting
premium requests, every successful answer carries the quota snapshot headers, and prompt
caching shows in the usage and the bill.  The `sim` fixture (conftest.py) is reset before each
test; the HTTP helpers come from test_simulator.py."""

import datetime
import json
import time
import urllib.parse

import pytest
import requests

from copilot_sim import BUSINESS_TOKEN, INDIVIDUAL_TOKEN, prompt_cache
from copilot_sim.catalog import Catalog
from test_simulator import api_post, control, copilot_session, poll, start_device_flow

CREDIT_TOKEN = "gho_CreditSeatForTheBillingTests000000001"
# The rates the simulator must charge, credits per million tokens (input, cached input, output),
# copied from the brief rather than from catalog.py so that a wrong rate there fails here.
RATES = {
    "claude-sonnet-4": (300, 30, 1500), "claude-sonnet-4.5": (300, 30, 1500),
    "claude-haiku-4.5": (100, 10, 500), "claude-opus-4.1": (1500, 150, 7500),
    "gpt-5": (125, 12.5, 1000), "gpt-5-codex": (125, 12.5, 1000), "gemini-2.5-pro": (125, 31, 1000),
    "o4-mini": (110, 27.5, 440), "grok-code-fast-1": (20, 2, 150),
}
LONG = "The same long system prompt, sent again and again. " * 120  # about 1500 tokens
HI = [{"role": "user", "content": "hi"}]
# One priced request per inference API: (path, model, body).
PRICED = [
    ("/chat/completions", "claude-sonnet-4.5", {"messages": HI}),
    ("/responses", "gpt-5", {"input": "hi"}),
    ("/v1/messages", "claude-opus-4.1", {"max_tokens": 64, "messages": HI}),
]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

@pytest.fixture
def credit_seat(sim):
    """A Pro seat on credits: the control API's default for a new account."""
    created = control(sim, "POST", "/_sim/accounts", {"token": CREDIT_TOKEN, "plan": "individual"})
    assert created["billing"] == "credits"
    return CREDIT_TOKEN


def bill(sim, token):
    return control(sim, "GET", "/_sim/bill?" + urllib.parse.urlencode({"token": token}))


def set_billing(sim, token, **fields):
    return control(sim, "POST", "/_sim/accounts/billing", {"token": token, **fields})


def user_premium(sim, token):
    user = requests.get(sim.url + "/copilot_internal/user", headers={"Authorization": f"token {token}"},
                        timeout=10).json()
    return user["quota_snapshots"]["premium_interactions"]


def snapshot(response, quota="premium_interactions"):
    """A quota snapshot header as {field: value}, or None when the response has none."""
    value = response.headers.get("x-quota-snapshot-" + quota)
    return dict(urllib.parse.parse_qsl(value, keep_blank_values=True)) if value is not None else None


def reset_date():
    today = datetime.date.today()
    return datetime.date(today.year + today.month // 12, today.month % 12 + 1, 1).isoformat() + "T00:00:00Z"


def sse_payloads(response):
    return [json.loads(line[6:]) for line in response.text.splitlines()
            if line.startswith("data: ") and line != "data: [DONE]"]


def usage_of(path, response):
    """(all input tokens, cache read, cache creation, output) an answer reports, streamed or not."""
    if response.headers["content-type"].startswith("text/event-stream"):
        events = sse_payloads(response)
        if path == "/chat/completions":
            usage = [e for e in events if e.get("usage")][-1]["usage"]
        elif path == "/responses":
            usage = [e for e in events if e["type"] == "response.completed"][0]["response"]["usage"]
        else:
            start = [e for e in events if e["type"] == "message_start"][0]["message"]["usage"]
            delta = [e for e in events if e["type"] == "message_delta"][0]["usage"]
            usage = {**start, "output_tokens": delta["output_tokens"]}
    else:
        usage = response.json()["usage"]
    if path == "/chat/completions":
        return (usage["prompt_tokens"], usage["prompt_tokens_details"]["cached_tokens"], 0,
                usage["completion_tokens"])
    if path == "/responses":
        return usage["input_tokens"], usage["input_tokens_details"]["cached_tokens"], 0, usage["output_tokens"]
    read, creation = usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"]
    return usage["input_tokens"] + read + creation, read, creation, usage["output_tokens"]


def credits(model, usage):
    """What an answer costs by the rate table: uncached input (cache writes included) at the
    input rate, cache reads at the cached rate, output at the output rate."""
    total, read, _, output = usage
    rate_in, rate_cached, rate_out = RATES.get(model, (0, 0, 0))
    return ((total - read) * rate_in + read * rate_cached + output * rate_out) / 1e6


def ask(sim, path, model, body, token, stream=False, **headers):
    extra = {"stream": True} if stream else {}
    if stream and path == "/chat/completions":
        extra["stream_options"] = {"include_usage": True}
    answer = api_post(sim, path, {"model": model, **body, **extra}, token=token, **headers)
    assert answer.status_code == 200, answer.text
    return answer


def element_tokens(value):
    """The simulator's estimate (4 characters a token) of one part of a request."""
    return len(json.dumps(value, sort_keys=True)) // 4


# ---------------------------------------------------------------------------
# rates
# ---------------------------------------------------------------------------

def test_rate_table_and_included_models_cost_nothing(sim):
    catalog = Catalog()
    for model_id, (rate_in, rate_cached, rate_out) in RATES.items():
        assert catalog.rates(model_id) == {"input": rate_in, "cached_input": rate_cached, "output": rate_out}
    for model in catalog.models:
        if not model["billing"]["is_premium"]:
            assert catalog.rates(model["id"]) == {"input": 0, "cached_input": 0, "output": 0}, model["id"]
    api, copilot_token = copilot_session(sim)
    listing = requests.get(api + "/models", timeout=10,
                           headers={"Authorization": f"Bearer {copilot_token}", "editor-version": "vscode/1.104.0"})
    assert "rates" not in listing.text, "Copilot's /models lists no prices"
    assert snapshot(listing) is None


# ---------------------------------------------------------------------------
# credit seats
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("path, model, body", PRICED, ids=[p[0] for p in PRICED])
def test_credit_seat_pays_its_tokens_at_the_models_rates(sim, credit_seat, path, model, body, stream):
    """Two answers (one marked as an agent turn: that changes nothing on credit seats) cost
    their tokens at the model's rates, down to the bill's per-model lines and the headers."""
    first = ask(sim, path, model, body, credit_seat, stream)
    agent = ask(sim, path, model, body, credit_seat, stream, **{"X-Initiator": "agent"})
    usages = [usage_of(path, first), usage_of(path, agent)]
    assert usages[0] == usages[1] and usages[0][1:3] == (0, 0), "short prompts are never cached"
    cost = [credits(model, usage) for usage in usages]
    assert cost[0] > 0
    remaining = 1000 - cost[0] - cost[1]

    charged = bill(sim, credit_seat)
    assert charged["billing"] == "credits" and charged["overage"] == 0
    assert charged["credits_spent"] == pytest.approx(cost[0] + cost[1], rel=1e-9)
    assert charged["credits_remaining"] == pytest.approx(remaining, rel=1e-12)
    assert charged["models"] == {model: {
        "requests": 2, "input": 2 * usages[0][0], "cached_input": 0, "output": 2 * usages[0][3],
        "credits": pytest.approx(cost[0] + cost[1], rel=1e-9)}}
    header = snapshot(agent)
    assert header["ent"] == "10000000" and header["ovPerm"] == "false" and header["ov"] == "0.0"
    assert float(header["totRem"]) == pytest.approx(remaining * 10000, abs=0.051)
    assert float(header["rem"]) == round(remaining / 10, 1)


def test_included_models_cost_nothing_but_are_on_the_bill(sim, credit_seat):
    chat = ask(sim, "/chat/completions", "gpt-4.1", {"messages": HI}, credit_seat)
    responses = ask(sim, "/responses", "gpt-5-mini", {"input": "hi"}, credit_seat, stream=True)
    charged = bill(sim, credit_seat)
    assert charged["credits_spent"] == 0 and charged["credits_remaining"] == 1000
    for model, path, answer in (("gpt-4.1", "/chat/completions", chat), ("gpt-5-mini", "/responses", responses)):
        total, _, _, output = usage_of(path, answer)
        assert charged["models"][model] == {"requests": 1, "input": total, "cached_input": 0,
                                            "output": output, "credits": 0}
        assert snapshot(answer)["totRem"] == "10000000.0" and snapshot(answer)["rem"] == "100.0"


def test_spent_credits_refuse_priced_models_while_included_models_answer(sim, credit_seat):
    """An answer costing more than is left takes the rest (no overage: the excess is not
    charged); then priced models get Copilot's 402 on every API, agent turns included."""
    state = set_billing(sim, credit_seat, credits_remaining=0.0001)
    assert state["billing"] == "credits" and state["credits_remaining"] == 0.0001
    assert state["overage_permitted"] is False
    last = ask(sim, "/chat/completions", "claude-sonnet-4.5", {"messages": HI}, credit_seat)
    assert credits("claude-sonnet-4.5", usage_of("/chat/completions", last)) > 0.0001
    assert snapshot(last)["totRem"] == "0.0" and snapshot(last)["rem"] == "0.0"
    charged = bill(sim, credit_seat)
    assert charged["credits_spent"] == 0.0001 and charged["credits_remaining"] == 0 and charged["overage"] == 0

    for path, model, body in PRICED:
        for headers in ({}, {"X-Initiator": "agent"}):
            refused = api_post(sim, path, {"model": model, **body}, token=credit_seat, **headers)
            assert refused.status_code == 402, (path, headers)
            assert refused.json() == {"error": {"message": "You have no quota", "code": "quota_exceeded"}}
            assert snapshot(refused) is None and snapshot(refused, "chat") is None
    included = ask(sim, "/chat/completions", "gpt-4.1", {"messages": HI}, credit_seat)
    assert "You said: hi" in included.json()["choices"][0]["message"]["content"]
    assert snapshot(included)["totRem"] == "0.0"
    after = bill(sim, credit_seat)
    assert after["credits_spent"] == 0.0001 and set(after["models"]) == {"claude-sonnet-4.5", "gpt-4.1"}
    assert after["models"]["claude-sonnet-4.5"]["requests"] == 1, "refusals are not billed"
    assert user_premium(sim, credit_seat)["remaining"] == 0


def test_overage_permitted_keeps_serving_and_counts_the_overage(sim, credit_seat):
    set_billing(sim, credit_seat, credits_remaining=0.0001, overage_permitted=True)
    costs = []
    for path, model, body in PRICED:
        answer = ask(sim, path, model, body, credit_seat)
        costs.append(credits(model, usage_of(path, answer)))
    overage = sum(costs) - 0.0001
    charged = bill(sim, credit_seat)
    assert charged["credits_spent"] == pytest.approx(sum(costs), rel=1e-9)
    assert charged["overage"] == pytest.approx(overage, rel=1e-9)
    assert charged["credits_remaining"] == 0 and charged["overage_permitted"] is True
    header = snapshot(answer)
    assert header["ovPerm"] == "true" and header["totRem"] == "0.0" and header["rem"] == "0.0"
    assert float(header["ov"]) == pytest.approx(overage * 10000, abs=0.051)
    premium = user_premium(sim, credit_seat)
    assert premium["overage_permitted"] is True and premium["overage_count"] == float(header["ov"])


# ---------------------------------------------------------------------------
# the quota snapshot headers
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("path, model, body", PRICED, ids=[p[0] for p in PRICED])
def test_quota_headers_on_every_successful_answer(sim, credit_seat, path, model, body, stream):
    answer = ask(sim, path, model, body, credit_seat, stream)
    assert answer.headers["content-type"].startswith("text/event-stream" if stream else "application/json")
    rst = urllib.parse.quote(reset_date(), safe="")
    premium = answer.headers["x-quota-snapshot-premium_interactions"]
    assert premium.startswith("ent=10000000&ov=0.0&ovPerm=false&rem=")
    assert f"&rst={rst}&totRem=" in premium and "%3A00%3A00Z" in rst
    assert answer.headers["x-quota-snapshot-chat"] == f"ent=-1&ov=0.0&ovPerm=false&rem=100.0&rst={rst}&totRem=-1"


def test_no_quota_headers_on_refusals_models_or_embeddings(sim, credit_seat):
    refusals = [
        api_post(sim, "/chat/completions", {"model": "no-such-model", "messages": HI}, token=credit_seat),
        api_post(sim, "/chat/completions", {"model": "gpt-4.1"}, token=credit_seat),
        api_post(sim, "/responses", {"model": "claude-sonnet-4.5", "input": "hi"}, token=credit_seat),
        api_post(sim, "/chat/completions", {"model": "grok-code-fast-1", "messages": HI}, token=credit_seat),
    ]
    assert [r.status_code for r in refusals] == [400, 400, 400, 403]
    embedded = api_post(sim, "/embeddings", {"model": "text-embedding-3-small", "input": "x"}, token=credit_seat)
    assert embedded.status_code == 200
    for response in refusals + [embedded]:
        assert not [name for name in response.headers if name.lower().startswith("x-quota-snapshot")]
    assert bill(sim, credit_seat)["models"] == {}


@pytest.mark.parametrize("token, billing, entitlement", [
    (CREDIT_TOKEN, "credits", 10000000), (INDIVIDUAL_TOKEN, "premium_requests", 300)])
def test_header_numbers_are_the_user_reports(sim, token, billing, entitlement):
    if token == CREDIT_TOKEN:
        control(sim, "POST", "/_sim/accounts", {"token": token})
    for path, model, body in PRICED:
        answer = ask(sim, path, model, body, token, stream=path == "/v1/messages")
        header = snapshot(answer)
        premium = user_premium(sim, token)
        assert bill(sim, token)["billing"] == billing
        assert int(header["ent"]) == premium["entitlement"] == entitlement
        assert float(header["totRem"]) == premium["remaining"] == premium["quota_remaining"]
        assert float(header["rem"]) == premium["percent_remaining"]
        assert float(header["ov"]) == premium["overage_count"] == 0
        assert header["ovPerm"] == "false" and premium["overage_permitted"] is False
        assert header["rst"] == reset_date()
    if billing == "premium_requests":  # x1 + x1 + x10
        assert premium["remaining"] == 288 and header["totRem"] == "288.0" and header["rem"] == "96.0"
    else:
        assert premium["remaining"] == round(bill(sim, token)["credits_remaining"] * 10000, 1)


# ---------------------------------------------------------------------------
# prompt caching
# ---------------------------------------------------------------------------

def test_messages_cache_control_reads_a_repeated_prefix(sim, credit_seat):
    system = [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}]
    prefix = element_tokens(system[0])
    assert prefix >= 1024
    body = {"max_tokens": 64, "system": system, "messages": HI}
    first = usage_of("/v1/messages", ask(sim, "/v1/messages", "claude-sonnet-4.5", body, credit_seat))
    assert first[1:3] == (0, prefix), "the first request writes the breakpoint's prefix"
    again = ask(sim, "/v1/messages", "claude-sonnet-4.5", body, credit_seat, stream=True)
    second = usage_of("/v1/messages", again)
    assert second == (first[0], prefix, 0, first[3]), "the repeat reads it (streamed alike)"
    assert again.text.count('"cache_read_input_tokens": %d' % prefix) == 1

    # The conversation goes on, the breakpoint moved to the newest turn: the system prefix is read,
    # what the new breakpoint adds beyond it is written.
    turns = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
             {"role": "user", "content": [{"type": "text", "text": "more", "cache_control": {"type": "ephemeral"}}]}]
    third = usage_of("/v1/messages", ask(sim, "/v1/messages", "claude-sonnet-4.5",
                                         {**body, "messages": turns}, credit_seat))
    added = sum(element_tokens(turn["content"]) for turn in turns[:2]) + element_tokens(turns[2]["content"][0])
    assert third[1:3] == (prefix, added)

    charged = bill(sim, credit_seat)["models"]["claude-sonnet-4.5"]
    assert charged["cached_input"] == 2 * prefix
    assert charged["input"] == sum(u[0] - u[1] for u in (first, second, third))
    assert charged["credits"] == pytest.approx(sum(credits("claude-sonnet-4.5", u) for u in (first, second, third)))
    # Cache writes cost the input rate, reads a tenth of it.
    assert credits("claude-sonnet-4.5", first) - credits("claude-sonnet-4.5", second) == pytest.approx(
        prefix * (300 - 30) / 1e6)


def test_messages_prefix_read_where_an_earlier_breakpoint_was_dropped(sim, credit_seat):
    """A prefix is its content: the next request may drop a `cache_control` inside the prefix
    (clients move their breakpoints) and still read it."""
    marked = {"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}
    question = {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}
    body = {"max_tokens": 64, "system": [marked], "messages": [{"role": "user", "content": [question]}]}
    ask(sim, "/v1/messages", "claude-sonnet-4.5", body, credit_seat)
    unmarked = {"type": "text", "text": LONG}
    usage = usage_of("/v1/messages", ask(sim, "/v1/messages", "claude-sonnet-4.5",
                                         {**body, "system": [unmarked]}, credit_seat))
    assert usage[1:3] == (element_tokens(unmarked) + element_tokens(question), 0)


def test_cached_prefixes_live_300_seconds_from_their_last_use(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(prompt_cache.time, "monotonic", lambda: clock[0])
    cache = prompt_cache.PromptCache()
    elements = [("system", {"type": "text", "text": LONG}, True)]
    tokens = element_tokens(elements[0][1])
    assert prompt_cache.breakpoints(cache, ("a", "m"), elements, tokens) == (0, tokens)
    for elapsed, expected in ((299, (tokens, 0)), (299 + 299, (tokens, 0)), (598 + 300, (0, tokens))):
        clock[0] = 1000.0 + elapsed  # each hit refreshes the prefix; 300 s unused and it is gone
        assert prompt_cache.breakpoints(cache, ("a", "m"), elements, tokens) == expected, elapsed
    assert prompt_cache.breakpoints(cache, ("b", "m"), elements, tokens) == (0, tokens), "another account"


def test_messages_short_or_unmarked_prefixes_are_not_cached(sim, credit_seat):
    short = {"max_tokens": 64, "messages": HI,
             "system": [{"type": "text", "text": "short", "cache_control": {"type": "ephemeral"}}]}
    unmarked = {"max_tokens": 64, "messages": HI, "system": [{"type": "text", "text": LONG}]}
    for body in (short, short, unmarked, unmarked):
        usage = usage_of("/v1/messages", ask(sim, "/v1/messages", "claude-haiku-4.5", body, credit_seat))
        assert usage[1:3] == (0, 0)


def test_chat_caches_the_longest_prefix_sent_before(sim, credit_seat):
    messages = [{"role": "system", "content": LONG}, {"role": "user", "content": "first"}]
    first = usage_of("/chat/completions", ask(sim, "/chat/completions", "gpt-5", {"messages": messages}, credit_seat))
    assert first[0] >= 1024 and first[1] == 0
    longer = messages + [{"role": "assistant", "content": "ok"}, {"role": "user", "content": "second"}]
    answer = ask(sim, "/chat/completions", "gpt-5", {"messages": longer}, credit_seat, stream=True)
    second = usage_of("/chat/completions", answer)
    assert second[1] == sum(element_tokens(m) for m in messages), "the first request's messages"
    assert first[0] < second[0] and second[1] <= second[0]

    # Same prompt to another model, or from another account: nothing cached there.
    other_model = usage_of("/chat/completions", ask(sim, "/chat/completions", "gpt-4.1", {"messages": longer},
                                                    credit_seat))
    other_account = usage_of("/chat/completions", ask(sim, "/chat/completions", "gpt-5", {"messages": longer},
                                                      BUSINESS_TOKEN))
    assert other_model[1] == other_account[1] == 0
    charged = bill(sim, credit_seat)["models"]["gpt-5"]
    assert charged["cached_input"] == second[1] and charged["input"] == first[0] + second[0] - second[1]
    assert charged["credits"] == pytest.approx(credits("gpt-5", first) + credits("gpt-5", second))


def test_responses_cache_instructions_and_input(sim, credit_seat):
    body = {"instructions": LONG, "input": "hi"}
    first = usage_of("/responses", ask(sim, "/responses", "gpt-5", body, credit_seat))
    second = usage_of("/responses", ask(sim, "/responses", "gpt-5", body, credit_seat, stream=True))
    assert first[1] == 0
    assert second == (first[0], element_tokens(LONG) + element_tokens("hi"), 0, first[3])
    assert bill(sim, credit_seat)["models"]["gpt-5"]["credits"] == pytest.approx(
        credits("gpt-5", first) + credits("gpt-5", second))


def test_short_chat_prompts_are_never_cached(sim, credit_seat):
    for _ in range(2):
        assert usage_of("/chat/completions", ask(sim, "/chat/completions", "gpt-5", {"messages": HI},
                                                 credit_seat))[1] == 0


def test_prefix_hashing_stays_linear_in_the_request():
    """20000 messages: a quadratic prefix hash would hash gigabytes; the running hash takes one pass."""
    elements = [("message", {"role": "user", "content": f"message {i} " + "x" * 300}, True) for i in range(20000)]
    started = time.monotonic()
    found = prompt_cache.prefixes(elements)
    assert time.monotonic() - started < 3
    assert len(found) == 20000 and len({digest for digest, _ in found}) == 20000
    assert found[-1][1] == sum(element_tokens(value) for _, value, _ in elements)


# ---------------------------------------------------------------------------
# annual seats, defaults, the control routes
# ---------------------------------------------------------------------------

def test_annual_seats_still_count_premium_requests(sim):
    """The built-in accounts keep premium requests: the multiplier per person's request, agent
    turns free, no credits charged, but the tokens are on the bill."""
    messages = {"messages": HI}
    person = ask(sim, "/chat/completions", "claude-opus-4.1", messages, INDIVIDUAL_TOKEN)
    ask(sim, "/chat/completions", "claude-opus-4.1", messages, INDIVIDUAL_TOKEN, **{"X-Initiator": "agent"})
    charged = bill(sim, INDIVIDUAL_TOKEN)
    assert charged["billing"] == "premium_requests" and charged["premium_remaining"] == 290
    assert charged["credits_spent"] == 0 and charged["credits_remaining"] == 1000
    total, _, _, output = usage_of("/chat/completions", person)
    assert charged["models"]["claude-opus-4.1"] == {"requests": 2, "input": 2 * total, "cached_input": 0,
                                                   "output": 2 * output, "credits": 0}
    assert snapshot(person)["ent"] == "300" and snapshot(person)["totRem"] == "290.0"
    set_billing(sim, INDIVIDUAL_TOKEN, premium_remaining=5)
    refused = api_post(sim, "/chat/completions", {"model": "claude-opus-4.1", **messages})
    assert refused.status_code == 402 and snapshot(refused) is None
    assert bill(sim, BUSINESS_TOKEN)["billing"] == "premium_requests"


def test_new_accounts_default_to_credits(sim):
    assert control(sim, "POST", "/_sim/accounts", {"token": CREDIT_TOKEN})["billing"] == "credits"
    assert bill(sim, CREDIT_TOKEN)["credits_remaining"] == 1000
    business = "gho_BusinessCreditSeatForBilling000000001"
    control(sim, "POST", "/_sim/accounts", {"token": business, "plan": "enterprise"})
    assert user_premium(sim, business)["entitlement"] == 39000000
    # An account given premium requests left is an annual seat (what older tests set up).
    annual = control(sim, "POST", "/_sim/accounts", {"token": business, "premium_remaining": 5})
    assert annual["billing"] == "premium_requests"
    explicit = control(sim, "POST", "/_sim/accounts", {"token": business, "billing": "premium_requests"})
    assert explicit["billing"] == "premium_requests"
    # A device-flow sign-in is a new monthly (credit) seat.
    control(sim, "POST", "/_sim/device", {"script": ["success"]})
    signed_in = poll(sim, start_device_flow(sim)["device_code"])["access_token"]
    assert bill(sim, signed_in)["billing"] == "credits"
    assert user_premium(sim, signed_in)["entitlement"] == 10000000


def test_billing_route_validates_and_reset_restores(sim, credit_seat):
    for bad in ({"billing": "dollars"}, {"credits_remaining": "5"}, {"credits_remaining": -1},
                {"overage_permitted": "yes"}):
        answer = requests.post(sim.url + "/_sim/accounts/billing", json={"token": credit_seat, **bad}, timeout=10)
        assert answer.status_code == 400, bad
    assert requests.post(sim.url + "/_sim/accounts/billing", json={"token": "gho_nobody"},
                         timeout=10).status_code == 404
    assert requests.get(sim.url + "/_sim/bill?token=gho_nobody", timeout=10).status_code == 404
    state = set_billing(sim, INDIVIDUAL_TOKEN, billing="credits", credits_remaining=12.5, overage_permitted=True)
    assert state == {"billing": "credits", "credits_allowance": 1000, "credits_remaining": 12.5, "overage": 0,
                     "overage_permitted": True, "premium_remaining": 300}
    body = {"messages": [{"role": "system", "content": LONG}, {"role": "user", "content": "x"}]}
    ask(sim, "/chat/completions", "gpt-5", body, INDIVIDUAL_TOKEN)
    assert bill(sim, INDIVIDUAL_TOKEN)["credits_remaining"] < 12.5

    control(sim, "POST", "/_sim/reset")
    charged = bill(sim, INDIVIDUAL_TOKEN)
    assert charged["billing"] == "premium_requests" and charged["models"] == {}
    assert charged["credits_remaining"] == 1000 and charged["overage_permitted"] is False
    again = usage_of("/chat/completions", ask(sim, "/chat/completions", "gpt-5", body, INDIVIDUAL_TOKEN))
    assert again[1] == 0, "the reset empties the prompt cache"
