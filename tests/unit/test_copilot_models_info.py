# -*- coding: utf-8 -*-
"""Tests for library/copilot_models_info.py, run through main() against the simulator."""

from __future__ import annotations

import json
import socket

import pytest

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
from module_harness import load_library_module, simulator_runner
from ansible.module_utils.copilot.catalogue import normalize_model

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
    return simulator_runner(copilot_models_info, sim, capsys, monkeypatch)


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
        assert set(models['gpt-4.1']) == set(normalize_model({'id': 'x'}))

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


# --- the last good model list: an outage's stand-in ----------------------------------------

OUTAGES = [
    ({'path': '/copilot_internal/v2/token', 'status': 502}, 'server_error'),
    ({'path': '/models', 'status': 503}, 'server_error'),
    ({'path': '/models', 'malformed': True}, 'malformed'),
]


@pytest.fixture
def last_good(sim, run, tmp_path, monkeypatch):
    """A last good model list as tasks/last_good.yml writes it from a live answer; returns
    (path, the live result)."""
    # As on a host: warnings come back in the result (another test file may have loaded the controller's code).
    import ansible.module_utils._internal as internal
    monkeypatch.setattr(internal, 'is_controller', False)
    path = tmp_path / 'models.last-good.json'
    result, failed, out = run(github_token=INDIVIDUAL_TOKEN, last_good_path=str(path))
    assert not failed and result['source'] == 'live' and result['fallback_reason'] == ''
    record = dict(result['record'], local_url='http://127.0.0.1:4000')
    path.write_text(json.dumps(record, indent=4, sort_keys=True) + '\n')
    return path, result


def warnings_of(result):
    """The module's warnings (ansible-core 2.19 reports each as a dict holding the message)."""
    return [w['event']['msg'] if isinstance(w, dict) else w for w in result.get('warnings') or []]


def tamper(path, change):
    """Rewrites the stored list through change(record)."""
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record))


class TestLastGood:
    def test_live_record_is_the_result(self, sim, last_good):
        path, live = last_good
        assert live['record']['discovery'] == dict((key, live[key]) for key in (
            'models', 'model_ids', 'available_models', 'api_base', 'sku', 'individual'))
        assert live['record']['query'] == {
            'github_api_url': sim.url, 'api_base': '', 'headers': {}, 'include': ['*'], 'exclude': [],
            'types': ['chat'], 'enabled_only': True, 'picker_only': True}

    @pytest.mark.parametrize('fault, kind', OUTAGES, ids=['exchange-502', 'models-503', 'models-malformed'])
    def test_outage_serves_the_same_answer(self, sim, run, last_good, fault, kind):
        path, live = last_good
        control(sim, 'POST', '/_sim/faults', fault)
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, last_good_path=str(path), retries=0)
        assert not failed, result
        assert result['source'] == 'last_good'
        assert result['fallback_reason'].startswith(kind + ': ')
        assert result['copilot_token_expires_at'] is None
        for key in ('models', 'model_ids', 'available_models', 'api_base', 'sku', 'individual', 'record'):
            assert result[key] == live[key], key
        # written again after the health gate, the file does not change
        assert json.dumps(dict(result['record'], local_url='http://127.0.0.1:4000'), indent=4,
                          sort_keys=True) + '\n' == path.read_text()
        assert any(kind in warning and str(path) in warning and 'last good model list' in warning
                   for warning in warnings_of(result))
        assert_no_secrets(out)

    def test_a_linked_last_good_list_is_not_followed(self, sim, run, last_good):
        """The list lives where only root writes, but a host of an earlier layout let the service
        user plant a link there: root's read does not follow it, and the outage fails, named."""
        path, _ = last_good
        target = path.with_name('elsewhere.json')
        path.rename(target)
        path.symlink_to(target)
        control(sim, 'POST', '/_sim/faults', OUTAGES[0][0])
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, last_good_path=str(path), retries=0)
        assert failed
        assert 'symbolic link' in result['msg'] and str(path) in result['msg']

    def test_timeout_serves_the_last_good_list(self, sim, run, last_good):
        path, live = last_good
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'delay': 2.5})
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, last_good_path=str(path), timeout=1, retries=0)
        assert not failed and result['source'] == 'last_good'
        assert result['fallback_reason'].startswith('timeout: ')

    def test_check_mode(self, sim, run, last_good):
        path, live = last_good
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'status': 503})
        result, failed, out = run(check_mode=True, github_token=INDIVIDUAL_TOKEN, last_good_path=str(path),
                                  retries=0)
        assert not failed and result['source'] == 'last_good' and result['changed'] is False

    @pytest.mark.parametrize('token, kind', [(UNKNOWN_TOKEN, 'invalid_token'), (NO_COPILOT_TOKEN, 'no_copilot')])
    def test_token_and_account_errors_never_fall_back(self, sim, run, last_good, token, kind):
        path, live = last_good
        result, failed, out = run(github_token=token, last_good_path=str(path))
        assert failed and result['error_kind'] == kind
        assert 'last good' not in result['msg']
        assert_no_secrets(out)

    def test_without_the_option_an_outage_fails(self, sim, run, last_good):
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'status': 503})
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, retries=0)
        assert failed and result['error_kind'] == 'server_error' and 'last good' not in result['msg']

    def test_missing_file_keeps_the_original_error(self, sim, run, tmp_path):
        control(sim, 'POST', '/_sim/faults', {'path': '/copilot_internal/v2/token', 'status': 502})
        path = tmp_path / 'none.json'
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, last_good_path=str(path), retries=0)
        assert failed and result['error_kind'] == 'server_error' and result['status'] == 502
        assert 'answered HTTP 502' in result['msg']
        assert result['msg'].endswith('(there is no last good model list at %s, so there is nothing to fall back to)'
                                      % path)

    @pytest.mark.parametrize('content, cause', [
        ('{"query": ', 'is not valid JSON'),
        ('[1, 2]', 'holds no model list'),
        ('{"query": {}, "discovery": {"models": "gpt-4.1"}}', 'holds no model list'),
        (b'\xff\xfe', 'cannot be read'),
    ], ids=['truncated', 'a-list', 'models-not-a-list', 'not-utf8'])
    def test_invalid_file_keeps_the_original_error(self, sim, run, tmp_path, content, cause):
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'status': 503})
        path = tmp_path / 'models.last-good.json'
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, last_good_path=str(path), retries=0)
        assert failed and result['error_kind'] == 'server_error'
        assert cause in result['msg'] and 'nothing to fall back to' in result['msg']

    def test_unreadable_file_keeps_the_original_error(self, sim, run, tmp_path):
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'status': 503})
        path = tmp_path / 'a-directory'
        path.mkdir()
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, last_good_path=str(path), retries=0)
        assert failed and 'cannot be read' in result['msg'] and 'nothing to fall back to' in result['msg']

    def test_a_list_for_other_settings_is_not_used(self, sim, run, last_good):
        path, live = last_good
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'status': 503})
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, last_good_path=str(path), retries=0,
                                  include=['claude-*'])
        assert failed and result['error_kind'] == 'server_error'
        assert 'answers other settings' in result['msg']

    def test_tampered_ids_are_filtered_like_live_ones(self, sim, run, last_good):
        """An edited file gets the live list's checks: entries whose id is no plain name never become routes."""
        path, live = last_good
        hostile = ['*', '../etc', 'gpt-4.1\nmodel_list: []', "{{ lookup('pipe', 'id') }}", 'x' * 101, 7, None]

        def add_hostile(record):
            models = record['discovery']['models']
            models.extend(dict(models[0], id=model_id) for model_id in hostile)
            models.extend(['gpt-5', 42, None])  # not even a model
            record['discovery']['available_models'].extend(hostile + [['a'], {'b': 1}])
        tamper(path, add_hostile)
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'status': 503})
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, last_good_path=str(path), retries=0)
        assert not failed and result['source'] == 'last_good'
        assert result['model_ids'] == live['model_ids'] == DEFAULT_IDS
        assert result['available_models'] == live['available_models']
        skipped = [warning for warning in warnings_of(result) if warning.startswith('skipped ')]
        assert skipped and '"*"' in skipped[0] and str(path) in skipped[0]

    def test_tampered_fields_are_normalised_like_live_ones(self, sim, run, last_good):
        path, live = last_good

        def retype(record):
            model = record['discovery']['models'][0]
            model.update(max_output_tokens='1e400', multiplier='inf', premium='yes', name=['x'],
                         policy_state='ENABLED', reasoning_efforts=[1, 'high'], supported_endpoints='/responses',
                         mode='chat', bogus='dropped')
        tamper(path, retype)
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'status': 503})
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, last_good_path=str(path), retries=0)
        assert not failed
        model = result['models'][0]
        assert set(model) == set(live['models'][0])
        assert model['max_output_tokens'] is None and model['multiplier'] is None
        assert model['premium'] is True and model['name'] == model['id']
        assert model['policy_state'] == 'enabled' and model['reasoning_efforts'] == ['high']
        assert model['supported_endpoints'] == ['/responses'] and model['mode'] == 'responses'

    def test_filters_apply_to_the_stored_list(self, sim, run, last_good):
        """A disabled or hidden entry slipped into the file is filtered out as a live one would be."""
        path, live = last_good

        def hide(record):
            models = record['discovery']['models']
            models[0]['policy_state'] = 'disabled'
            models[1]['picker_enabled'] = False
        tamper(path, hide)
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'status': 503})
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, last_good_path=str(path), retries=0)
        assert not failed and result['model_ids'] == DEFAULT_IDS[2:]

    @pytest.mark.parametrize('api_base', ['file:///etc/passwd', 'http://', ['x'], None],
                             ids=['file-url', 'no-host', 'a-list', 'missing'])
    def test_tampered_api_base_is_refused(self, sim, run, last_good, api_base):
        path, live = last_good
        tamper(path, lambda record: record['discovery'].update(api_base=api_base))
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'status': 503})
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, last_good_path=str(path), retries=0)
        assert failed and result['error_kind'] == 'server_error'
        assert 'must be an https:// URL' in result['msg'] and 'nothing to fall back to' in result['msg']

    def test_plain_http_api_base_needs_the_same_permission(self, sim, run, last_good):
        path, live = last_good
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'status': 503})
        # the exchange itself runs over the simulator's plain http: take it out of the picture
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, last_good_path=str(path), retries=0,
                                  api_base=live['api_base'])
        assert failed and 'answers other settings' in result['msg']

    def test_no_model_left_is_nothing_to_fall_back_to(self, sim, run, last_good):
        path, live = last_good
        tamper(path, lambda record: record['discovery'].update(models=[dict(m, id='*') for m in
                                                                     record['discovery']['models']]))
        control(sim, 'POST', '/_sim/faults', {'path': '/models', 'status': 503})
        result, failed, out = run(github_token=INDIVIDUAL_TOKEN, last_good_path=str(path), retries=0)
        assert failed and 'holds no model that passes' in result['msg']
