# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``/models`` catalogue: which entries are usable, each one flattened, and the selection."""

from __future__ import annotations

import fnmatch
import json
import re

from ansible.module_utils.common.text.converters import to_text

from ansible.module_utils.copilot.coerce import as_bool, as_dict, as_float, as_int, as_str, as_str_list


# Model ids as Copilot names them (claude-sonnet-4.5, gpt-5-mini, o3-mini, text-embedding-3-small). Ids
# become LiteLLM route names, config keys and parts of URLs: anything else, a glob such as '*' above
# all (a catch-all route), is skipped. fullmatch, so no trailing newline slips through.
MODEL_ID_PATTERN = re.compile(r'[A-Za-z0-9][A-Za-z0-9._-]{0,99}')


def normalize_model(raw):
    """Flatten one ``/models`` entry into a stable dict (missing fields tolerated)."""
    raw = as_dict(raw)
    caps = as_dict(raw.get('capabilities'))
    limits = as_dict(caps.get('limits'))
    supports = as_dict(caps.get('supports'))
    billing = as_dict(raw.get('billing'))
    policy = raw.get('policy')

    model_id = to_text(raw.get('id') or '')
    model_type = (as_str(caps.get('type')) or 'chat').lower()
    endpoints = as_str_list(raw.get('supported_endpoints'))
    if model_type in ('embeddings', 'embedding'):
        mode = 'embedding'
    elif endpoints and '/chat/completions' not in endpoints:
        mode = 'responses'
    else:
        mode = 'chat'

    if isinstance(policy, dict):
        policy_state = (as_str(policy.get('state')) or 'enabled').lower()
    else:
        policy_state = 'enabled'

    return {
        'id': model_id,
        'name': as_str(raw.get('name')) or model_id,
        'vendor': as_str(raw.get('vendor')),
        'version': as_str(raw.get('version')),
        'type': model_type,
        'family': as_str(caps.get('family')),
        'preview': as_bool(raw.get('preview', False)),
        'picker_enabled': as_bool(raw.get('model_picker_enabled', False)),
        'policy_state': policy_state,
        'premium': as_bool(billing.get('is_premium', False)),
        'multiplier': as_float(billing.get('multiplier')),
        'max_context_tokens': as_int(limits.get('max_context_window_tokens')),
        'max_prompt_tokens': as_int(limits.get('max_prompt_tokens')),
        'max_output_tokens': as_int(limits.get('max_output_tokens')),
        'supports_tools': as_bool(supports.get('tool_calls', False)),
        'supports_parallel_tool_calls': as_bool(supports.get('parallel_tool_calls', False)),
        'supports_vision': as_bool(supports.get('vision', False)),
        'supports_streaming': as_bool(supports.get('streaming', False)),
        'supports_structured_outputs': as_bool(supports.get('structured_outputs', False)),
        'reasoning_efforts': as_str_list(supports.get('reasoning_effort')),
        'supported_endpoints': endpoints,
        'mode': mode,
    }


def _globs(patterns, default):
    if patterns is None:
        return list(default)
    if isinstance(patterns, str):
        patterns = [patterns]
    patterns = [to_text(p).strip().lower() for p in patterns if p is not None and to_text(p).strip()]
    return patterns if patterns else list(default)


def _matches(model_id, patterns):
    model_id = model_id.lower()
    return any(fnmatch.fnmatchcase(model_id, pattern) for pattern in patterns)


def split_model_ids(models):
    """Split raw ``/models`` entries into those with a valid id and the ids skipped.

    Returns ``(kept, skipped)``: the entries whose id matches :data:`MODEL_ID_PATTERN`, and
    the others' ids quoted as JSON strings (cut to 60 characters), fit to name in a warning.
    """
    kept, skipped = [], []
    for model in models or []:
        model_id = model.get('id') if isinstance(model, dict) else None
        if isinstance(model_id, str) and MODEL_ID_PATTERN.fullmatch(model_id):
            kept.append(model)
        else:
            shown = json.dumps(model_id if isinstance(model_id, str) else to_text(model_id))
            skipped.append(shown if len(shown) <= 60 else shown[:56] + '..."')
    return kept, skipped


def unique_ids(models):
    """Model ids in order, each once."""
    seen = set()
    ids = []
    for model in models:
        model_id = model.get('id') if isinstance(model, dict) else None
        if model_id and model_id not in seen:
            seen.add(model_id)
            ids.append(model_id)
    return ids


def filter_models(models, include=None, exclude=None, types=None, enabled_only=True, picker_only=True):
    """Select normalized models.

    :param include: globs on the id (case-insensitive); empty/None means ``["*"]``.
    :param exclude: globs on the id; a model matching any of them is dropped.
    :param types: model types to keep (``chat``, ``embeddings`` ...); empty/None keeps all.
    :param enabled_only: keep only models whose policy state is ``enabled``.
    :param picker_only: keep only models shown in the IDE model picker.

    The API order is kept; when an id occurs more than once the first entry
    that passes the filters wins.
    """
    include = _globs(include, ['*'])
    exclude = _globs(exclude, [])
    wanted_types = set(t.lower() for t in _globs(types, []))
    selected = []
    seen = set()
    for model in models or []:
        if not isinstance(model, dict) or not model.get('id'):
            continue
        model_id = model['id']
        if model_id in seen:
            continue
        if not _matches(model_id, include):
            continue
        if exclude and _matches(model_id, exclude):
            continue
        if wanted_types and (model.get('type') or '').lower() not in wanted_types:
            continue
        if enabled_only and model.get('policy_state', 'enabled') != 'enabled':
            continue
        if picker_only and not model.get('picker_enabled'):
            continue
        seen.add(model_id)
        selected.append(model)
    return selected
