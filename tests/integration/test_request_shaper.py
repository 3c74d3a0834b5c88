"""The request shaper on the deployed proxy, driven by the real OpenAI and Anthropic SDKs: on every
API the proxy serves, a tool follow-up reaches Copilot as `X-Initiator: agent` and costs nothing, a
person's second prompt in a long conversation is `user` and costs the model's multiplier, an image
is answered (the vision header goes with it) and a parameterless tool is answered (its schema gets
`properties`). The simulator bills and refuses as Copilot does; its quota and request log say what
Copilot saw."""
import pytest
from conftest import premium_remaining
from lab import sim_bodies


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
WEATHER = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
CALL = 'call get_weather {"city": "Oslo"}'
SECOND = "Thanks. Now say something else."
# Multipliers of the simulator's catalog, which the proxy's model list was discovered from.
MULTIPLIER = {"claude-sonnet-4.5": 1, "gpt-5": 1, "gpt-5-codex": 1}


class Meter:
    """Each step's premium spend and the X-Initiator Copilot saw for it."""

    def __init__(self, sim_requests, path):
        self.sim_requests, self.path = sim_requests, path
        self.seen = 0
        self.remaining = premium_remaining()

    def step(self):
        """(premium spent, X-Initiator of the one request that reached Copilot) since the last step."""
        requests = self.sim_requests(self.path)[self.seen:]
        self.seen += len(requests)
        assert len(requests) == 1, "expected one request to Copilot's %s, got %d" % (self.path, len(requests))
        now = premium_remaining()
        spent, self.remaining = round(self.remaining - now, 2), now
        return spent, requests[0]["headers"].get("x-initiator")


def chat_bills_each_prompt_once(openai_client, meter, model, messages, as_history):
    """Over chat completions: a prompt that asks for a tool costs the model's multiplier, the tool's
    result costs nothing, the person's next prompt costs the multiplier again. `as_history` turns
    the tool result's answer into the message that goes back in the conversation."""
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}]
    first = openai_client.chat.completions.create(model=model, messages=messages, tools=tools)
    call = first.choices[0].message.tool_calls[0]
    assert meter.step() == (MULTIPLIER[model], "user")

    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"}]
    second = openai_client.chat.completions.create(model=model, messages=messages, tools=tools)
    assert "Tool get_weather returned: sunny, 21 C" in second.choices[0].message.content
    assert meter.step() == (0, "agent")

    messages += [as_history(second.choices[0].message), {"role": "user", "content": SECOND}]
    third = openai_client.chat.completions.create(model=model, messages=messages, tools=tools)
    assert "You said: " + SECOND in third.choices[0].message.content
    assert meter.step() == (MULTIPLIER[model], "user")


def test_chat_completions_bill_each_prompt_once(openai_client, sim_requests):
    chat_bills_each_prompt_once(
        openai_client, Meter(sim_requests, "/chat/completions"), "gpt-5",
        [{"role": "system", "content": "You are terse."}, {"role": "user", "content": CALL}],
        lambda answer: answer.model_dump(exclude_none=True))


@pytest.mark.parametrize("model, path", [("gpt-5-codex", "/responses"), ("gpt-5", "/chat/completions")])
def test_responses_bill_each_prompt_once(openai_client, sim_requests, model, path):
    """gpt-5-codex goes to Copilot's /responses; gpt-5, a chat model, is translated by LiteLLM."""
    meter = Meter(sim_requests, path)
    tools = [{"type": "function", "name": "get_weather", "parameters": WEATHER}]
    items = [{"role": "user", "content": CALL}]
    first = openai_client.responses.create(model=model, input=items, tools=tools)
    call = next(item for item in first.output if item.type == "function_call")
    assert meter.step() == (MULTIPLIER[model], "user")

    items += [call.model_dump(exclude_none=True),
              {"type": "function_call_output", "call_id": call.call_id, "output": "sunny, 21 C"}]
    second = openai_client.responses.create(model=model, input=items, tools=tools)
    assert "Tool get_weather returned: sunny, 21 C" in second.output_text
    assert meter.step() == (0, "agent")

    items += [{"role": "assistant", "content": second.output_text}, {"role": "user", "content": SECOND}]
    third = openai_client.responses.create(model=model, input=items, tools=tools)
    assert "You said: " + SECOND in third.output_text
    assert meter.step() == (MULTIPLIER[model], "user")


def anthropic_round_trip(anthropic_client, model, meter):
    """A prompt with a tool call, its tool result, and a second prompt through /v1/messages."""
    tools = [{"name": "get_weather", "description": "Weather for a city", "input_schema": WEATHER}]
    messages = [{"role": "user", "content": CALL}]
    first = anthropic_client.messages.create(model=model, max_tokens=200, system="You are terse.",
                                             messages=messages, tools=tools)
    use = next(block for block in first.content if block.type == "tool_use")
    assert meter.step() == (MULTIPLIER[model], "user")

    messages += [{"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in first.content]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                               "content": "sunny, 21 C"}]}]
    second = anthropic_client.messages.create(model=model, max_tokens=200, messages=messages, tools=tools)
    assert "Tool get_weather returned: sunny, 21 C" in second.content[0].text
    assert meter.step() == (0, "agent")

    messages += [{"role": "assistant", "content": second.content[0].text}, {"role": "user", "content": SECOND}]
    third = anthropic_client.messages.create(model=model, max_tokens=200, messages=messages, tools=tools)
    assert "You said: " + SECOND in third.content[0].text
    assert meter.step() == (MULTIPLIER[model], "user")


def test_anthropic_messages_bill_each_prompt_once(anthropic_client, sim_requests):
    """A Claude model: LiteLLM sends it to Copilot's native /v1/messages, where stock LiteLLM sends
    no X-Initiator at all (every tool round trip billed)."""
    anthropic_round_trip(anthropic_client, "claude-sonnet-4.5", Meter(sim_requests, "/v1/messages"))


def test_anthropic_messages_for_a_gpt_model_bill_each_prompt_once(anthropic_client, sim_requests):
    """A non-Claude model on /v1/messages: LiteLLM translates the request into a chat completion."""
    anthropic_round_trip(anthropic_client, "gpt-5", Meter(sim_requests, "/chat/completions"))


def test_streamed_anthropic_tool_follow_up_is_free(anthropic_client, sim_requests):
    """Claude Code streams every request: the streamed path is shaped too."""
    model = "claude-sonnet-4.5"
    meter = Meter(sim_requests, "/v1/messages")
    tools = [{"name": "get_weather", "description": "Weather for a city", "input_schema": WEATHER}]
    messages = [{"role": "user", "content": CALL}]
    with anthropic_client.messages.stream(model=model, max_tokens=200, messages=messages, tools=tools) as stream:
        first = stream.get_final_message()
    use = next(block for block in first.content if block.type == "tool_use")
    assert meter.step() == (MULTIPLIER[model], "user")
    messages += [{"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in first.content]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny"}]}]
    with anthropic_client.messages.stream(model=model, max_tokens=200, messages=messages, tools=tools) as stream:
        text = "".join(stream.text_stream)
    assert "Tool get_weather returned: sunny" in text
    assert meter.step() == (0, "agent")


@pytest.mark.parametrize("model, path", [("claude-sonnet-4.5", "/v1/messages"), ("gpt-5", "/chat/completions")])
def test_translated_request_keeps_the_decision_made_on_what_the_client_sent(anthropic_client, sim_requests,
                                                                             model, path):
    """A Claude Code sub-agent's request (its billing-header system block says so) is the agent's.
    For a GPT model LiteLLM translates it into a chat completion, where the system blocks become a
    system message; the decision made on the request Claude Code sent still holds."""
    meter = Meter(sim_requests, path)
    mark = "x-anthropic-billing-header: cc_version=2.1.0; cc_entrypoint=cli; cc_is_subagent=true"
    anthropic_client.messages.create(model=model, max_tokens=100, system=[
        {"type": "text", "text": mark}, {"type": "text", "text": "You are a sub-agent."}],
        messages=[{"role": "user", "content": "Find the configs"}])
    assert meter.step() == (0, "agent")


def test_responses_only_model_through_chat_completions_bills_each_prompt_once(openai_client, sim_requests):
    """gpt-5-codex serves only /responses: LiteLLM bridges the chat request to it."""
    chat_bills_each_prompt_once(
        openai_client, Meter(sim_requests, "/responses"), "gpt-5-codex", [{"role": "user", "content": CALL}],
        lambda answer: {"role": "assistant", "content": answer.content})


# --- images: Copilot refuses one without Copilot-Vision-Request --------------------------------
def vision_header(sim_requests, path):
    return sim_requests(path)[-1]["headers"].get("copilot-vision-request")


def test_image_through_chat_completions(openai_client, sim_requests):
    reply = openai_client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + PNG}}]}])
    assert "You said: what is this" in reply.choices[0].message.content
    assert vision_header(sim_requests, "/chat/completions") == "true"


@pytest.mark.parametrize("model, path", [("gpt-5-codex", "/responses"), ("gpt-5", "/chat/completions")])
def test_image_through_responses(openai_client, sim_requests, model, path):
    reply = openai_client.responses.create(model=model, input=[{"role": "user", "content": [
        {"type": "input_text", "text": "what is this"},
        {"type": "input_image", "image_url": "data:image/png;base64," + PNG}]}])
    assert "You said: what is this" in reply.output_text
    assert vision_header(sim_requests, path) == "true"


@pytest.mark.parametrize("model, path", [("claude-sonnet-4.5", "/v1/messages"), ("gpt-4.1", "/chat/completions")])
def test_image_through_anthropic_messages(anthropic_client, sim_requests, model, path):
    """A screenshot pasted into Claude Code: an image block on /v1/messages, natively for Claude and
    translated to a chat completion for other models."""
    reply = anthropic_client.messages.create(model=model, max_tokens=200, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "text", "text": "what is this"}]}])
    assert "You said: what is this" in reply.content[0].text
    assert vision_header(sim_requests, path) == "true"


# --- parameterless tools: Copilot refuses an object schema without properties ------------------
def sent_schema(sim_requests, path, pick):
    return pick(sim_bodies(sim_requests(path))[-1]["tools"][0])


def test_parameterless_tool_through_chat_completions(openai_client, sim_requests):
    reply = openai_client.chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "call get_time {}"}],
        tools=[{"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}])
    assert reply.choices[0].message.tool_calls[0].function.name == "get_time"
    schema = sent_schema(sim_requests, "/chat/completions", lambda tool: tool["function"]["parameters"])
    assert schema == {"type": "object", "properties": {}}


@pytest.mark.parametrize("model, path, pick", [
    ("gpt-5-codex", "/responses", lambda tool: tool["parameters"]),
    ("gpt-5", "/chat/completions", lambda tool: tool["function"]["parameters"]),
])
def test_parameterless_tool_through_responses(openai_client, sim_requests, model, path, pick):
    reply = openai_client.responses.create(
        model=model, input="call get_time {}",
        tools=[{"type": "function", "name": "get_time", "parameters": {"type": "object"}, "strict": False}])
    assert next(item for item in reply.output if item.type == "function_call").name == "get_time"
    schema = sent_schema(sim_requests, path, pick)
    assert schema["type"] == "object" and schema["properties"] == {}


@pytest.mark.parametrize("model, path, pick", [
    ("claude-sonnet-4.5", "/v1/messages", lambda tool: tool["input_schema"]),
    ("gpt-4.1", "/chat/completions", lambda tool: tool["function"]["parameters"]),
])
def test_parameterless_tool_through_anthropic_messages(anthropic_client, sim_requests, model, path, pick):
    """An MCP tool that takes no arguments, as Claude Code passes it on."""
    reply = anthropic_client.messages.create(
        model=model, max_tokens=200, messages=[{"role": "user", "content": "call get_time {}"}],
        tools=[{"name": "get_time", "description": "The time", "input_schema": {"type": "object"}}])
    assert next(block for block in reply.content if block.type == "tool_use").name == "get_time"
    schema = sent_schema(sim_requests, path, pick)
    assert schema["type"] == "object" and schema["properties"] == {}
