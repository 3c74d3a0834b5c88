"""The request shaper's rule (roles/litellm_copilot/files/copilot_shaper.py), as a table of the
message shapes the three APIs send: who started the request (Copilot bills a premium request for
"user" only), whether it carries an image, and which tool schemas Copilot would refuse."""

import asyncio
import contextlib
import copy
import itertools
import logging
import re
import signal
import sys
import types

import pytest
from constants import ROLE_FILES
from module_harness import load_source

SHAPER_FILE = ROLE_FILES / "copilot_shaper.py"


def _load_shaper():
    # The role installs the file next to the proxy config, not as a package: load it by path, as
    # LiteLLM does.
    return load_source(SHAPER_FILE, "copilot_shaper")


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



# --- hostile requests: linear time ---------------------------------------------------------------
# The hook runs on the proxy's event loop, so one slow request stalls every other. The rule must
# take time linear in the request's size whatever the client sends.
MB = 1 << 20
_OPEN, _CLOSE = "<system-reminder>", "</system-reminder>"
# The regex the shaper used to remove reminder blocks: the reference for what the scan removes.
_REMINDERS_REGEX = re.compile(r"<system-reminder>.*?</system-reminder>", re.DOTALL)


@contextlib.contextmanager
def _deadline(seconds):
    """Fails the block if it runs longer than ``seconds`` (SIGALRM: Python code and the regex
    engine both check for it). Not a timing assertion: the limit is over a hundred times what the
    linear rule takes on the inputs below (milliseconds) and a small fraction of what a quadratic
    one takes (the old regex: about 6 minutes on 1 MB), so no machine is too slow or too fast for
    the outcome to change."""
    def expire(signum, frame):
        raise TimeoutError("still running after %s s: not linear in the request's size" % seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _claude_code_body(content):
    return {"model": "claude-sonnet-4.5", "system": _CC_MAIN, "messages": _EARLIER + [
        {"role": "user", "content": content}]}


def _text(text):
    return [{"type": "text", "text": text}]


HOSTILE_TABLE = [
    # id, last user message content (about 1 MB), expected initiator
    ("unclosed opening tags", _text(_OPEN * (MB // len(_OPEN))), USER),
    ("closing tags, then unclosed opening tags",
     _text(_CLOSE * (MB // 2 // len(_CLOSE)) + _OPEN * (MB // 2 // len(_OPEN))), USER),
    # The first closing tag ends the block; the other closing tags are left over.
    ("nested tags", _text(_OPEN * (MB // 2 // len(_OPEN)) + "x" + _CLOSE * (MB // 2 // len(_CLOSE))), USER),
    ("one block holding many opening tags", _text(_OPEN * (MB // len(_OPEN)) + _CLOSE), AGENT),
    ("many closed blocks", _text((_OPEN + "x" + _CLOSE) * (MB // 36) + "\n"), AGENT),
    ("many closed blocks, then an unclosed one", _text((_OPEN + "x" + _CLOSE) * (MB // 36) + _OPEN), USER),
    # Each text block is read on its own: a tag closed in the next block closes nothing.
    ("tags split across content parts",
     [{"type": "text", "text": _OPEN + "x" if i % 2 == 0 else _CLOSE} for i in range(MB // 40)], USER),
    ("string content of unclosed opening tags", _OPEN * (MB // len(_OPEN)), USER),
    ("near misses of the compaction request", _text(shaper._COMPACTION_ASK[:-1] * (MB // 70)), USER),
]


@pytest.mark.parametrize("content,expected", [row[1:] for row in HOSTILE_TABLE],
                         ids=[row[0] for row in HOSTILE_TABLE])
def test_hostile_reminder_tags_take_linear_time(content, expected):
    body = _claude_code_body(content)
    with _deadline(10):
        assert shaper.shape_request(body) == ({"X-Initiator": expected}, None)


def test_a_hostile_billing_header_takes_linear_time():
    system = [{"type": "text", "text": shaper.CLAUDE_CODE_SYSTEM_MARK + ";" * MB}]
    body = {"system": system, "messages": [{"role": "user", "content": _NOTIFICATION}]}
    with _deadline(10):
        assert shaper.shape_request(body) == ({"X-Initiator": AGENT}, None)


def test_a_wide_schema_takes_linear_time():
    schema = {"type": "object", "properties": {"p%d" % i: {"anyOf": [{"type": "object"}, {"type": "null"}]}
                                               for i in range(MB // 50)}}
    with _deadline(10):
        _, tools = shaper.shape_request({"messages": [CHAT_FIRST], "tools": [{"name": "wide", "input_schema": schema}]})
    assert tools[0]["input_schema"]["properties"]["p7"]["anyOf"][0] == {"type": "object", "properties": {}}
    assert schema["properties"]["p7"]["anyOf"][0] == {"type": "object"}, "the request's own schema stays"


def test_reminder_blocks_are_removed_as_the_regex_did():
    """The scan that replaced the regex removes the same blocks from every short mix of tags."""
    pieces = [_OPEN, _CLOSE, "x", " ", "\n", "<system-", "reminder>", "</system-reminder", "<"]
    for length in range(5):
        for mix in itertools.product(pieces, repeat=length):
            text = "".join(mix)
            expected = AGENT if not _REMINDERS_REGEX.sub("", text).strip() else USER
            assert shaper.initiator(_claude_code_body(_text(text))) == expected, repr(text)


# --- malformed requests: passed on, never raised on ----------------------------------------------
# A body the rule does not expect is the client's mistake, for LiteLLM to answer with its 4xx: the
# shaper must not turn it into a 500. It is passed on unchanged, with the default "user" header.
ODD_TABLE = [
    # id, body, expected headers besides the default X-Initiator: user
    ("unhashable part type (list)",
     {"messages": [{"role": "user", "content": [{"type": ["image"]}, {"type": "text", "text": "hi"}]}]}, {}),
    ("unhashable part type (dict)", {"messages": [{"role": "user", "content": [{"type": {"image": 1}}]}]}, {}),
    ("unhashable type deep in a tool result", {"messages": [ANT_FIRST, ANT_CALL, {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": ["image"]}]}]}]},
     {"X-Initiator": AGENT}),
    ("unhashable Responses item type", {"input": [{"type": ["function_call_output"], "output": "x"}]}, {}),
    ("unhashable system block type", {"system": [{"type": {"text": 1}, "text": "x"}], "messages": [ANT_FIRST]}, {}),
    ("unhashable role", {"messages": [{"role": ["assistant"], "content": "x"}]}, {}),
    ("messages a string", {"messages": "What is the weather in Oslo?"}, {}),
    ("messages a dict", {"messages": {"role": "assistant", "content": "x"}}, {}),
    ("messages a number", {"messages": 42}, {}),
    ("input a dict", {"input": {"type": "function_call_output", "output": "x"}}, {}),
    ("input a number", {"input": 42}, {}),
    ("content a number", {"messages": [{"role": "user", "content": 42}]}, {}),
    ("content a dict", {"messages": [{"role": "user", "content": {"type": "tool_result"}}]}, {}),
    ("None everywhere", {"messages": None, "input": None, "system": None, "tools": None}, {}),
    ("None input", {"input": None}, {}),
    ("None message", {"messages": [None]}, {}),
    ("None role and content", {"messages": [{"role": None, "content": None}]}, {}),
    ("None parts", {"messages": [{"role": "user", "content": [None, None]}]}, {}),
    ("None part type", {"messages": [{"role": "user", "content": [{"type": None, "text": "x"}]}]}, {}),
    ("None Responses items", {"input": [None]}, {}),
    ("non-dict parts", {"messages": [{"role": "user", "content": ["text", 1, 2.5, True, ["nested", None]]}]}, {}),
    ("non-dict Responses items", {"input": ["hi", 3, ["x"]]}, {}),
    ("non-dict message", {"messages": [CHAT_FIRST, "assistant"]}, {}),
    ("non-string text (number)", _claude_code_body([{"type": "text", "text": 5}]), {}),
    ("non-string text (None)", _claude_code_body([{"type": "text", "text": None}]), {}),
    ("non-string text (list)", _claude_code_body([{"type": "text", "text": [_REMINDER]}]), {}),
    ("non-string billing header", {"system": [{"type": "text", "text": 5}], "messages": [
        {"role": "user", "content": _NOTIFICATION}]}, {}),
    ("non-dict system blocks", {"system": [None, 3, "x-anthropic-billing-header: cc_is_subagent=true;"],
                                "messages": [ANT_FIRST]}, {}),
    ("numbers as keys", {1: 2, "messages": [{0: "assistant", "role": "user", "content": [
        {1: "image", "type": "text", "text": "x"}]}]}, {}),
    ("numbers as keys beside an image", {"messages": [{"role": "user", "content": [
        {0: None, "type": "image_url", "image_url": {"url": DATA_URL}}]}]}, {"Copilot-Vision-Request": "true"}),
    ("tools a dict", {"messages": [CHAT_FIRST], "tools": {"name": "now", "input_schema": BARE}}, {}),
    ("tools a string", {"messages": [CHAT_FIRST], "tools": "now"}, {}),
    ("tools of non-dicts", {"messages": [CHAT_FIRST], "tools": [None, 3, "now", ["x"]]}, {}),
    ("tool parameters a string",
     {"messages": [CHAT_FIRST], "tools": [{"type": "function", "function": {"name": "now", "parameters": "{}"}}]}, {}),
    ("schema type a dict", {"messages": [CHAT_FIRST], "tools": [{"name": "now", "input_schema": {"type": {"a": 1}}}]},
     {}),
    ("schema anyOf a dict",
     {"messages": [CHAT_FIRST], "tools": [{"name": "now", "input_schema": {"anyOf": {"type": "object"}}}]}, {}),
]


@pytest.mark.parametrize("body,expected", [row[1:] for row in ODD_TABLE], ids=[row[0] for row in ODD_TABLE])
def test_malformed_requests_pass_unchanged(body, expected):
    before = copy.deepcopy(body)
    assert shaper.shape_request(body) == ({"X-Initiator": USER, **expected}, None)
    assert body == before


@pytest.mark.parametrize("body", [None, [], "messages", 42], ids=repr)
def test_a_body_that_is_not_an_object_passes_unchanged(body):
    assert shaper.shape_request(body) == ({"X-Initiator": USER}, None)


# Tools the rule can still read are repaired, whatever else is odd about them.
ODD_TOOLS = [
    # id, tool, expected repaired tool
    ("chat tool without a name", {"type": "function", "function": {"parameters": BARE}},
     {"type": "function", "function": {"parameters": {"type": "object", "properties": {}}}}),
    ("anthropic tool without a name", {"input_schema": BARE}, {"input_schema": {"type": "object", "properties": {}}}),
    ("unhashable tool type", {"type": ["function"], "name": "now", "parameters": BARE},
     {"type": ["function"], "name": "now", "parameters": {"type": "object", "properties": {}}}),
    ("function a string beside parameters", {"type": "function", "function": "now", "parameters": BARE},
     {"type": "function", "function": "now", "parameters": {"type": "object", "properties": {}}}),
    ("numbers as property names", {"name": "n", "input_schema": {"type": "object", "properties": {1: BARE}}},
     {"name": "n", "input_schema": {"type": "object", "properties": {1: {"type": "object", "properties": {}}}}}),
    ("numbers as schema keys", {"name": "n", "input_schema": {"type": "object", 1: 2}},
     {"name": "n", "input_schema": {"type": "object", 1: 2, "properties": {}}}),
    ("non-dicts among anyOf", {"name": "n", "input_schema": {"anyOf": [1, None, BARE]}},
     {"name": "n", "input_schema": {"anyOf": [1, None, {"type": "object", "properties": {}}]}}),
    ("unhashable entries in a type list", {"name": "n", "input_schema": {"type": [["x"], "object"]}},
     {"name": "n", "input_schema": {"type": [["x"], "object"], "properties": {}}}),
    # Go's JSON encoder writes a nil map as null: an object schema with no usable properties.
    ("properties null", {"name": "n", "input_schema": {"type": "object", "properties": None}},
     {"name": "n", "input_schema": {"type": "object", "properties": {}}}),
]


@pytest.mark.parametrize("tool,expected", [row[1:] for row in ODD_TOOLS], ids=[row[0] for row in ODD_TOOLS])
def test_odd_tools_are_repaired_where_readable(tool, expected):
    before = copy.deepcopy(tool)
    assert shaper.shape_request({"messages": [CHAT_FIRST], "tools": [tool]}) == ({"X-Initiator": USER}, [expected])
    assert tool == before


def _nested(depth, leaf, key="items"):
    """A schema ``depth`` levels above ``leaf``, built without recursion."""
    schema = leaf
    for _ in range(depth):
        schema = {"type": "array", key: schema} if key == "items" else {"type": "object", key: {"x": schema}}
    return schema


@pytest.mark.parametrize("depth,key", [(400, "properties"), (500, "items"), (100_000, "items")])
def test_a_deeply_nested_schema_passes_unchanged(depth, key):
    """Deeper than MAX_SCHEMA_DEPTH, a schema is the client's to answer for (Copilot refuses
    absurd ones anyway): the tool goes as sent, without exhausting Python's recursion limit."""
    schema = _nested(depth, {"type": "object"}, key)
    tool = {"name": "deep", "input_schema": schema}
    assert shaper.shape_request({"messages": [CHAT_FIRST], "tools": [tool]}) == ({"X-Initiator": USER}, None)
    assert shaper.repair_schema(schema) is schema
    assert tool["input_schema"] is schema


def test_schemas_are_repaired_down_to_the_depth_limit():
    limit = shaper.MAX_SCHEMA_DEPTH
    fixed = shaper.repair_schema(_nested(limit, {"type": "object"}))
    for _ in range(limit):
        fixed = fixed["items"]
    assert fixed == {"type": "object", "properties": {}}
    too_deep = _nested(limit + 1, {"type": "object"})
    assert shaper.repair_schema(too_deep) is too_deep


def test_deep_values_in_a_repaired_schema_are_shared_not_copied():
    """Only the schemas on the way to a repair are copied: a deeply nested ``default`` (no
    schema, not searched) is shared, not deep-copied through Python's recursion limit."""
    default = []
    for _ in range(100_000):
        default = [default]
    schema = {"type": "object", "default": default, "x-extra": {"a": {"b": 1}}}
    fixed = shaper.repair_schema(schema)
    assert fixed["properties"] == {}
    assert fixed["default"] is default and fixed["x-extra"] is schema["x-extra"]
    assert "properties" not in schema


def test_header_names_that_are_not_strings_are_kept():
    merged = shaper.merge_headers({1: "one", "x-initiator": "user", None: "none"}, {"X-Initiator": "agent"})
    assert merged == {1: "one", None: "none", "X-Initiator": "agent"}


# --- the LiteLLM hook ----------------------------------------------------------------------------
@pytest.fixture
def hooked(monkeypatch):
    """The shaper loaded as the proxy loads it, with a stand-in for LiteLLM's CustomLogger base
    class (LiteLLM is not installed for the unit tests), so that its hook is defined."""
    custom_logger = types.ModuleType("litellm.integrations.custom_logger")
    custom_logger.CustomLogger = type("CustomLogger", (), {})
    for name, module in (("litellm", types.ModuleType("litellm")),
                         ("litellm.integrations", types.ModuleType("litellm.integrations")),
                         ("litellm.integrations.custom_logger", custom_logger)):
        monkeypatch.setitem(sys.modules, name, module)
    return _load_shaper()


def _hook(module, kwargs, call_type="acompletion"):
    return asyncio.run(module.proxy_handler_instance.async_pre_call_deployment_hook(kwargs, call_type))


def test_the_hook_shapes_a_copilot_call(hooked):
    kwargs = {"model": "github_copilot/gpt-4.1", "messages": [CHAT_IMAGE], "extra_headers": {"editor-version": "v"},
              "tools": [{"type": "function", "function": {"name": "now", "parameters": BARE}}],
              "litellm_logging_obj": _Call()}
    assert _hook(hooked, kwargs) is kwargs
    assert kwargs["extra_headers"] == {"editor-version": "v", "X-Initiator": "user", "Copilot-Vision-Request": "true"}
    assert kwargs["tools"][0]["function"]["parameters"] == {"type": "object", "properties": {}}
    assert _hook(hooked, {"model": "openai/gpt-4.1", "messages": [CHAT_FIRST]}) is None
    assert _hook(hooked, {"model": "github_copilot/x", "input": "hi"}, "aembedding") is None


@pytest.mark.parametrize("body,expected", [row[1:] for row in ODD_TABLE], ids=[row[0] for row in ODD_TABLE])
def test_the_hook_passes_malformed_calls_on(hooked, body, expected):
    kwargs = dict(body, model="github_copilot/claude-sonnet-4.5")
    before = copy.deepcopy(kwargs)
    assert _hook(hooked, kwargs, "aanthropic_messages") is kwargs
    assert kwargs.pop("extra_headers") == {"X-Initiator": USER, **expected}
    assert kwargs == before


@pytest.mark.parametrize("call_type", [["acompletion"], {"value": 1}, None, 3])
def test_the_hook_ignores_odd_call_types(hooked, call_type):
    kwargs = {"model": "github_copilot/gpt-4.1", "messages": [CHAT_FIRST]}
    assert _hook(hooked, kwargs, call_type) is None
    assert "extra_headers" not in kwargs


@pytest.mark.parametrize("break_it", ["rule", "logging object"])
def test_a_failing_hook_passes_the_request_on_unchanged(hooked, monkeypatch, caplog, break_it):
    """Whatever goes wrong inside, the request goes on as it came, with one warning line that
    names no request content (prompts and keys are in the request)."""
    secret = "sk-secret-prompt"
    if break_it == "rule":
        def fail(body):
            raise ValueError(secret)
        monkeypatch.setattr(hooked, "shape_request", fail)
        call = _Call()
    else:
        call = object()  # takes no attributes: the first decision cannot be kept on it
    kwargs = {"model": "github_copilot/gpt-4.1", "messages": [{"role": "user", "content": secret}],
              "tools": [{"name": "now", "input_schema": BARE}], "litellm_logging_obj": call}
    before = dict(kwargs)
    with caplog.at_level(logging.WARNING):
        assert _hook(hooked, kwargs) is None
    assert kwargs == before
    assert len(caplog.records) == 1 and caplog.records[0].levelno == logging.WARNING
    assert secret not in caplog.text and "\n" not in caplog.records[0].getMessage()


# --- Copilot's betas -----------------------------------------------------------------------------
EDITOR_BETAS = "interleaved-thinking-2025-05-14,context-management-2025-06-27,advanced-tool-use-2025-11-20"
# What Claude Code 2.1.332 sends: two of these are outside Copilot's list.
CLAUDE_CODE_BETAS = ("claude-code-20250219,context-management-2025-06-27,interleaved-thinking-2025-05-14,"
                     "thinking-token-count-2026-05-13")
THINKING = {"type": "thinking", "thinking": "Plan: read the file.", "signature": "c2lnbmVk"}


@pytest.fixture
def guarded(monkeypatch, hooked):
    """The shaper as the service runs it, with litellm_copilot_anthropic_betas in its environment."""
    monkeypatch.setenv("LITELLM_COPILOT_ANTHROPIC_BETAS", EDITOR_BETAS)
    return _load_shaper()


def test_only_the_betas_copilot_accepts_ride_on(guarded):
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": [THINKING]},
                {"role": "user", "content": "go on"}]
    kwargs = {"model": "github_copilot/claude-sonnet-4.5", "messages": copy.deepcopy(messages),
              "extra_headers": {"editor-version": "v", "Anthropic-Beta": CLAUDE_CODE_BETAS},
              "headers": {"anthropic-beta": "context-1m-2025-08-07"},
              "provider_specific_header": {"custom_llm_provider": "anthropic",
                                           "extra_headers": {"anthropic-beta": CLAUDE_CODE_BETAS}},
              "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
              "thinking": {"type": "enabled", "budget_tokens": 2000}, "litellm_logging_obj": _Call()}
    _hook(guarded, kwargs, "anthropic_messages")
    assert kwargs["extra_headers"] == {"editor-version": "v", "X-Initiator": "user",
                                       "Anthropic-Beta": "context-management-2025-06-27,interleaved-thinking-2025-05-14"}
    assert kwargs["headers"] == {}  # nothing accepted is left: the header goes
    assert kwargs["provider_specific_header"]["extra_headers"]["anthropic-beta"] == (
        "context-management-2025-06-27,interleaved-thinking-2025-05-14")
    # context_management keeps its accepted beta; thinking and its signed history are untouched
    assert kwargs["context_management"] == {"edits": [{"type": "clear_tool_uses_20250919"}]}
    assert kwargs["thinking"] == {"type": "enabled", "budget_tokens": 2000} and kwargs["messages"] == messages


def test_context_management_goes_when_its_beta_is_not_accepted(monkeypatch, hooked):
    monkeypatch.setenv("LITELLM_COPILOT_ANTHROPIC_BETAS", "interleaved-thinking-2025-05-14")
    shaper = _load_shaper()
    kwargs = {"model": "github_copilot/claude-sonnet-4.5", "messages": [{"role": "user", "content": "hi"}],
              "extra_headers": {"anthropic-beta": CLAUDE_CODE_BETAS}, "litellm_logging_obj": _Call(),
              "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]}}
    _hook(shaper, kwargs, "anthropic_messages")
    assert "context_management" not in kwargs
    assert kwargs["extra_headers"]["anthropic-beta"] == "interleaved-thinking-2025-05-14"


def test_betas_are_left_alone_on_other_apis_and_without_the_setting(guarded, hooked):
    chat = {"model": "github_copilot/gpt-4.1", "messages": [{"role": "user", "content": "hi"}],
            "extra_headers": {"anthropic-beta": "context-1m-2025-08-07"}, "litellm_logging_obj": _Call()}
    _hook(guarded, chat, "acompletion")
    assert chat["extra_headers"]["anthropic-beta"] == "context-1m-2025-08-07"
    unset = dict(chat, litellm_logging_obj=_Call(), context_management={"edits": []})
    _hook(hooked, unset, "anthropic_messages")  # hooked: loaded without LITELLM_COPILOT_ANTHROPIC_BETAS
    assert unset["extra_headers"]["anthropic-beta"] == "context-1m-2025-08-07" and "context_management" in unset


@pytest.mark.parametrize("headers", [{"anthropic-beta": 7}, {"anthropic-beta": ""}, {1: "x"}, "not headers", None])
def test_odd_beta_headers_never_raise(guarded, headers):
    kwargs = {"model": "github_copilot/claude-sonnet-4.5", "messages": [{"role": "user", "content": "hi"}],
              "extra_headers": headers, "headers": headers, "litellm_logging_obj": _Call()}
    assert _hook(guarded, kwargs, "anthropic_messages") is kwargs
    assert "anthropic-beta" not in (kwargs["extra_headers"] or {}) or not headers
