"""What the simulated model says: deterministic, so tests can assert on it.

The API modules turn their request shape into a `Conversation`; `answer()`
decides between a text reply and a tool call:

* the person's prompt contains `SIM:TOOLS <n> <tool> [{json}]` and the tool
  is provided -> a scripted agent loop: a call to that tool (the JSON's
  strings with `{call}` replaced by the call's number) until n tool results
  came back in this turn, then "Scripted task done after n tool calls." and
  the latest results
* the prompt asks for "an <analysis> block followed by a <summary> block"
  (Claude Code's compaction) -> such a summary
* latest turn carries tool results -> "Tool <name> returned: <result>"
* latest turn is user text containing `call <tool> {json}` -> that tool call
* latest turn is user text naming a provided tool -> a call to that tool
  with arguments synthesized from its JSON schema
* otherwise -> "Hello from the Copilot simulator (model <id>). You said: …"

When a system prompt contains `SIM:ECHO-SYSTEM` the text reply says
"System prompt received." and, where asked to, which role carried it.

When the request asks for thinking (`Conversation.thinks`, Anthropic's `thinking` on a Claude
model) the answer also carries a short deterministic `thinking` text, which the API module
signs and shows before the text or tool call.
"""

import json
import re
import secrets
import string
from dataclasses import dataclass, field

ECHO_SYSTEM_MARKER = "SIM:ECHO-SYSTEM"
QUOTE_LIMIT = 200  # characters of user text / tool output quoted back
SCRIPT_LIMIT = 50  # most tool calls a scripted turn asks for: a typo must not loop for ever

_CALL_PATTERN = re.compile(r"\bcall\s+([\w.:-]+)\s+(?=\{)")
_SCRIPT_PATTERN = re.compile(r"\bSIM:TOOLS\s+(\d+)\s+([\w.:-]+)\s*")
# Text a client adds around a prompt for the model's eyes (Claude Code's `<system-reminder>`s name
# its tools): never read as the person asking for a tool.
_REMINDER_PATTERN = re.compile(r"<system-reminder>.*?(</system-reminder>|$)", re.DOTALL)
SUMMARY_REQUEST = "<summary> block"
_JSON = json.JSONDecoder()
_ID_ALPHABET = string.ascii_letters + string.digits


@dataclass
class ToolResult:
    name: str
    output: str


@dataclass
class Conversation:
    model: str
    user_text: str = ""  # text of the latest user turn
    tool_results: list = field(default_factory=list)  # set when the latest turn carries results
    tools: dict = field(default_factory=dict)  # name -> JSON schema of its arguments
    system_texts: list = field(default_factory=list)  # (role, text) of system-like messages
    report_system_role: bool = False  # say which role carried the marker
    # The person's prompt that opened the current turn, when the latest user
    # message is not it (Anthropic hands tool results back as a user message).
    prompt_text: str = None
    turn_tool_results: int = 0  # tool results handed back since that prompt
    thinks: bool = False  # the request asks for thinking (extended / adaptive thinking)

    def read_turns(self, items, tool_result_of):
        """Reads the latest turn from OpenAI-style items (chat messages, Responses input items):
        `tool_result_of(item)` is the ToolResult an item hands back, or None for any other item.
        The trailing results are the latest turn's; the last user item is the person's text."""
        results = [tool_result_of(item) for item in items]
        trailing = []
        for result in reversed(results):
            if result is None:
                break
            trailing.insert(0, result)
        self.tool_results = trailing
        prompts = [i for i, item in enumerate(items) if item.get("role") == "user"]
        self.user_text = last_text(items[prompts[-1]].get("content")) if prompts else ""
        # The current turn: tool results since the person's latest prompt.
        prompt_at = prompts[-1] if prompts else -1
        self.turn_tool_results = sum(1 for result in results[prompt_at + 1:] if result is not None)


@dataclass
class Answer:
    text: str = None
    tool_name: str = None
    tool_arguments: dict = None
    thinking: str = None  # what the model thought first, when the request asked it to
    signature: str = None  # the thinking's signature (set by the server, which holds the key)

    @property
    def is_tool_call(self):
        return self.tool_name is not None


def answer(conversation):
    reply = _answer(conversation)
    if conversation.thinks:
        plan = f"a call to {reply.tool_name}" if reply.is_tool_call else "a text reply"
        reply.thinking = f"The Copilot simulator (model {conversation.model}) thinks it over: {plan}."
    return reply


def _answer(conversation):
    scripted = _scripted_turn(conversation) if conversation.tools else None
    if scripted:
        return scripted
    if SUMMARY_REQUEST in (conversation.user_text or ""):
        return Answer(text=_with_system_note(
            "<analysis>Simulated analysis.</analysis>\n<summary>Summary from the Copilot simulator "
            f"(model {conversation.model}).</summary>", conversation))
    if conversation.tool_results:
        lines = [f"Tool {r.name} returned: {r.output[:QUOTE_LIMIT]}" for r in conversation.tool_results]
        return Answer(text=_with_system_note("\n".join(lines), conversation))
    call = _requested_tool_call(conversation) if conversation.tools else None
    if call:
        return call
    text = (f"Hello from the Copilot simulator (model {conversation.model}). "
            f"You said: {conversation.user_text[:QUOTE_LIMIT]}")
    return Answer(text=_with_system_note(text, conversation))


def _with_system_note(text, conversation):
    for role, system_text in conversation.system_texts:
        if ECHO_SYSTEM_MARKER in system_text:
            note = " System prompt received."
            if conversation.report_system_role:
                note += f" (system role: {role})"
            return text + note
    return text


def _scripted_turn(conversation):
    """The next step of a `SIM:TOOLS` agent loop, or None when the prompt
    scripts none (or names a tool the request does not offer)."""
    prompt = conversation.prompt_text if conversation.prompt_text is not None else conversation.user_text
    match = _SCRIPT_PATTERN.search(_REMINDER_PATTERN.sub("", prompt or ""))
    if not match or match.group(2) not in conversation.tools:
        return None
    wanted, name = min(int(match.group(1)), SCRIPT_LIMIT), match.group(2)
    done = conversation.turn_tool_results
    if done >= wanted:
        lines = [f"Tool {r.name} returned: {r.output[:QUOTE_LIMIT]}" for r in conversation.tool_results]
        return Answer(text="\n".join([f"Scripted task done after {wanted} tool calls."] + lines))
    try:
        arguments, _ = _JSON.raw_decode(_REMINDER_PATTERN.sub("", prompt), match.end())
    except ValueError:
        arguments = None
    if not isinstance(arguments, dict):
        arguments = synthesize_arguments(conversation.tools[name])
    return Answer(tool_name=name, tool_arguments=_numbered(arguments, done + 1))


def _numbered(value, number):
    """`value` with `{call}` in its strings replaced by the call's number."""
    if isinstance(value, str):
        return value.replace("{call}", str(number))
    if isinstance(value, dict):
        return {key: _numbered(item, number) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbered(item, number) for item in value]
    return value


def _requested_tool_call(conversation):
    """A tool call the user text asks for, or None."""
    text = _REMINDER_PATTERN.sub("", conversation.user_text or "")
    for match in _CALL_PATTERN.finditer(text):
        name = match.group(1)
        if name not in conversation.tools:
            continue
        try:
            arguments, _ = _JSON.raw_decode(text, match.end())
        except ValueError:
            continue
        if isinstance(arguments, dict):
            return Answer(tool_name=name, tool_arguments=arguments)
    mentioned = []
    for name in conversation.tools:
        found = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)
        if found:
            mentioned.append((found.start(), -len(name), name))
    if not mentioned:
        return None
    name = min(mentioned)[2]
    return Answer(tool_name=name, tool_arguments=synthesize_arguments(conversation.tools[name]))


def synthesize_arguments(schema):
    """Arguments for a tool: a placeholder for each required property."""
    properties = (schema or {}).get("properties") or {}
    return {name: _placeholder(properties.get(name) or {}) for name in (schema or {}).get("required") or []}


def _placeholder(prop_schema):
    """string -> "sim", number/integer -> 1, boolean -> true, array -> [],
    object -> {}; an enum gives its first value."""
    if prop_schema.get("enum"):
        return prop_schema["enum"][0]
    kind = prop_schema.get("type")
    if isinstance(kind, list):  # e.g. ["string", "null"]
        kind = next((k for k in kind if k != "null"), None)
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return {"number": 1, "integer": 1, "boolean": True}.get(kind, "sim")


def new_id(prefix, length=24):
    """A random id in the style of the real APIs, e.g. `call_…`, `msg_…`."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def estimate_tokens(value):
    """Roughly 4 characters per token; the same input always counts the same."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return max(1, len(text) // 4)


STREAM_SWITCHES = ("stream", "stream_options")  # how to deliver, not part of the prompt


def estimate_prompt_tokens(body):
    """A request's prompt tokens: the body less its stream switches, by `estimate_tokens`.  The
    usage reports this count (on /v1/messages split into input, cache read and cache creation)
    and the prompt limit is checked against it, so both always agree."""
    return estimate_tokens({key: value for key, value in body.items() if key not in STREAM_SWITCHES})


def split_text(text, pieces=4):
    """Split text into up to `pieces` consecutive chunks at word boundaries
    (the chunks concatenate back to `text`)."""
    words = re.findall(r"\S+\s*|\s+", text)
    if len(words) <= 1:
        return [text]
    size = -(-len(words) // pieces)  # ceiling division
    return ["".join(words[i:i + size]) for i in range(0, len(words), size)]


def split_json(text, pieces=3):
    """Split a JSON string into consecutive chunks (as `arguments` deltas)."""
    size = max(1, -(-len(text) // pieces))
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


_TEXT_PARTS = ("text", "input_text", "output_text")


def text_parts(content):
    """The texts in a message content: a string, or a list of content parts
    (`text` / `input_text` / `output_text` parts count, others are skipped)."""
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        return []
    return [part.get("text") or "" for part in content
            if isinstance(part, dict) and part.get("type") in _TEXT_PARTS]


def all_text(content):
    return "\n".join(text_parts(content))


def last_text(content):
    """The last non-empty text of a content (where the actual prompt sits when
    clients prepend reminders or attachments)."""
    texts = [t for t in text_parts(content) if t.strip()]
    return texts[-1] if texts else ""
