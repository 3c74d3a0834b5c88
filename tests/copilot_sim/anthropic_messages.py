"""`POST /v1/messages`: the Anthropic Messages shape, including its event stream.

Accepts what Claude Code sends: `stream: true`, a system prompt given as a
list of blocks, many tools, and `anthropic-beta` / `anthropic-version`
headers (ignored).
"""

import json

from . import prompt_cache
from .answers import Conversation, ToolResult, all_text, last_text, new_id, split_json, split_text
from .wire import json_response, sse_event, sse_response

CACHING = prompt_cache.breakpoints  # Anthropic's explicit `cache_control` breakpoints


def conversation(body, model_id):
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    conv = Conversation(model=model_id)
    conv.tools = {t["name"]: t.get("input_schema") or {}
                  for t in body.get("tools") or [] if isinstance(t, dict) and t.get("name")}
    if body.get("system"):
        conv.system_texts.append(("system", all_text(body["system"])))

    tool_names = {block.get("id"): block.get("name", "unknown")
                  for m in messages if m.get("role") == "assistant" and isinstance(m.get("content"), list)
                  for block in m["content"] if isinstance(block, dict) and block.get("type") == "tool_use"}
    users = [m for m in messages if m.get("role") == "user"]
    if users and users[-1] is messages[-1] and isinstance(users[-1].get("content"), list):
        conv.tool_results = [
            ToolResult(tool_names.get(block.get("tool_use_id"), "unknown"), all_text(block.get("content")))
            for block in users[-1]["content"]
            if isinstance(block, dict) and block.get("type") == "tool_result"]
    conv.user_text = last_text(users[-1].get("content")) if users else ""
    # The turn opened with the person's latest prompt: a user message that hands back no tool results.
    prompts = [i for i, m in enumerate(messages) if m.get("role") == "user" and not _tool_results(m)]
    if prompts:
        conv.prompt_text = last_text(messages[prompts[-1]].get("content"))
        conv.turn_tool_results = sum(len(_tool_results(m)) for m in messages[prompts[-1]:] if m.get("role") == "user")
    return conv


def _tool_results(message):
    content = message.get("content")
    return [block for block in content if isinstance(block, dict) and block.get("type") == "tool_result"] \
        if isinstance(content, list) else []


def tool_schemas(body):
    """(name, input schema, where) for each custom tool, as Copilot checks them."""
    return [(t.get("name"), t["input_schema"], f"tools[{i}].input_schema")
            for i, t in enumerate(body.get("tools") or [])
            if isinstance(t, dict) and isinstance(t.get("input_schema"), dict)]


def _blocks(tag, content):
    """Elements of a system prompt or message content: each block of a list (a breakpoint when
    it carries `cache_control`), or the whole of a string (which cannot carry one)."""
    if isinstance(content, list):
        return [(tag, block, isinstance(block, dict) and bool(block.get("cache_control")))
                for block in content]
    return [(tag, content, False)] if content is not None else []


def cache_elements(body):
    """The prompt in Anthropic's caching order, for `prompt_cache`: tools, system, then the
    messages' content blocks; the blocks marked with `cache_control` end the prefixes cached."""
    tools = body.get("tools") if isinstance(body.get("tools"), list) else []
    messages = body.get("messages") if isinstance(body.get("messages"), list) else []
    elements = [("tool", tool, isinstance(tool, dict) and bool(tool.get("cache_control"))) for tool in tools]
    elements += _blocks("system", body.get("system"))
    for index, message in enumerate(messages):
        if isinstance(message, dict):
            elements += _blocks(f"message {index} {message.get('role')}", message.get("content"))
    return elements


def render(body, model_id, answer, usage):
    """The message object, or the message_* event stream when `stream` is set.  `usage` is a
    `billing.Usage`; as on Anthropic's API, input_tokens leaves out the tokens read from and
    written to the prompt cache."""
    message_id = new_id("msg_01", 22)
    if answer.is_tool_call:
        block = {"type": "tool_use", "id": new_id("toolu_01", 22), "name": answer.tool_name,
                 "input": answer.tool_arguments}
        stop_reason = "tool_use"
    else:
        block = {"type": "text", "text": answer.text}
        stop_reason = "end_turn"
    completion_tokens = usage.output
    usage = {"input_tokens": usage.input - usage.cache_read - usage.cache_creation,
             "output_tokens": completion_tokens,
             "cache_creation_input_tokens": usage.cache_creation, "cache_read_input_tokens": usage.cache_read}
    message = {"id": message_id, "type": "message", "role": "assistant", "model": model_id,
               "content": [block], "stop_reason": stop_reason, "stop_sequence": None, "usage": usage}

    if not body.get("stream"):
        return json_response(200, message)

    def event(event_type, **payload):
        return sse_event(event_type, {"type": event_type, **payload})

    frames = [event("message_start", message={**message, "content": [], "stop_reason": None,
                                              "usage": {**usage, "output_tokens": 1}})]
    if answer.is_tool_call:
        frames.append(event("content_block_start", index=0, content_block={**block, "input": {}}))
        frames.append(event("ping"))
        frames += [event("content_block_delta", index=0, delta={"type": "input_json_delta", "partial_json": piece})
                   for piece in split_json(json.dumps(answer.tool_arguments))]
    else:
        frames.append(event("content_block_start", index=0, content_block={"type": "text", "text": ""}))
        frames.append(event("ping"))
        frames += [event("content_block_delta", index=0, delta={"type": "text_delta", "text": piece})
                   for piece in split_text(answer.text)]
    frames.append(event("content_block_stop", index=0))
    frames.append(event("message_delta", delta={"stop_reason": stop_reason, "stop_sequence": None},
                        usage={"output_tokens": completion_tokens}))
    frames.append(event("message_stop"))
    return sse_response(frames)
