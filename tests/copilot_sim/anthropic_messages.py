"""`POST /v1/messages`: the Anthropic Messages shape, including its event stream.

Accepts what Claude Code sends: `stream: true`, a system prompt given as a list of blocks,
many tools, an `anthropic-version` header (ignored).  Strict where Copilot is: an
`anthropic-beta` value outside `SUPPORTED_BETAS` is refused, `context_management` needs its
beta, and a thinking block handed back must carry the signature the simulator gave it.
With `thinking` enabled (or adaptive) on a Claude model the answer opens with a signed
thinking block.
"""

import json

from . import prompt_cache, thinking
from .answers import Conversation, ToolResult, all_text, last_text, new_id, split_json, split_text
from .wire import json_response, sse_event, sse_response

CACHING = prompt_cache.breakpoints  # Anthropic's explicit `cache_control` breakpoints

# The `anthropic-beta` values Copilot accepts on /v1/messages: the betas its own editor sends.
# A request naming any other beta is refused with 400 `invalid_request_body`.
SUPPORTED_BETAS = (
    "interleaved-thinking-2025-05-14",
    "context-management-2025-06-27",
    "advanced-tool-use-2025-11-20",
)
# The beta without which a `context_management` body field is an extra input Copilot refuses.
CONTEXT_MANAGEMENT_BETA = "context-management-2025-06-27"
THINKING_TYPES = ("enabled", "adaptive")  # `thinking.type` values that make the model think


def _invalid(message):
    return json_response(400, {"error": {"message": message, "code": "invalid_request_body"}})


def betas(request):
    """The `anthropic-beta` values in the order sent (comma-separated, spaces around them
    ignored; a header sent twice reads as both lists joined)."""
    return [value.strip() for value in (request.header("anthropic-beta") or "").split(",") if value.strip()]


def check_request(request, body, secret):
    """None, or Copilot's 400 for what /v1/messages refuses beyond the shared checks: betas
    outside `SUPPORTED_BETAS`, `context_management` without its beta, a thinking block in the
    history whose signature does not verify against its text (`redacted_thinking` passes)."""
    sent = betas(request)
    unsupported = [value for value in sent if value not in SUPPORTED_BETAS]
    if unsupported:
        return _invalid("unsupported beta header(s): " + ",".join(unsupported))
    if "context_management" in body and CONTEXT_MANAGEMENT_BETA not in sent:
        return _invalid("context_management: Extra inputs are not permitted")
    messages = body.get("messages")
    for n, message in enumerate(messages if isinstance(messages, list) else []):
        if not isinstance(message, dict) or message.get("role") != "assistant" \
                or not isinstance(message.get("content"), list):
            continue
        for k, block in enumerate(message["content"]):
            if isinstance(block, dict) and block.get("type") == "thinking" \
                    and not thinking.verifies(secret, block.get("thinking"), block.get("signature")):
                return _invalid(f"messages.{n}.content.{k}: Invalid signature in thinking block")
    return None


def wants_thinking(body, model_id):
    """Whether the model thinks before answering: `thinking` enabled or adaptive, on Claude."""
    setting = body.get("thinking")
    return (isinstance(setting, dict) and setting.get("type") in THINKING_TYPES
            and model_id.lower().startswith("claude"))


def conversation(body, model_id):
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    conv = Conversation(model=model_id, thinks=wants_thinking(body, model_id))
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
    written to the prompt cache.  A thinking answer opens with its signed thinking block."""
    message_id = new_id("msg_01", 22)
    if answer.is_tool_call:
        block = {"type": "tool_use", "id": new_id("toolu_01", 22), "name": answer.tool_name,
                 "input": answer.tool_arguments}
        stop_reason = "tool_use"
    else:
        block = {"type": "text", "text": answer.text}
        stop_reason = "end_turn"
    blocks = [block]
    if answer.thinking is not None:
        blocks.insert(0, {"type": "thinking", "thinking": answer.thinking, "signature": answer.signature})
    completion_tokens = usage.output
    usage = {"input_tokens": usage.input - usage.cache_read - usage.cache_creation,
             "output_tokens": completion_tokens,
             "cache_creation_input_tokens": usage.cache_creation, "cache_read_input_tokens": usage.cache_read}
    message = {"id": message_id, "type": "message", "role": "assistant", "model": model_id,
               "content": blocks, "stop_reason": stop_reason, "stop_sequence": None, "usage": usage}

    if not body.get("stream"):
        return json_response(200, message)

    def event(event_type, **payload):
        return sse_event(event_type, {"type": event_type, **payload})

    frames = [event("message_start", message={**message, "content": [], "stop_reason": None,
                                              "usage": {**usage, "output_tokens": 1}})]
    for index, part in enumerate(blocks):
        start, *rest = _block_events(event, index, part)
        frames.append(start)
        if index == 0:
            frames.append(event("ping"))
        frames += rest
    frames.append(event("message_delta", delta={"stop_reason": stop_reason, "stop_sequence": None},
                        usage={"output_tokens": completion_tokens}))
    frames.append(event("message_stop"))
    return sse_response(frames)


def _block_events(event, index, block):
    """content_block_start, its deltas and content_block_stop for one content block."""
    if block["type"] == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": piece} for piece in split_text(block["thinking"])]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif block["type"] == "tool_use":
        start = {**block, "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": piece}
                  for piece in split_json(json.dumps(block["input"]))]
    else:
        start = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": piece} for piece in split_text(block["text"])]
    return ([event("content_block_start", index=index, content_block=start)]
            + [event("content_block_delta", index=index, delta=delta) for delta in deltas]
            + [event("content_block_stop", index=index)])
