#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


DOCUMENTATION = r"""
module: copilot_models_info
short_description: List the GitHub Copilot models a seat can use
description:
  - Exchanges a GitHub token for a short-lived Copilot token
    (C(GET <github_api_url>/copilot_internal/v2/token)) and lists the models of the seat's
    Copilot API (C(GET <api_base>/models)), sending the headers of an IDE plugin.
  - Returns the models, flattened and filtered by id globs, type, policy state and model
    picker visibility, ready to generate a LiteLLM C(model_list).
  - Read-only; it never changes anything and always reports O(ignore:changed=false).
  - Runs on the managed host, so O(github_token_path) names a file on that host and the
    host needs network access to GitHub and to the Copilot API.
  - With O(last_good_path), an outage of GitHub or Copilot (C(error_kind) V(unreachable), V(timeout),
    V(server_error) or V(malformed)) is answered from the host's last good model list instead, with a
    warning naming the cause. A token or account error always fails.
author:
  - litellm-copilot maintainers
extends_documentation_fragment:
  - copilot_token
options:
  api_base:
    description:
      - Copilot API base URL to list the models from, without C(/models).
      - Empty (the default) uses the C(endpoints.api) of the exchanged token, which depends on
        the plan (C(https://api.githubcopilot.com), C(https://api.business.githubcopilot.com),
        C(https://api.enterprise.githubcopilot.com)).
    type: str
    default: ''
  include:
    description:
      - Shell-style globs (C(*), C(?), C([...])) matched case-insensitively against the model id;
        a model is kept if it matches any of them.
      - An empty list behaves like the default.
    type: list
    elements: str
    default: ['*']
  exclude:
    description:
      - Globs matched against the model id; a model matching any of them is dropped, even if
        O(include) selects it.
    type: list
    elements: str
    default: []
  types:
    description:
      - Model types to keep, as reported in C(capabilities.type) (C(chat), C(embeddings)).
      - An empty list keeps every type.
    type: list
    elements: str
    default: ['chat']
  enabled_only:
    description:
      - Keep only models whose policy state is C(enabled). Models without a policy object
        (older entries) count as enabled.
      - Set to V(false) to also see models disabled or not yet configured by the user or the
        organisation's Copilot policies.
    type: bool
    default: true
  picker_only:
    description:
      - Keep only models shown in the IDE model picker (C(model_picker_enabled)). Hidden entries
        are internal or legacy versions.
    type: bool
    default: true
  last_good_path:
    description:
      - A file on the managed host holding a last good model list, the RV(record) of an earlier run
        as JSON (more keys, such as C(local_url), may be added to it).
      - During an outage the module answers from that file - the same keys as a live answer, with
        RV(source=last_good) - when it was recorded for the same question (same O(github_api_url),
        O(api_base), O(headers) and filters). Every stored model gets the checks of a live one (the id
        check, the normalisation and the filters), and the stored API base the URL checks.
      - A missing, unreadable or invalid file, or one recorded for other settings, fails with the
        outage's error and the reason there is nothing to fall back to.
      - Unset, an outage fails.
    type: path
notes:
  - Neither the GitHub token nor the exchanged Copilot token is ever returned, and error messages
    never contain them. The token read from O(github_token_path) and the Copilot token are also
    registered as no_log values, so Ansible masks them should they appear anywhere in the result.
  - The Copilot token is short-lived (about 30 minutes); the module exchanges a new one each run.
  - On failure the result carries C(error_kind) (V(invalid_token), V(no_copilot), V(unreachable), V(timeout),
    V(server_error), V(malformed), V(http_error), V(empty_token), V(insecure_url) or V(unsupported_client)),
    C(url) and, when there was an HTTP answer, C(status).
  - V(unsupported_client) is Copilot's HTTP 466 for an editor version it no longer serves; the message names
    the C(editor-version) sent. Send a current one through O(headers).
  - Model ids are route names in the generated LiteLLM config, so only plain names (a letter or digit, then
    letters, digits, C(.), C(_) or C(-), at most 100 characters) are returned; other entries, such as an id
    C(*), are skipped with a warning naming them.
  - A response body larger than 4 MiB, or a number out of range (C(1e400)), is V(malformed).
  - The last good model list holds no secret (O(headers) without C(Authorization), never a token); keep
    it readable by the service user only all the same.
seealso:
  - name: LiteLLM GitHub Copilot provider
    description: How LiteLLM talks to GitHub Copilot.
    link: https://docs.litellm.ai/docs/providers/github_copilot
  - name: Copilot settings
    description: The seat and the model policies of a GitHub account.
    link: https://github.com/settings/copilot
"""

EXAMPLES = r"""
- name: List the chat models the seat can use
  copilot_models_info:
    github_token_path: /var/lib/litellm/.config/litellm/github_copilot/access-token
  register: copilot_models

- name: Show their ids
  ansible.builtin.debug:
    var: copilot_models.model_ids

- name: Pick Claude and GPT-5 models, but no Codex
  copilot_models_info:
    github_token: "{{ vault_github_copilot_token }}"
    include:
      - "claude-*"
      - "gpt-5*"
    exclude:
      - "*codex*"
  register: picked

- name: Show every model the seat lists, to help write include/exclude
  ansible.builtin.debug:
    msg: "{{ picked.available_models | join(', ') }}"

- name: Build a LiteLLM model_list from the selection
  ansible.builtin.set_fact:
    litellm_model_list: >-
      {{ litellm_model_list | default([]) + [{
           'model_name': item.id,
           'litellm_params': {'model': 'github_copilot/' ~ item.id},
           'model_info': {'mode': item.mode, 'max_tokens': item.max_output_tokens}
         }] }}
  loop: "{{ picked.models }}"
  loop_control:
    label: "{{ item.id }}"

- name: Embeddings models too, including ones hidden from the picker
  copilot_models_info:
    github_token_path: "{{ litellm_token_dir }}/access-token"
    types: [chat, embeddings]
    picker_only: false
  register: all_models

- name: A GitHub Enterprise Cloud tenant with data residency, newer IDE headers, fail fast
  copilot_models_info:
    github_token: "{{ vault_github_copilot_token }}"
    github_api_url: https://api.octocorp.ghe.com
    api_base: https://copilot-api.octocorp.ghe.com
    headers:
      editor-version: vscode/1.99.0
    timeout: 10
    retries: 0
  register: ghe_models

- name: Ride out an outage of GitHub or Copilot on the list that last worked
  copilot_models_info:
    github_token_path: /var/lib/litellm/.config/litellm/github_copilot/access-token
    last_good_path: /var/lib/litellm/models.last-good.json
  register: served

- name: Keep this answer as the last good model list once the proxy is healthy with it
  ansible.builtin.copy:
    content: "{{ served.record | to_nice_json }}\n"
    dest: /var/lib/litellm/models.last-good.json
    mode: "0600"
  when: served.source == 'live'
"""

RETURN = r"""
models:
  description:
    - The models that pass the filters, in the order the API lists them, each id once.
  type: list
  elements: dict
  returned: success
  contains:
    id:
      description: Model id, as used in C(github_copilot/<id>).
      type: str
      sample: claude-sonnet-4.5
    name:
      description: Display name (the id if the API gives none).
      type: str
      sample: Claude Sonnet 4.5
    vendor:
      description: Vendor, or null.
      type: str
      sample: Anthropic
    version:
      description: Version string, or null.
      type: str
      sample: claude-sonnet-4.5
    type:
      description: Model type from C(capabilities.type).
      type: str
      sample: chat
    family:
      description: Model family, or null.
      type: str
      sample: claude-sonnet-4.5
    preview:
      description: Whether the model is a preview.
      type: bool
      sample: false
    picker_enabled:
      description: Whether the IDE model picker shows the model.
      type: bool
      sample: true
    policy_state:
      description: C(enabled), C(disabled) or C(unconfigured); C(enabled) when the API gives no policy.
      type: str
      sample: enabled
    premium:
      description: Whether requests count against the premium quota.
      type: bool
      sample: true
    multiplier:
      description: Premium request multiplier, or null.
      type: float
      sample: 1.0
    max_context_tokens:
      description: Context window in tokens, or null.
      type: int
      sample: 200000
    max_prompt_tokens:
      description: Maximum prompt tokens, or null.
      type: int
      sample: 128000
    max_output_tokens:
      description: Maximum output tokens, or null.
      type: int
      sample: 16000
    supports_tools:
      description: Tool calls supported.
      type: bool
      sample: true
    supports_parallel_tool_calls:
      description: Parallel tool calls supported.
      type: bool
      sample: true
    supports_vision:
      description: Image input supported.
      type: bool
      sample: true
    supports_streaming:
      description: Streaming supported.
      type: bool
      sample: true
    supports_structured_outputs:
      description: Structured outputs supported.
      type: bool
      sample: false
    reasoning_efforts:
      description: Accepted reasoning effort levels, empty if none.
      type: list
      elements: str
      sample: [low, medium, high]
    supported_endpoints:
      description: API endpoints the model answers, empty if the API does not say.
      type: list
      elements: str
      sample: [/chat/completions, /v1/messages]
    mode:
      description:
        - C(embedding) for embeddings models; C(responses) when the model only answers C(/responses)
          (Codex-class models); C(chat) otherwise. Suitable for LiteLLM's C(model_info.mode).
      type: str
      sample: chat
  sample:
    - id: claude-sonnet-4.5
      name: Claude Sonnet 4.5
      vendor: Anthropic
      version: claude-sonnet-4.5
      type: chat
      family: claude-sonnet-4.5
      preview: false
      picker_enabled: true
      policy_state: enabled
      premium: true
      multiplier: 1.0
      max_context_tokens: 200000
      max_prompt_tokens: 128000
      max_output_tokens: 16000
      supports_tools: true
      supports_parallel_tool_calls: true
      supports_vision: true
      supports_streaming: true
      supports_structured_outputs: false
      reasoning_efforts: []
      supported_endpoints: [/chat/completions, /v1/messages]
      mode: chat
model_ids:
  description: The ids of RV(models).
  type: list
  elements: str
  returned: success
  sample: [gpt-4.1, gpt-5-mini, claude-sonnet-4.5]
available_models:
  description:
    - The ids of all models the seat lists, before any filter, each once.
    - Helps writing O(include) and O(exclude).
  type: list
  elements: str
  returned: success
  sample: [gpt-4.1, gpt-4o, gpt-5-mini, gpt-5-codex, claude-sonnet-4.5, text-embedding-3-small]
api_base:
  description: The Copilot API base URL the models were listed from.
  type: str
  returned: success
  sample: https://api.business.githubcopilot.com
sku:
  description: The Copilot plan SKU reported by the token exchange, or null.
  type: str
  returned: success
  sample: copilot_for_business_seat
individual:
  description: Whether the seat is an individual (not organisation) one.
  type: bool
  returned: success
  sample: false
copilot_token_expires_at:
  description:
    - When the exchanged Copilot token expires, in Unix seconds, or null. The token itself is never returned.
    - Null when the answer comes from the last good model list.
  type: int
  returned: success
  sample: 1767225600
source:
  description:
    - V(live) when the models come from Copilot now; V(last_good) when discovery hit an outage and the
      answer comes from O(last_good_path).
  type: str
  returned: success
  sample: live
fallback_reason:
  description: Empty for a live answer; else the outage, its C(error_kind), a colon and its message.
  type: str
  returned: success
  sample: "server_error: https://api.github.com/copilot_internal/v2/token answered HTTP 502 (server error)"
record:
  description:
    - What a last good model list keeps of this answer - write it as JSON to the file O(last_good_path)
      names, once the answer has proven good.
    - C(query) is the question asked (O(github_api_url), O(api_base), O(headers) without C(Authorization),
      O(include), O(exclude), O(types), O(enabled_only), O(picker_only)); C(discovery) holds RV(models),
      RV(model_ids), RV(available_models), RV(api_base), RV(sku) and RV(individual).
  type: dict
  returned: success
  sample:
    query:
      github_api_url: https://api.github.com
      api_base: ''
      headers: {}
      include: ['*']
      exclude: []
      types: [chat]
      enabled_only: true
      picker_only: true
    discovery:
      models: []
      model_ids: []
      available_models: []
      api_base: https://api.githubcopilot.com
      sku: monthly_subscriber_quota
      individual: true
error_kind:
  description: Category of the failure.
  type: str
  returned: failure
  sample: invalid_token
url:
  description: The URL the failure concerns.
  type: str
  returned: failure
  sample: https://api.github.com/copilot_internal/v2/token
status:
  description: The HTTP status of the failure, when there was an HTTP answer.
  type: int
  returned: failure, when an HTTP status was received
  sample: 401
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.copilot.catalogue import filter_models, normalize_model, split_model_ids, unique_ids
from ansible.module_utils.copilot.endpoints import api_base as token_api_base, read_github_token
from ansible.module_utils.copilot.errors import CopilotError
from ansible.module_utils.copilot.files import read_regular_file
from ansible.module_utils.copilot.http import require_secure_url
from ansible.module_utils.copilot.modules import TOKEN_OPTION_RULES, run_module, token_argument_spec, token_client


# Failures of GitHub or Copilot, not of the token or the seat: only these may fall back to the
# last good model list. A bad token fails however recent the list is.
OUTAGE_KINDS = ('unreachable', 'timeout', 'server_error', 'malformed')

# The options that make up the question discovery asks: a last good model list stands in only
# for the same question (another API, other headers or filters would give other models).
QUERY_OPTIONS = ('github_api_url', 'api_base', 'headers', 'include', 'exclude', 'types', 'enabled_only',
                 'picker_only')

# Where normalize_model() finds each field of a normalised model in a /models entry. A stored
# model goes back into that shape and through normalize_model() and the id check again, so a
# last good list gets exactly the checks a live one gets (the file may have been edited).
# `mode` is not stored input: normalize_model() derives it from the type and the endpoints.
_RAW_PATHS = (
    ('id', ('id',)),
    ('name', ('name',)),
    ('vendor', ('vendor',)),
    ('version', ('version',)),
    ('type', ('capabilities', 'type')),
    ('family', ('capabilities', 'family')),
    ('preview', ('preview',)),
    ('picker_enabled', ('model_picker_enabled',)),
    ('policy_state', ('policy', 'state')),
    ('premium', ('billing', 'is_premium')),
    ('multiplier', ('billing', 'multiplier')),
    ('max_context_tokens', ('capabilities', 'limits', 'max_context_window_tokens')),
    ('max_prompt_tokens', ('capabilities', 'limits', 'max_prompt_tokens')),
    ('max_output_tokens', ('capabilities', 'limits', 'max_output_tokens')),
    ('supports_tools', ('capabilities', 'supports', 'tool_calls')),
    ('supports_parallel_tool_calls', ('capabilities', 'supports', 'parallel_tool_calls')),
    ('supports_vision', ('capabilities', 'supports', 'vision')),
    ('supports_streaming', ('capabilities', 'supports', 'streaming')),
    ('supports_structured_outputs', ('capabilities', 'supports', 'structured_outputs')),
    ('reasoning_efforts', ('capabilities', 'supports', 'reasoning_effort')),
    ('supported_endpoints', ('supported_endpoints',)),
)


class Unusable(Exception):
    """Why the last good model list cannot stand in for a live answer (one clause of a message)."""


def argument_spec():
    return token_argument_spec(
        api_base=dict(type='str', default=''),
        include=dict(type='list', elements='str', default=['*']),
        exclude=dict(type='list', elements='str', default=[]),
        types=dict(type='list', elements='str', default=['chat']),
        enabled_only=dict(type='bool', default=True),
        picker_only=dict(type='bool', default=True),
        last_good_path=dict(type='path'),
    )


def _expires_at(value):
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def query(params):
    """The question this run asks, as a last good model list records it. Never a credential: the
    module sets Authorization itself and ignores one given in headers, so it is left out."""
    asked = dict((name, params[name]) for name in QUERY_OPTIONS)
    asked['headers'] = dict((key, value) for key, value in (params['headers'] or {}).items()
                            if str(key).strip().lower() != 'authorization')
    return asked


def as_raw(model):
    """A stored (normalised) model back in the shape of a /models entry."""
    raw = {}
    if not isinstance(model, dict):
        return raw
    for field, path in _RAW_PATHS:
        if field in model:
            node = raw
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = model[field]
    return raw


def answer(module, entries, origin, available, api_base, sku, individual, source, fallback_reason=''):
    """The module's result from /models entries, live or stored: the same checks and shape either way."""
    params = module.params
    # An id becomes a route name in LiteLLM's config: '*' would catch every request.
    kept, skipped = split_model_ids(entries)
    if skipped:
        module.warn("skipped %d model(s) from %s whose id is not a plain model name (letters, digits, "
                    "'.', '_', '-'): %s" % (len(skipped), origin, ', '.join(skipped)))
    normalized = [normalize_model(raw) for raw in kept]
    selected = filter_models(
        normalized,
        include=params['include'],
        exclude=params['exclude'],
        types=params['types'],
        enabled_only=params['enabled_only'],
        picker_only=params['picker_only'],
    )
    discovery = dict(
        models=selected,
        model_ids=[model['id'] for model in selected],
        # a stored list of ids gets the id check too; a live one is the ids of the entries kept
        available_models=unique_ids(normalized if available is None
                                    else split_model_ids([{'id': model_id} for model_id in available])[0]),
        api_base=api_base,
        sku=sku if isinstance(sku, str) and sku else None,
        individual=individual is True,
    )
    return dict(discovery, changed=False, source=source, fallback_reason=fallback_reason,
                record=dict(query=query(params), discovery=discovery))


def live(module, client):
    params = module.params
    github_token = read_github_token(params['github_token'], params['github_token_path'])
    client.add_secret(github_token)

    base = (params['api_base'] or '').strip().rstrip('/')
    if base:
        # before the exchange: a refused api_base must not cost a token exchange either
        require_secure_url(base, 'api_base', client.allow_insecure_http)
    exchange = client.exchange_token(github_token)
    if not base:
        base = token_api_base(exchange, client.allow_insecure_http)

    entries = client.list_models(exchange['token'], base)
    result = answer(module, entries, '%s/models' % base, available=None, api_base=base, sku=exchange.get('sku'),
                    individual=bool(exchange.get('individual', False)), source='live')
    result['copilot_token_expires_at'] = _expires_at(exchange.get('expires_at'))
    return result


# A list of a few hundred models is some 100 KB; a file far larger is not ours.
LAST_GOOD_LIMIT = 16 * 1024 * 1024


def read_last_good(path, asked):
    """The discovery part of the last good model list at ``path`` if it answers ``asked``, else Unusable."""
    try:
        text = read_regular_file(path, LAST_GOOD_LIMIT).decode('utf-8')
    except FileNotFoundError:
        raise Unusable('there is no last good model list at %s' % path)
    except (IOError, OSError, UnicodeDecodeError) as exc:
        raise Unusable('the last good model list at %s cannot be read (%s)' % (path, getattr(exc, 'strerror', None)
                                                                               or exc.__class__.__name__))
    try:
        record = json.loads(text)
    except ValueError:
        raise Unusable('the last good model list at %s is not valid JSON' % path)
    stored = record.get('discovery') if isinstance(record, dict) else None
    if not isinstance(stored, dict) or not isinstance(stored.get('models'), list):
        raise Unusable('the last good model list at %s holds no model list' % path)
    if record.get('query') != asked:
        raise Unusable('the last good model list answers other settings (API URL, headers or model filters changed)')
    return stored


def last_good(module, client, outage):
    """The last good model list at last_good_path, checked like a live one, standing in during an outage."""
    path = module.params['last_good_path']
    stored = read_last_good(path, query(module.params))
    base = stored.get('api_base')
    try:
        # the proxy sends the Copilot token there: the stored URL gets the live URL's check
        base = require_secure_url(base, 'the api_base of %s' % path, client.allow_insecure_http).rstrip('/')
    except CopilotError as exc:
        raise Unusable(exc.message)
    available = stored.get('available_models')
    result = answer(module, [as_raw(model) for model in stored['models']], 'the last good model list %s' % path,
                    available=available if isinstance(available, list) else [], api_base=base,
                    sku=stored.get('sku'), individual=stored.get('individual'), source='last_good',
                    fallback_reason='%s: %s' % (outage.kind, outage.message))
    if not result['models']:
        raise Unusable('the last good model list at %s holds no model that passes the checks and filters' % path)
    result['copilot_token_expires_at'] = None
    module.warn('model discovery failed (%s); serving the last good model list %s instead'
                % (result['fallback_reason'], path))
    return result


def run(module, client):
    try:
        return live(module, client)
    except CopilotError as outage:
        if outage.kind not in OUTAGE_KINDS or not module.params['last_good_path']:
            raise
        try:
            return last_good(module, client, outage)
        except Unusable as why:
            raise CopilotError(outage.kind, '%s (%s, so there is nothing to fall back to)' % (outage.message, why),
                               url=outage.url, status=outage.status)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **TOKEN_OPTION_RULES)
    run_module(module, token_client(module), run)


if __name__ == '__main__':
    main()
