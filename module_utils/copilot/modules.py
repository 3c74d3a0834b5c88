# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the modules in ``library/`` share: the token options (documented once, in the
``copilot_token`` doc fragment), their checks, and the run loop that turns a
:class:`~ansible.module_utils.copilot.errors.CopilotError` into a failed result."""

from __future__ import annotations

from ansible.module_utils.copilot.endpoints import DEFAULT_GITHUB_API_URL, CopilotClient
from ansible.module_utils.copilot.errors import CopilotError


def token_argument_spec(**extra):
    """The options of every module that calls GitHub with a user's token, plus ``extra``."""
    spec = dict(
        github_token=dict(type='str', no_log=True),
        github_token_path=dict(type='path'),
        github_api_url=dict(type='str', default=DEFAULT_GITHUB_API_URL),
        headers=dict(type='dict', default={}),
        timeout=dict(type='int', default=30),
        retries=dict(type='int', default=2),
        validate_certs=dict(type='bool', default=True),
        allow_insecure_http=dict(type='bool', default=False),
    )
    spec.update(extra)
    return spec


# Keyword arguments for AnsibleModule that go with token_argument_spec().
TOKEN_OPTION_RULES = dict(
    mutually_exclusive=[('github_token', 'github_token_path')],
    required_one_of=[('github_token', 'github_token_path')],
)


def require_positive(module, name):
    """Fails the module when the integer option ``name`` is not above zero."""
    if module.params[name] <= 0:
        module.fail_json(msg='%s must be a positive number of seconds, got %d' % (name, module.params[name]))


def token_client(module):
    """Checks the options of token_argument_spec() and returns a client built from them."""
    require_positive(module, 'timeout')
    if module.params['retries'] < 0:
        module.fail_json(msg='retries must be 0 or more, got %d' % module.params['retries'])
    return CopilotClient(
        module,
        github_api_url=module.params['github_api_url'],
        headers=module.params['headers'],
        timeout=module.params['timeout'],
        validate_certs=module.params['validate_certs'],
        retries=module.params['retries'],
        allow_insecure_http=module.params['allow_insecure_http'],
    )


def run_module(module, client, run):
    """Exits the module with ``run(module, client)``'s result, or fails it with a CopilotError's."""
    try:
        result = run(module, client)
    except CopilotError as exc:
        module.fail_json(changed=False, **exc.to_result())
    module.exit_json(**result)
