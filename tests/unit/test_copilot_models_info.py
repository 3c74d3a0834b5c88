# -*- coding: utf-8 -*-
"""Tests for library/copilot_models_info.py, run through main() against the simulator."""

from __future__ import annotations

import socket
import urllib.request

import pytest

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
from module_harness import invoke, load_library_module
from ansible.module_utils import copilot

import copilot_sim
from copilot_sim import (
    BUSINESS_TOKEN, ENTERPRISE_TOKEN, INDIVIDUAL_TOKEN, NO_COPILOT_TOKEN, UNKNOWN_TOKEN)
ALL_TOKENS = (INDIVIDUAL_TOKEN, BUSINESS_TOKEN, ENTERPRISE_TOKEN, NO_COPILOT_TOKEN, UNKNOWN_TOKEN)


copilot_models_info = load_library_module('copilot_models_info')

# The catalog's enabled, picker-visible chat models, in API order.
DEFAULT_IDS = ['gpt-4.1', 'gpt-4o', 'gpt-5-mini', 'gpt-5', 'gpt-5-codex', 'claude-sonnet-4', 'claude-sonnet-4.5',
               'claude-haiku-4.5', 'claude-opus-4.1', 'gemini-2.5-pro']


def control(sim, method, path, body=None):
    return copilot_sim.control(sim.url, method, path, body)


def recorded(sim, path):
    return control(sim, 'GET', '/_sim/requests?path=' + path)['requests']


@pytest.fixture
def run(sim, capsys, monkeypatch):
    """Run the module's main() with args; returns (result, failed, raw stdout)."""
    monkeypatch.setattr(copilot, 'MAX_BACKOFF', 0.0)  # no pauses between retries

    def runner(check_mode=False, **args):
        args.setdefault('github_api_url', sim.url)
        args.setdefault('allow_insecure_http', True)  # the simulator speaks plain http
        args.setdefault('timeout', 5)
        return invoke(copilot_models_info, capsys, check_mode, **args)

    return runner


def assert_no_secrets(out, *extra):
    for secret in ALL_TOKENS + extra:
        assert secret not in out
    assert 'gho_' not in out
    assert 'tid=' not in out
    assert 'authorization' not in out.lower()


class TestSuccess:
    def test_defaults(self, sim, run):
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN)
        assert not failed
        assert result['changed'] is False
        assert result['model_ids'] == DEFAULT_IDS
        assert [m['id'] for m in result['models']] == DEFAULT_IDS
        assert result['api_base'] == sim.url + '/copilot/individual'
        assert result['sku'] == 'monthly_subscriber_quota'
        assert result['individual'] is True
        assert isinstance(result['copilot_token_expires_at'], int)
        for hidden in ('grok-code-fast-1', 'o4-mini', 'gpt-4.1-2025-04-14', 'gpt-3.5-turbo',
                       'text-embedding-3-small'):
            assert hidden in result['available_models']
            assert hidden not in result['model_ids']
        assert len(result['available_models']) == len(set(result['available_models']))
        assert 'token' not in result
        assert_no_secrets(out)

    def test_modes_and_fields(self, sim, run):
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, types=['chat', 'embeddings'], picker_only=False)
        models = dict((m['id'], m) for m in result['models'])
        assert models['gpt-5-codex']['mode'] == 'responses'
        assert models['gpt-5-codex']['supported_endpoints'] == ['/responses']
        assert models['text-embedding-3-small']['mode'] == 'embedding'
        assert models['claude-sonnet-4.5']['mode'] == 'chat'
        assert models['gpt-4o']['mode'] == 'chat' and models['gpt-4o']['supported_endpoints'] == []
        assert models['gpt-3.5-turbo']['policy_state'] == 'enabled'  # no policy object
        assert models['claude-haiku-4.5']['multiplier'] == 0.33 and models['claude-haiku-4.5']['premium'] is True
        assert models['gpt-5-mini']['reasoning_efforts'] == ['low', 'medium', 'high']
        assert models['claude-sonnet-4.5']['max_context_tokens'] == 144000
        assert set(models['gpt-4.1']) == set(copilot.normalize_model({'id': 'x'}))

    def test_business_token_from_file(self, sim, run, tmp_path):
        path = tmp_path / 'access-token'
        path.write_text(BUSINESS_TOKEN + '\n')
        result, failed, out = run(github_token_path=str(path))
        assert not failed
        assert result['api_base'] == sim.url + '/copilot/business'
        assert result['individual'] is False
        assert result['sku'] == 'copilot_for_business_seat_quota'
        assert recorded(sim, '/models')[0]['path'] == '/copilot/business/models'
        assert_no_secrets(out)

    def test_enterprise(self, sim, run):
        result, failed, out = run(github_token=ENTERPRISE_TOKEN)
        assert result['api_base'] == sim.url + '/copilot/enterprise'

    def test_include_exclude(self, sim, run):
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, include=['claude-*', 'gpt-5*'],
                                  exclude=['*codex*', 'claude-opus-*'])
        assert result['model_ids'] == ['gpt-5-mini', 'gpt-5', 'claude-sonnet-4', 'claude-sonnet-4.5',
                                       'claude-haiku-4.5']
        assert len(result['available_models']) > len(result['model_ids'])

    def test_types_embeddings(self, sim, run):
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, types=['embeddings'])
        assert result['model_ids'] == []  # hidden from the picker
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, types=['embeddings'], picker_only=False)
        assert result['model_ids'] == ['text-embedding-3-small']

    def test_enabled_only_false(self, sim, run):
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, enabled_only=False)
        assert 'grok-code-fast-1' in result['model_ids'] and 'o4-mini' in result['model_ids']
        states = dict((m['id'], m['policy_state']) for m in result['models'])
        assert states['grok-code-fast-1'] == 'disabled' and states['o4-mini'] == 'unconfigured'

    def test_picker_only_false(self, sim, run):
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, picker_only=False)
        assert 'gpt-4.1-2025-04-14' in result['model_ids']
        assert 'text-embedding-3-small' not in result['model_ids']

    def test_explicit_api_base(self, sim, run):
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, api_base=sim.url + '/copilot/individual/')
        assert not failed
        assert result['api_base'] == sim.url + '/copilot/individual'

    def test_explicit_api_base_is_used(self, sim, run):
        # a business token's Copilot token is not valid for the enterprise endpoint: the
        # 401 shows the module really used the given api_base
        result, failed, out = run(github_token=BUSINESS_TOKEN, api_base=sim.url + '/copilot/enterprise')
        assert failed
        assert result['error_kind'] == 'invalid_token'
        assert result['url'] == sim.url + '/copilot/enterprise/models'
        assert recorded(sim, '/models')[0]['path'] == '/copilot/enterprise/models'
        assert_no_secrets(out)

    def test_check_mode(self, sim, run):
        normal, failed, out = run(github_token=INDIVIDUAL_TOKEN)
        checked, failed, out = run(check_mode=True, github_token=INDIVIDUAL_TOKEN)
        assert not failed and checked['changed'] is False
        assert checked['model_ids'] == normal['model_ids']

    def test_header_overrides(self, sim, run):
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN,
                                  headers={'Editor-Version': 'vscode/1.99.3', 'X-Team': 'platform'})
        assert not failed
        for path in ('/copilot_internal/v2/token', '/models'):
            headers = dict((k.lower(), v) for k, v in recorded(sim, path)[0]['headers'].items())
            assert headers['editor-version'] == 'vscode/1.99.3'
            assert headers['x-team'] == 'platform'
            assert headers['copilot-integration-id'] == 'vscode-chat'

    def test_retries_server_errors(self, sim, run):
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'status': 502, 'times': 2})
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, retries=2)
        assert not failed and result['model_ids'] == DEFAULT_IDS
        assert len(recorded(sim, '/models')) == 3

    def test_no_copilot_token_in_output_even_if_echoed(self, sim, run, monkeypatch):
        """The Copilot token is a no_log value: masked even where a result might carry it."""
        original = copilot_models_info.run

        def leaky(module, client):
            result = original(module, client)
            result['leak'] = [s for s in client._secrets]
            return result

        monkeypatch.setattr(copilot_models_info, 'run', leaky)
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN)
        assert not failed
        assert_no_secrets(out)
        # both the GitHub token and the Copilot token were registered, and both come out masked
        assert len(result['leak']) == 2
        assert result['leak'] == ['VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'] * 2


class TestFailures:
    def test_invalid_token(self, sim, run):
        result, failed, out = run(github_token=UNKNOWN_TOKEN)
        url = sim.url + '/copilot_internal/v2/token'
        assert failed and result['changed'] is False
        assert result['error_kind'] == 'invalid_token'
        assert result['url'] == url and result['status'] == 401
        assert result['msg'] == ('GitHub token is invalid or revoked (HTTP 401 from %s); sign in again '
                                 '(playbooks/login.yml) and update the vaulted token' % url)
        assert_no_secrets(out)

    def test_revoked_token_in_file(self, sim, run, tmp_path):
        control(sim, 'POST', '/_sim/revoke', {'token': ENTERPRISE_TOKEN})
        path = tmp_path / 'token'
        path.write_text(ENTERPRISE_TOKEN)
        result, failed, out = run(github_token_path=str(path))
        assert failed and result['error_kind'] == 'invalid_token'
        assert_no_secrets(out)

    def test_no_copilot(self, sim, run):
        result, failed, out = run(github_token=NO_COPILOT_TOKEN)
        assert failed and result['error_kind'] == 'no_copilot' and result['status'] == 403
        assert 'https://github.com/settings/copilot' in result['msg']
        assert_no_secrets(out)

    def test_empty_token(self, sim, run):
        result, failed, out = run(github_token='   ')
        assert failed and result['error_kind'] == 'empty_token'
        assert recorded(sim, '/copilot_internal/v2/token') == []

    def test_empty_token_file(self, sim, run, tmp_path):
        path = tmp_path / 'access-token'
        path.write_text('\n\n')
        result, failed, out = run(github_token_path=str(path))
        assert failed and result['error_kind'] == 'empty_token'
        assert str(path) in result['msg']

    def test_missing_token_file(self, sim, run, tmp_path):
        path = tmp_path / 'missing' / 'access-token'
        result, failed, out = run(github_token_path=str(path))
        assert failed and result['error_kind'] == 'empty_token'
        assert str(path) in result['msg'] and 'does not exist' in result['msg']

    def test_token_options_exclusive(self, sim, run, tmp_path):
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, github_token_path=str(tmp_path / 'x'))
        assert failed and 'mutually exclusive' in result['msg']
        assert_no_secrets(out)
        result, failed, out = run()
        assert failed and 'one of the following is required' in result['msg']

    def test_unreachable(self, sim, run):
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        url = 'http://127.0.0.1:%d' % sock.getsockname()[1]
        sock.close()
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, github_api_url=url, retries=1)
        assert failed and result['error_kind'] == 'unreachable'
        assert result['msg'].startswith('cannot reach %s/copilot_internal/v2/token: ' % url)
        assert 'status' not in result
        assert_no_secrets(out)

    def test_timeout(self, sim, run):
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'delay': 2.5})
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, timeout=1, retries=0)
        assert failed and result['error_kind'] == 'timeout'
        assert result['msg'].startswith('timed out after 1 s waiting for %s/copilot/individual/models' % sim.url)

    def test_server_error(self, sim, run):
        control(sim, 'POST', '/_sim/faults', {'path': '/copilot_internal/v2/token', 'status': 500})
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, retries=1)
        assert failed and result['error_kind'] == 'server_error' and result['status'] == 500
        assert 'answered HTTP 500 (server error)' in result['msg']
        assert len(recorded(sim, '/copilot_internal/v2/token')) == 2

    def test_malformed(self, sim, run):
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'malformed': True})
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN)
        assert failed and result['error_kind'] == 'malformed'
        assert result['msg'].startswith('malformed response from %s/copilot/individual/models' % sim.url)
        assert_no_secrets(out)

    def test_exchange_without_endpoints(self, sim, run):
        control(sim, 'POST', '/_sim/faults', {'path': '/copilot_internal/v2/token', 'status': 200,
                                              'body': {'token': 'tid=abc123;exp=1:sig', 'expires_at': 1}})
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN)
        assert failed and result['error_kind'] == 'malformed' and 'api_base' in result['msg']
        assert_no_secrets(out)

    @pytest.mark.parametrize('args, fragment', [
        ({'timeout': 0}, 'timeout must be'),
        ({'retries': -1}, 'retries must be'),
    ])
    def test_bad_numbers(self, sim, run, args, fragment):
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, **args)
        assert failed and fragment in result['msg']
