"""`POST /chat/completions`: the OpenAI Chat Completions shape."""

import json
import time

from . import prompt_cache
from .answers import Conversation, ToolResult, all_text, new_id, split_json, split_text
from .wire import json_response, sse_data, sse_response

SYSTEM_LIKE = ("system", "developer")
CACHING = prompt_cache.automatic  # OpenAI-style automatic prefix caching


def conversation(body, model_id):
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    conv = Conversation(model=model_id, report_system_role=True)
    conv.tools = {t["function"]["name"]: t["function"].get("parameters") or {}
                  for t in body.get("tools") or []
                  if isinstance(t, dict) and isinstance(t.get("function"), dict) and t["function"].get("name")}

    # System prompts, wherever they are, plus whatever precedes the first user
    # message: a proxy may have rewritten the system message as `assistant`.
    seen_user = False
    for message in messages:
        role = message.get("role")
        seen_user = seen_user or role == "user"
        if role in SYSTEM_LIKE or not seen_user:
            conv.system_texts.append((role, all_text(message.get("content"))))

    # Trailing tool messages are the latest turn's results.
    call_names = {call.get("id"): (call.get("function") or {}).get("name", "unknown")
                  for m in messages if m.get("role") == "assistant"
                  for call in m.get("tool_calls") or [] if isinstance(call, dict)}

    def tool_result_of(message):
        if message.get("role") != "tool":
            return None
        name = call_names.get(message.get("tool_call_id")) or message.get("name") or "unknown"
        return ToolResult(name, all_text(message.get("content")))
    conv.read_turns(messages, tool_result_of)
    return conv


def tool_schemas(body):
    """(name, parameters schema, where) for each function tool, as Copilot checks them."""
    return [(t["function"].get("name"), t["function"]["parameters"], f"tools[{i}].function.parameters")
            for i, t in enumerate(body.get("tools") or [])
            if isinstance(t, dict) and isinstance(t.get("function"), dict)
            and isinstance(t["function"].get("parameters"), dict)]


def check_request(request, body, secret):
    """None: this API refuses nothing beyond the shared checks (see anthropic_messages)."""
    return None


def cache_elements(body):
    """The prompt in caching order, for `prompt_cache`: the tools, then the messages, each of
    which ends a prefix the next request may reuse."""
    tools = body.get("tools") if isinstance(body.get("tools"), list) else []
    messages = body.get("messages") if isinstance(body.get("messages"), list) else []
    return [("tool", tool, False) for tool in tools] + [("message", message, True) for message in messages]


def render(body, model_id, answer, usage):
    """The chat.completion object, or its chunk stream when `stream` is set.  `usage` is a
    `billing.Usage`: prompt_tokens counts every prompt token, the cached ones included."""
    completion_id = new_id("chatcmpl-", 29)
    created = int(time.time())
    usage = {
        "prompt_tokens": usage.input,
        "completion_tokens": usage.output,
        "total_tokens": usage.input + usage.output,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
    tool_call = None
    if answer.is_tool_call:
        tool_call = {"id": new_id("call_"), "type": "function",
                     "function": {"name": answer.tool_name, "arguments": json.dumps(answer.tool_arguments)}}
    finish_reason = "tool_calls" if tool_call else "stop"

    if not body.get("stream"):
        message = {"role": "assistant", "content": answer.text, "refusal": None}
        if tool_call:
            message["tool_calls"] = [tool_call]
        return json_response(200, {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model_id,
            "system_fingerprint": "fp_copilot_sim",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
            "usage": usage,
        })

    def chunk(delta, finish=None):
        return sse_data({
            "id": completion_id, "object": "chat.completion.chunk", "created": created,
            "model": model_id, "system_fingerprint": "fp_copilot_sim",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        })

    frames = [chunk({"role": "assistant", "content": ""})]
    if tool_call:
        arguments = tool_call["function"]["arguments"]
        frames.append(chunk({"tool_calls": [{"index": 0, "id": tool_call["id"], "type": "function",
                                             "function": {"name": answer.tool_name, "arguments": ""}}]}))
        frames += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                   for piece in split_json(arguments)]
    else:
        frames += [chunk({"content": piece}) for piece in split_text(answer.text)]
    frames.append(chunk({}, finish_reason))
    if (body.get("stream_options") or {}).get("include_usage"):
        frames.append(sse_data({
            "id": completion_id, "object": "chat.completion.chunk", "created": created,
            "model": model_id, "system_fingerprint": "fp_copilot_sim", "choices": [], "usage": usage,
        }))
    frames.append(sse_data("[DONE]"))
    return sse_response(frames)
