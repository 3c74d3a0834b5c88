"""The model list served at `GET {endpoints.api}/models`.

The entries copy the shape of the real list: chat models visible in the model
picker (premium and not), a policy-disabled and a not-yet-configured model,
hidden legacy entries without `supported_endpoints`, a second version of a
family, a Codex model reachable only through `/responses`, and an embeddings
model.  `Catalog` is the mutable copy the control API edits.

`RATES` is the simulator's own price list for AI credits: Copilot does not list prices
in `/models`, so neither does the simulator.
"""

import copy

IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"]

OPENAI_TERMS = ("Enable access to the latest {name} model from OpenAI. "
                "[Learn more about how GitHub Copilot serves {name}](https://gh.io/copilot-openai).")
ANTHROPIC_TERMS = ("Enable access to the latest {name} model from Anthropic. "
                   "[Learn more about how GitHub Copilot serves {name}](https://gh.io/copilot-anthropic).")
GOOGLE_TERMS = ("Enable access to the latest {name} model from Google. "
                "[Learn more about how GitHub Copilot serves {name}](https://gh.io/copilot-gemini).")
XAI_TERMS = ("Enable access to the latest {name} model from xAI. "
             "[Learn more about how GitHub Copilot serves {name}](https://gh.io/copilot-grok).")

OPENAI_ENDPOINTS = ["/chat/completions", "/responses"]

# What a request costs on a credit seat, in AI credits (1 credit = USD 0.01) per million tokens
# of uncached input, cached input and output: Copilot bills premium models at their vendor's
# API price. Source: the vendors' public API price pages as read in 2025 (Anthropic, OpenAI,
# Google, xAI); Gemini 2.5 Pro and o4-mini at their rates for prompts up to 200k tokens.
# Included (non-premium) models, the hidden entries and embeddings cost nothing, as does any
# model not listed here (e.g. one added through the control API).
FREE = {"input": 0, "cached_input": 0, "output": 0}
RATES = {
    "claude-sonnet-4": {"input": 300, "cached_input": 30, "output": 1500},
    "claude-sonnet-4.5": {"input": 300, "cached_input": 30, "output": 1500},
    "claude-haiku-4.5": {"input": 100, "cached_input": 10, "output": 500},
    "claude-opus-4.1": {"input": 1500, "cached_input": 150, "output": 7500},
    "gpt-5": {"input": 125, "cached_input": 12.5, "output": 1000},
    "gpt-5-codex": {"input": 125, "cached_input": 12.5, "output": 1000},
    "gemini-2.5-pro": {"input": 125, "cached_input": 31, "output": 1000},
    "o4-mini": {"input": 110, "cached_input": 27.5, "output": 440},
    "grok-code-fast-1": {"input": 20, "cached_input": 2, "output": 150},
    **{model_id: FREE for model_id in ("gpt-4.1", "gpt-4o", "gpt-5-mini", "gpt-4.1-2025-04-14",
                                       "gpt-4o-mini-2024-07-18", "gpt-3.5-turbo", "text-embedding-3-small")},
}
CLAUDE_ENDPOINTS = ["/chat/completions", "/v1/messages"]


def chat_model(model_id, name, vendor, version, family, *, context, prompt, output,
               premium=False, multiplier=0, picker=True, category="versatile",
               endpoints=None, vision=True, reasoning=False, terms=None,
               policy="enabled", preview=False, default=False, tokenizer="o200k_base"):
    """One chat entry with every field the real list carries.

    `endpoints=None` leaves `supported_endpoints` out (older entries lack it);
    `terms=None` leaves `policy` out (legacy entries have none).
    """
    limits = {
        "max_context_window_tokens": context,
        "max_prompt_tokens": prompt,
        "max_output_tokens": output,
    }
    supports = {
        "streaming": True,
        "tool_calls": True,
        "parallel_tool_calls": True,
        "structured_outputs": True,
    }
    if vision:
        limits["vision"] = {
            "max_prompt_image_size": 3145728,
            "max_prompt_images": 5,
            "supported_media_types": list(IMAGE_TYPES),
        }
        supports["vision"] = True
    if reasoning:
        supports["reasoning_effort"] = ["low", "medium", "high"]
    entry = {
        "id": model_id,
        "name": name,
        "vendor": vendor,
        "version": version,
        "object": "model",
        "preview": preview,
        "model_picker_enabled": picker,
        "is_chat_default": default,
        "is_chat_fallback": default,
        "billing": {"is_premium": premium, "multiplier": multiplier},
        "capabilities": {
            "type": "chat",
            "family": family,
            "tokenizer": tokenizer,
            "object": "model_capabilities",
            "limits": limits,
            "supports": supports,
        },
    }
    if picker:
        entry["model_picker_category"] = category
    if terms is not None:
        entry["policy"] = {"state": policy, "terms": terms.format(name=name)}
    if endpoints is not None:
        entry["supported_endpoints"] = list(endpoints)
    return entry


def embeddings_model(model_id, name, version):
    return {
        "id": model_id,
        "name": name,
        "vendor": "Azure OpenAI",
        "version": version,
        "object": "model",
        "preview": False,
        "model_picker_enabled": False,
        "is_chat_default": False,
        "is_chat_fallback": False,
        "billing": {"is_premium": False, "multiplier": 0},
        "supported_endpoints": ["/embeddings"],
        "capabilities": {
            "type": "embeddings",
            "family": model_id,
            "tokenizer": "cl100k_base",
            "object": "model_capabilities",
            "limits": {"max_inputs": 512},
            "supports": {"dimensions": True},
        },
    }


def default_models():
    """A fresh copy of the built-in catalog."""
    return [
        # Included (non-premium) models; gpt-4.1 is the chat default.
        chat_model("gpt-4.1", "GPT-4.1", "Azure OpenAI", "gpt-4.1-2025-04-14", "gpt-4.1",
                   context=128000, prompt=128000, output=16384, endpoints=OPENAI_ENDPOINTS,
                   terms=OPENAI_TERMS, default=True),
        chat_model("gpt-4o", "GPT-4o", "Azure OpenAI", "gpt-4o-2024-11-20", "gpt-4o",
                   context=128000, prompt=64000, output=4096, terms=OPENAI_TERMS),
        chat_model("gpt-5-mini", "GPT-5 mini", "Azure OpenAI", "gpt-5-mini", "gpt-5-mini",
                   context=264000, prompt=128000, output=64000, category="lightweight",
                   endpoints=OPENAI_ENDPOINTS, reasoning=True, terms=OPENAI_TERMS),
        # Premium models.
        chat_model("gpt-5", "GPT-5", "Azure OpenAI", "gpt-5", "gpt-5",
                   context=400000, prompt=128000, output=128000, premium=True, multiplier=1,
                   endpoints=OPENAI_ENDPOINTS, reasoning=True, terms=OPENAI_TERMS),
        chat_model("gpt-5-codex", "GPT-5-Codex (Preview)", "OpenAI", "gpt-5-codex", "gpt-5-codex",
                   context=400000, prompt=128000, output=128000, premium=True, multiplier=1,
                   category="powerful", endpoints=["/responses"], reasoning=True,
                   terms=OPENAI_TERMS, preview=True),
        chat_model("claude-sonnet-4", "Claude Sonnet 4", "Anthropic", "claude-sonnet-4",
                   "claude-sonnet-4", context=216000, prompt=128000, output=16000,
                   premium=True, multiplier=1, endpoints=CLAUDE_ENDPOINTS, terms=ANTHROPIC_TERMS),
        chat_model("claude-sonnet-4.5", "Claude Sonnet 4.5", "Anthropic", "claude-sonnet-4.5",
                   "claude-sonnet-4.5", context=144000, prompt=128000, output=16000,
                   premium=True, multiplier=1, endpoints=CLAUDE_ENDPOINTS, terms=ANTHROPIC_TERMS),
        chat_model("claude-haiku-4.5", "Claude Haiku 4.5", "Anthropic", "claude-haiku-4.5",
                   "claude-haiku-4.5", context=144000, prompt=128000, output=16000,
                   premium=True, multiplier=0.33, endpoints=CLAUDE_ENDPOINTS, terms=ANTHROPIC_TERMS),
        chat_model("claude-opus-4.1", "Claude Opus 4.1", "Anthropic", "claude-opus-41",
                   "claude-opus-41", context=80000, prompt=80000, output=16000,
                   premium=True, multiplier=10, category="powerful",
                   endpoints=CLAUDE_ENDPOINTS, terms=ANTHROPIC_TERMS),
        chat_model("gemini-2.5-pro", "Gemini 2.5 Pro", "Google", "gemini-2.5-pro",
                   "gemini-2.5-pro", context=128000, prompt=128000, output=64000,
                   premium=True, multiplier=1, category="powerful",
                   endpoints=["/chat/completions"], terms=GOOGLE_TERMS),
        # Listed but not usable until an administrator / the user enables them.
        chat_model("grok-code-fast-1", "Grok Code Fast 1", "xAI", "grok-code-fast-1",
                   "grok-code", context=128000, prompt=128000, output=64000,
                   premium=True, multiplier=0.25, category="lightweight", vision=False,
                   endpoints=["/chat/completions"], terms=XAI_TERMS, policy="disabled",
                   preview=True),
        chat_model("o4-mini", "o4-mini (Preview)", "Azure OpenAI", "o4-mini-2025-04-16",
                   "o4-mini", context=200000, prompt=128000, output=16384,
                   premium=True, multiplier=0.33, category="lightweight",
                   endpoints=OPENAI_ENDPOINTS, reasoning=True, terms=OPENAI_TERMS,
                   policy="unconfigured", preview=True),
        # Hidden legacy / internal entries: no picker, no supported_endpoints.
        chat_model("gpt-4.1-2025-04-14", "GPT-4.1", "Azure OpenAI", "gpt-4.1-2025-04-14",
                   "gpt-4.1", context=128000, prompt=128000, output=16384, picker=False,
                   terms=OPENAI_TERMS),
        chat_model("gpt-4o-mini-2024-07-18", "GPT-4o mini", "Azure OpenAI",
                   "gpt-4o-mini-2024-07-18", "gpt-4o-mini", context=128000, prompt=12288,
                   output=4096, picker=False, vision=False),
        chat_model("gpt-3.5-turbo", "GPT 3.5 Turbo", "Azure OpenAI", "gpt-3.5-turbo-0613",
                   "gpt-3.5-turbo", context=16384, prompt=12288, output=4096, picker=False,
                   vision=False, tokenizer="cl100k_base"),
        embeddings_model("text-embedding-3-small", "Embedding V3 small", "text-embedding-3-small"),
    ]


class Catalog:
    """The current model list; the control API may change it."""

    def __init__(self):
        self.models = default_models()

    def reset(self):
        self.models = default_models()

    def get(self, model_id):
        for model in self.models:
            if model["id"] == model_id:
                return model
        return None

    def listing(self):
        return {"data": copy.deepcopy(self.models), "object": "list"}

    def remove(self, model_id):
        self.models = [m for m in self.models if m["id"] != model_id]

    def add(self, model):
        """Add a model, replacing any entry with the same id in place."""
        for index, existing in enumerate(self.models):
            if existing["id"] == model["id"]:
                self.models[index] = copy.deepcopy(model)
                return
        self.models.append(copy.deepcopy(model))

    def ids(self):
        return [m["id"] for m in self.models]

    @staticmethod
    def rates(model_id):
        """Credits per million tokens for a model (all zero when it costs nothing)."""
        return dict(RATES.get(model_id, FREE))
