#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


DOCUMENTATION = r"""
module: copilot_usage_info
short_description: Check a GitHub token's Copilot access and report its plan and premium quota
description:
  - Exchanges the GitHub token for a Copilot token (C(GET <github_api_url>/copilot_internal/v2/token)), which
    proves the token is valid and the account has a Copilot seat, then reads the account's plan, quotas and
    quota reset date (C(GET <github_api_url>/copilot_internal/user)).
  - Read-only; it never changes anything and always reports O(ignore:changed=false).
  - Runs on the host it is called for, so O(github_token_path) names a file on that host.
author:
  - litellm-copilot maintainers
extends_documentation_fragment:
  - copilot_token
options:
  exchange:
    description:
      - Also exchange the token for a Copilot token first, the check LiteLLM itself depends on. With V(false)
        only the usage report is read.
    type: bool
    default: true
notes:
  - Neither the GitHub token nor the Copilot token is ever returned; both are registered as no_log values.
  - On failure the result carries C(error_kind) (V(invalid_token) for a revoked or wrong token, V(no_copilot)
    for an account without a seat, V(unreachable), V(timeout), V(server_error), V(malformed), V(http_error),
    V(empty_token), V(insecure_url)) and C(url), so a report can show the cause instead of aborting (use C(failed_when) false).
seealso:
  - module: copilot_models_info
    description: The models the same seat can use.
  - module: github_device_login
    description: Get a token with the device flow.
"""

EXAMPLES = r"""
- name: Read the Copilot quota of the token the gateway uses
  copilot_usage_info:
    github_token_path: /var/lib/litellm-copilot/github_copilot/access-token
  become: true
  register: usage

- name: Warn when the seat's monthly allowance (premium requests or AI credits) runs low
  ansible.builtin.debug:
    msg: "{{ usage.premium_interactions.percent_remaining }} % of the allowance left until {{ usage.quota_reset_date }}"
  when: not usage.premium_interactions.unlimited and usage.premium_interactions.percent_remaining < 10

- name: Validate a new token before storing it, without aborting on a bad one
  copilot_usage_info:
    github_token: "{{ new_token }}"
  register: checked
  failed_when: false
"""

RETURN = r"""
login:
  description: GitHub login of the token's account.
  type: str
  returned: success
  sample: octocat
plan:
  description: Copilot plan (C(individual), C(business), C(enterprise)), or null.
  type: str
  returned: success
  sample: individual
access_type_sku:
  description: The seat's SKU.
  type: str
  returned: success
  sample: monthly_subscriber
organizations:
  description: Organisations the seat comes from.
  type: list
  elements: str
  returned: success
quota_reset_date:
  description: Day the monthly quotas reset (C(YYYY-MM-DD)), or null.
  type: str
  returned: success
  sample: '2026-12-01'
premium_interactions:
  description:
    - The seat's monthly allowance; null when the answer has none. It counts premium requests on an annual seat and
      1/10000 AI credits on a credit seat (billed by the token since 2026-06-01); the answer does not say which.
  type: dict
  returned: success
  contains:
    unlimited:
      description: Whether the quota is unlimited.
      type: bool
    entitlement:
      description: The allowance per month (premium requests, or AI credits times 10000).
      type: float
      sample: 300
    used:
      description: The allowance used this month (entitlement minus remaining).
      type: float
      sample: 12.33
    remaining:
      description: The allowance left.
      type: float
      sample: 287.67
    percent_used:
      description: Percent of the entitlement used.
      type: float
      sample: 4.1
    percent_remaining:
      description: Percent of the entitlement left.
      type: float
      sample: 95.9
    overage_count:
      description: Premium requests beyond the entitlement.
      type: float
    overage_permitted:
      description: Whether requests beyond the entitlement are allowed (and billed).
      type: bool
quotas:
  description: Every quota snapshot (C(premium_interactions), C(chat), C(completions)), same fields as RV(premium_interactions).
  type: dict
  returned: success
copilot:
  description: What the token exchange said (only with O(exchange=true)); no token in it.
  type: dict
  returned: success
  contains:
    sku:
      description: The Copilot token's SKU.
      type: str
    api_base:
      description: The Copilot API base URL of the seat.
      type: str
    expires_at:
      description: When the exchanged Copilot token expires (unix seconds).
      type: int
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.copilot.endpoints import api_base, read_github_token
from ansible.module_utils.copilot.modules import TOKEN_OPTION_RULES, run_module, token_argument_spec, token_client
from ansible.module_utils.copilot.usage import parse_usage


def argument_spec():
    return token_argument_spec(exchange=dict(type='bool', default=True))


def run(module, client):
    params = module.params
    token = read_github_token(params['github_token'], params['github_token_path'])
    client.add_secret(token)
    result = dict(changed=False)
    if params['exchange']:
        exchanged = client.exchange_token(token)
        result['copilot'] = {
            'sku': exchanged.get('sku'),
            'api_base': api_base(exchanged, client.allow_insecure_http),
            'expires_at': exchanged.get('expires_at'),
        }
    result.update(parse_usage(client.get_usage(token)))
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **TOKEN_OPTION_RULES)
    run_module(module, token_client(module), run)


if __name__ == '__main__':
    main()
