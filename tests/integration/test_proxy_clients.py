"""The deployed proxy, driven by the real OpenAI and Anthropic SDKs, answers from the simulator."""
import json

import openai
import pytest
import yaml
from lab import REPO

GREETING = "Hello from the Copilot simulator (model {model})."


def test_serves_the_filtered_models(openai_client):
    served = {model.id for model in openai_client.models.list()}
    assert {"gpt-4.1", "claude-sonnet-4.5", "gpt-5-codex"} <= served
    # policy-disabled, picker-hidden and embeddings models are filtered out by default
    assert not served & {"grok-code-fast-1", "gpt-3.5-turbo", "text-embedding-3-small"}


def test_chat_completion(openai_client):
    reply = openai_client.chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "ping"}])
    text = reply.choices[0].message.content
    assert text.startswith(GREETING.format(model="gpt-4.1"))
    assert "You said: ping" in text
    assert reply.usage.total_tokens > 0


def test_streamed_chat_completion(openai_client):
    stream = openai_client.chat.completions.create(
        model="gpt-4.1", stream=True, messages=[{"role": "user", "content": "stream please"}])
    pieces = [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
    assert len([piece for piece in pieces if piece]) > 1, "expected the answer in several chunks"
    assert "".join(pieces).startswith(GREETING.format(model="gpt-4.1"))


def test_system_prompt_keeps_its_role(openai_client):
    reply = openai_client.chat.completions.create(model="gpt-4.1", messages=[
        {"role": "system", "content": "SIM:ECHO-SYSTEM"}, {"role": "user", "content": "hi"}])
    assert "(system role: system)" in reply.choices[0].message.content


def test_ide_headers_reach_copilot(openai_client, sim_requests):
    openai_client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "x"}])
    headers = {k.lower(): v for k, v in sim_requests("/chat/completions")[-1]["headers"].items()}
    # the role's defaults, not LiteLLM's own (vscode/1.95.0, copilot-chat/0.26.7)
    defaults = yaml.safe_load((REPO / "roles/litellm_copilot/defaults/main.yml").read_text())
    for name in ("editor-version", "editor-plugin-version", "copilot-integration-id"):
        assert headers[name] == defaults["litellm_copilot_ide_headers"][name], name


def test_tool_call_round_trip(openai_client):
    tools = [{"type": "function", "function": {
        "name": "get_weather", "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    messages = [{"role": "user", "content": 'call get_weather {"city": "Paris"}'}]
    first = openai_client.chat.completions.create(model="gpt-4.1", messages=messages, tools=tools)
    call = first.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"}]
    second = openai_client.chat.completions.create(model="gpt-4.1", messages=messages, tools=tools)
    assert "Tool get_weather returned: sunny, 21 C" in second.choices[0].message.content


def test_anthropic_messages(anthropic_client):
    reply = anthropic_client.messages.create(
        model="claude-sonnet-4.5", max_tokens=200, messages=[{"role": "user", "content": "ping"}])
    text = "".join(block.text for block in reply.content if block.type == "text")
    assert text.startswith(GREETING.format(model="claude-sonnet-4.5"))
    assert reply.stop_reason == "end_turn"


def test_streamed_anthropic_messages(anthropic_client):
    with anthropic_client.messages.stream(
            model="claude-sonnet-4.5", max_tokens=200,
            messages=[{"role": "user", "content": "stream please"}]) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 1
    assert "".join(pieces).startswith(GREETING.format(model="claude-sonnet-4.5"))
    assert final.stop_reason == "end_turn"


def test_wrong_key_is_refused(openai_client):
    # Without a database LiteLLM cannot look up virtual keys: it refuses any key but the
    # master key with 400 "No connected db." rather than 401.
    with pytest.raises(openai.APIStatusError) as refused:
        openai_client.with_options(api_key="sk-wrong").chat.completions.create(
            model="gpt-4.1", messages=[{"role": "user", "content": "x"}])
    assert refused.value.status_code in (400, 401)
