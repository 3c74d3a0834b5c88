"""Shape each request the proxy sends to GitHub Copilot the way Copilot's own editor does.

LiteLLM loads this file from the config directory (``litellm_settings.callbacks:
[copilot_shaper.proxy_handler_instance]``). For every request on every path (chat completions,
Responses, Anthropic Messages, and LiteLLM's own translations between them) it sets:

- ``X-Initiator``: ``agent`` when the request continues the agent's own loop (the last message
  hands tool results back, or is the assistant's), ``user`` when a person starts it. Copilot bills
  a premium request only for ``user``. Through the proxy, stock LiteLLM 1.106.2 sends no header
  on any API (its provider's rule, "agent once any assistant message exists", would not bill a
  person's second prompt), so every tool round trip is billed.
- ``Copilot-Vision-Request: true`` when the request carries an image; Copilot refuses one without it.
- ``properties: {}`` on object schemas that lack it; Copilot refuses such tools.
- On Anthropic Messages, only the ``anthropic-beta`` values Copilot accepts (its editor's list,
  ``LITELLM_COPILOT_ANTHROPIC_BETAS`` in the service's environment: litellm_copilot_anthropic_betas),
  wherever a client's betas would ride on to Copilot (the call's headers, LiteLLM's
  provider-specific headers), and no ``context_management`` unless its beta is accepted: Copilot
  answers any other value, or the field without its beta, with HTTP 400. Thinking blocks and their
  signatures are never touched.

The rule, ``shape_request``, is pure (no LiteLLM import), so unit tests read it without a proxy.
The LiteLLM hook at the bottom only applies its result.

Every request body is a client's and may be hostile or malformed, and the hook runs on the proxy's
event loop: every rule runs in time linear in the request's size, nothing recurses deeper than
``MAX_SCHEMA_DEPTH``, and a shape the rule does not expect is passed on as it came (LiteLLM or
Copilot answers it with their own 4xx), never turned into a 500 by the shaper.
"""
import logging
import os

AGENT = "agent"
USER = "user"
INITIATOR_HEADER = "X-Initiator"
VISION_HEADER = "Copilot-Vision-Request"

# Content part types that carry an image: OpenAI chat, Anthropic Messages, OpenAI Responses.
IMAGE_TYPES = frozenset({"image_url", "image", "input_image"})
# Responses input items the model produced, or that hand a tool's result back to it.
_RESPONSES_AGENT_ITEMS = frozenset({"reasoning", "compaction", "item_reference"})
# Schema keywords whose values are schemas (or lists/maps of schemas), for the nested repair.
_SCHEMA_KEYS = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else")
_SCHEMA_LIST_KEYS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_MAP_KEYS = ("properties", "patternProperties", "$defs", "definitions")
# How many schemas deep the tool schema repair goes (the root schema is depth 0). Real tool schemas
# are a handful of levels deep; a deeper one is left as the client sent it, so a hostile one can
# neither exhaust Python's recursion limit nor cost more than its size.
MAX_SCHEMA_DEPTH = 64
# Where the hook reports a request it could not shape: under LiteLLM's own logger, so the line
# goes wherever the proxy's log goes.
_LOG = logging.getLogger("LiteLLM.copilot_shaper")


def shape_request(body):
    """What to change in one request body before it goes to Copilot.

    ``body`` is the request as a client sends it to any of the three APIs: chat completions
    (``messages`` of OpenAI shape), Anthropic Messages (``messages`` of Anthropic shape, optional
    ``system``) or Responses (``input``, a string or a list of items). The body is not changed.

    Returns ``(headers, tools)``: ``headers`` is a dict with ``X-Initiator`` (``"user"`` or
    ``"agent"``) and, when an image is present, ``Copilot-Vision-Request: "true"``; ``tools`` is a
    repaired copy of ``body["tools"]`` when a schema needed ``properties``, else ``None`` (keep
    the request's tools as they are).
    """
    if not isinstance(body, dict):
        # Nothing to read: a person's request as far as billing goes, and the body is left alone.
        return {INITIATOR_HEADER: USER}, None
    headers = {INITIATOR_HEADER: initiator(body)}
    if has_image(body):
        headers[VISION_HEADER] = "true"
    return headers, repair_tools(body.get("tools"))


def initiator(body):
    """``"agent"`` when the last message continues the agent's loop, else ``"user"``."""
    if claude_code_housekeeping(body):
        return AGENT
    if "messages" in body:
        messages = body.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
            return _message_initiator(messages[-1])
        return USER
    items = body.get("input")
    if isinstance(items, list) and items and isinstance(items[-1], dict):
        return _responses_item_initiator(items[-1])
    # A plain string input, or nothing usable: a person typed it.
    return USER


def _message_initiator(message):
    """One chat or Anthropic message: who made the request that ends with it."""
    role = message.get("role")
    if role in ("tool", "function", "assistant"):
        return AGENT
    if role == "user" and _only_tool_results(message.get("content")):
        return AGENT
    return USER


def _only_tool_results(content):
    """An Anthropic user message made only of tool_result blocks hands tool output back."""
    if not isinstance(content, list) or not content:
        return False
    return all(isinstance(block, dict) and block.get("type") == "tool_result" for block in content)


# --- Claude Code's housekeeping ----------------------------------------------------------------
# Claude Code (2.1.x) sends requests nobody typed as user messages: a sub-agent's task (its Agent
# tool), the notification that a background sub-agent finished (which resumes the main loop), and
# compaction (`/compact`, or automatic when the context fills up). Each continues the agent's work
# on a prompt already billed, so each is the agent's. Only requests carrying Claude Code's own
# billing-header system block are considered, so other clients' prompts are never matched.
CLAUDE_CODE_SYSTEM_MARK = "x-anthropic-billing-header:"
_SUBAGENT_FLAG = "cc_is_subagent=true"
_COMPACTION_ASK = "Your task is to create a detailed summary of the conversation so far"
_REMINDER_OPEN = "<system-reminder>"
_REMINDER_CLOSE = "</system-reminder>"


def claude_code_housekeeping(body):
    """Whether an Anthropic Messages request is Claude Code's own: a sub-agent's, a finished
    sub-agent's notification (a user message of ``<system-reminder>`` text only, tool results
    allowed) or a compaction request."""
    mark = _claude_code_mark(body.get("system"))
    messages = body.get("messages")
    if mark is None or not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return False
    if _SUBAGENT_FLAG in [field.strip() for field in mark.split(";")]:
        return True
    last = messages[-1]
    if last.get("role") != "user":
        return False
    content = last.get("content")
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
    if not isinstance(blocks, list) or not blocks or not all(isinstance(block, dict) for block in blocks):
        return False
    texts = [block.get("text") for block in blocks if block.get("type") == "text"]
    if not all(isinstance(text, str) for text in texts):
        return False
    if texts and _COMPACTION_ASK in texts[-1]:
        return True
    only_reminders = all(block.get("type") in ("text", "tool_result") for block in blocks) \
        and all(not _without_reminders(text).strip() for text in texts)
    return bool(texts) and only_reminders


def _without_reminders(text):
    """``text`` without its ``<system-reminder>...</system-reminder>`` blocks: each block runs from
    an opening tag to the first closing tag after it, as the regex ``<system-reminder>.*?
    </system-reminder>`` (DOTALL) would remove them.

    A scan, not that regex: on many unclosed opening tags the regex tries every one of them
    against the rest of the text (quadratic: 272 KB took 45 s on the event loop). Here every
    character is looked at once: each search starts where the previous one ended, and an opening
    tag with no closing tag after it ends the scan, since no later opening tag can have one either.
    """
    kept = []
    start = 0
    while True:
        opening = text.find(_REMINDER_OPEN, start)
        if opening < 0:
            break
        closing = text.find(_REMINDER_CLOSE, opening + len(_REMINDER_OPEN))
        if closing < 0:
            break
        kept.append(text[start:opening])
        start = closing + len(_REMINDER_CLOSE)
    kept.append(text[start:])
    return "".join(kept)


def _claude_code_mark(system):
    """The text of Claude Code's billing-header system block, or None."""
    blocks = [{"type": "text", "text": system}] if isinstance(system, str) else system
    if not isinstance(blocks, list):
        return None
    for block in blocks:
        text = block.get("text") if isinstance(block, dict) else None
        if isinstance(text, str) and text.startswith(CLAUDE_CODE_SYSTEM_MARK):
            return text
    return None


def _responses_item_initiator(item):
    """One Responses input item: tool outputs, tool calls and the model's own items are the agent's."""
    kind = item.get("type")
    if isinstance(kind, str) and (kind.endswith("_call_output") or kind.endswith("_call")
                                  or kind in _RESPONSES_AGENT_ITEMS):
        return AGENT
    if item.get("role") == "assistant":
        return AGENT
    return USER


def has_image(body):
    """Whether any message, system block or Responses item holds an image part, at any depth."""
    # Every nested value is searched, a tool call's arguments too: a needless vision header costs
    # nothing, a missing one gets the request refused. A stack, not recursion: a client's deeply
    # nested JSON must not exhaust Python's recursion limit.
    pending = [body.get(key) for key in ("messages", "input", "system")]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            kind = node.get("type")
            # A set lookup needs a hashable key: a list or dict "type" is no image type (and
            # would otherwise raise "unhashable type").
            if (isinstance(kind, str) and kind in IMAGE_TYPES) or (kind is None and "image_url" in node):
                return True
            pending.extend(node.values())
    return False


def repair_tools(tools):
    """A copy of ``tools`` with ``properties: {}`` added to every object schema lacking it, or
    ``None`` when no tool needs it. Handles the chat (``function.parameters``), Responses
    (``parameters``) and Anthropic (``input_schema``) tool shapes."""
    if not isinstance(tools, list):
        return None
    repaired = []
    changed = False
    for tool in tools:
        fixed = _repair_tool(tool)
        changed = changed or fixed is not tool
        repaired.append(fixed)
    return repaired if changed else None


def _repair_tool(tool):
    if not isinstance(tool, dict):
        return tool
    function = tool.get("function")
    if isinstance(function, dict) and isinstance(function.get("parameters"), dict):
        schema = repair_schema(function["parameters"])
        if schema is function["parameters"]:
            return tool
        return dict(tool, function=dict(function, parameters=schema))
    for key in ("parameters", "input_schema"):
        if isinstance(tool.get(key), dict):
            schema = repair_schema(tool[key])
            return tool if schema is tool[key] else dict(tool, **{key: schema})
    return tool


def repair_schema(schema):
    """``schema`` itself when nothing needs repair (or it is nested deeper than
    ``MAX_SCHEMA_DEPTH``), else a repaired copy. Only the schemas on the way to a repair are
    copied; everything else (other subschemas, ``default``, ``enum``, ``examples`` values of any
    depth) is shared with ``schema``, which is not changed."""
    if not isinstance(schema, dict):
        return schema
    try:
        return _repaired(schema, 0)
    except _TooDeep:
        return schema


class _TooDeep(Exception):
    """A schema nested deeper than ``MAX_SCHEMA_DEPTH``: its tool is left as the client sent it."""


def _is_object(schema):
    kind = schema.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind)


def _repaired(schema, depth):
    """``schema`` (a dict) itself when nothing in it needs ``properties``, else a repaired copy.

    Each subschema is visited once, so the time is linear in the schema's size; the recursion is
    bounded by ``MAX_SCHEMA_DEPTH``.
    """
    if depth > MAX_SCHEMA_DEPTH:
        raise _TooDeep
    changes = {}
    if _is_object(schema) and not isinstance(schema.get("properties"), dict):
        changes["properties"] = {}
    for key in _SCHEMA_KEYS:
        value = schema.get(key)
        if isinstance(value, dict):
            fixed = _repaired(value, depth + 1)
            if fixed is not value:
                changes[key] = fixed
    for key in _SCHEMA_LIST_KEYS:
        value = schema.get(key)
        if isinstance(value, list):
            fixed = [_repaired(entry, depth + 1) if isinstance(entry, dict) else entry for entry in value]
            if any(new is not old for new, old in zip(fixed, value)):
                changes[key] = fixed
    for key in _SCHEMA_MAP_KEYS:
        value = schema.get(key)
        if isinstance(value, dict):
            fixed = {name: _repaired(entry, depth + 1) if isinstance(entry, dict) else entry
                     for name, entry in value.items()}
            if any(fixed[name] is not entry for name, entry in value.items()):
                changes[key] = fixed
    return {**schema, **changes} if changes else schema


# --- Anthropic betas ---------------------------------------------------------------------------
BETA_HEADER = "anthropic-beta"
CONTEXT_MANAGEMENT_BETA = "context-management-2025-06-27"
BETAS_VARIABLE = "LITELLM_COPILOT_ANTHROPIC_BETAS"
ANTHROPIC_CALLS = frozenset({"anthropic_messages", "aanthropic_messages"})


def accepted_betas(environ=None):
    """The betas Copilot accepts, from the service's environment; None (no guard) when unset."""
    value = (os.environ if environ is None else environ).get(BETAS_VARIABLE)
    if value is None:
        return None
    return frozenset(beta.strip() for beta in value.split(",") if beta.strip())


def guard_betas(kwargs, accepted):
    """What to change in one Anthropic Messages call so Copilot accepts its betas: a dict of
    kwargs keys to their new values (``None``: remove the key). ``kwargs`` is not changed.

    Every ``anthropic-beta`` header in the call's ``extra_headers`` and ``headers`` and in
    LiteLLM's ``provider_specific_header`` keeps only the accepted values (the header goes when
    none is left); ``context_management`` goes when its beta is not accepted (LiteLLM derives the
    beta from the field)."""
    changes = {}
    for key in ("extra_headers", "headers"):
        kept = _accepted_headers(kwargs.get(key), accepted)
        if kept is not None:
            changes[key] = kept
    specific = kwargs.get("provider_specific_header")
    if isinstance(specific, dict):
        kept = _accepted_headers(specific.get("extra_headers"), accepted)
        if kept is not None:
            changes["provider_specific_header"] = dict(specific, extra_headers=kept)
    if kwargs.get("context_management") is not None and CONTEXT_MANAGEMENT_BETA not in accepted:
        changes["context_management"] = None
    return changes


def _accepted_headers(headers, accepted):
    """headers with each anthropic-beta header cut to the accepted values; None when nothing changes."""
    if not isinstance(headers, dict):
        return None
    kept, changed = {}, False
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() == BETA_HEADER:
            values = [beta.strip() for beta in str(value).split(",") if beta.strip()]
            allowed = [beta for beta in values if beta in accepted]
            changed = changed or allowed != values or not allowed or not isinstance(value, str)
            if allowed:
                kept[name] = ",".join(allowed)
        else:
            kept[name] = value
    return kept if changed else None


# --- The LiteLLM hook -------------------------------------------------------------------------
# LiteLLM's call types of the three inference APIs; embeddings (also an `input`) are not shaped.
SHAPED_CALLS = frozenset({"completion", "acompletion", "responses", "aresponses",
                          "anthropic_messages", "aanthropic_messages"})

try:
    from litellm.integrations.custom_logger import CustomLogger
except ImportError:  # the unit tests read the rule above where LiteLLM is not installed
    CustomLogger = None

if CustomLogger is not None:

    class CopilotShaper(CustomLogger):
        """Applies ``shape_request`` to every request bound for a github_copilot deployment.

        ``async_pre_call_deployment_hook`` runs inside LiteLLM's call wrapper, after the router
        picked a deployment and merged its ``litellm_params`` (our IDE headers among them) into the
        call, on acompletion, aresponses and anthropic_messages alike, and again on the inner call
        when LiteLLM translates one API into another. Headers set here reach Copilot last: LiteLLM
        applies a call's ``extra_headers`` over the ones its github_copilot provider computes.
        """

        async def async_pre_call_deployment_hook(self, kwargs, call_type):
            try:
                return shape_call(kwargs, call_type)
            except Exception as error:  # pylint: disable=broad-except
                # Whatever the rule missed, the request goes on as it came rather than failing
                # with a 500. No request content in the line (prompts, keys): the exception's type
                # only, as its message may quote the request.
                _LOG.warning("copilot_shaper: request passed on unshaped (%s)", type(error).__name__)
                return None

    proxy_handler_instance = CopilotShaper()


def shape_call(kwargs, call_type):
    """What the hook does with one LiteLLM call: ``kwargs`` shaped in place and returned, or
    ``None`` (LiteLLM's "unchanged") for a call not bound for Copilot. Everything is decided
    before ``kwargs`` is touched, so a failure leaves the request as it came."""
    call_type = getattr(call_type, "value", call_type)
    if not isinstance(call_type, str) or call_type not in SHAPED_CALLS or not _bound_for_copilot(kwargs):
        return None
    headers, tools = shape_request(kwargs)
    headers = first_decision(kwargs.get("litellm_logging_obj"), headers)
    accepted = _ACCEPTED_BETAS if call_type in ANTHROPIC_CALLS else None
    betas = guard_betas(kwargs, accepted) if accepted is not None else {}
    kwargs["extra_headers"] = merge_headers(betas.pop("extra_headers", kwargs.get("extra_headers")), headers)
    for key, value in betas.items():
        if value is None:
            kwargs.pop(key, None)
        else:
            kwargs[key] = value
    if tools is not None:
        kwargs["tools"] = tools
    return kwargs


# Read once: the service's environment does not change while it runs.
_ACCEPTED_BETAS = accepted_betas()


def _bound_for_copilot(kwargs):
    provider = kwargs.get("custom_llm_provider")
    model = kwargs.get("model")
    return provider == "github_copilot" or (isinstance(model, str) and model.startswith("github_copilot/"))


# Where the headers decided for a client's request are kept: on LiteLLM's logging object of that
# request, which LiteLLM hands on to the inner call when it translates one API into another.
_DECIDED = "_copilot_shaper_headers"


def first_decision(call, headers):
    """The headers decided on the request the client sent, for every call LiteLLM makes for it.

    Translating (/v1/messages to chat for a GPT model, chat to /responses for a responses-only
    one) LiteLLM calls itself again with the translated request, which reaches the hook too. The
    translation can hide what the client's request said (Claude Code's system blocks become a
    system message), so the first decision stands; a header only the translation shows is added.
    """
    if call is None:
        return headers
    decided = getattr(call, _DECIDED, None)
    if isinstance(decided, dict):
        return {**headers, **decided}
    setattr(call, _DECIDED, dict(headers))
    return headers


def merge_headers(existing, shaped):
    """``existing`` headers with ``shaped`` ones replacing any of the same name in any letter
    case: two spellings of one header would both go out, and Copilot would read either."""
    names = {name.lower() for name in shaped}
    existing = existing if isinstance(existing, dict) else {}
    # A name that is not a string is no spelling of ours: kept, for LiteLLM to judge.
    merged = {name: value for name, value in existing.items()
              if not (isinstance(name, str) and name.lower() in names)}
    merged.update(shaped)
    return merged
