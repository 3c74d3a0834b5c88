"""The request shaper's rule (roles/litellm_copilot/files/copilot_shaper.py), as a table of the
message shapes the three APIs send: who started the request (Copilot bills a premium request for
"user" only), whether it carries an image, and which tool schemas Copilot would refuse."""

import copy
import importlib.util

import pytest
from constants import ROLE_FILES

SHAPER_FILE = ROLE_FILES / "copilot_shaper.py"


def _load_shaper():
    # The role installs the file next to the proxy config, not as a package: load it by path, as
    # LiteLLM does.
    spec = importlib.util.spec_from_file_location("copilot_shaper", SHAPER_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shaper = _load_shaper()

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
DATA_URL = "data:image/png;base64," + PNG

# --- chat completions (OpenAI shape) ---------------------------------------------------------
CHAT_SYSTEM = {"role": "system", "content": "You are terse."}
CHAT_FIRST = {"role": "user", "content": "What is the weather in Oslo?"}
CHAT_CALL = {"role": "assistant", "content": None,
             "tool_calls": [{"id": "call_1", "type": "function",
                             "function": {"name": "weather", "arguments": "{\"city\": \"Oslo\"}"}}]}
CHAT_RESULT = {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 C"}
CHAT_ANSWER = {"role": "assistant", "content": "Sunny and 21 C in Oslo."}
CHAT_SECOND = {"role": "user", "content": [{"type": "text", "text": "And tomorrow?"}]}
CHAT_IMAGE = {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                          {"type": "image_url", "image_url": {"url": DATA_URL}}]}

# --- Anthropic Messages ------------------------------------------------------------------------
ANT_FIRST = {"role": "user", "content": "What is the weather in Oslo?"}
ANT_FIRST_BLOCKS = {"role": "user", "content": [{"type": "text", "text": "What is the weather in Oslo?"}]}
ANT_CALL = {"role": "assistant", "content": [
    {"type": "text", "text": "Checking."},
    {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}}]}
ANT_RESULT = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "Sunny"}]}
ANT_TWO_RESULTS = {"role": "user", "content": [
    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "Sunny"},
    {"type": "tool_result", "tool_use_id": "toolu_2", "content": [{"type": "text", "text": "Rain"}]}]}
ANT_RESULT_AND_PROMPT = {"role": "user", "content": [
    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "Sunny"},
    {"type": "text", "text": "Never mind, what about Bergen?"}]}
ANT_ANSWER = {"role": "assistant", "content": [{"type": "text", "text": "Sunny in Oslo."}]}
ANT_SECOND = {"role": "user", "content": "Thanks. Now summarise the README."}
ANT_IMAGE = {"role": "user", "content": [
    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
    {"type": "text", "text": "What is in this screenshot?"}]}
ANT_IMAGE_RESULT = {"role": "user", "content": [
    {"type": "tool_result", "tool_use_id": "toolu_1",
     "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]}]}

# --- Responses ---------------------------------------------------------------------------------
RESP_FIRST = {"role": "user", "content": "What is the weather in Oslo?"}
RESP_FIRST_TYPED = {"type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": "What is the weather in Oslo?"}]}
RESP_CALL = {"type": "function_call", "call_id": "call_1", "name": "weather", "arguments": "{\"city\": \"Oslo\"}"}
RESP_RESULT = {"type": "function_call_output", "call_id": "call_1", "output": "Sunny"}
RESP_ANSWER = {"type": "message", "role": "assistant",
               "content": [{"type": "output_text", "text": "Sunny in Oslo."}]}
RESP_SECOND = {"role": "user", "content": [{"type": "input_text", "text": "And tomorrow?"}]}
RESP_DEVELOPER = {"role": "developer", "content": "You are terse."}
RESP_IMAGE = {"role": "user", "content": [{"type": "input_text", "text": "What is this?"},
                                          {"type": "input_image", "image_url": DATA_URL}]}

AGENT, USER = "agent", "user"

RULE_TABLE = [
    # id, body, expected initiator, expected vision header
    ("chat first prompt", {"messages": [CHAT_FIRST]}, USER, False),
    ("chat first prompt after system", {"messages": [CHAT_SYSTEM, CHAT_FIRST]}, USER, False),
    ("chat tool follow-up", {"messages": [CHAT_SYSTEM, CHAT_FIRST, CHAT_CALL, CHAT_RESULT]}, AGENT, False),
    ("chat second prompt in a long chat",
     {"messages": [CHAT_SYSTEM, CHAT_FIRST, CHAT_CALL, CHAT_RESULT, CHAT_ANSWER, CHAT_SECOND]}, USER, False),
    ("chat ends with the assistant's own message", {"messages": [CHAT_FIRST, CHAT_ANSWER]}, AGENT, False),
    ("chat legacy function result", {"messages": [CHAT_FIRST, {"role": "function", "name": "weather",
                                                               "content": "Sunny"}]}, AGENT, False),
    ("chat image", {"messages": [CHAT_SYSTEM, CHAT_IMAGE]}, USER, True),
    ("chat image earlier, tool follow-up now",
     {"messages": [CHAT_IMAGE, CHAT_CALL, CHAT_RESULT]}, AGENT, True),
    ("chat untyped image_url part",
     {"messages": [{"role": "user", "content": [{"image_url": {"url": DATA_URL}}]}]}, USER, True),
    ("chat string content naming an image is no image",
     {"messages": [{"role": "user", "content": "type: image_url"}]}, USER, False),
    ("chat only a system prompt", {"messages": [CHAT_SYSTEM]}, USER, False),
    ("chat no messages", {"messages": []}, USER, False),
    ("anthropic first prompt (string)", {"system": "You are terse.", "messages": [ANT_FIRST]}, USER, False),
    ("anthropic first prompt (blocks)",
     {"system": [{"type": "text", "text": "You are terse."}], "messages": [ANT_FIRST_BLOCKS]}, USER, False),
    ("anthropic tool follow-up", {"messages": [ANT_FIRST, ANT_CALL, ANT_RESULT]}, AGENT, False),
    ("anthropic parallel tool results", {"messages": [ANT_FIRST, ANT_CALL, ANT_TWO_RESULTS]}, AGENT, False),
    ("anthropic tool result with a new prompt",
     {"messages": [ANT_FIRST, ANT_CALL, ANT_RESULT_AND_PROMPT]}, USER, False),
    ("anthropic second prompt in a long chat",
     {"messages": [ANT_FIRST, ANT_CALL, ANT_RESULT, ANT_ANSWER, ANT_SECOND]}, USER, False),
    ("anthropic assistant prefill", {"messages": [ANT_FIRST, ANT_ANSWER]}, AGENT, False),
    ("anthropic empty user content", {"messages": [{"role": "user", "content": []}]}, USER, False),
    ("anthropic image", {"messages": [ANT_IMAGE]}, USER, True),
    ("anthropic image in a tool result", {"messages": [ANT_FIRST, ANT_CALL, ANT_IMAGE_RESULT]}, AGENT, True),
    # Over-eager on purpose: a needless vision header costs nothing, a missing one is refused.
    ("anthropic tool input typed image",
     {"messages": [ANT_FIRST, {"role": "assistant", "content": [
         {"type": "tool_use", "id": "toolu_1", "name": "draw", "input": {"type": "image"}}]}, ANT_RESULT]},
     AGENT, True),
    ("responses string input", {"input": "What is the weather in Oslo?"}, USER, False),
    ("responses first prompt", {"instructions": "Be terse.", "input": [RESP_FIRST]}, USER, False),
    ("responses typed first prompt after developer", {"input": [RESP_DEVELOPER, RESP_FIRST_TYPED]}, USER, False),
    ("responses tool follow-up", {"input": [RESP_FIRST, RESP_CALL, RESP_RESULT]}, AGENT, False),
    ("responses follow-up by previous_response_id",
     {"previous_response_id": "resp_1", "input": [RESP_RESULT]}, AGENT, False),
    ("responses second prompt in a long chat",
     {"input": [RESP_FIRST, RESP_CALL, RESP_RESULT, RESP_ANSWER, RESP_SECOND]}, USER, False),
    ("responses ends with the model's call", {"input": [RESP_FIRST, RESP_CALL]}, AGENT, False),
    ("responses ends with the assistant's message", {"input": [RESP_FIRST, RESP_ANSWER]}, AGENT, False),
    ("responses image", {"input": [RESP_IMAGE]}, USER, True),
    ("responses image in a tool output",
     {"input": [RESP_FIRST, RESP_CALL, {"type": "function_call_output", "call_id": "call_1",
                                        "output": [{"type": "input_image", "image_url": DATA_URL}]}]},
     AGENT, True),
    ("responses empty input", {"input": []}, USER, False),
    ("neither messages nor input", {}, USER, False),
]


@pytest.mark.parametrize("body,expected_initiator,expected_vision",
                         [row[1:] for row in RULE_TABLE], ids=[row[0] for row in RULE_TABLE])
def test_rule_table(body, expected_initiator, expected_vision):
    before = copy.deepcopy(body)
    headers, tools = shaper.shape_request(body)
    expected = {"X-Initiator": expected_initiator}
    if expected_vision:
        expected["Copilot-Vision-Request"] = "true"
    assert headers == expected
    assert tools is None
    assert body == before, "shape_request must not change the request it reads"


# --- tool schemas ------------------------------------------------------------------------------
BARE = {"type": "object"}
GOOD = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


@pytest.mark.parametrize("tool,path", [
    ({"type": "function", "function": {"name": "now", "parameters": BARE}}, ("function", "parameters")),
    ({"type": "function", "name": "now", "parameters": BARE}, ("parameters",)),
    ({"name": "now", "description": "Current time", "input_schema": BARE}, ("input_schema",)),
], ids=["chat", "responses", "anthropic"])
def test_parameterless_tool_gets_empty_properties(tool, path):
    before = copy.deepcopy(tool)
    headers, tools = shaper.shape_request({"messages": [CHAT_FIRST], "tools": [tool]})
    assert headers == {"X-Initiator": USER}
    schema = tools[0]
    for key in path:
        schema = schema[key]
    assert schema == {"type": "object", "properties": {}}
    assert tool == before, "the request's own tool must stay as it was"


def test_good_tools_are_left_alone():
    tools = [{"type": "function", "function": {"name": "weather", "parameters": GOOD}},
             {"name": "weather", "input_schema": GOOD},
             {"type": "web_search_20250305", "name": "web_search"},
             {"type": "function", "function": {"name": "noargs"}}]
    assert shaper.repair_tools(tools) is None
    assert shaper.shape_request({"input": "hi", "tools": tools}) == ({"X-Initiator": USER}, None)


def test_only_the_broken_tool_is_copied():
    good = {"type": "function", "function": {"name": "weather", "parameters": GOOD}}
    bare = {"type": "function", "function": {"name": "now", "parameters": {"type": "object", "description": "x"}}}
    repaired = shaper.repair_tools([good, bare])
    assert repaired[0] is good
    assert repaired[1]["function"]["parameters"] == {"type": "object", "description": "x", "properties": {}}


def test_nested_object_schemas_are_repaired():
    schema = {"type": "object", "properties": {
        "options": {"type": "object"},
        "items": {"type": "array", "items": {"type": "object"}},
        "either": {"anyOf": [{"type": "string"}, {"type": ["object", "null"]}]},
        "ok": {"type": "object", "properties": {"x": {"type": "integer"}}}},
        "$defs": {"Thing": {"type": "object"}}}
    fixed = shaper.repair_schema(schema)
    assert fixed["properties"]["options"] == {"type": "object", "properties": {}}
    assert fixed["properties"]["items"]["items"] == {"type": "object", "properties": {}}
    assert fixed["properties"]["either"]["anyOf"][1] == {"type": ["object", "null"], "properties": {}}
    assert fixed["properties"]["ok"] == {"type": "object", "properties": {"x": {"type": "integer"}}}
    assert fixed["$defs"]["Thing"] == {"type": "object", "properties": {}}
    assert "properties" not in schema["properties"]["options"], "the original schema must stay as it was"


def test_a_property_named_properties_is_not_a_keyword():
    """Under "properties" the keys are property names: a property called "type" or "items" must
    not be read as a schema keyword."""
    schema = {"type": "object", "properties": {"type": {"type": "string"}, "items": {"type": "string"}}}
    assert shaper.repair_schema(schema) is schema


def test_deeply_nested_content_is_searched_without_recursion():
    node = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
    for _ in range(5000):
        node = {"type": "tool_result", "content": [node]}
    assert shaper.has_image({"messages": [{"role": "user", "content": [node]}]})


def test_shaped_headers_replace_any_spelling_of_the_same_header():
    deployment = {"editor-version": "vscode/1.104.0", "x-initiator": "user", "COPILOT-VISION-REQUEST": "false"}
    merged = shaper.merge_headers(deployment, {"X-Initiator": "agent", "Copilot-Vision-Request": "true"})
    assert merged == {"editor-version": "vscode/1.104.0", "X-Initiator": "agent", "Copilot-Vision-Request": "true"}
    assert deployment["x-initiator"] == "user", "the deployment's own headers (shared by all requests) stay"
    assert shaper.merge_headers(None, {"X-Initiator": "user"}) == {"X-Initiator": "user"}


# Claude Code's housekeeping (shapes as the real Claude Code 2.1.330 sent them through the proxy).
_CC_MAIN = [{"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.330.13b; cc_entrypoint=sdk-cli;"},
            {"type": "text", "text": "You are a Claude agent, built on Anthropic's Claude Agent SDK."}]
_CC_SUB = [{"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.330.9b8; cc_entrypoint=sdk-cli; "
                                    "cc_is_subagent=true;"},
           {"type": "text", "text": "You are an agent for Claude Code, Anthropic's official CLI for Claude."}]
_REMINDER = "<system-reminder>\nToday's date is 2026-12-01.\n</system-reminder>\n"
_NOTIFICATION = ("<system-reminder>\n<task-notification>\n<result>done</result>\n</task-notification>\n"
                 "</system-reminder>")
_COMPACT = ("CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n\nYour task is to create a detailed "
            "summary of the conversation so far, paying close attention to the user's explicit requests")
_EARLIER = [{"role": "user", "content": "first prompt"}, {"role": "assistant", "content": "an answer"}]


@pytest.mark.parametrize("system, last, expected", [
    # a person's prompt (reminders before it) stays the person's
    (_CC_MAIN, {"role": "user", "content": [{"type": "text", "text": _REMINDER},
                                            {"type": "text", "text": "Now sum it up"}]}, "user"),
    (_CC_MAIN, {"role": "user", "content": _REMINDER + "fix the bug"}, "user"),
    # a sub-agent's task prompt, written by the main agent's Agent tool call
    (_CC_SUB, {"role": "user", "content": [{"type": "text", "text": _REMINDER},
                                           {"type": "text", "text": "call Bash"}]}, "agent"),
    # a finished background sub-agent resumes the main loop
    (_CC_MAIN, {"role": "user", "content": _NOTIFICATION}, "agent"),
    (_CC_MAIN, {"role": "user", "content": [{"type": "text", "text": _NOTIFICATION}]}, "agent"),
    # a tool result with a reminder block beside it
    (_CC_MAIN, {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "ok"},
                                            {"type": "text", "text": _REMINDER}]}, "agent"),
    # compaction, as a string and as the last text block after the previous prompt
    (_CC_MAIN, {"role": "user", "content": _COMPACT}, "agent"),
    (_CC_MAIN, {"role": "user", "content": [{"type": "text", "text": "Now sum it up\n"},
                                            {"type": "text", "text": _COMPACT}]}, "agent"),
    # an image with no text is a person's
    (_CC_MAIN, {"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                                         "data": "AA=="}},
                                            {"type": "text", "text": _REMINDER}]}, "user"),
    # without Claude Code's system mark nothing of this applies
    ([{"type": "text", "text": "You are helpful."}], {"role": "user", "content": _NOTIFICATION}, "user"),
    ("You are helpful.", {"role": "user", "content": _COMPACT}, "user"),
    (None, {"role": "user", "content": [{"type": "text", "text": _REMINDER}]}, "user"),
])
def test_claude_code_housekeeping(system, last, expected):
    body = {"model": "claude-sonnet-4.5", "messages": _EARLIER + [last]}
    if system is not None:
        body["system"] = system
    assert shaper.initiator(body) == expected
    assert shaper.claude_code_housekeeping(body) is (expected == "agent")


class _Call:
    """Stands for LiteLLM's per-request logging object: any object that takes attributes."""


def test_the_first_decision_on_a_request_stands_for_its_translated_calls():
    call = _Call()
    outer = shaper.first_decision(call, {"X-Initiator": "agent"})
    assert outer == {"X-Initiator": "agent"}
    inner = shaper.first_decision(call, {"X-Initiator": "user", "Copilot-Vision-Request": "true"})
    assert inner == {"X-Initiator": "agent", "Copilot-Vision-Request": "true"}
    assert shaper.first_decision(_Call(), {"X-Initiator": "user"}) == {"X-Initiator": "user"}
    assert shaper.first_decision(None, {"X-Initiator": "user"}) == {"X-Initiator": "user"}
