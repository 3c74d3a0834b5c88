#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: copilot_gateway_health
short_description: Hold a freshly (re)started LiteLLM proxy to its health gate
description:
  - Probes the proxy on the host itself, without HTTP proxies, and fails with the reason when it is not
    healthy. In order - C(/health/liveliness) answers 200 within O(timeout), unless systemd restarts the
    unit O(unit) meanwhile (a proxy that exits while starting fails at once, not after O(timeout));
    C(/health/readiness) answers 200; and, with O(master_key), C(/v1/models) lists exactly O(models).
  - The socket outlives the proxy, so while the proxy (re)starts a connection waits in the backlog
    instead of being refused - each probe gives up after O(probe_timeout) seconds.
  - What the proxy answers is the service user's word - it is read size-capped and never trusted to be
    well-formed.
author:
  - litellm-copilot maintainers
attributes:
  check_mode:
    support: full
    details: In check mode nothing was restarted, so the proxy's models are not compared with O(models).
  diff_mode:
    support: none
options:
  url:
    description: The proxy's local URL, as the host reaches it (scheme, address, port).
    type: str
    required: true
  unit:
    description: The proxy's systemd service, whose restart count tells a proxy that keeps exiting.
    type: str
    required: true
  timeout:
    description: Seconds the proxy has to answer C(/health/liveliness).
    type: int
    default: 120
  probe_timeout:
    description: Seconds one probe waits for an answer.
    type: int
    default: 5
  probe_delay:
    description: Seconds between probes.
    type: int
    default: 2
  ready:
    description: Whether to wait for C(/health/readiness) too (O(timeout) seconds at most).
    type: bool
    default: true
  master_key:
    description: The proxy's master key; with it, the served models are compared with O(models) and the version read.
    type: str
  models:
    description: The names the proxy must serve, exactly (the discovered models and their aliases).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Check the gateway's health
  copilot_gateway_health:
    url: http://127.0.0.1:4000
    unit: litellm-copilot
    master_key: "{{ master_key }}"
    models: [claude-sonnet-4.5, gpt-4.1]
  no_log: true
"""

RETURN = r"""
liveliness:
  description: The HTTP status of the last C(/health/liveliness) probe, 0 when nothing answered.
  returned: always
  type: int
readiness:
  description: The HTTP status of the last C(/health/readiness) probe, when O(ready).
  returned: when O(ready) and the proxy was up
  type: int
restarts:
  description: How often systemd restarted the unit on its own while the module waited.
  returned: always
  type: int
served:
  description: The model names the proxy lists (sorted), when O(master_key) was given.
  returned: success
  type: list
  elements: str
version:
  description: The LiteLLM version the proxy reports, C(unknown) when it does not say.
  returned: success
  type: str
"""

import json
import re
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import Request

# What a health answer or a model list can reasonably be; anything longer is not read.
MAX_ANSWER = 4 * 1024 * 1024
# A version the rollout summary may show: the proxy's word, so nothing but a plain version.
VERSION = re.compile(r'[0-9][0-9A-Za-z.+-]{0,63}')


class Proxy(object):
    def __init__(self, module):
        self.module = module
        self.url = module.params['url'].rstrip('/')
        self.request = Request(use_proxy=False, timeout=module.params['probe_timeout'], validate_certs=False)

    def get(self, path, key=None):
        """(status, body bytes) of one GET; status 0 when nothing answered in time."""
        headers = {'Authorization': 'Bearer ' + key} if key else {}
        try:
            answer = self.request.open('GET', self.url + path, headers=headers)
        except Exception as exc:  # HTTPError carries a status; anything else is no answer
            status = getattr(exc, 'code', 0)
            return (status if isinstance(status, int) else 0), b''
        try:
            return answer.status, answer.read(MAX_ANSWER + 1)
        except Exception:
            return 0, b''

    def restarts(self):
        unit = self.module.params['unit']
        rc, out, _ = self.module.run_command(['systemctl', 'show', '--property=NRestarts', '--value', unit])
        try:
            return int(out.strip()) if rc == 0 else 0
        except ValueError:
            return 0


def json_object(body):
    if len(body) > MAX_ANSWER:
        return {}
    try:
        value = json.loads(body.decode('utf-8', 'replace'))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def model_names(body):
    data = json_object(body).get('data')
    names = [entry.get('id') for entry in data if isinstance(entry, dict)] if isinstance(data, list) else []
    return sorted(name for name in names if isinstance(name, str))


def wait_for(proxy, path, deadline, restarts_before, result):
    """Probes ``path`` until it answers 200; fails when the deadline passes or systemd restarted the unit."""
    params = proxy.module.params
    while True:
        status, _ = proxy.get(path)
        result['liveliness' if path == '/health/liveliness' else 'readiness'] = status
        if status == 200:
            return
        result['restarts'] = max(proxy.restarts() - restarts_before, 0)
        if result['restarts'] > 0:
            proxy.module.fail_json(msg='the proxy exited while starting (restarts by systemd: %d)' % result['restarts'],
                                   **result)
        if time.monotonic() + params['probe_delay'] >= deadline:
            proxy.module.fail_json(msg='the proxy did not answer %s with HTTP 200 within %d s (last answer: %s)'
                                       % (path, params['timeout'], status or 'none'), **result)
        time.sleep(params['probe_delay'])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type='str', required=True),
            unit=dict(type='str', required=True),
            timeout=dict(type='int', default=120),
            probe_timeout=dict(type='int', default=5),
            probe_delay=dict(type='int', default=2),
            ready=dict(type='bool', default=True),
            master_key=dict(type='str', no_log=True),
            models=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for name in ('timeout', 'probe_timeout'):
        if params[name] <= 0:
            module.fail_json(msg='%s must be a positive number of seconds, got %d' % (name, params[name]))
    proxy = Proxy(module)
    result = dict(changed=False, liveliness=0, restarts=0)
    restarts_before = proxy.restarts()
    deadline = time.monotonic() + params['timeout']
    wait_for(proxy, '/health/liveliness', deadline, restarts_before, result)
    if params['ready']:
        wait_for(proxy, '/health/readiness', time.monotonic() + params['timeout'], restarts_before, result)
    if params['master_key'] and not module.check_mode:
        status, body = proxy.get('/v1/models', params['master_key'])
        result['served'] = model_names(body) if status == 200 else []
        expected = sorted(params['models'])
        if status != 200 or result['served'] != expected:
            module.fail_json(msg='the proxy answered /v1/models with HTTP %s serving %s; expected the discovered '
                                 'models and their aliases %s' % (status or 'none', result['served'], expected),
                             **result)
        # The public /health/readiness no longer names the version; the authenticated details do.
        version = json_object(proxy.get('/health/readiness/details', params['master_key'])[1]).get('litellm_version')
        result['version'] = version if isinstance(version, str) and VERSION.fullmatch(version) else 'unknown'
    else:
        result['version'] = 'unknown'
    module.exit_json(**result)


if __name__ == '__main__':
    main()
