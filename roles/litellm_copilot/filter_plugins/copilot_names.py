# -*- coding: utf-8 -*-
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Model names clients ask for, and which served model a client should use.

Copilot names Claude models with dots (``claude-sonnet-4.5``); Claude Code and the Anthropic
SDKs use dashes (``claude-sonnet-4-5``), dated names (``claude-sonnet-4-5-20250929``) and
versionless families. These filters compute, once per host, every extra name the proxy serves
and the model each one points at. Pure functions over the models ``copilot_models_info``
returns, so they are unit-tested without Ansible.
"""

import fnmatch
import re

from ansible.errors import AnsibleFilterError

# claude-<family>-<version> (current naming) or claude-<version>-<family> (Claude 3.x naming).
_CLAUDE_NEW = re.compile(r"^claude-(?P<family>[a-z]+)-(?P<version>\d+(?:\.\d+)*)$")
_CLAUDE_OLD = re.compile(r"^claude-(?P<version>\d+(?:\.\d+)*)-(?P<family>[a-z]+)$")


def _ids(models):
    return [model["id"] for model in models]


def _claude_family(model_id):
    """(family, version tuple) of a Claude model id, or None (e.g. a ``-thought`` variant)."""
    match = _CLAUDE_NEW.match(model_id) or _CLAUDE_OLD.match(model_id)
    if not match:
        return None
    return match.group("family"), tuple(int(part) for part in match.group("version").split("."))


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


def copilot_aliases(models, user_aliases=None):
    """Every alias the proxy serves: Claude Code's names, then the user's (which win).

    A user alias whose target was not discovered, or whose name is a discovered id, is an error
    naming the alias.
    """
    ids = _ids(models)
    aliases = claude_aliases(models)
    for name, target in sorted((user_aliases or {}).items()):
        if target not in ids:
            raise AnsibleFilterError(
                "model alias '%s' points at '%s', which this seat does not serve (served: %s)"
                % (name, target, ", ".join(sorted(ids))))
        if name in ids:
            raise AnsibleFilterError(
                "model alias '%s' is already the id of a served model; choose another name" % name)
        aliases[name] = target
    return dict(sorted(aliases.items()))


def claude_dated_patterns(models):
    """Wildcard names for the dated ids Claude Code sends (``claude-sonnet-4-5-20250929``).

    ``<dash form>-2*``: a date suffix starts with the millennium digit, so the pattern of
    ``claude-sonnet-4`` does not swallow ``claude-sonnet-4-5-…``.
    """
    return {model_id.replace(".", "-") + "-2*": model_id
            for model_id in _ids(models) if _claude_family(model_id)}


def copilot_served_names(models, user_aliases=None):
    """Sorted names ``/v1/models`` lists: the discovered ids and every alias."""
    return sorted(set(_ids(models)) | set(copilot_aliases(models, user_aliases)))


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


def copilot_quota_fallback(models, setting, preferences):
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
        raise AnsibleFilterError(
            "litellm_copilot_quota_fallback '%s' is not a model this seat serves (served: %s)"
            % (setting, ", ".join(sorted(by_id))))
    if by_id[setting].get("premium"):
        raise AnsibleFilterError(
            "litellm_copilot_quota_fallback '%s' costs premium requests itself, so it cannot answer once "
            "the allowance is spent; choose an included model (%s) or 'auto'"
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


def copilot_rpm(model_id, default, overrides=None):
    """Requests per minute for a model: an exact override, else the first matching glob, else default."""
    overrides = overrides or {}
    if model_id in overrides:
        return int(overrides[model_id])
    for pattern, value in overrides.items():
        if fnmatch.fnmatchcase(model_id, pattern):
            return int(value)
    return int(default)


class FilterModule:
    """Model names and choices for clients of the Copilot gateway."""

    def filters(self):
        return {
            "copilot_aliases": copilot_aliases,
            "copilot_dated_patterns": claude_dated_patterns,
            "copilot_served_names": copilot_served_names,
            "copilot_pick": copilot_pick,
            "copilot_quota_fallback": copilot_quota_fallback,
            "copilot_quota_fallbacks": copilot_quota_fallbacks,
            "copilot_rpm": copilot_rpm,
        }
