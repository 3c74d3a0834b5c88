"""`POST /responses`: the OpenAI Responses shape, including its event stream."""

import json
import time

from . import prompt_cache
from .answers import Conversation, ToolResult, all_text, new_id, split_json, split_text
from .wire import json_response, sse_event, sse_response

CACHING = prompt_cache.automatic  # OpenAI-style automatic prefix caching


def _input_items(body):
    """`input` as a list of items (a bare string is one user message)."""
    items = body.get("input")
    if isinstance(items, str):
        return [{"type": "message", "role": "user", "content": items}]
    return [item for item in items or [] if isinstance(item, dict)]


def conversation(body, model_id):
    items = _input_items(body)
    conv = Conversation(model=model_id)
    conv.tools = {t["name"]: t.get("parameters") or {}
                  for t in body.get("tools") or []
                  if isinstance(t, dict) and t.get("type") == "function" and t.get("name")}
    if isinstance(body.get("instructions"), str):
        conv.system_texts.append(("system", body["instructions"]))
    conv.system_texts += [(item["role"], all_text(item.get("content")))
                          for item in items if item.get("role") in ("system", "developer")]

    call_names = {item.get("call_id"): item.get("name", "unknown")
                  for item in items if item.get("type") == "function_call"}

    def tool_result_of(item):
        if item.get("type") != "function_call_output":
            return None
        output = item.get("output")
        return ToolResult(call_names.get(item.get("call_id"), "unknown"),
                          output if isinstance(output, str) else all_text(output))
    conv.read_turns(items, tool_result_of)
    return conv


def tool_schemas(body):
    """(name, parameters schema, where) for each function tool, as Copilot checks them."""
    return [(t.get("name"), t["parameters"], f"tools[{i}].parameters")
            for i, t in enumerate(body.get("tools") or [])
            if isinstance(t, dict) and t.get("type") == "function" and isinstance(t.get("parameters"), dict)]


def check_request(request, body, secret):
    """None: this API refuses nothing beyond the shared checks (see anthropic_messages)."""
    return None


def cache_elements(body):
    """The prompt in caching order, for `prompt_cache`: the tools, the instructions, then the
    input items (a bare string is one), each of which ends a prefix the next request may reuse."""
    tools = body.get("tools") if isinstance(body.get("tools"), list) else []
    elements = [("tool", tool, False) for tool in tools]
    if body.get("instructions") is not None:
        elements.append(("instructions", body["instructions"], False))
    items = body.get("input")
    items = items if isinstance(items, list) else [items]
    return elements + [("item", item, True) for item in items]


def render(body, model_id, answer, usage):
    """The response object, or the response.* event stream when `stream` is set.  `usage` is a
    `billing.Usage`: input_tokens counts every input token, the cached ones included."""
    created = int(time.time())
    response_id = new_id("resp_", 32)
    if answer.is_tool_call:
        item = {"type": "function_call", "id": new_id("fc_", 32), "call_id": new_id("call_"),
                "name": answer.tool_name, "arguments": json.dumps(answer.tool_arguments),
                "status": "completed"}
    else:
        item = {"type": "message", "id": new_id("msg_", 32), "role": "assistant", "status": "completed",
                "content": [{"type": "output_text", "text": answer.text, "annotations": [], "logprobs": []}]}
    usage = {
        "input_tokens": usage.input,
        "input_tokens_details": {"cached_tokens": usage.cache_read},
        "output_tokens": usage.output,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.input + usage.output,
    }

    def response(status, output, with_usage):
        return {
            "id": response_id,
            "object": "response",
            "created_at": created,
            "status": status,
            "background": False,
            "error": None,
            "incomplete_details": None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": model_id,
            "output": output,
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "previous_response_id": body.get("previous_response_id"),
            "reasoning": body.get("reasoning") or {"effort": None, "summary": None},
            "store": body.get("store", False),
            "temperature": body.get("temperature", 1.0),
            "text": body.get("text") or {"format": {"type": "text"}},
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools") or [],
            "top_p": body.get("top_p", 1.0),
            "truncation": body.get("truncation", "disabled"),
            "usage": usage if with_usage else None,
            "user": body.get("user"),
            "metadata": body.get("metadata") or {},
        }

    if not body.get("stream"):
        return json_response(200, response("completed", [item], True))

    events = []

    def emit(event_type, **payload):
        events.append(sse_event(event_type, {"type": event_type, "sequence_number": len(events), **payload}))

    emit("response.created", response=response("in_progress", [], False))
    emit("response.in_progress", response=response("in_progress", [], False))
    position = {"item_id": item["id"], "output_index": 0}
    if answer.is_tool_call:
        emit("response.output_item.added", output_index=0,
             item={**item, "arguments": "", "status": "in_progress"})
        for piece in split_json(item["arguments"]):
            emit("response.function_call_arguments.delta", delta=piece, **position)
        emit("response.function_call_arguments.done", arguments=item["arguments"],
             name=item["name"], **position)
    else:
        part = item["content"][0]
        emit("response.output_item.added", output_index=0,
             item={**item, "status": "in_progress", "content": []})
        emit("response.content_part.added", content_index=0, part={**part, "text": ""}, **position)
        for piece in split_text(part["text"]):
            emit("response.output_text.delta", content_index=0, delta=piece, logprobs=[], **position)
        emit("response.output_text.done", content_index=0, text=part["text"], logprobs=[], **position)
        emit("response.content_part.done", content_index=0, part=part, **position)
    emit("response.output_item.done", output_index=0, item=item)
    emit("response.completed", response=response("completed", [item], True))
    return sse_response(events)
