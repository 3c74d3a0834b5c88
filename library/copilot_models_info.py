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
author:
  - litellm-copilot maintainers
attributes:
  check_mode:
    support: full
    description: Can run in check mode; the module makes the same read-only requests.
    details: This action does not modify state.
  diff_mode:
    support: N/A
    description: Returns no diff.
    details: This action does not modify state.
options:
  github_token:
    description:
      - The GitHub OAuth token of the Copilot user (C(gho_...)), as written by the device login.
      - Mutually exclusive with O(github_token_path); one of the two is required.
      - Surrounding whitespace is stripped; an empty value fails.
    type: str
  github_token_path:
    description:
      - Path of a file on the managed host that holds the GitHub token, for example LiteLLM's
        C(~/.config/litellm/github_copilot/access-token).
      - Mutually exclusive with O(github_token); one of the two is required.
      - Surrounding whitespace is stripped; a missing, unreadable or empty file fails.
    type: path
  github_api_url:
    description:
      - Root of the GitHub API that performs the token exchange.
      - For GitHub Enterprise Cloud with data residency use C(https://api.<subdomain>.ghe.com).
    type: str
    default: https://api.github.com
  api_base:
    description:
      - Copilot API base URL to list the models from, without C(/models).
      - Empty (the default) uses the C(endpoints.api) of the exchanged token, which depends on
        the plan (C(https://api.githubcopilot.com), C(https://api.business.githubcopilot.com),
        C(https://api.enterprise.githubcopilot.com)).
    type: str
    default: ''
  headers:
    description:
      - HTTP headers that override the IDE headers sent with every request. Keys are case-insensitive;
        a null value removes a header.
      - The defaults are C(editor-version=vscode/1.95.0), C(editor-plugin-version=copilot-chat/0.26.7),
        C(user-agent=GitHubCopilotChat/0.26.7), C(copilot-integration-id=vscode-chat) and
        C(accept=application/json).
      - An C(Authorization) header given here is ignored; the module sets it from the tokens.
    type: dict
    default: {}
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
  timeout:
    description:
      - Seconds to wait for each HTTP request.
    type: int
    default: 30
  retries:
    description:
      - How many more times to try a request after a transient failure (connection error, timeout,
        HTTP 5xx, HTTP 429), with a short growing pause. HTTP 401, 403 and 404 are never retried.
    type: int
    default: 2
  validate_certs:
    description:
      - Verify the TLS certificates of GitHub and of the Copilot API.
      - Set to V(false) only against a test server; behind a TLS-intercepting proxy install its CA instead.
    type: bool
    default: true
  allow_insecure_http:
    description:
      - Also accept C(http://) URLs for O(github_api_url), O(api_base) and the C(endpoints.api) of the
        token exchange. Every request carries a credential, so without this option a plain C(http://)
        URL fails with C(error_kind=insecure_url) before anything is sent.
      - Set to V(true) only for a local test server such as the Copilot simulator.
    type: bool
    default: false
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
  description: When the exchanged Copilot token expires, in Unix seconds, or null. The token itself is never returned.
  type: int
  returned: success
  sample: 1767225600
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

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.copilot import (
    TOKEN_OPTION_RULES,
    api_base as token_api_base,
    filter_models,
    normalize_model,
    read_github_token,
    require_secure_url,
    run_module,
    split_model_ids,
    token_argument_spec,
    token_client,
    unique_ids,
)


def argument_spec():
    return token_argument_spec(
        api_base=dict(type='str', default=''),
        include=dict(type='list', elements='str', default=['*']),
        exclude=dict(type='list', elements='str', default=[]),
        types=dict(type='list', elements='str', default=['chat']),
        enabled_only=dict(type='bool', default=True),
        picker_only=dict(type='bool', default=True),
    )


def _expires_at(value):
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def run(module, client):
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

    # An id becomes a route name in LiteLLM's config: '*' would catch every request.
    raw_models, skipped = split_model_ids(client.list_models(exchange['token'], base))
    if skipped:
        module.warn('skipped %d model(s) from %s/models whose id is not a plain model name (letters, digits, '
                    "'.', '_', '-'): %s" % (len(skipped), base, ', '.join(skipped)))
    normalized = [normalize_model(raw) for raw in raw_models]
    selected = filter_models(
        normalized,
        include=params['include'],
        exclude=params['exclude'],
        types=params['types'],
        enabled_only=params['enabled_only'],
        picker_only=params['picker_only'],
    )
    sku = exchange.get('sku')
    return dict(
        changed=False,
        models=selected,
        model_ids=[model['id'] for model in selected],
        available_models=unique_ids(normalized),
        api_base=base,
        sku=sku if isinstance(sku, str) and sku else None,
        individual=bool(exchange.get('individual', False)),
        copilot_token_expires_at=_expires_at(exchange.get('expires_at')),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **TOKEN_OPTION_RULES)
    run_module(module, token_client(module), run)


if __name__ == '__main__':
    main()
