# -*- coding: utf-8 -*-
"""What GitHub and Copilot answer is untrusted input: model ids that are not plain names, numbers that
overflow, oversized bodies and plain-http URLs are refused with a clear error or a warning, never
crash a module and never carry a token in clear text. Driven through the modules' main() against the
simulator."""

from __future__ import annotations

import json

import pytest

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
from module_harness import invoke, load_library_module
from ansible.module_utils.copilot.catalogue import normalize_model, split_model_ids
from ansible.module_utils.copilot.endpoints import CopilotClient, api_base
from ansible.module_utils.copilot.errors import CopilotError
from ansible.module_utils.copilot import http as copilot_http
from ansible.module_utils.copilot.http import MAX_BODY_BYTES, require_secure_url
from ansible.module_utils.copilot.usage import parse_usage

import copilot_sim
from copilot_sim import INDIVIDUAL_TOKEN

copilot_models_info = load_library_module('copilot_models_info')
copilot_usage_info = load_library_module('copilot_usage_info')
github_device_login = load_library_module('github_device_login')


def control(sim, method, path, body=None):
    return copilot_sim.control(sim.url, method, path, body)


def recorded(sim, path):
    return control(sim, 'GET', '/_sim/requests?path=' + path)['requests']


def chat_entry(model_id):
    """A catalogue entry the default filters keep (enabled, in the picker, chat)."""
    return {'id': model_id, 'name': 'Injected', 'vendor': 'x', 'version': '1', 'object': 'model',
            'model_picker_enabled': True, 'billing': {'is_premium': False, 'multiplier': 0},
            'policy': {'state': 'enabled', 'terms': ''}, 'supported_endpoints': ['/chat/completions'],
            'capabilities': {'type': 'chat', 'family': 'x', 'limits': {'max_output_tokens': 100},
                             'supports': {'streaming': True}}}


@pytest.fixture
def run(sim, capsys, monkeypatch):
    """Runs a module's main() against the simulator; returns (result, failed, raw stdout)."""
    monkeypatch.setattr(copilot_http, 'MAX_BACKOFF', 0.0)

    def runner(module, check_mode=False, **args):
        if module is not github_device_login:
            args.setdefault('github_api_url', sim.url)
        args.setdefault('allow_insecure_http', True)
        args.setdefault('timeout', 5)
        return invoke(module, capsys, check_mode, **args)

    return runner


# --------------------------------------------------------------------------- model ids (finding 9)

BAD_IDS = ['*', 'gpt-5*', '?', '[a-z]*', 'claude\nextra: 1', '../etc', '-leading-dash', '.hidden', '',
           'x' * 101, 'spa ce', "{{ lookup('pipe', 'id') }}", 'gpt-5-mini\n', 'naïve']
GOOD_IDS = ['claude-sonnet-4.5', 'gpt-5-mini', 'gemini-2.5-pro', 'o3-mini', 'text-embedding-3-small',
            'gpt-4.1-2025-04-14', 'grok-code-fast-1', 'x' * 100, 'A_b']


class TestModelIds:
    def test_split_keeps_plain_names_only(self):
        entries = [{'id': i} for i in GOOD_IDS + BAD_IDS] + [{'id': 42}, {'id': None}, 'not-a-dict']
        kept, skipped = split_model_ids(entries)
        assert [entry['id'] for entry in kept] == GOOD_IDS
        assert len(skipped) == len(BAD_IDS) + 3
        # quoted as JSON strings: no raw newline or control character reaches a warning
        assert all('\n' not in shown and len(shown) <= 60 for shown in skipped)
        assert '"*"' in skipped and '"claude\\nextra: 1"' in skipped

    def test_a_star_id_is_skipped_with_a_warning(self, sim, run, monkeypatch):
        # Another test file may have loaded Ansible's controller code in this process; the module then
        # prints warnings on the controller's display instead of returning them as a module on a host does.
        import ansible.module_utils._internal as internal
        monkeypatch.setattr(internal, 'is_controller', False)
        control(sim, 'POST', '/_sim/models', {'add': [chat_entry('*'), chat_entry('evil\nid: 1'),
                                                      chat_entry('plain-new-model')]})
        result, failed, out = run(copilot_models_info, github_token=INDIVIDUAL_TOKEN, include=['*'])
        assert not failed, result.get('msg')
        assert 'plain-new-model' in result['model_ids']
        assert '*' not in result['model_ids'] and '*' not in result['available_models']
        assert not any('\n' in i for i in result['model_ids'] + result['available_models'])
        # ansible-core 2.19 reports a warning as a dict holding the message
        warnings = [w['event']['msg'] if isinstance(w, dict) else w for w in result.get('warnings') or []]
        assert len(warnings) == 1, warnings
        assert 'skipped 2 model(s)' in warnings[0]
        assert '"*"' in warnings[0] and '"evil\\nid: 1"' in warnings[0]


# --------------------------------------------------------------------------- robustness (finding 10)

class TestRobustness:
    @pytest.mark.parametrize('number', ['1e400', '-1e400'])
    def test_a_number_out_of_range_is_malformed(self, sim, run, number):
        body = json.dumps({'data': [chat_entry('gpt-big')]}).replace('"max_output_tokens": 100',
                                                                     '"max_output_tokens": %s' % number)
        assert number in body
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'status': 200, 'body': body})
        result, failed, out = run(copilot_models_info, github_token=INDIVIDUAL_TOKEN)
        assert failed
        assert result['error_kind'] == 'malformed'  # an outage kind: the role falls back to its last good list
        assert 'out of range' in result['msg'] and '/models' in result['msg']

    def test_nan_is_malformed(self, sim, run):
        control(sim, 'POST', '/_sim/faults', {'path': '/copilot_internal/user', 'status': 200,
                                              'body': '{"login": "x", "quota_snapshots": {"chat": {"remaining": NaN}}}'})
        result, failed, out = run(copilot_usage_info, github_token=INDIVIDUAL_TOKEN)
        assert failed and result['error_kind'] == 'malformed' and 'NaN' in result['msg']

    def test_numbers_given_as_strings_do_not_crash(self):
        model = normalize_model({'id': 'm', 'capabilities': {'limits': {'max_prompt_tokens': '1e400'}},
                                         'billing': {'multiplier': 'inf'}})
        assert model['max_prompt_tokens'] is None and model['multiplier'] is None
        usage = parse_usage({'quota_snapshots': {'chat': {'entitlement': '1e400', 'remaining': 'inf'}}})
        assert usage['quotas']['chat']['entitlement'] is None and usage['quotas']['chat']['remaining'] is None

    def test_an_oversized_body_is_malformed(self, sim, run):
        padding = 'x' * (MAX_BODY_BYTES + 1024)
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'status': 200,
                                              'body': json.dumps({'data': [], 'padding': padding})})
        result, failed, out = run(copilot_models_info, github_token=INDIVIDUAL_TOKEN)
        assert failed and result['error_kind'] == 'malformed'
        assert 'larger than %d bytes' % MAX_BODY_BYTES in result['msg']
        assert len(out) < 10000  # the body is not echoed

    def test_the_cap_is_a_few_megabytes(self):
        assert 1024 * 1024 <= MAX_BODY_BYTES <= 16 * 1024 * 1024


# --------------------------------------------------------------------------- plain http (finding 11)

class TestPlainHttp:
    @pytest.mark.parametrize('module, args', [
        (copilot_models_info, {'github_token': INDIVIDUAL_TOKEN}),
        (copilot_usage_info, {'github_token': INDIVIDUAL_TOKEN}),
    ], ids=['copilot_models_info', 'copilot_usage_info'])
    def test_http_github_api_url_is_refused_before_sending(self, sim, run, module, args):
        result, failed, out = run(module, allow_insecure_http=False, **args)
        assert failed and result['error_kind'] == 'insecure_url'
        assert 'refusing plain http for github_api_url (%s)' % sim.url in result['msg']
        assert 'allow_insecure_http' in result['msg']
        assert recorded(sim, '/copilot_internal/v2/token') == [] and recorded(sim, '/copilot_internal/user') == []
        assert INDIVIDUAL_TOKEN not in out

    def test_http_api_base_is_refused(self, sim, run):
        result, failed, out = run(copilot_models_info, github_token=INDIVIDUAL_TOKEN, allow_insecure_http=False,
                                  github_api_url='https://127.0.0.1:9', api_base=sim.url + '/copilot/individual')
        assert failed and result['error_kind'] == 'insecure_url'
        assert 'api_base' in result['msg'] and recorded(sim, '/models') == []

    @pytest.mark.parametrize('step', ['start', 'poll'])
    def test_http_device_flow_is_refused(self, sim, run, step):
        result, failed, out = run(github_device_login, step=step, github_url=sim.url, device_code='dc',
                                  allow_insecure_http=False)
        assert failed and result['error_kind'] == 'insecure_url' and 'github_url' in result['msg']
        assert recorded(sim, '/login/device/code') == [] and recorded(sim, '/login/oauth/access_token') == []

    def test_http_endpoints_api_from_the_token_exchange_is_refused(self):
        exchange = {'token': 't', 'endpoints': {'api': 'http://api.githubcopilot.example/'}}
        with pytest.raises(CopilotError) as err:
            api_base(exchange)
        assert err.value.kind == 'insecure_url' and "endpoints.api" in err.value.message
        assert api_base(exchange, allow_insecure_http=True) == 'http://api.githubcopilot.example'
        assert api_base({'endpoints': {'api': 'https://api.githubcopilot.com/'}}) == 'https://api.githubcopilot.com'

    @pytest.mark.parametrize('url', ['file:///etc/passwd', 'ftp://example.com', 'https://', 'http//x', 'api.github.com'])
    def test_other_schemes_are_refused_even_when_http_is_allowed(self, url):
        with pytest.raises(CopilotError) as err:
            require_secure_url(url, 'github_api_url', allow_insecure_http=True)
        assert err.value.kind == 'insecure_url'

    def test_the_client_refuses_every_http_request_by_default(self, sim):
        client = CopilotClient(None, github_api_url=sim.url, retries=0)
        for call, args in ((client.exchange_token, (INDIVIDUAL_TOKEN,)), (client.get_usage, (INDIVIDUAL_TOKEN,)),
                           (client.list_models, ('tid=x', sim.url + '/copilot/individual')),
                           (client.request_json, ('GET', sim.url + '/copilot_internal/user', INDIVIDUAL_TOKEN))):
            with pytest.raises(CopilotError) as err:
                call(*args)
            assert err.value.kind == 'insecure_url'
            assert INDIVIDUAL_TOKEN not in err.value.message
        assert control(sim, 'GET', '/_sim/requests?path=')['requests'] == []

    def test_http_works_when_allowed(self, sim, run):
        result, failed, out = run(copilot_models_info, github_token=INDIVIDUAL_TOKEN, allow_insecure_http=True)
        assert not failed and result['api_base'] == sim.url + '/copilot/individual'
