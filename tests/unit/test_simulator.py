"""Tests of the Copilot simulator (tests/copilot_sim) with raw HTTP and the
real OpenAI and Anthropic SDKs.  The `sim` fixture lives in conftest.py and
is reset before each test."""

import datetime
import http.client
import json
import re
import time
import urllib.parse

import anthropic
import openai
import pytest
import requests

from copilot_sim import (BUSINESS_TOKEN, DEFAULT_CLIENT_ID, ENTERPRISE_TOKEN, INDIVIDUAL_TOKEN,
                         NO_COPILOT_TOKEN, fingerprint)

IDE_HEADERS = {
    "editor-version": "vscode/1.95.0",
    "editor-plugin-version": "copilot-chat/0.26.7",
    "copilot-integration-id": "vscode-chat",
    "user-agent": "GitHubCopilotChat/0.26.7",
}
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
WEATHER_TOOL = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city"]}


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def control(sim, method, path, body=None):
    response = requests.request(method, sim.url + path, json=body, timeout=10)
    assert response.status_code < 300, response.text
    return response.json()


def exchange(sim, token=INDIVIDUAL_TOKEN, scheme="token"):
    return requests.get(sim.url + "/copilot_internal/v2/token",
                        headers={"Authorization": f"{scheme} {token}", **IDE_HEADERS}, timeout=10)


def copilot_session(sim, token=INDIVIDUAL_TOKEN):
    """(api base URL, Copilot token) for a GitHub token."""
    body = exchange(sim, token).json()
    return body["endpoints"]["api"], body["token"]


def api_post(sim, path, body, token=INDIVIDUAL_TOKEN, **headers):
    api, copilot_token = copilot_session(sim, token)
    return requests.post(api + path, json=body, timeout=10,
                         headers={"Authorization": f"Bearer {copilot_token}", **IDE_HEADERS, **headers})


def openai_client(sim, token=INDIVIDUAL_TOKEN, **headers):
    api, copilot_token = copilot_session(sim, token)
    return openai.OpenAI(base_url=api, api_key=copilot_token, max_retries=0,
                         default_headers={**IDE_HEADERS, **headers})


def anthropic_client(sim, token=INDIVIDUAL_TOKEN):
    api, copilot_token = copilot_session(sim, token)
    return anthropic.Anthropic(base_url=api, auth_token=copilot_token, api_key=None, max_retries=0,
                               default_headers=IDE_HEADERS)


def premium_remaining(sim, token=INDIVIDUAL_TOKEN):
    user = requests.get(sim.url + "/copilot_internal/user", headers={"Authorization": f"token {token}"},
                        timeout=10).json()
    return user["quota_snapshots"]["premium_interactions"]["remaining"]


def hello(model, said):
    return f"Hello from the Copilot simulator (model {model}). You said: {said}"


def start_device_flow(sim, **extra):
    response = requests.post(sim.url + "/login/device/code", timeout=10,
                             headers={"Accept": "application/json"},
                             data={"client_id": DEFAULT_CLIENT_ID, "scope": "read:user", **extra})
    assert response.status_code == 200
    return response.json()


def poll(sim, device_code, client_id=DEFAULT_CLIENT_ID, grant_type=DEVICE_GRANT):
    response = requests.post(sim.url + "/login/oauth/access_token", timeout=10,
                             headers={"Accept": "application/json"},
                             json={"client_id": client_id, "device_code": device_code, "grant_type": grant_type})
    assert response.status_code == 200
    return response.json()


# ---------------------------------------------------------------------------
# token exchange and the user report
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("token, plan, individual", [
    (INDIVIDUAL_TOKEN, "individual", True),
    (BUSINESS_TOKEN, "business", False),
    (ENTERPRISE_TOKEN, "enterprise", False),
])
def test_token_exchange_per_plan(sim, token, plan, individual):
    before = time.time()
    first, second = exchange(sim, token), exchange(sim, token, scheme="Bearer")
    assert first.status_code == second.status_code == 200
    body = first.json()
    assert re.fullmatch(r"tid=[0-9a-f]{32};exp=\d+;sku=\w+;proxy-ep=proxy\.%s\.githubcopilot\.com;"
                        r"st=dotcom;chat=1:[0-9a-f]{64}" % plan, body["token"])
    assert body["token"] != second.json()["token"]
    assert before + 1799 <= body["expires_at"] <= time.time() + 1800
    assert body["refresh_in"] == 1500
    assert body["endpoints"]["api"] == f"{sim.url}/copilot/{plan}"
    assert set(body["endpoints"]) == {"api", "proxy", "telemetry", "origin-tracker"}
    assert body["individual"] is individual and body["chat_enabled"] is True
    assert f"sku={body['sku']};" in body["token"]
    assert re.fullmatch(r"[0-9a-f]+", body["tracking_id"])


def test_token_exchange_rejections(sim):
    bad = exchange(sim, "gho_" + "x" * 36)
    assert bad.status_code == 401
    assert bad.json()["message"] == "Bad credentials"
    assert bad.json()["documentation_url"] == "https://docs.github.com/rest"
    assert requests.get(sim.url + "/copilot_internal/v2/token", timeout=10).status_code == 401
    no_copilot = exchange(sim, NO_COPILOT_TOKEN)
    assert no_copilot.status_code == 403
    assert no_copilot.json()["message"] == "Resource not accessible by integration"


def test_short_token_ttl_from_config(sim):
    control(sim, "POST", "/_sim/config", {"token_ttl": 60})
    body = exchange(sim).json()
    assert body["expires_at"] <= time.time() + 60
    assert body["refresh_in"] == 30


def test_user_report(sim):
    response = requests.get(sim.url + "/copilot_internal/user",
                            headers={"Authorization": f"token {ENTERPRISE_TOKEN}"}, timeout=10)
    assert response.status_code == 200
    user = response.json()
    assert user["copilot_plan"] == "enterprise"
    today = datetime.date.today()
    next_month = datetime.date(today.year + today.month // 12, today.month % 12 + 1, 1)
    assert user["quota_reset_date"] == next_month.isoformat()
    premium = user["quota_snapshots"]["premium_interactions"]
    assert premium["entitlement"] == premium["remaining"] == 1000
    assert premium["percent_remaining"] == 100.0 and premium["unlimited"] is False
    assert user["quota_snapshots"]["chat"]["unlimited"] is True
    assert requests.get(sim.url + "/copilot_internal/user", headers={"Authorization": "token nope"},
                        timeout=10).status_code == 401


# ---------------------------------------------------------------------------
# the Copilot API gate
# ---------------------------------------------------------------------------

def test_models_shape(sim):
    api, copilot_token = copilot_session(sim)
    response = requests.get(api + "/models", headers={"Authorization": f"Bearer {copilot_token}", **IDE_HEADERS},
                            timeout=10)
    assert response.status_code == 200
    listing = response.json()
    assert listing["object"] == "list"
    models = {m["id"]: m for m in listing["data"]}
    for model in models.values():
        assert {"id", "name", "vendor", "version", "object", "preview", "model_picker_enabled",
                "is_chat_default", "is_chat_fallback", "billing", "capabilities"} <= set(model)
        assert {"type", "family", "tokenizer", "object", "limits", "supports"} <= set(model["capabilities"])
    assert models["gpt-4.1"]["is_chat_default"] and models["gpt-4.1"]["billing"] == {"is_premium": False,
                                                                                      "multiplier": 0}
    assert models["claude-opus-4.1"]["billing"]["multiplier"] == 10
    assert models["claude-sonnet-4.5"]["supported_endpoints"] == ["/chat/completions", "/v1/messages"]
    assert models["gpt-5-codex"]["supported_endpoints"] == ["/responses"]
    assert models["grok-code-fast-1"]["policy"]["state"] == "disabled"
    assert models["o4-mini"]["policy"]["state"] == "unconfigured"
    assert not models["gpt-3.5-turbo"]["model_picker_enabled"] and "supported_endpoints" not in models["gpt-3.5-turbo"]
    assert models["text-embedding-3-small"]["capabilities"]["type"] == "embeddings"
    assert models["gpt-4o"]["capabilities"]["limits"]["vision"]["max_prompt_images"] > 0


def test_missing_editor_version(sim):
    api, copilot_token = copilot_session(sim)
    for method, path in (("GET", "/models"), ("POST", "/chat/completions")):
        response = requests.request(method, api + path, headers={"Authorization": f"Bearer {copilot_token}"},
                                    json={"model": "gpt-4.1", "messages": [{"role": "user", "content": "x"}]},
                                    timeout=10)
        assert response.status_code == 400
        assert "missing Editor-Version header for IDE auth" in response.text


def test_expired_copilot_token(sim):
    control(sim, "POST", "/_sim/config", {"token_ttl": 1})
    api, copilot_token = copilot_session(sim)
    time.sleep(1.1)
    response = requests.get(api + "/models", headers={"Authorization": f"Bearer {copilot_token}", **IDE_HEADERS},
                            timeout=10)
    assert response.status_code == 401
    assert "unauthorized: token expired" in response.text


def test_invalid_token_and_stale_api_base(sim):
    api, copilot_token = copilot_session(sim)
    headers = {"Authorization": "Bearer tid=forged;exp=9999999999:00", **IDE_HEADERS}
    assert requests.get(api + "/models", headers=headers, timeout=10).status_code == 401
    assert requests.get(api + "/models", headers=IDE_HEADERS, timeout=10).status_code == 401
    # An individual token at the business API base: a stale base must not work.
    stale = sim.url + "/copilot/business/models"
    response = requests.get(stale, headers={"Authorization": f"Bearer {copilot_token}", **IDE_HEADERS}, timeout=10)
    assert response.status_code == 401


def test_model_rejections(sim):
    chat = {"messages": [{"role": "user", "content": "hi"}]}
    unknown = api_post(sim, "/chat/completions", {"model": "gpt-9", **chat})
    assert unknown.status_code == 400
    assert unknown.json() == {"error": {"message": "The requested model is not supported.",
                                        "code": "model_not_supported", "param": "model",
                                        "type": "invalid_request_error"}}
    codex = api_post(sim, "/chat/completions", {"model": "gpt-5-codex", **chat})
    assert codex.status_code == 400 and codex.json()["error"]["code"] == "unsupported_api_for_model"
    embeddings_on_chat = api_post(sim, "/chat/completions", {"model": "text-embedding-3-small", **chat})
    assert embeddings_on_chat.status_code == 400
    gpt_on_messages = api_post(sim, "/v1/messages", {"model": "gpt-4.1", "max_tokens": 10, **chat})
    assert gpt_on_messages.json()["error"]["code"] == "unsupported_api_for_model"
    claude_on_responses = api_post(sim, "/responses", {"model": "claude-sonnet-4", "input": "hi"})
    assert claude_on_responses.status_code == 400
    for model, state in (("grok-code-fast-1", "disabled"), ("o4-mini", "unconfigured")):
        denied = api_post(sim, "/chat/completions", {"model": model, **chat})
        assert denied.status_code == 403 and denied.json()["error"]["code"] == f"model_policy_{state}"
    legacy = api_post(sim, "/responses", {"model": "gpt-3.5-turbo", "input": "hi"})
    assert legacy.status_code == 200  # no supported_endpoints: older models are accepted


def test_vision_header_rule(sim):
    image = "data:image/png;base64,iVBORw0KGgo="
    cases = [
        ("/chat/completions", {"model": "gpt-4o", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what is this"}, {"type": "image_url", "image_url": {"url": image}}]}]}),
        ("/v1/messages", {"model": "claude-sonnet-4", "max_tokens": 50, "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            {"type": "text", "text": "what is this"}]}]}),
        ("/responses", {"model": "gpt-4.1", "input": [{"role": "user", "content": [
            {"type": "input_text", "text": "what is this"}, {"type": "input_image", "image_url": image}]}]}),
    ]
    for path, body in cases:
        refused = api_post(sim, path, body)
        assert refused.status_code == 400
        message = refused.json()["error"]["message"]
        assert message == "missing required Copilot-Vision-Request header for vision requests"
        accepted = api_post(sim, path, body, **{"Copilot-Vision-Request": "true"})
        assert accepted.status_code == 200
        assert "You said: what is this" in accepted.text


# ---------------------------------------------------------------------------
# chat completions with the OpenAI SDK
# ---------------------------------------------------------------------------

def test_chat_plain(sim):
    completion = openai_client(sim).chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "Hi there"}])
    assert completion.object == "chat.completion" and completion.model == "gpt-4.1"
    choice = completion.choices[0]
    assert choice.message.role == "assistant" and choice.finish_reason == "stop"
    assert choice.message.content == hello("gpt-4.1", "Hi there")
    usage = completion.usage
    assert usage.prompt_tokens > 0 and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_chat_streamed(sim):
    client = openai_client(sim)
    messages = [{"role": "user", "content": "Stream me a few words please"}]
    plain = client.chat.completions.create(model="gpt-5-mini", messages=messages)
    chunks = list(client.chat.completions.create(model="gpt-5-mini", messages=messages, stream=True,
                                                 stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) >= 3
    assert "".join(pieces) == hello("gpt-5-mini", "Stream me a few words please")
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == plain.usage.completion_tokens
    assert chunks[-1].usage.prompt_tokens == plain.usage.prompt_tokens


def test_chat_system_prompt_echo_reports_role(sim):
    client = openai_client(sim)
    for role in ("system", "assistant"):
        completion = client.chat.completions.create(model="gpt-4.1", messages=[
            {"role": role, "content": "You are helpful. SIM:ECHO-SYSTEM"}, {"role": "user", "content": "ping"}])
        text = completion.choices[0].message.content
        assert text == hello("gpt-4.1", "ping") + f" System prompt received. (system role: {role})"
    plain = client.chat.completions.create(model="gpt-4.1", messages=[
        {"role": "system", "content": "no marker"}, {"role": "user", "content": "ping"}])
    assert "System prompt" not in plain.choices[0].message.content


def test_chat_tool_round_trip(sim):
    client = openai_client(sim)
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_TOOL}},
             {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}]
    messages = [{"role": "user", "content": 'Please call get_weather {"city": "Paris", "days": 2}'}]
    first = client.chat.completions.create(model="gpt-4.1", messages=messages, tools=tools)
    assert first.choices[0].finish_reason == "tool_calls"
    [call] = first.choices[0].message.tool_calls
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris", "days": 2}

    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "22C and sunny"}]
    second = client.chat.completions.create(model="gpt-4.1", messages=messages, tools=tools)
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == "Tool get_weather returned: 22C and sunny"

    # Naming a tool calls it with arguments synthesized from the schema; streamed.
    chunks = list(client.chat.completions.create(
        model="gpt-4.1", tools=tools, stream=True,
        messages=[{"role": "user", "content": "what does get_weather say?"}]))
    calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert calls[0].function.name == "get_weather"
    assert json.loads("".join(tc.function.arguments for tc in calls)) == {"city": "sim"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def test_embeddings(sim):
    client = openai_client(sim)
    first = client.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"])
    again = client.embeddings.create(model="text-embedding-3-small", input="alpha", encoding_format="float")
    assert len(first.data) == 2 and len(first.data[0].embedding) == 16
    assert first.data[0].embedding == pytest.approx(again.data[0].embedding, abs=1e-6)
    assert first.data[0].embedding != first.data[1].embedding
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="gpt-4.1", input="alpha")


# ---------------------------------------------------------------------------
# Responses API with the OpenAI SDK
# ---------------------------------------------------------------------------

def test_responses_plain(sim):
    client = openai_client(sim)
    response = client.responses.create(model="gpt-5-codex", input="Write code",
                                       instructions="Be terse. SIM:ECHO-SYSTEM")
    assert response.object == "response" and response.status == "completed" and response.id.startswith("resp_")
    assert response.output_text == hello("gpt-5-codex", "Write code") + " System prompt received."
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


def test_responses_streamed(sim):
    client = openai_client(sim)
    events = list(client.responses.create(model="gpt-4.1", input=[{"role": "user", "content": "stream it now"}],
                                          stream=True))
    types = [e.type for e in events]
    assert types[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert types[-4:] == ["response.output_text.done", "response.content_part.done",
                          "response.output_item.done", "response.completed"]
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) >= 2 and "".join(deltas) == hello("gpt-4.1", "stream it now")
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].response.output_text == "".join(deltas)


def test_responses_function_call_round_trip(sim):
    client = openai_client(sim)
    tools = [{"type": "function", "name": "get_weather", "parameters": WEATHER_TOOL}]
    first = client.responses.create(model="gpt-5", input="check get_weather", tools=tools)
    [call] = first.output
    assert call.type == "function_call" and call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "sim"}
    second = client.responses.create(model="gpt-5", tools=tools, input=[
        {"role": "user", "content": "check get_weather"},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": "rainy"}])
    assert second.output_text == "Tool get_weather returned: rainy"
    events = list(client.responses.create(model="gpt-5", input="check get_weather", tools=tools, stream=True))
    args = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    assert json.loads(args) == {"city": "sim"}
    assert events[-1].response.output[0].type == "function_call"


# ---------------------------------------------------------------------------
# Anthropic Messages with the Anthropic SDK
# ---------------------------------------------------------------------------

def test_messages_plain(sim):
    message = anthropic_client(sim).messages.create(
        model="claude-sonnet-4.5", max_tokens=200, messages=[{"role": "user", "content": "Hello Claude"}])
    assert message.type == "message" and message.role == "assistant" and message.id.startswith("msg_")
    assert message.stop_reason == "end_turn"
    assert message.content[0].text == hello("claude-sonnet-4.5", "Hello Claude")
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


def test_messages_streamed(sim):
    client = anthropic_client(sim)
    with client.messages.stream(model="claude-haiku-4.5", max_tokens=200,
                                system=[{"type": "text", "text": "SIM:ECHO-SYSTEM"}],
                                messages=[{"role": "user", "content": "Stream to me"}]) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) >= 3
    expected = hello("claude-haiku-4.5", "Stream to me") + " System prompt received."
    assert "".join(pieces) == expected == final.content[0].text
    assert final.stop_reason == "end_turn"


def test_messages_tool_use_round_trip_like_claude_code(sim):
    client = anthropic_client(sim)
    tools = [{"name": name, "description": f"{name} tool",
              "input_schema": {"type": "object", "properties": {"command": {"type": "string"},
                                                                "timeout": {"type": "number"}},
                               "required": ["command"]}}
             for name in ("Task", "Bash", "Glob", "Grep", "LS", "ExitPlanMode", "Read", "Edit",
                          "MultiEdit", "Write", "NotebookEdit", "WebFetch")]
    system = [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}]
    # Claude Code's betas as they reach Copilot: only those it accepts (the rest are refused,
    # see test_simulator_limits.py).
    headers = {"anthropic-beta": "interleaved-thinking-2025-05-14, context-management-2025-06-27"}
    user = {"role": "user", "content": [{"type": "text", "text": "<system-reminder>ctx</system-reminder>"},
                                        {"type": "text", "text": "list files with Bash"}]}
    with client.messages.stream(model="claude-sonnet-4", max_tokens=1024, system=system, tools=tools,
                                messages=[user], extra_headers=headers) as stream:
        first = stream.get_final_message()
    assert first.stop_reason == "tool_use"
    [tool_use] = first.content
    assert tool_use.type == "tool_use" and tool_use.name == "Bash" and tool_use.input == {"command": "sim"}

    followup = [user, {"role": "assistant", "content": [tool_use.model_dump()]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id,
                                              "content": [{"type": "text", "text": "a.txt b.txt"}]}]}]
    second = client.messages.create(model="claude-sonnet-4", max_tokens=1024, system=system, tools=tools,
                                    messages=followup, extra_headers=headers)
    assert second.stop_reason == "end_turn"
    assert second.content[0].text == "Tool Bash returned: a.txt b.txt"

    explicit = client.messages.create(model="claude-sonnet-4", max_tokens=100, tools=tools, messages=[
        {"role": "user", "content": 'call Read {"command": "cat a.txt"}'}])
    assert explicit.content[0].name == "Read" and explicit.content[0].input == {"command": "cat a.txt"}


# ---------------------------------------------------------------------------
# device flow
# ---------------------------------------------------------------------------

def test_device_flow_scripted_success(sim):
    control(sim, "POST", "/_sim/device", {"script": ["authorization_pending", "slow_down", "success"],
                                          "enforce_interval": False})
    start = start_device_flow(sim)
    assert re.fullmatch(r"[0-9a-f]{40}", start["device_code"])
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", start["user_code"])
    assert start["verification_uri"] == sim.url + "/login/device"
    assert start["expires_in"] == 899 and start["interval"] == 1
    assert poll(sim, start["device_code"])["error"] == "authorization_pending"
    slow = poll(sim, start["device_code"])
    assert slow["error"] == "slow_down" and slow["interval"] == 6
    granted = poll(sim, start["device_code"])
    assert granted["token_type"] == "bearer" and granted["scope"] == "read:user"
    assert re.fullmatch(r"gho_[A-Za-z0-9]{36}", granted["access_token"])
    assert exchange(sim, granted["access_token"]).json()["individual"] is True
    assert poll(sim, start["device_code"])["error"] == "incorrect_device_code"  # used up
    assert requests.get(start["verification_uri"], timeout=10).headers["content-type"].startswith("text/html")


def test_device_flow_enforces_interval(sim):
    start = start_device_flow(sim)  # default script: pending, then success
    assert poll(sim, start["device_code"])["error"] == "authorization_pending"
    too_fast = poll(sim, start["device_code"])
    assert too_fast["error"] == "slow_down" and too_fast["interval"] == 6


@pytest.mark.parametrize("outcome", ["expired_token", "access_denied"])
def test_device_flow_terminal_errors(sim, outcome):
    control(sim, "POST", "/_sim/device", {"script": [outcome], "enforce_interval": False})
    code = start_device_flow(sim)["device_code"]
    assert poll(sim, code)["error"] == outcome
    assert poll(sim, code)["error"] == outcome


def test_device_flow_bad_requests(sim):
    wrong_client = requests.post(sim.url + "/login/device/code", data={"client_id": "Iv1.0000000000000000"},
                                 headers={"Accept": "application/json"}, timeout=10)
    assert wrong_client.status_code == 404 and wrong_client.json() == {"error": "Not Found"}
    code = start_device_flow(sim)["device_code"]
    assert poll(sim, code, client_id="Iv1.0000000000000000")["error"] == "incorrect_client_credentials"
    assert poll(sim, code, grant_type="password")["error"] == "unsupported_grant_type"
    assert poll(sim, "0" * 40)["error"] == "incorrect_device_code"
    # Without Accept: application/json GitHub answers form-encoded.
    form = requests.post(sim.url + "/login/device/code", data={"client_id": DEFAULT_CLIENT_ID}, timeout=10)
    assert form.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert "device_code=" in form.text and "interval=1" in form.text


# ---------------------------------------------------------------------------
# faults
# ---------------------------------------------------------------------------

def test_fault_status_times_and_listing(sim):
    control(sim, "POST", "/_sim/faults", {"path": "/models", "status": 503, "times": 1})
    assert control(sim, "GET", "/_sim/faults")["faults"][0]["status"] == 503
    api, copilot_token = copilot_session(sim)
    headers = {"Authorization": f"Bearer {copilot_token}", **IDE_HEADERS}
    failed = requests.get(api + "/models", headers=headers, timeout=10)
    assert failed.status_code == 503 and failed.json()["error"]["code"] == "sim_fault"
    assert requests.get(api + "/models", headers=headers, timeout=10).status_code == 200
    assert control(sim, "GET", "/_sim/faults")["faults"] == []
    control(sim, "POST", "/_sim/faults", {"path": "/copilot_internal/v2/token", "status": 500,
                                          "body": "boom", "method": "GET"})
    assert exchange(sim).text == "boom"
    control(sim, "DELETE", "/_sim/faults")
    assert exchange(sim).status_code == 200


def test_fault_malformed(sim):
    control(sim, "POST", "/_sim/faults", {"path": "/models", "malformed": True})
    client = openai_client(sim)
    with pytest.raises(Exception):
        client.models.list()
    raw = requests.get(sim.url + "/copilot/individual/models", timeout=10)
    assert raw.status_code == 200
    with pytest.raises(ValueError):
        json.loads(raw.text)


def test_fault_delay_times_out(sim):
    control(sim, "POST", "/_sim/faults", {"path": "/chat/completions", "delay": 1.5, "times": 1})
    client = openai_client(sim).with_options(timeout=0.4)
    started = time.time()
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])
    assert time.time() - started < 1.4


# ---------------------------------------------------------------------------
# quota, revocation, accounts, catalog, request log
# ---------------------------------------------------------------------------

def test_premium_quota(sim):
    client = openai_client(sim)
    agent = openai_client(sim, **{"X-Initiator": "agent"})
    messages = [{"role": "user", "content": "hi"}]
    assert premium_remaining(sim) == 300
    client.chat.completions.create(model="claude-sonnet-4", messages=messages)
    assert premium_remaining(sim) == 299
    client.chat.completions.create(model="gpt-4.1", messages=messages)  # not premium
    agent.chat.completions.create(model="claude-opus-4.1", messages=messages)  # agent turn: free
    assert premium_remaining(sim) == 299
    client.chat.completions.create(model="claude-haiku-4.5", messages=messages)
    assert premium_remaining(sim) == pytest.approx(298.67)
    assert premium_remaining(sim, BUSINESS_TOKEN) == 300  # other accounts untouched

    control(sim, "POST", "/_sim/accounts", {"token": "gho_" + "q" * 36, "premium_remaining": 5})
    poor = openai_client(sim, "gho_" + "q" * 36)
    with pytest.raises(openai.APIStatusError) as exc:
        poor.chat.completions.create(model="claude-opus-4.1", messages=messages)
    assert exc.value.status_code == 402


# One request per endpoint: (path, a premium model it serves, its multiplier, a body).
BILLED_REQUESTS = [
    ("/chat/completions", "claude-haiku-4.5", 0.33, {"messages": [{"role": "user", "content": "hi"}]}),
    ("/responses", "gpt-5-codex", 1, {"input": "hi"}),
    ("/v1/messages", "claude-opus-4.1", 10, {"max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}),
]


@pytest.mark.parametrize("path, model, multiplier, body", BILLED_REQUESTS, ids=[r[0] for r in BILLED_REQUESTS])
def test_premium_billing_on_every_endpoint(sim, path, model, multiplier, body):
    """Copilot bills the model's multiplier for a request a person starts (no header counts as
    one) and nothing for one marked `X-Initiator: agent`, on every inference endpoint."""
    body = {"model": model, **body}
    remaining = 300
    for headers, cost in (({}, multiplier), ({"X-Initiator": "user"}, multiplier),
                          ({"X-Initiator": "agent"}, 0), ({"x-initiator": "AGENT"}, 0)):
        answer = api_post(sim, path, body, **headers)
        assert answer.status_code == 200, answer.text
        remaining -= cost
        assert premium_remaining(sim) == pytest.approx(remaining), headers


def test_repeated_initiator_header_is_billed(sim):
    """A header sent twice reads as both values joined, so "agent" plus a second spelling of the
    header is not an agent turn: a proxy that sends two is seen doing it."""
    api, copilot_token = copilot_session(sim)
    url = urllib.parse.urlsplit(api)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    body = json.dumps({"model": "claude-sonnet-4", "messages": [{"role": "user", "content": "hi"}]})
    connection.putrequest("POST", url.path + "/chat/completions")
    for name, value in {"Authorization": f"Bearer {copilot_token}", **IDE_HEADERS,
                        "Content-Type": "application/json", "Content-Length": str(len(body))}.items():
        connection.putheader(name, value)
    connection.putheader("X-Initiator", "agent")
    connection.putheader("x-initiator", "user")
    connection.endheaders(body.encode())
    assert connection.getresponse().status == 200
    connection.close()
    assert premium_remaining(sim) == 299
    recorded = control(sim, "GET", "/_sim/requests?path=/chat/completions")["requests"][-1]
    assert recorded["headers"]["x-initiator"] == "agent, user"


PARAMETERLESS = {"type": "object"}
TOOL_REQUESTS = [
    ("/chat/completions", "gpt-4.1", "tools[0].function.parameters",
     lambda schema: {"messages": [{"role": "user", "content": "what time is it"}],
                     "tools": [{"type": "function", "function": {"name": "get_time", "parameters": schema}}]}),
    ("/responses", "gpt-4.1", "tools[0].parameters",
     lambda schema: {"input": "what time is it",
                     "tools": [{"type": "function", "name": "get_time", "parameters": schema}]}),
    ("/v1/messages", "claude-sonnet-4", "tools[0].input_schema",
     lambda schema: {"max_tokens": 50, "messages": [{"role": "user", "content": "what time is it"}],
                     "tools": [{"name": "get_time", "input_schema": schema}]}),
]


@pytest.mark.parametrize("path, model, param, make", TOOL_REQUESTS, ids=[r[0] for r in TOOL_REQUESTS])
def test_object_schema_without_properties_is_refused(sim, path, model, param, make):
    refused = api_post(sim, path, {"model": model, **make(PARAMETERLESS)})
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert "object schema missing properties" in error["message"] and "'get_time'" in error["message"]
    assert error["code"] == "invalid_function_parameters" and error["param"] == param
    nested = {"type": "object", "properties": {"filter": {"type": "object"}}}
    refused = api_post(sim, path, {"model": model, **make(nested)})
    assert refused.status_code == 400
    assert "In context=('properties', 'filter'), object schema missing properties" in refused.json()["error"]["message"]
    for good in ({"type": "object", "properties": {}}, WEATHER_TOOL):
        accepted = api_post(sim, path, {"model": model, **make(good)})
        assert accepted.status_code == 200, accepted.text
    assert premium_remaining(sim) == 300 - (2 if model == "claude-sonnet-4" else 0), "refusals cost nothing"


def test_revoke(sim):
    api, copilot_token = copilot_session(sim, BUSINESS_TOKEN)
    control(sim, "POST", "/_sim/revoke", {"token": BUSINESS_TOKEN})
    assert exchange(sim, BUSINESS_TOKEN).status_code == 401
    response = requests.get(api + "/models", headers={"Authorization": f"Bearer {copilot_token}", **IDE_HEADERS},
                            timeout=10)
    assert response.status_code == 401
    assert requests.get(sim.url + "/copilot_internal/user", headers={"Authorization": f"token {BUSINESS_TOKEN}"},
                        timeout=10).status_code == 401


def test_control_accounts_and_models(sim):
    token = "gho_" + "b" * 36
    control(sim, "POST", "/_sim/accounts", {"token": token, "plan": "business"})
    assert exchange(sim, token).json()["endpoints"]["api"] == sim.url + "/copilot/business"
    control(sim, "POST", "/_sim/accounts", {"token": token, "copilot": False})
    assert exchange(sim, token).status_code == 403

    custom = {"id": "sim-custom", "name": "Custom", "vendor": "Sim", "version": "1", "object": "model",
              "capabilities": {"type": "chat"}, "supported_endpoints": ["/chat/completions"]}
    ids = control(sim, "POST", "/_sim/models", {"add": [custom], "remove": ["gpt-4o"]})["models"]
    assert "sim-custom" in ids and "gpt-4o" not in ids
    reply = openai_client(sim).chat.completions.create(model="sim-custom", messages=[{"role": "user", "content": "x"}])
    assert reply.choices[0].message.content == hello("sim-custom", "x")
    assert "gpt-4o" in control(sim, "POST", "/_sim/models", {"reset": True})["models"]


def test_request_log_redacts_secrets(sim):
    api_post(sim, "/chat/completions", {"model": "gpt-4.1", "messages": [{"role": "user", "content": "logged"}]})
    entries = control(sim, "GET", "/_sim/requests?path=/chat/completions")["requests"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["method"] == "POST" and entry["status"] == 200
    assert entry["body"]["messages"][0]["content"] == "logged"
    assert entry["headers"]["authorization"].startswith("Bearer sha256:")
    everything = json.dumps(control(sim, "GET", "/_sim/requests"))
    assert INDIVIDUAL_TOKEN not in everything and "tid=" not in everything
    assert fingerprint(INDIVIDUAL_TOKEN) in everything  # the token exchange, fingerprinted
    control(sim, "DELETE", "/_sim/requests")
    assert control(sim, "GET", "/_sim/requests")["requests"] == []


def test_reset_restores_everything(sim):
    control(sim, "POST", "/_sim/config", {"token_ttl": 5})
    control(sim, "POST", "/_sim/revoke", {"token": INDIVIDUAL_TOKEN})
    control(sim, "POST", "/_sim/faults", {"path": "/user", "status": 500})
    control(sim, "POST", "/_sim/models", {"remove": ["gpt-4.1"]})
    control(sim, "POST", "/_sim/reset")
    body = exchange(sim).json()
    assert body["refresh_in"] == 1500
    assert control(sim, "GET", "/_sim/faults")["faults"] == []
    assert control(sim, "GET", "/_sim/health") == {"status": "ok"}


def test_keep_alive_and_content_length(sim):
    api, copilot_token = copilot_session(sim)
    connection = http.client.HTTPConnection(sim.url.split("//")[1], timeout=10)
    headers = {"Authorization": f"Bearer {copilot_token}", "Content-Type": "application/json", **IDE_HEADERS}
    for _ in range(3):  # three requests on one connection
        connection.request("POST", "/copilot/individual/chat/completions", headers=headers,
                           body=json.dumps({"model": "gpt-4.1", "messages": [{"role": "user", "content": "k"}]}))
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200 and int(response.headers["Content-Length"]) == len(body)
        assert not response.will_close
    connection.close()


# ---------------------------------------------------------------------------
# scripted agent loops (SIM:TOOLS): n tool calls in one turn, then a final text
# ---------------------------------------------------------------------------

SCRIPT = 'SIM:TOOLS 3 Bash {"command": "echo step {call}"}'
BASH_SCHEMA = {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}


def test_scripted_loop_on_messages(sim):
    client = anthropic_client(sim)
    tools = [{"name": "Bash", "input_schema": BASH_SCHEMA}]
    messages = [{"role": "user", "content": [{"type": "text", "text": "<system-reminder>x</system-reminder>"},
                                             {"type": "text", "text": SCRIPT}]}]
    commands = []
    for _ in range(3):
        reply = client.messages.create(model="claude-sonnet-4.5", max_tokens=100, tools=tools, messages=messages)
        assert reply.stop_reason == "tool_use"
        [use] = reply.content
        commands.append(use.input["command"])
        messages += [{"role": "assistant", "content": [use.model_dump()]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                                   "content": "ran " + use.input["command"]}]}]
    final = client.messages.create(model="claude-sonnet-4.5", max_tokens=100, tools=tools, messages=messages)
    assert commands == ["echo step 1", "echo step 2", "echo step 3"]
    assert final.stop_reason == "end_turn"
    assert final.content[0].text == "Scripted task done after 3 tool calls.\nTool Bash returned: ran echo step 3"

    # A second prompt in the same conversation starts a new turn: no script, a plain answer.
    messages += [{"role": "assistant", "content": final.content[0].text},
                 {"role": "user", "content": "thanks"}]
    second = client.messages.create(model="claude-sonnet-4.5", max_tokens=100, tools=tools, messages=messages)
    assert second.content[0].text == hello("claude-sonnet-4.5", "thanks")


def test_scripted_loop_on_chat_completions_streamed(sim):
    client = openai_client(sim)
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_TOOL}}]
    messages = [{"role": "user", "content": "SIM:TOOLS 2 get_weather"}]
    for number in (1, 2):
        chunks = list(client.chat.completions.create(model="gpt-4.1", tools=tools, messages=messages, stream=True))
        calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
        assert calls[0].function.name == "get_weather"
        arguments = "".join(tc.function.arguments for tc in calls)
        assert json.loads(arguments) == {"city": "sim"}  # no JSON given: made from the schema
        messages += [{"role": "assistant", "content": None, "tool_calls": [
                         {"id": calls[0].id, "type": "function",
                          "function": {"name": "get_weather", "arguments": arguments}}]},
                     {"role": "tool", "tool_call_id": calls[0].id, "content": "sunny %d" % number}]
    final = client.chat.completions.create(model="gpt-4.1", tools=tools, messages=messages)
    assert final.choices[0].finish_reason == "stop"
    assert final.choices[0].message.content == ("Scripted task done after 2 tool calls.\n"
                                                "Tool get_weather returned: sunny 2")


def test_scripted_loop_on_responses(sim):
    client = openai_client(sim)
    tools = [{"type": "function", "name": "Bash", "parameters": BASH_SCHEMA}]
    items = [{"role": "user", "content": 'first prompt'}, {"role": "assistant", "content": "ok"},
             {"role": "user", "content": 'SIM:TOOLS 2 Bash {"command": "ls {call}"}'}]
    seen = []
    while True:
        response = client.responses.create(model="gpt-5", tools=tools, input=items)
        [item] = response.output
        if item.type != "function_call":
            break
        seen.append(json.loads(item.arguments)["command"])
        items += [{"type": "function_call", "call_id": item.call_id, "name": item.name, "arguments": item.arguments},
                  {"type": "function_call_output", "call_id": item.call_id, "output": "out"}]
        assert len(seen) <= 2
    assert seen == ["ls 1", "ls 2"]
    assert response.output_text == "Scripted task done after 2 tool calls.\nTool Bash returned: out"


def test_scripted_loop_needs_the_tool(sim):
    """Without the named tool (e.g. Claude Code's title request, no tools) the model answers plainly."""
    client = anthropic_client(sim)
    plain = client.messages.create(model="claude-sonnet-4.5", max_tokens=100,
                                   messages=[{"role": "user", "content": SCRIPT}])
    assert plain.content[0].text == hello("claude-sonnet-4.5", SCRIPT)
    other = client.messages.create(model="claude-sonnet-4.5", max_tokens=100, messages=[
        {"role": "user", "content": SCRIPT}], tools=[{"name": "Read", "input_schema": BASH_SCHEMA}])
    assert other.content[0].type == "text"


def test_client_reminders_never_ask_for_a_tool(sim):
    """Claude Code's `<system-reminder>` text names its tools (e.g. a sub-agent's task notification):
    the model answers it in text instead of calling the tool again (and again)."""
    client = anthropic_client(sim)
    tools = [{"name": "Agent", "input_schema": BASH_SCHEMA}]
    notification = ("<system-reminder>\n<task-notification>Use the Agent tool; "
                    'call Agent {"command": "x"}</task-notification>\n</system-reminder>')
    reply = client.messages.create(model="claude-sonnet-4.5", max_tokens=100, tools=tools,
                                   messages=[{"role": "user", "content": notification}])
    assert reply.stop_reason == "end_turn" and reply.content[0].type == "text"
    prompt = [{"type": "text", "text": "<system-reminder>Agent is a tool</system-reminder>"},
              {"type": "text", "text": "<system-reminder>x</system-reminder>\nplease run Agent"}]
    asked = client.messages.create(model="claude-sonnet-4.5", max_tokens=100, tools=tools,
                                   messages=[{"role": "user", "content": prompt}])
    assert asked.content[0].type == "tool_use" and asked.content[0].name == "Agent"


def test_compaction_request_gets_a_summary(sim):
    """Claude Code's compaction asks for an <analysis> block followed by a <summary> block."""
    ask = ("CRITICAL: Respond with TEXT ONLY.\n- Your entire response must be plain text: an <analysis> block "
           "followed by a <summary> block.\n\nYour task is to create a detailed summary of the conversation so far")
    reply = anthropic_client(sim).messages.create(model="claude-sonnet-4.5", max_tokens=100, messages=[
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
        {"role": "user", "content": ask}])
    text = reply.content[0].text
    assert re.fullmatch(r"<analysis>.+</analysis>\n<summary>.+\(model claude-sonnet-4\.5\)\.</summary>", text, re.DOTALL)
