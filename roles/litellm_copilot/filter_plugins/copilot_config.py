# -*- coding: utf-8 -*-
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The LiteLLM proxy config and the client configs, built as data from the discovered models.

Copilot names Claude models with dots (``claude-sonnet-4.5``); Claude Code and the Anthropic
SDKs use dashes (``claude-sonnet-4-5``), dated names (``claude-sonnet-4-5-20250929``) and
versionless families. The functions here work out, once per host, every name the proxy serves,
the model each one points at, each model's rate limit and the included model that answers once
the premium allowance is spent, and build from them the whole proxy config and what the clients
are told. The role serializes their results once (``to_nice_yaml`` / ``to_nice_json``), so no
model id, header or setting is ever pasted into YAML or JSON as text.

Pure functions over the models ``copilot_models_info`` returns, unit-tested without Ansible.
Every error names the variable at fault and, given ``host``, the host.
"""

import fnmatch
import hashlib
import hmac
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

# claude-<family>-<version> (current naming) or claude-<version>-<family> (Claude 3.x naming).
_CLAUDE_NEW = re.compile(r"^claude-(?P<family>[a-z]+)-(?P<version>\d+(?:\.\d+)*)$")
_CLAUDE_OLD = re.compile(r"^claude-(?P<version>\d+(?:\.\d+)*)-(?P<family>[a-z]+)$")

# Claude-Code-Router's routes, each chosen by litellm_copilot_model_preferences[route].
CCR_ROUTES = ("default", "background", "think", "longContext")
# A request whose prompt is longer (in tokens) takes the longContext route.
CCR_LONG_CONTEXT_TOKENS = 60000
# Claude-Code-Router 3 keeps the rules whose id starts with this (library/ccr_config.py owns them).
CCR_RULE_PREFIX = "litellm-copilot-"
# LiteLLM imports these from the config's directory, where the role installs them.
SHAPER_CALLBACK = "copilot_shaper.proxy_handler_instance"
# The meter (files/copilot_meter.py) meters every answer, enforces the credit budgets and lets the
# router's quota fallback answer only a spent allowance or budget.
METER_CALLBACK = "copilot_meter.meter"
# The master key never enters the config: LiteLLM reads it from the service's environment file.
MASTER_KEY_REF = "os.environ/LITELLM_MASTER_KEY"


def _ids(models):
    return [model["id"] for model in models]


def _bad(variable, host, problems):
    """One error for a bad variable, naming it and the host."""
    where = " on %s" % host if host else ""
    return AnsibleFilterError("Bad %s%s: %s" % (variable, where, problems))


def _claude_family(model_id):
    """(family, version tuple) of a Claude model id, or None (e.g. a ``-thought`` variant)."""
    match = _CLAUDE_NEW.match(model_id) or _CLAUDE_OLD.match(model_id)
    if not match:
        return None
    return match.group("family"), tuple(int(part) for part in match.group("version").split("."))


# ---------------------------------------------------------------------------------------------
# The names clients use
# ---------------------------------------------------------------------------------------------

def claude_aliases(models):
    """Names Claude Code uses for the Claude models present, each mapped to a Copilot id.

    Dash form of every dotted Claude id, and a versionless family alias (``claude-sonnet``)
    pointing at the newest version of that family. Never shadows a discovered id.
    """
    ids = _ids(models)
    aliases = {}
    newest = {}
    for model_id in ids:
        if not model_id.startswith("claude-"):
            continue
        dashed = model_id.replace(".", "-")
        if dashed != model_id:
            aliases[dashed] = model_id
        parsed = _claude_family(model_id)
        if parsed:
            family, version = parsed
            if family not in newest or version > newest[family][0]:
                newest[family] = (version, model_id)
    for family, (_version, model_id) in newest.items():
        aliases["claude-" + family] = model_id
    return {name: target for name, target in sorted(aliases.items()) if name not in ids}


def copilot_aliases(models, user_aliases=None, host=""):
    """Every alias the proxy serves: Claude Code's names, then the user's (which win).

    The one check of litellm_copilot_model_aliases: a user alias whose target was not
    discovered, or whose name is a discovered id, is an error naming every such alias and the host.
    """
    ids = _ids(models)
    aliases = claude_aliases(models)
    problems = []
    for name, target in sorted((user_aliases or {}).items()):
        if target not in ids:
            problems.append("alias '%s' points at '%s', which this seat does not serve" % (name, target))
        elif name in ids:
            problems.append("alias '%s' is already the id of a served model; choose another name" % name)
        else:
            aliases[name] = target
    if problems:
        raise _bad("litellm_copilot_model_aliases", host,
                   "; ".join(problems) + "; served: %s." % ", ".join(sorted(ids)))
    return dict(sorted(aliases.items()))


def claude_dated_patterns(models):
    """Wildcard names for the dated ids Claude Code sends (``claude-sonnet-4-5-20250929``).

    ``<dash form>-2*``: a date suffix starts with the millennium digit, so the pattern of
    ``claude-sonnet-4`` does not swallow ``claude-sonnet-4-5-…``.
    """
    return {model_id.replace(".", "-") + "-2*": model_id
            for model_id in _ids(models) if _claude_family(model_id)}


def copilot_served_names(models, user_aliases=None, host=""):
    """Sorted names ``/v1/models`` lists: the discovered ids and every alias."""
    return _served(models, copilot_aliases(models, user_aliases, host))


def _served(models, served_aliases):
    return sorted(set(_ids(models)) | set(served_aliases))


def copilot_pick(models, preferences, non_premium=False):
    """The first discovered model matching the preference globs, in preference order.

    With ``non_premium``, non-premium models are tried first and the premium ones only when
    no non-premium model matches. Empty string when nothing matches.
    """
    pools = [models]
    if non_premium:
        pools = [[m for m in models if not m.get("premium")], models]
    for pool in pools:
        for pattern in preferences or []:
            for model in pool:
                if fnmatch.fnmatchcase(model["id"], pattern):
                    return model["id"]
    return ""


def copilot_rpm(model_id, default, overrides=None):
    """Requests per minute for a model: an exact override, else the first matching glob, else default."""
    overrides = overrides or {}
    if model_id in overrides:
        return int(overrides[model_id])
    for pattern, value in overrides.items():
        if fnmatch.fnmatchcase(model_id, pattern):
            return int(value)
    return int(default)


# ---------------------------------------------------------------------------------------------
# The quota fallback
# ---------------------------------------------------------------------------------------------

def copilot_quota_fallback(models, setting, preferences, host=""):
    """The included model that answers for premium models once the premium allowance is spent.

    ``setting`` is ``litellm_copilot_quota_fallback``: ``auto`` picks the first non-premium
    model matching ``preferences`` (the background ones), empty string turns the fallback off,
    anything else must be a discovered model that costs no premium requests. Empty string when
    ``auto`` finds no non-premium model. A bad explicit choice is an error naming it.
    """
    setting = (setting or "").strip()
    if not setting:
        return ""
    included = [model for model in models if not model.get("premium")]
    if setting == "auto":
        return copilot_pick(included, preferences)
    by_id = dict((model["id"], model) for model in models)
    if setting not in by_id:
        raise _bad("litellm_copilot_quota_fallback", host, "'%s' is not a model this seat serves (served: %s)"
                   % (setting, ", ".join(sorted(by_id))))
    if by_id[setting].get("premium"):
        raise _bad("litellm_copilot_quota_fallback", host,
                   "'%s' costs premium requests itself, so it cannot answer once the allowance is spent; "
                   "choose an included model (%s) or 'auto'"
                   % (setting, ", ".join(sorted(model["id"] for model in included)) or "none served"))
    return setting


def copilot_quota_fallbacks(models, fallback, aliases=None, patterns=None):
    """LiteLLM router ``fallbacks`` sending every served name of a premium model to ``fallback``.

    ``aliases`` and ``patterns`` map extra served names (aliases, Claude's dated-name wildcards)
    to model ids. One ``{name: [fallback]}`` entry per name, sorted, then a catch-all ``"*"``:
    LiteLLM looks fallbacks up by the name a client asked for, and a dated name such as
    ``claude-sonnet-4-5-20250929`` (what Claude Code sends) matches no key. The catch-all only
    ever serves a quota refusal (the role's gate sees to that), which only premium models get.
    Empty without a fallback.
    """
    if not fallback:
        return []
    premium = set(model["id"] for model in models if model.get("premium"))
    names = set(premium)
    for extra in (aliases or {}, patterns or {}):
        names.update(name for name, target in extra.items() if target in premium)
    return [{name: [fallback]} for name in sorted(names)] + [{"*": [fallback]}]


# ---------------------------------------------------------------------------------------------
# The proxy config
# ---------------------------------------------------------------------------------------------

def _deployment(name, model, api_base, headers, rpm):
    """One model_list entry: ``name`` served by the Copilot model ``model``."""
    params = {
        "model": "github_copilot/" + model["id"],
        "api_base": api_base,
        "extra_headers": {header: str(value) for header, value in sorted(headers.items())},
    }
    if rpm > 0:
        params["rpm"] = rpm
    info = {"mode": model["mode"]}
    if model.get("max_prompt_tokens"):
        info["max_input_tokens"] = model["max_prompt_tokens"]
    if model.get("max_output_tokens"):
        info["max_output_tokens"] = model["max_output_tokens"]
        info["max_tokens"] = model["max_output_tokens"]
    info.update({
        "supports_function_calling": bool(model.get("supports_tools")),
        "supports_parallel_function_calling": bool(model.get("supports_parallel_tool_calls")),
        "supports_vision": bool(model.get("supports_vision")),
        "supports_response_schema": bool(model.get("supports_structured_outputs")),
        "supports_reasoning": bool(model.get("reasoning_efforts")),
        # Read back by the role's status report and the quota fallback's tests.
        "copilot_vendor": model.get("vendor", ""),
        "copilot_premium": bool(model.get("premium")),
        "copilot_multiplier": model.get("multiplier"),
        "copilot_supported_endpoints": list(model.get("supported_endpoints") or []),
    })
    return {"model_name": name, "litellm_params": params, "model_info": info}


def copilot_plan(discovery, host="", ledger="", proxy=None, meter=None, clients=None):
    """Everything the role deploys for one host, built once from what discovery returned: the one
    place the served names, their aliases and the quota fallback are worked out.

    ``proxy`` holds copilot_proxy_config's keyword arguments, ``meter`` copilot_meter_settings'
    (``ledger`` its path) and ``clients`` copilot_client_models' (None: no developer's clients
    on this host). Returns ``config`` (the LiteLLM config), ``served_names`` (what the proxy's
    /v1/models must list), ``fallback`` (the quota fallback model, "" for none), ``meter`` (the
    meter's settings) and ``clients`` (the client models, or None).
    """
    proxy = dict(proxy or {})
    models = discovery["models"]
    served_aliases = copilot_aliases(models, proxy.pop("aliases", None), host)
    fallback = copilot_quota_fallback(models, proxy.pop("quota_fallback", ""),
                                      (proxy.pop("preferences", None) or {}).get("background", []), host)
    served = _served(models, served_aliases)
    meter_settings = copilot_meter_settings(discovery, ledger, **(meter or {}))
    return {
        "config": _proxy_config(discovery, served_aliases, fallback, credit_budgets=bool(meter_settings["budgets"]),
                                **proxy),
        "served_names": served,
        "fallback": fallback,
        "meter": meter_settings,
        "clients": None if clients is None else _client_models(models, served, served_aliases, host, **clients),
    }


# The role variables the plan reads, each with the part of copilot_plan it goes to and its
# keyword there; the task looks them up by this list, so the two never drift apart.
PLAN_SETTINGS = {
    "litellm_copilot_model_aliases": ("proxy", "aliases"),
    "litellm_copilot_rpm": ("proxy", "rpm"),
    "litellm_copilot_rpm_overrides": ("proxy", "rpm_overrides"),
    "litellm_copilot_quota_fallback": ("proxy", "quota_fallback"),
    "litellm_copilot_model_preferences": ("proxy", "preferences"),
    "litellm_copilot_drop_params": ("proxy", "drop_params"),
    "litellm_copilot_keep_system_role": ("proxy", "keep_system_role"),
    "litellm_copilot_request_shaper": ("proxy", "request_shaper"),
    "litellm_copilot_litellm_settings": ("proxy", "litellm_settings"),
    "litellm_copilot_billing": ("meter", "billing"),
    "litellm_copilot_credit_rates": ("meter", "rates"),
    "litellm_copilot_credit_budget_daily": ("meter", "budget_daily"),
    "litellm_copilot_credit_budget_monthly": ("meter", "budget_monthly"),
    "litellm_copilot_client_user": ("clients", None),
    "litellm_copilot_background_non_premium": ("clients", "background_non_premium"),
    "litellm_copilot_claude_code_model": ("clients", "claude_code_model"),
    "litellm_copilot_claude_code_small_fast_model": ("clients", "claude_code_small_fast_model"),
}
_PLAN_FLAGS = {"drop_params", "keep_system_role", "request_shaper", "background_non_premium"}


def copilot_plan_settings(prefix):
    """The names of the role variables copilot_host_plan reads (each starts with ``prefix``)."""
    names = sorted(PLAN_SETTINGS)
    if not all(name.startswith(prefix) for name in names):
        raise AnsibleFilterError("copilot_plan_settings: not every variable starts with %r" % prefix)
    return names


def copilot_host_plan(settings, discovery, host="", ledger="", **internal):
    """copilot_plan for one host from the role variables by name (``settings``, looked up by
    copilot_plan_settings' list) and the role's internal values (``internal``: headers,
    litellm_settings_base, general_settings, which go to the proxy config)."""
    parts = {"proxy": dict(internal), "meter": {}, "clients": {}}
    for name, (part, keyword) in PLAN_SETTINGS.items():
        if keyword is not None:
            value = settings[name]
            parts[part][keyword] = boolean(value, strict=False) if keyword in _PLAN_FLAGS else value
    parts["clients"]["preferences"] = settings["litellm_copilot_model_preferences"]
    clients = parts["clients"] if settings["litellm_copilot_client_user"] else None
    return copilot_plan(discovery, host=host, ledger=ledger, proxy=parts["proxy"], meter=parts["meter"],
                        clients=clients)


def copilot_proxy_config(discovery, host="", aliases=None, quota_fallback="", preferences=None, **settings):
    """The whole LiteLLM config for one host, as data (copilot_plan's ``config``).

    ``discovery`` is what ``copilot_models_info`` returned (``models``, ``api_base``); the other
    arguments are the role variables of the same names (``preferences``:
    litellm_copilot_model_preferences, whose background list the ``auto`` quota fallback follows),
    and ``settings`` those of :func:`_proxy_config`.
    """
    models = discovery["models"]
    fallback = copilot_quota_fallback(models, quota_fallback, (preferences or {}).get("background", []), host)
    return _proxy_config(discovery, copilot_aliases(models, aliases, host), fallback, **settings)


def _proxy_config(discovery, served_aliases, fallback, headers=None, rpm=0, rpm_overrides=None,
                  drop_params=True, keep_system_role=True, request_shaper=True, litellm_settings=None,
                  litellm_settings_base=None, general_settings=None, credit_budgets=False):
    """The LiteLLM config from the discovered models, their aliases and the quota fallback.
    ``litellm_settings_base`` and ``general_settings`` are the role's own settings (vars/main.yml),
    under the user's. ``credit_budgets``: a daily or monthly credit budget is set."""
    models = discovery["models"]
    by_id = dict((model["id"], model) for model in models)
    headers = headers or {}
    patterns = claude_dated_patterns(models)
    caps = dict((model_id, copilot_rpm(model_id, rpm, rpm_overrides)) for model_id in by_id)

    def deployment(name, model_id):
        return _deployment(name, by_id[model_id], discovery["api_base"], headers, caps[model_id])

    # Every dated-name wildcard routes to the same model (and so counts against the same rpm cap).
    model_list = ([deployment(model_id, model_id) for model_id in by_id]
                  + [deployment(pattern, target) for pattern, target in sorted(patterns.items())])

    # Aliases share their model's deployment, so its rpm cap counts both names together.
    router = {"model_group_alias": served_aliases}
    if any(cap > 0 for cap in caps.values()):
        # LiteLLM enforces a deployment's rpm only with its pre-call checks on.
        router["enable_pre_call_checks"] = True
    fallbacks = copilot_quota_fallbacks(models, fallback, served_aliases, patterns)
    if fallbacks:
        router["fallbacks"] = fallbacks
    if credit_budgets:
        # A spent budget's 429 holds until midnight or the reset: retrying it (2 s each) only
        # delays the fallback or the client's answer. Copilot's own 429s then reach the client at
        # once too, whose SDK retries with its own backoff.
        router["retry_policy"] = {"RateLimitErrorRetries": 0}

    settings = dict(litellm_settings_base or {})
    settings.update(drop_params=drop_params, disable_copilot_system_to_assistant=keep_system_role)
    settings.update(litellm_settings or {})
    # The request shaper goes before the user's callbacks; the meter last. Its fallback gate keeps
    # every error but a spent allowance or budget (rpm caps, outages, bad requests) from falling back.
    callbacks = (([SHAPER_CALLBACK] if request_shaper else []) + list(settings.pop("callbacks", None) or [])
                 + [METER_CALLBACK])
    settings = dict(sorted(settings.items()))
    if callbacks:
        settings["callbacks"] = callbacks

    return {
        "model_list": model_list,
        "router_settings": router,
        "litellm_settings": settings,
        "general_settings": dict(general_settings or {}, master_key=MASTER_KEY_REF),
    }


# ---------------------------------------------------------------------------------------------
# The meter
# ---------------------------------------------------------------------------------------------

_RATE_KINDS = ("input", "cached_input", "output")


def copilot_credit_rates(model, rates):
    """The credit rates of one served model: 0 for an included (non-premium) model, else the exact
    id's entry of ``rates`` (litellm_copilot_credit_rates), else the first matching glob's, else 0."""
    if not model.get("premium"):
        return {kind: 0 for kind in _RATE_KINDS}
    rates = rates or {}
    found = rates.get(model["id"])
    if found is None:
        found = next((rate for pattern, rate in rates.items() if fnmatch.fnmatchcase(model["id"], pattern)), {})
    return {kind: float(found.get(kind, 0)) for kind in _RATE_KINDS}


def copilot_meter_settings(discovery, ledger, billing="credits", rates=None, budget_daily=0, budget_monthly=0):
    """What the proxy's meter (files/copilot_meter.py) reads from copilot_meter.json: how the seat
    is billed, the ledger's path, every served model's credit rates (resolved here once, by
    Copilot id) and the budgets that are set (``pace`` or credits; 0 means none)."""
    budgets = {}
    if budget_daily == "pace":
        budgets["day"] = "pace"
    elif float(budget_daily or 0) > 0:
        budgets["day"] = float(budget_daily)
    if float(budget_monthly or 0) > 0:
        budgets["month"] = float(budget_monthly)
    return {
        "billing": billing,
        "ledger": ledger,
        "budgets": budgets,
        "models": {model["id"]: copilot_credit_rates(model, rates) for model in discovery["models"]},
    }


# ---------------------------------------------------------------------------------------------
# The clients
# ---------------------------------------------------------------------------------------------

def copilot_client_models(models, host="", aliases=None, **choices):
    """The models the clients use (copilot_plan's ``clients``): Claude-Code-Router's ``routes``
    and Claude Code's ``main`` and ``small_fast``; ``choices`` as :func:`_client_models` takes them."""
    served_aliases = copilot_aliases(models, aliases, host)
    return _client_models(models, _served(models, served_aliases), served_aliases, host, **choices)


def _client_models(models, served, served_aliases, host="", preferences=None, background_non_premium=True,
                   claude_code_model="", claude_code_small_fast_model=""):
    """Each route takes the first served model matching its preferences; background work prefers
    models that cost no premium requests. A choice the proxy does not serve is an error naming
    it and the host."""
    preferences = preferences or {}
    routes = dict((route, copilot_pick(models, preferences.get(route, []),
                                       route == "background" and background_non_premium))
                  for route in CCR_ROUTES)
    # Claude Code's sonnet-class main model, its haiku-class small fast one, and the opus-class one
    # it plans with: the default, background and think routes, unless the variables name others.
    claude_code = {"main": claude_code_model or routes["default"],
                   "small_fast": claude_code_small_fast_model or routes["background"],
                   "opus": routes["think"]}
    chosen = list(routes.items()) + [(use, claude_code[use]) for use in ("main", "small_fast")]
    unserved = [name or "nothing matches for %s" % use for use, name in chosen if name not in served]
    if unserved:
        raise AnsibleFilterError(
            "The client models for %s (%s) are not served here (check litellm_copilot_claude_code_model, "
            "litellm_copilot_claude_code_small_fast_model and litellm_copilot_model_preferences); served: %s."
            % (host, ", ".join(unserved), ", ".join(served)))
    return {"routes": routes, "claude_code": claude_code,
            "claude_code_limits": _claude_code_limits(models, served_aliases, claude_code)}


def _claude_code_limits(models, aliases, claude_code):
    """What Claude Code must be told of Copilot's limits, which are smaller than the 200k context and
    32k output it assumes: Copilot refuses a longer prompt with HTTP 400 (prompt token count of N
    exceeds the limit of M) instead of Claude Code compacting the session. The output cap is the
    smallest of the models it calls with it; the compaction window the smallest prompt limit of the
    models a session runs on (main, and opus in plan mode). None where /models lists no limit."""
    by_id = dict((model["id"], model) for model in models)

    def limit(name, key):
        return by_id.get(aliases.get(name, name), {}).get(key) or None

    outputs = [limit(claude_code[use], "max_output_tokens") for use in ("main", "small_fast", "opus")]
    prompts = [limit(claude_code[use], "max_prompt_tokens") for use in ("main", "opus")]
    return {"max_output_tokens": min((n for n in outputs if n), default=None),
            "compact_window": min((n for n in prompts if n), default=None)}


def copilot_client_configs(client_models, models, url, master_key, provider="copilot", ccr_port=3456):
    """What the role writes for the developer: Claude Code's ``env`` settings and Claude-Code-Router's
    config (``ccr`` for 1.x's config.json, ``ccr3`` for 3.x's store), all pointing at the proxy at ``url``.

    ``client_models`` is what :func:`copilot_client_models` chose. Carries the master key.
    """
    claude_code = client_models["claude_code"]
    claude_code_env = {
        "ANTHROPIC_BASE_URL": url,
        "ANTHROPIC_AUTH_TOKEN": master_key,
        "ANTHROPIC_MODEL": claude_code["main"],
        "ANTHROPIC_SMALL_FAST_MODEL": claude_code["small_fast"],
        # Newer Claude Code releases read the small fast model from here.
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": claude_code["small_fast"],
        # What Claude Code's model aliases (sonnet, opus) and plan mode resolve to.
        "ANTHROPIC_DEFAULT_SONNET_MODEL": claude_code["main"],
        "ANTHROPIC_DEFAULT_OPUS_MODEL": claude_code["opus"],
        # No telemetry, error reporting or update checks: the VM talks only to its proxy.
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    # Copilot's limits, not the 200k/32k Claude Code assumes: it compacts a long session in time.
    limits = client_models.get("claude_code_limits") or {}
    if limits.get("max_output_tokens"):
        claude_code_env["CLAUDE_CODE_MAX_OUTPUT_TOKENS"] = str(limits["max_output_tokens"])
    if limits.get("compact_window"):
        claude_code_env["CLAUDE_CODE_AUTO_COMPACT_WINDOW"] = str(limits["compact_window"])
    ccr_models = _ids(models)  # the routes pick among these (copilot_pick)
    return {"claude_code_env": claude_code_env,
            "ccr": _ccr_config(client_models["routes"], ccr_models, url, master_key, provider),
            "ccr3": _ccr3_config(client_models["routes"], ccr_models, url, master_key, provider, ccr_port)}


def _ccr_config(routes, models, url, master_key, provider):
    """Claude-Code-Router 1.x's config.json: the local proxy as its one provider (OpenAI chat
    completions) and a route per kind of work."""
    router = dict((route, provider + "," + model_id) for route, model_id in routes.items())
    router["longContextThreshold"] = CCR_LONG_CONTEXT_TOKENS
    return {
        "LOG": False,
        "API_TIMEOUT_MS": 600000,
        "Providers": [{"name": provider, "api_base_url": url + "/v1/chat/completions", "api_key": master_key,
                       "models": models}],
        "Router": router,
    }


def ccr_client_key(master_key):
    """The key Claude Code presents to Claude-Code-Router 3, which requires one: derived from the
    master key, so it is as stable as the master key, changes with it, and reveals nothing of it."""
    digest = hmac.new(master_key.encode(), b"litellm-copilot claude-code-router", hashlib.sha256).hexdigest()
    return "sk-ccr-" + digest[:48]


def _ccr3_rule(name, description, condition, target):
    """One routing rule in the form Claude-Code-Router 3 stores it (so a re-run compares equal)."""
    rewrite = {"key": "request.body.model", "operation": "set", "value": target}
    return {"id": CCR_RULE_PREFIX + name, "name": description + " (litellm-copilot)", "enabled": True,
            "type": "condition", "condition": condition, "target": target,
            "rewrite": rewrite, "rewrites": [dict(rewrite)]}


def _ccr3_config(routes, models, url, master_key, provider, port):
    """What library/ccr_config.py keeps in Claude-Code-Router 3's store: the proxy as a provider it
    calls on /v1/messages, the routes as ordered rules (the first match wins; 3.x has no default
    route, so Claude model names need a rule), its address, and no profile takeover (it would
    rewrite ~/.claude/settings.json, which the role manages, and copy its key into other apps')."""
    def condition(left, operator, right):
        return {"left": left, "operator": operator, "right": right}
    target = dict((route, provider + "/" + model_id) for route, model_id in routes.items())
    rules = [
        _ccr3_rule("long-context", "Long prompts",
                   condition("request.tokenCount", ">", str(CCR_LONG_CONTEXT_TOKENS)), target["longContext"]),
        # Claude Code plans with its opus model and sends background work to its haiku one.
        _ccr3_rule("think", "Opus-class requests", condition("request.body.model", "contains", "opus"), target["think"]),
        _ccr3_rule("background", "Haiku-class requests", condition("request.body.model", "contains", "haiku"),
                   target["background"]),
        _ccr3_rule("default", "Other Claude requests", condition("request.body.model", "starts-with", "claude"),
                   target["default"]),
    ]
    return {
        "provider": {"name": provider, "baseUrl": url, "apiKey": master_key, "models": models,
                     "capabilities": [{"type": "anthropic_messages", "baseUrl": url}]},
        "rules": rules,
        "rule_prefix": CCR_RULE_PREFIX,
        "settings": {"HOST": "127.0.0.1", "PORT": port, "API_TIMEOUT_MS": 600000,
                     "gateway": {"enabled": True, "host": "127.0.0.1", "port": port},
                     "profile": {"enabled": False, "profiles": []}},
        "api_key": ccr_client_key(master_key),
    }


class FilterModule:
    """The proxy config and the client configs of the Copilot gateway, and the names they serve."""

    def filters(self):
        return {
            "copilot_plan_settings": copilot_plan_settings,
            "copilot_host_plan": copilot_host_plan,
            "copilot_client_configs": copilot_client_configs,
        }
