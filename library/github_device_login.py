#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


DOCUMENTATION = r"""
module: github_device_login
short_description: Sign in to GitHub with the OAuth device flow, without a human typing into Ansible
description:
  - Runs GitHub's OAuth device flow (RFC 8628) for the OAuth app of the editors' Copilot plugins, in two
    steps so a playbook can show the code between them.
  - O(step=start) requests a device code (C(POST <github_url>/login/device/code)) and returns the
    C(user_code) to type at C(verification_uri), and the C(device_code) the second step polls with.
  - O(step=poll) polls C(POST <github_url>/login/oauth/access_token) until the user has authorized the code,
    waiting C(interval) seconds before each poll and 5 seconds more after every C(slow_down), and returns the
    GitHub OAuth token (C(gho_...)). C(authorization_pending) keeps it waiting; C(expired_token) (or an unknown
    device code) and C(access_denied) end it with a clear message and RV(error_kind).
  - Runs where it is called; the login playbook runs it on the controller.
author:
  - litellm-copilot maintainers
attributes:
  check_mode:
    support: full
    description: Can run in check mode; it changes nothing on the host it runs on.
    details: Signing in creates an OAuth token at GitHub in check mode too.
  diff_mode:
    support: N/A
    description: Returns no diff.
    details: This action does not modify state on the host.
options:
  step:
    description:
      - V(start) requests a new device code; V(poll) waits for the user to authorize it.
    type: str
    choices: [start, poll]
    required: true
  github_url:
    description:
      - Root of the GitHub web site that runs the sign-in (not the API host).
      - For GitHub Enterprise Cloud with data residency use C(https://<subdomain>.ghe.com).
    type: str
    default: https://github.com
  client_id:
    description:
      - OAuth app client id. The default is the one of the editors' Copilot plugins; tokens of other apps
        are usually refused by the Copilot token exchange.
      - An id GitHub does not know fails with RV(error_kind=bad_client_id).
    type: str
    default: Iv1.b507a08c87ecfe98
  scope:
    description:
      - OAuth scopes to request (O(step=start) only).
    type: str
    default: read:user
  device_code:
    description:
      - The RV(device_code) of the O(step=start) result. Required with O(step=poll).
    type: str
  interval:
    description:
      - Seconds to wait before each poll, from the O(step=start) result (O(step=poll) only).
    type: int
    default: 5
  expires_in:
    description:
      - Seconds the code stays valid, from the O(step=start) result; the poll gives up after this long
        (O(step=poll) only).
    type: int
    default: 900
  timeout:
    description:
      - Seconds to wait for each HTTP request.
    type: int
    default: 30
  validate_certs:
    description:
      - Verify GitHub's TLS certificate. Set to V(false) only against a test server.
    type: bool
    default: true
  allow_insecure_http:
    description:
      - Also accept C(http://) URLs for O(github_url). Every request carries a credential, so without
        this option a plain C(http://) URL fails with C(error_kind=insecure_url) before anything is
        sent.
      - Set to V(true) only for a local test server such as the Copilot simulator.
    type: bool
    default: false
notes:
  - The result of O(step=poll) holds the GitHub token in RV(access_token), and the result of O(step=start)
    holds the device code, which is a credential until the sign-in ends. Run both tasks with C(no_log) true
    and copy only RV(user_code) and RV(verification_uri) into what you display.
  - Error messages never contain the device code or the token.
  - On failure the result carries RV(error_kind) (V(expired_token), V(access_denied), V(bad_client_id),
    V(unreachable), V(timeout), V(server_error), V(malformed), V(http_error) or V(insecure_url)) and C(url).
seealso:
  - name: GitHub device flow
    description: How the OAuth device flow works on GitHub.
    link: https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#device-flow
  - module: copilot_usage_info
    description: Check that the token has Copilot access and show its quota.
"""

EXAMPLES = r"""
- name: Request a sign-in code
  github_device_login:
    step: start
  register: device
  no_log: true  # the result holds the device code

- name: Show the code to type
  ansible.builtin.debug:
    msg: "Open {{ device.verification_uri }} and enter {{ device.user_code }}"

- name: Wait for the sign-in
  github_device_login:
    step: poll
    device_code: "{{ device.device_code }}"
    interval: "{{ device.interval }}"
    expires_in: "{{ device.expires_in }}"
  register: signed_in
  no_log: true  # the result holds the GitHub token

- name: A GitHub Enterprise Cloud tenant with data residency
  github_device_login:
    step: start
    github_url: https://octocorp.ghe.com
  register: ghe_device
  no_log: true
"""

RETURN = r"""
user_code:
  description: The code the user types at RV(verification_uri).
  type: str
  returned: step=start
  sample: WDJB-MJHT
verification_uri:
  description: Where the user signs in and enters RV(user_code).
  type: str
  returned: step=start
  sample: https://github.com/login/device
device_code:
  description: What O(step=poll) polls with; a credential until the sign-in ends.
  type: str
  returned: step=start
expires_in:
  description: Seconds the code stays valid.
  type: int
  returned: step=start
  sample: 899
interval:
  description:
    - With O(step=start), the seconds to wait between polls. With O(step=poll), the interval in force at the
      end (raised by C(slow_down)).
  type: int
  returned: success
  sample: 5
access_token:
  description: The GitHub OAuth token. Register the task with C(no_log).
  type: str
  returned: step=poll, success
token_type:
  description: Token type.
  type: str
  returned: step=poll, success
  sample: bearer
scope:
  description: Scopes granted.
  type: str
  returned: step=poll, success
  sample: read:user
polls:
  description: How many polls it took.
  type: int
  returned: step=poll, success
  sample: 3
slow_downs:
  description: How many times GitHub asked to slow down.
  type: int
  returned: step=poll, success
  sample: 0
error_kind:
  description: Why the sign-in failed.
  type: str
  returned: failure
  sample: expired_token
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.copilot.device_flow import (
    DEFAULT_CLIENT_ID,
    DEFAULT_GITHUB_URL,
    DEFAULT_SCOPE,
    DeviceFlowClient,
)
from ansible.module_utils.copilot.modules import require_positive, run_module


def argument_spec():
    return dict(
        step=dict(type='str', required=True, choices=['start', 'poll']),
        github_url=dict(type='str', default=DEFAULT_GITHUB_URL),
        client_id=dict(type='str', default=DEFAULT_CLIENT_ID),
        scope=dict(type='str', default=DEFAULT_SCOPE),
        device_code=dict(type='str', no_log=True),
        interval=dict(type='int', default=5),
        expires_in=dict(type='int', default=900),
        timeout=dict(type='int', default=30),
        validate_certs=dict(type='bool', default=True),
        allow_insecure_http=dict(type='bool', default=False),
    )


def run(module, client):
    params = module.params
    if params['step'] == 'start':
        started = client.start_device_flow(params['github_url'], params['client_id'], params['scope'])
        return dict(changed=False, **started)
    signed_in = client.poll_device_flow(
        params['device_code'], params['github_url'], params['client_id'],
        interval=params['interval'], expires_in=params['expires_in'])
    return dict(changed=False, **signed_in)


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_if=[('step', 'poll', ('device_code',))],
        supports_check_mode=True,
    )
    require_positive(module, 'timeout')
    if module.params['interval'] < 0:
        module.fail_json(msg='interval must be 0 or more seconds, got %d' % module.params['interval'])
    if not (module.params['client_id'] or '').strip():
        module.fail_json(msg='client_id is empty; leave it unset for the Copilot client id %s' % DEFAULT_CLIENT_ID)

    # No module here on purpose: the client would register the device code and the token as no_log values,
    # which masks them in this module's own result. Messages are still redacted; callers use no_log.
    client = DeviceFlowClient(None, timeout=module.params['timeout'],
                              validate_certs=module.params['validate_certs'], retries=2,
                              allow_insecure_http=module.params['allow_insecure_http'])
    run_module(module, client, run)


if __name__ == '__main__':
    main()
