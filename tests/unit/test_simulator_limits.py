"""Tests of the Copilot simulator's strictness about prompt limits, Anthropic betas and thinking
(tests/copilot_sim/copilot_api.py, anthropic_messages.py, thinking.py): a prompt over the model's
`max_prompt_tokens` is refused on all three APIs with the count its usage would report,
`/v1/messages` refuses betas outside Copilot's list and `context_management` without its beta,
and thinking blocks come signed and must come back unchanged.  The `sim` fixture (conftest.py)
is reset before each test; the HTTP helpers come from test_simulator.py and
test_simulator_billing.py."""

import base64
import copy
import hashlib
import hmac
import http.client
import json
import urllib.parse

import pytest
import requests

from copilot_sim import INDIVIDUAL_TOKEN
from copilot_sim.anthropic_messages import SUPPORTED_BETAS
from copilot_sim.answers import estimate_prompt_tokens, estimate_tokens
from test_simulator import IDE_HEADERS, anthropic_client, api_post, control, copilot_session, hello
from test_simulator_billing import CREDIT_TOKEN, bill, set_billing, sse_payloads, usage_of

# Copied from the brief rather than from the simulator, so a wrong value there fails here.
PROMPT_LIMIT = 128000  # max_prompt_tokens of claude-sonnet-4.5 and gpt-5
EDITOR_BETAS = ["interleaved-thinking-2025-05-14", "context-management-2025-06-27",
                "advanced-tool-use-2025-11-20"]
LIMIT_CODE = "model_max_prompt_tokens_exceeded"
THINK = {"type": "enabled", "budget_tokens": 1024}
BASH = {"name": "Bash", "description": "Run a command",
        "input_schema": {"type": "object", "properties": {"command": {"type": "string"}},
                         "required": ["command"]}}


def too_long(count, limit):
    return {"error": {"message": f"prompt token count of {count} exceeds the limit of {limit}",
                      "code": LIMIT_CODE}}


def invalid(message):
    return {"error": {"message": message, "code": "invalid_request_body"}}


def bad_signature(n, k):
    return invalid(f"messages.{n}.content.{k}: Invalid signature in thinking block")


# One body shape per inference API, its prompt text `k` characters long.
def chat_body(model, k):
    return {"model": model, "messages": [{"role": "user", "content": "x" * k}]}


def responses_body(model, k):
    return {"model": model, "input": "x" * k}


def messages_body(model, k):
    # A breakpoint on the long block: the usage splits the prompt into input, cache creation
    # and (on a repeat) cache read, which must add up to the count the limit is checked on.
    return {"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "x" * k, "cache_control": {"type": "ephemeral"}}]}]}


APIS = [
    pytest.param("/chat/completions", "claude-sonnet-4.5", chat_body, id="chat"),
    pytest.param("/responses", "gpt-5", responses_body, id="responses"),
    pytest.param("/v1/messages", "claude-sonnet-4.5", messages_body, id="messages"),
]


def sized(make, model, tokens):
    """A body whose prompt counts exactly `tokens` by the simulator's own estimator: each `x`
    adds one character to the body's JSON, four characters make a token."""
    k = 4 * tokens - len(json.dumps(make(model, 0), sort_keys=True))
    assert k >= 0
    body = make(model, k)
    assert estimate_prompt_tokens(body) == tokens
    assert estimate_prompt_tokens(make(model, k + 3)) == tokens  # the boundary is exactly here
    assert estimate_prompt_tokens(make(model, k + 4)) == tokens + 1
    return body


def messages(sim, headers=None, **body):
    """POST /v1/messages: claude-sonnet-4.5 and the prompt "hi" unless `body` says otherwise."""
    body = {"model": "claude-sonnet-4.5", "max_tokens": 2048,
            "messages": [{"role": "user", "content": "hi"}], **body}
    return api_post(sim, "/v1/messages", body, **(headers or {}))


def models_billed(sim, token=INDIVIDUAL_TOKEN):
    return bill(sim, token)["models"]


def raw_post(sim, path, body, header_pairs):
    """POST with headers given as (name, value) pairs, so one may be sent twice."""
    api, copilot_token = copilot_session(sim)
    url = urllib.parse.urlsplit(api + path)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    payload = json.dumps(body).encode()
    connection.putrequest("POST", url.path)
    pairs = [("Authorization", f"Bearer {copilot_token}"), ("Content-Type", "application/json"),
             ("Content-Length", str(len(payload)))] + list(IDE_HEADERS.items()) + list(header_pairs)
    for name, value in pairs:
        connection.putheader(name, value)
    connection.endheaders(payload)
    response = connection.getresponse()
    status, answer = response.status, json.loads(response.read())
    connection.close()
    return status, answer


# ---------------------------------------------------------------------------
# prompt limit
# ---------------------------------------------------------------------------

def listed_models(sim):
    api, copilot_token = copilot_session(sim)
    listing = requests.get(api + "/models", timeout=10,
                           headers={"Authorization": f"Bearer {copilot_token}", **IDE_HEADERS})
    return {model["id"]: model for model in listing.json()["data"]}


def test_catalog_keeps_the_limits(sim):
    limits = {model_id: model["capabilities"]["limits"] for model_id, model in listed_models(sim).items()}
    assert limits["claude-sonnet-4.5"]["max_prompt_tokens"] == PROMPT_LIMIT
    assert limits["claude-sonnet-4.5"]["max_output_tokens"] == 16000
    assert limits["gpt-5"]["max_prompt_tokens"] == PROMPT_LIMIT


@pytest.mark.parametrize("path, model, make", APIS)
def test_prompt_at_the_limit_passes_one_more_token_is_refused(sim, path, model, make):
    # The stream switches are no part of the prompt: the same prompt streamed counts the same.
    switches = {"stream": True, **({"stream_options": {"include_usage": True}} if path == "/chat/completions" else {})}
    at_limit = sized(make, model, PROMPT_LIMIT)
    first = api_post(sim, path, at_limit)
    assert first.status_code == 200, first.text
    again = api_post(sim, path, {**at_limit, **switches})
    assert again.status_code == 200, again.text
    # The usage reports the very count the limit is checked on (on /v1/messages: input + cache
    # read + cache creation), so a client's accounting predicts the refusal.
    reported = [usage_of(path, first), usage_of(path, again)]
    assert [usage[0] for usage in reported] == [PROMPT_LIMIT, PROMPT_LIMIT]
    assert reported[1][1] > 0, "the repeat reads the prompt cache and still counts the limit"
    if path == "/v1/messages":
        assert reported[0][2] > 0, "the first request writes the cache and still counts the limit"

    over = sized(make, model, PROMPT_LIMIT + 1)
    for body in (over, {**over, **switches}):
        refused = api_post(sim, path, body)
        assert refused.status_code == 400
        assert refused.headers["content-type"].startswith("application/json")
        assert refused.json() == too_long(PROMPT_LIMIT + 1, PROMPT_LIMIT)
    billed = models_billed(sim)
    assert list(billed) == [model] and billed[model]["requests"] == 2, "nothing billed for refusals"
    assert bill(sim, INDIVIDUAL_TOKEN)["premium_remaining"] == 298


def test_limit_comes_from_the_catalog_entry(sim):
    entry = copy.deepcopy(listed_models(sim)["claude-sonnet-4.5"])
    entry["capabilities"]["limits"]["max_prompt_tokens"] = 100
    control(sim, "POST", "/_sim/models", {"add": [entry]})
    assert api_post(sim, "/v1/messages", sized(messages_body, "claude-sonnet-4.5", 100)).status_code == 200
    refused = api_post(sim, "/chat/completions", sized(chat_body, "claude-sonnet-4.5", 101))
    assert refused.status_code == 400 and refused.json() == too_long(101, 100)

    # A model whose entry lists no limit is not checked.
    del entry["capabilities"]["limits"]["max_prompt_tokens"]
    control(sim, "POST", "/_sim/models", {"add": [entry]})
    assert api_post(sim, "/chat/completions", sized(chat_body, "claude-sonnet-4.5", 101)).status_code == 200


def test_limit_is_checked_after_the_body_checks_and_before_billing(sim):
    over = sized(chat_body, "claude-sonnet-4.5", PROMPT_LIMIT + 1)
    unknown = api_post(sim, "/chat/completions", {**over, "model": "no-such-model"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "model_not_supported"
    bad_tool = api_post(sim, "/chat/completions", {**over, "tools": [
        {"type": "function", "function": {"name": "t", "parameters": {"type": "object"}}}]})
    assert bad_tool.status_code == 400 and bad_tool.json()["error"]["code"] == "invalid_function_parameters"
    over_messages = sized(messages_body, "claude-sonnet-4.5", PROMPT_LIMIT + 1)
    beta = api_post(sim, "/v1/messages", over_messages, **{"anthropic-beta": "claude-code-20250219"})
    assert beta.json() == invalid("unsupported beta header(s): claude-code-20250219")

    # Before billing: a seat with nothing left is told about the prompt, not about its quota.
    set_billing(sim, INDIVIDUAL_TOKEN, premium_remaining=0)
    assert api_post(sim, "/chat/completions", over).json() == too_long(PROMPT_LIMIT + 1, PROMPT_LIMIT)
    assert api_post(sim, "/chat/completions", chat_body("claude-sonnet-4.5", 10)).status_code == 402
    control(sim, "POST", "/_sim/accounts", {"token": CREDIT_TOKEN, "credits_remaining": 0})
    refused = api_post(sim, "/v1/messages", over_messages, token=CREDIT_TOKEN)
    assert refused.status_code == 400 and refused.json() == too_long(PROMPT_LIMIT + 1, PROMPT_LIMIT)
    assert models_billed(sim) == {} and models_billed(sim, CREDIT_TOKEN) == {}


# ---------------------------------------------------------------------------
# anthropic-beta and context_management
# ---------------------------------------------------------------------------

def test_the_supported_betas_are_copilots_editor_list(sim):
    assert list(SUPPORTED_BETAS) == EDITOR_BETAS


@pytest.mark.parametrize("name, value", [
    *[("anthropic-beta", beta) for beta in EDITOR_BETAS],
    ("Anthropic-Beta", " , ".join(EDITOR_BETAS) + " ,"),
    ("ANTHROPIC-BETA", ",".join(EDITOR_BETAS)),
])
def test_allowed_betas_pass(sim, name, value):
    answer = messages(sim, headers={name: value})
    assert answer.status_code == 200, answer.text
    assert answer.json()["content"] == [{"type": "text", "text": hello("claude-sonnet-4.5", "hi")}]


@pytest.mark.parametrize("value, unsupported", [
    ("claude-code-20250219", "claude-code-20250219"),
    ("interleaved-thinking-2025-05-14, claude-code-20250219 ,fine-grained-tool-streaming-2025-05-14",
     "claude-code-20250219,fine-grained-tool-streaming-2025-05-14"),
    ("oauth-2025-04-20,context-management-2025-06-27,Interleaved-Thinking-2025-05-14",
     "oauth-2025-04-20,Interleaved-Thinking-2025-05-14"),
])
def test_other_betas_are_refused(sim, value, unsupported):
    for stream in (False, True):
        refused = messages(sim, headers={"Anthropic-Beta": value}, stream=stream)
        assert refused.status_code == 400
        assert refused.json() == invalid(f"unsupported beta header(s): {unsupported}")
    assert models_billed(sim) == {}


def test_a_beta_header_sent_twice_counts_with_both_values(sim):
    body = {"model": "claude-sonnet-4.5", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
    status, answer = raw_post(sim, "/v1/messages", body, [("anthropic-beta", "token-counting-2024-11-01"),
                                                          ("anthropic-beta", "interleaved-thinking-2025-05-14")])
    assert (status, answer) == (400, invalid("unsupported beta header(s): token-counting-2024-11-01"))
    status, answer = raw_post(sim, "/v1/messages", body, [("anthropic-beta", "oauth-2025-04-20"),
                                                          ("Anthropic-Beta", "token-counting-2024-11-01")])
    assert (status, answer) == (400, invalid("unsupported beta header(s): oauth-2025-04-20,token-counting-2024-11-01"))
    status, _ = raw_post(sim, "/v1/messages", body, [("anthropic-beta", "interleaved-thinking-2025-05-14"),
                                                     ("anthropic-beta", "context-management-2025-06-27")])
    assert status == 200


CONTEXT_MANAGEMENT = {"edits": [{"type": "clear_tool_uses_20250919"}]}


@pytest.mark.parametrize("value", [None, "interleaved-thinking-2025-05-14"])
def test_context_management_without_its_beta_is_refused(sim, value):
    headers = {"anthropic-beta": value} if value else {}
    refused = messages(sim, headers=headers, context_management=CONTEXT_MANAGEMENT)
    assert refused.status_code == 400
    assert refused.json() == invalid("context_management: Extra inputs are not permitted")
    assert models_billed(sim) == {}


def test_context_management_with_its_beta_is_accepted(sim):
    answer = messages(sim, headers={"anthropic-beta": "interleaved-thinking-2025-05-14, context-management-2025-06-27"},
                      context_management=CONTEXT_MANAGEMENT)
    assert answer.status_code == 200, answer.text
    assert answer.json()["content"] == [{"type": "text", "text": hello("claude-sonnet-4.5", "hi")}]


# ---------------------------------------------------------------------------
# thinking
# ---------------------------------------------------------------------------

def signed(sim, text):
    """The signature the brief prescribes: base64 HMAC-SHA256 of the text under the simulator's secret."""
    digest = hmac.new(sim.state.thinking_secret, text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@pytest.mark.parametrize("setting", [THINK, {"type": "adaptive"}])
def test_thinking_opens_the_answer_signed(sim, setting):
    plain = messages(sim)
    first, second = messages(sim, thinking=setting), messages(sim, thinking=setting)
    assert plain.status_code == first.status_code == second.status_code == 200
    assert [block["type"] for block in plain.json()["content"]] == ["text"]
    thought, text = first.json()["content"]
    assert set(thought) == {"type", "thinking", "signature"} and thought["type"] == "thinking"
    assert thought["thinking"] and len(thought["thinking"]) < 300
    assert thought["signature"] == signed(sim, thought["thinking"])
    assert second.json()["content"][0] == thought, "deterministic text, same signature"
    assert text == {"type": "text", "text": hello("claude-sonnet-4.5", "hi")}
    # The thinking counts as output tokens, by the same estimator.
    assert first.json()["usage"]["output_tokens"] == \
        plain.json()["usage"]["output_tokens"] + estimate_tokens(thought["thinking"])
    assert first.json()["usage"]["input_tokens"] == estimate_prompt_tokens(
        {"model": "claude-sonnet-4.5", "max_tokens": 2048, "messages": [{"role": "user", "content": "hi"}],
         "thinking": setting})


@pytest.mark.parametrize("setting", [None, {"type": "disabled"}])
def test_no_thinking_unless_asked(sim, setting):
    answer = messages(sim, **({"thinking": setting} if setting else {}))
    assert [block["type"] for block in answer.json()["content"]] == ["text"]


def test_thinking_round_trips_unchanged(sim):
    user = {"role": "user", "content": "hi"}
    first = messages(sim, thinking=THINK).json()
    history = [user, {"role": "assistant", "content": first["content"]}, {"role": "user", "content": "again"}]
    answer = messages(sim, thinking=THINK, messages=history)
    assert answer.status_code == 200, answer.text
    assert answer.json()["content"][1]["text"] == hello("claude-sonnet-4.5", "again")
    # Without thinking asked for this turn, a signed block in the history passes too.
    assert messages(sim, messages=history).status_code == 200
    # redacted_thinking blocks pass whatever they hold.
    redacted = [user, {"role": "assistant", "content": [{"type": "redacted_thinking", "data": "opaque"},
                                                         first["content"][1]]}, history[2]]
    assert messages(sim, thinking=THINK, messages=redacted).status_code == 200


def _tampered(block, how):
    block = dict(block)
    if how == "text":
        block["thinking"] += " (edited)"
    elif how == "signature":
        block["signature"] = ("B" if block["signature"][0] != "B" else "C") + block["signature"][1:]
    elif how == "missing":
        del block["signature"]
    elif how == "empty":
        block["signature"] = ""
    elif how == "foreign":  # a well-formed signature of another text
        block["signature"] = base64.b64encode(b"\0" * 32).decode()
    return block


@pytest.mark.parametrize("how", ["text", "signature", "missing", "empty", "foreign"])
def test_thinking_changed_or_unsigned_is_refused(sim, how):
    first = messages(sim, thinking=THINK).json()["content"]
    thought, text = first
    good = {"role": "assistant", "content": first}
    bad = {"role": "assistant", "content": [text, _tampered(thought, how)]}
    history = [{"role": "user", "content": "hi"}, good, {"role": "user", "content": "more"}, bad,
               {"role": "user", "content": "again"}]
    for stream in (False, True):
        refused = messages(sim, thinking=THINK, messages=history, stream=stream)
        assert refused.status_code == 400
        assert refused.json() == bad_signature(3, 1)
    # The first bad block is the one reported.
    history[1] = {"role": "assistant", "content": [_tampered(thought, how), text]}
    assert messages(sim, messages=history).json() == bad_signature(1, 0)
    assert models_billed(sim)["claude-sonnet-4.5"]["requests"] == 1, "only the first answer was billed"


def test_many_thinking_blocks_are_each_checked(sim):
    thought, text = messages(sim, thinking=THINK).json()["content"]
    history = []
    for turn in range(1000):  # about 90 000 tokens: long, within the limit
        history += [{"role": "user", "content": f"turn {turn}"}, {"role": "assistant", "content": [thought, text]}]
    history.append({"role": "user", "content": "last"})
    answer = messages(sim, messages=history)
    assert answer.status_code == 200, answer.text
    history[-2] = {"role": "assistant", "content": [thought, text, _tampered(thought, "text")]}
    assert messages(sim, messages=history).json() == bad_signature(len(history) - 2, 2)


def test_streamed_thinking_events_and_round_trip(sim):
    answer = messages(sim, thinking=THINK, stream=True)
    assert answer.status_code == 200
    events = sse_payloads(answer)
    kinds = [(e["type"], e.get("index"), (e.get("delta") or e.get("content_block") or {}).get("type"))
             for e in events]
    deltas = [e["delta"] for e in events if e["type"] == "content_block_delta" and e["index"] == 0]
    assert kinds[:3] == [("message_start", None, None), ("content_block_start", 0, "thinking"), ("ping", None, None)]
    assert events[1]["content_block"] == {"type": "thinking", "thinking": "", "signature": ""}
    assert [d["type"] for d in deltas[:-1]] == ["thinking_delta"] * (len(deltas) - 1) and len(deltas) >= 3
    assert deltas[-1]["type"] == "signature_delta"
    thought = "".join(d["thinking"] for d in deltas[:-1])
    assert deltas[-1]["signature"] == signed(sim, thought)
    stop = kinds.index(("content_block_stop", 0, None))
    assert kinds[stop - 1] == ("content_block_delta", 0, "signature_delta")
    assert kinds[stop + 1] == ("content_block_start", 1, "text")
    assert kinds[-3:] == [("content_block_stop", 1, None), ("message_delta", None, None), ("message_stop", None, None)]
    assert thought == messages(sim, thinking=THINK).json()["content"][0]["thinking"]

    # The SDK assembles the same blocks, and its final message goes back as history.
    client = anthropic_client(sim)
    with client.messages.stream(model="claude-sonnet-4.5", max_tokens=2048, thinking=THINK,
                                messages=[{"role": "user", "content": "hi"}]) as stream:
        final = stream.get_final_message()
    assert [block.type for block in final.content] == ["thinking", "text"]
    assert final.content[0].thinking == thought and final.content[0].signature == signed(sim, thought)
    history = [{"role": "user", "content": "hi"},
               {"role": "assistant", "content": [block.model_dump() for block in final.content]},
               {"role": "user", "content": "again"}]
    again = client.messages.create(model="claude-sonnet-4.5", max_tokens=2048, thinking=THINK, messages=history)
    assert again.content[1].text == hello("claude-sonnet-4.5", "again")
    history[1]["content"][0]["thinking"] = thought.upper()
    refused = api_post(sim, "/v1/messages", {"model": "claude-sonnet-4.5", "max_tokens": 2048, "messages": history})
    assert refused.status_code == 400 and refused.json() == bad_signature(1, 0)


@pytest.mark.parametrize("stream", [False, True])
def test_thinking_before_a_tool_call_and_back(sim, stream):
    client = anthropic_client(sim)
    ask = [{"role": "user", "content": "list files with Bash"}]
    if stream:
        with client.messages.stream(model="claude-sonnet-4.5", max_tokens=2048, thinking=THINK, tools=[BASH],
                                    messages=ask) as events:
            first = events.get_final_message()
    else:
        first = client.messages.create(model="claude-sonnet-4.5", max_tokens=2048, thinking=THINK, tools=[BASH],
                                       messages=ask)
    thought, call = first.content
    assert thought.type == "thinking" and "Bash" in thought.thinking
    assert thought.signature == signed(sim, thought.thinking)
    assert call.type == "tool_use" and call.name == "Bash" and first.stop_reason == "tool_use"
    history = ask + [{"role": "assistant", "content": [block.model_dump() for block in first.content]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "a.txt"}]}]
    done = client.messages.create(model="claude-sonnet-4.5", max_tokens=2048, thinking=THINK, tools=[BASH],
                                  messages=history)
    assert done.content[1].text == "Tool Bash returned: a.txt"
