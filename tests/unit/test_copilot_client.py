# -*- coding: utf-8 -*-
"""Tests for module_utils/copilot/: pure helpers, then the client against the simulator."""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import time
from pathlib import Path

import pytest
import yaml

import ansible.module_utils

REPO = Path(__file__).resolve().parents[2]
if str(REPO / 'module_utils') not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(REPO / 'module_utils'))
if str(REPO / 'tests') not in sys.path:
    sys.path.insert(0, str(REPO / 'tests'))

from ansible.module_utils.copilot.catalogue import filter_models, normalize_model, unique_ids  # noqa: E402
from ansible.module_utils.copilot.endpoints import CopilotClient, api_base, read_github_token  # noqa: E402
from ansible.module_utils.copilot.errors import ERROR_KINDS, CopilotError, redact  # noqa: E402
from ansible.module_utils.copilot.http import DEFAULT_HEADERS, merge_headers  # noqa: E402
from ansible.module_utils.copilot.modules import token_argument_spec  # noqa: E402
from module_harness import load_source  # noqa: E402


# ---------------------------------------------------------------------------
# raw /models entries written for the pure-function tests
# ---------------------------------------------------------------------------

FULL = {
    'id': 'claude-sonnet-4.5',
    'name': 'Claude Sonnet 4.5',
    'vendor': 'Anthropic',
    'version': 'claude-sonnet-4.5',
    'object': 'model',
    'preview': False,
    'model_picker_enabled': True,
    'billing': {'is_premium': True, 'multiplier': 1},
    'policy': {'state': 'enabled', 'terms': 'x'},
    'supported_endpoints': ['/chat/completions', '/v1/messages'],
    'capabilities': {
        'type': 'chat', 'family': 'claude-sonnet-4.5', 'tokenizer': 'o200k_base',
        'limits': {'max_context_window_tokens': 200000, 'max_prompt_tokens': 128000, 'max_output_tokens': 16000,
                   'vision': {'max_prompt_images': 5}},
        'supports': {'streaming': True, 'tool_calls': True, 'parallel_tool_calls': True, 'vision': True,
                     'structured_outputs': False, 'reasoning_effort': ['low', 'medium', 'high']},
    },
}

NORMALIZED_KEYS = {
    'id', 'name', 'vendor', 'version', 'type', 'family', 'preview', 'picker_enabled', 'policy_state', 'premium',
    'multiplier', 'max_context_tokens', 'max_prompt_tokens', 'max_output_tokens', 'supports_tools',
    'supports_parallel_tool_calls', 'supports_vision', 'supports_streaming', 'supports_structured_outputs',
    'reasoning_efforts', 'supported_endpoints', 'mode',
}


def raw(model_id, type_='chat', picker=True, policy='enabled', endpoints=None):
    entry = {'id': model_id, 'name': model_id.upper(), 'model_picker_enabled': picker,
             'capabilities': {'type': type_}}
    if policy is not None:
        entry['policy'] = {'state': policy}
    if endpoints is not None:
        entry['supported_endpoints'] = endpoints
    return entry


class TestNormalizeModel:
    def test_full_entry(self):
        model = normalize_model(FULL)
        assert set(model) == NORMALIZED_KEYS
        assert model == {
            'id': 'claude-sonnet-4.5', 'name': 'Claude Sonnet 4.5', 'vendor': 'Anthropic',
            'version': 'claude-sonnet-4.5', 'type': 'chat', 'family': 'claude-sonnet-4.5', 'preview': False,
            'picker_enabled': True, 'policy_state': 'enabled', 'premium': True, 'multiplier': 1.0,
            'max_context_tokens': 200000, 'max_prompt_tokens': 128000, 'max_output_tokens': 16000,
            'supports_tools': True, 'supports_parallel_tool_calls': True, 'supports_vision': True,
            'supports_streaming': True, 'supports_structured_outputs': False,
            'reasoning_efforts': ['low', 'medium', 'high'],
            'supported_endpoints': ['/chat/completions', '/v1/messages'], 'mode': 'chat',
        }
        assert isinstance(model['multiplier'], float)

    def test_minimal_entry(self):
        model = normalize_model({'id': 'gpt-3.5-turbo'})
        assert set(model) == NORMALIZED_KEYS
        assert model['name'] == 'gpt-3.5-turbo'
        assert model['vendor'] is None and model['version'] is None and model['family'] is None
        assert model['type'] == 'chat'
        assert model['policy_state'] == 'enabled'
        assert model['preview'] is False and model['picker_enabled'] is False and model['premium'] is False
        assert model['multiplier'] is None
        assert model['max_context_tokens'] is None and model['max_prompt_tokens'] is None
        assert model['max_output_tokens'] is None
        for key in ('supports_tools', 'supports_parallel_tool_calls', 'supports_vision', 'supports_streaming',
                    'supports_structured_outputs'):
            assert model[key] is False
        assert model['reasoning_efforts'] == []
        assert model['supported_endpoints'] == []
        assert model['mode'] == 'chat'

    def test_wrong_shapes_are_tolerated(self):
        model = normalize_model({'id': 'odd', 'capabilities': 'nope', 'billing': [], 'policy': 'weird',
                                 'supported_endpoints': 'oops'})
        assert model['type'] == 'chat' and model['policy_state'] == 'enabled'
        assert model['supported_endpoints'] == ['oops']
        model = normalize_model({'id': 'odd2', 'capabilities': {'limits': {'max_output_tokens': '4096',
                                                                             'max_prompt_tokens': 'many'},
                                                                  'supports': {'reasoning_effort': 'high'}}})
        assert model['max_output_tokens'] == 4096
        assert model['max_prompt_tokens'] is None
        assert model['reasoning_efforts'] == ['high']

    def test_policy_states(self):
        assert normalize_model(raw('a', policy='disabled'))['policy_state'] == 'disabled'
        assert normalize_model(raw('a', policy='unconfigured'))['policy_state'] == 'unconfigured'
        assert normalize_model(raw('a', policy=None))['policy_state'] == 'enabled'
        assert normalize_model({'id': 'a', 'policy': {}})['policy_state'] == 'enabled'

    @pytest.mark.parametrize('type_, endpoints, mode', [
        ('embeddings', None, 'embedding'),
        ('embeddings', ['/embeddings'], 'embedding'),
        ('chat', ['/responses'], 'responses'),
        ('chat', ['/responses', '/v1/messages'], 'responses'),
        ('chat', ['/chat/completions', '/responses'], 'chat'),
        ('chat', [], 'chat'),
        ('chat', None, 'chat'),
    ])
    def test_mode(self, type_, endpoints, mode):
        model = normalize_model(raw('m', type_=type_, endpoints=endpoints))
        assert model['mode'] == mode
        assert model['type'] == type_


class TestFilterModels:
    CATALOG = [normalize_model(r) for r in [
        raw('gpt-4.1'),
        raw('gpt-4o'),
        raw('gpt-4o', picker=False),                  # duplicate id, hidden
        raw('gpt-5-codex', endpoints=['/responses']),
        raw('claude-sonnet-4.5'),
        raw('claude-opus-4', policy='disabled'),
        raw('gemini-2.5-pro', policy='unconfigured'),
        raw('gpt-4-0613', picker=False),
        raw('text-embedding-3-small', type_='embeddings', picker=False),
        raw('o3-mini', policy=None),
    ]]

    def ids(self, **kwargs):
        return [m['id'] for m in filter_models(self.CATALOG, **kwargs)]

    def test_defaults(self):
        assert self.ids() == ['gpt-4.1', 'gpt-4o', 'gpt-5-codex', 'claude-sonnet-4.5', 'o3-mini']

    def test_include_exclude_globs_keep_api_order(self):
        assert self.ids(include=['claude-*', 'gpt-4*']) == ['gpt-4.1', 'gpt-4o', 'claude-sonnet-4.5']
        assert self.ids(include=['gpt-*'], exclude=['*codex*', 'gpt-4.?']) == ['gpt-4o']
        assert self.ids(include=['GPT-4O']) == ['gpt-4o']
        assert self.ids(include=[]) == self.ids()
        assert self.ids(include=['nothing*']) == []

    def test_types(self):
        assert self.ids(types=['embeddings'], picker_only=False) == ['text-embedding-3-small']
        everything = self.ids(types=[], picker_only=False, enabled_only=False)
        assert 'text-embedding-3-small' in everything and 'claude-opus-4' in everything
        assert self.ids(types=None, picker_only=False) == self.ids(types=[], picker_only=False)

    def test_enabled_and_picker(self):
        assert 'claude-opus-4' in self.ids(enabled_only=False)
        assert 'gemini-2.5-pro' in self.ids(enabled_only=False)
        assert 'gpt-4-0613' in self.ids(picker_only=False)
        assert 'gpt-4-0613' not in self.ids()

    def test_duplicates_first_wins(self):
        selected = filter_models(self.CATALOG, picker_only=False)
        ids = [m['id'] for m in selected]
        assert ids.count('gpt-4o') == 1
        assert [m for m in selected if m['id'] == 'gpt-4o'][0]['picker_enabled'] is True
        # when the first entry is filtered out, the next one with that id may qualify
        catalog = [normalize_model(raw('x', picker=False)), normalize_model(dict(raw('x'), name='second'))]
        assert [m['name'] for m in filter_models(catalog)] == ['second']

    def test_unique_ids(self):
        assert unique_ids(self.CATALOG)[:3] == ['gpt-4.1', 'gpt-4o', 'gpt-5-codex']
        assert len(unique_ids(self.CATALOG)) == len(self.CATALOG) - 1


class TestHelpers:
    def test_merge_headers_case_insensitive(self):
        merged = merge_headers(DEFAULT_HEADERS, {'Editor-Version': 'vscode/9.9.9', 'X-Extra': 1,
                                                 'COPILOT-INTEGRATION-ID': None})
        assert merged['editor-version'] == 'vscode/9.9.9'
        assert merged['x-extra'] == '1'
        assert 'copilot-integration-id' not in merged
        assert merged['user-agent'] == 'GitHubCopilotChat/0.68.0'

    def test_default_headers(self):
        assert DEFAULT_HEADERS == {
            'accept': 'application/json',
            'editor-version': 'vscode/1.140.0',
            'editor-plugin-version': 'copilot-chat/0.68.0',
            'user-agent': 'GitHubCopilotChat/0.68.0',
            'copilot-integration-id': 'vscode-chat',
        }

    def test_default_headers_are_the_roles(self):
        # Copilot answers HTTP 466 to a retired editor version: a module run without the role's
        # headers must not claim an older editor than the role does.
        defaults = yaml.safe_load((REPO / 'roles/litellm_copilot/defaults/main.yml').read_text())
        role_headers = {k.lower(): v for k, v in defaults['litellm_copilot_ide_headers'].items()}
        assert merge_headers(DEFAULT_HEADERS, {'accept': None}) == role_headers

    def test_client_never_takes_authorization_from_headers(self):
        client = CopilotClient(headers={'Authorization': 'token leaked'})
        assert 'authorization' not in client.headers

    def test_api_base(self):
        assert api_base({'endpoints': {'api': 'https://api.business.githubcopilot.com/'}}) == \
            'https://api.business.githubcopilot.com'
        for bad in ({}, {'endpoints': None}, {'endpoints': {'api': ''}}, None):
            with pytest.raises(CopilotError) as err:
                api_base(bad)
            assert err.value.kind == 'malformed'
            assert 'api_base' in err.value.message

    def test_redact(self):
        text = ('token gho_abcdefghijklmnop1234 and Bearer tid=abc;exp=123;sku=x:sig and '
                'authorization: token 0123456789abcdef0123 and a token exchange')
        cleaned = redact(text, ['s3cret'])
        assert 'gho_' not in cleaned and 'tid=' not in cleaned and '0123456789abcdef' not in cleaned
        assert 'token exchange' in cleaned
        assert redact('x s3cret y', ['s3cret']) == 'x ******** y'

    def test_error_kind_validated(self):
        with pytest.raises(ValueError):
            CopilotError('bogus', 'x')
        err = CopilotError('timeout', 'timed out', url='http://x', status=None)
        assert str(err) == 'timed out'
        assert err.to_result() == {'msg': 'timed out', 'error_kind': 'timeout', 'url': 'http://x'}
        assert set(ERROR_KINDS) == {'invalid_token', 'no_copilot', 'unreachable', 'timeout', 'server_error',
                                    'malformed', 'http_error', 'empty_token', 'insecure_url',
                                    'unsupported_client'}


class TestTokenOptionsDocFragment:
    """The shared token options are documented once: the doc fragment must say what the code does."""

    @staticmethod
    def fragment_options():
        path = REPO / 'plugins' / 'doc_fragments' / 'copilot_token.py'
        fragment = load_source(path, 'copilot_token')
        return yaml.safe_load(fragment.ModuleDocFragment.DOCUMENTATION)['options']

    def test_every_option_of_token_argument_spec_is_documented_as_it_is(self):
        documented = self.fragment_options()
        spec = token_argument_spec()
        assert set(documented) == set(spec)
        for name, option in spec.items():
            assert documented[name]['type'] == option['type'], name
            assert documented[name].get('default') == option.get('default'), name

    def test_the_modules_take_their_token_options_from_the_fragment(self):
        for name in ('copilot_models_info', 'copilot_usage_info'):
            source = (REPO / 'library' / (name + '.py')).read_text()
            doc = yaml.safe_load(source.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])
            assert doc['extends_documentation_fragment'] == ['copilot_token'], name
            # documented once: a module repeating a shared option would drift from the fragment
            assert not set(doc['options']) & set(token_argument_spec()), name


class TestReadGithubToken:
    def test_value_is_stripped(self):
        assert read_github_token('  gho_abc \n') == 'gho_abc'

    @pytest.mark.parametrize('value', ['', '   ', '\n\t '])
    def test_empty_value(self, value):
        with pytest.raises(CopilotError) as err:
            read_github_token(value)
        assert err.value.kind == 'empty_token'
        assert 'empty' in err.value.message

    def test_nothing_given(self):
        with pytest.raises(CopilotError) as err:
            read_github_token(None, None)
        assert err.value.kind == 'empty_token'
        assert 'github_token' in err.value.message

    def test_file(self, tmp_path):
        path = tmp_path / 'access-token'
        path.write_text('gho_fromfile\n')
        assert read_github_token(path=str(path)) == 'gho_fromfile'

    def test_empty_file(self, tmp_path):
        path = tmp_path / 'access-token'
        path.write_text('  \n')
        with pytest.raises(CopilotError) as err:
            read_github_token(path=str(path))
        assert err.value.kind == 'empty_token'
        assert str(path) in err.value.message and 'empty' in err.value.message

    def test_missing_file(self, tmp_path):
        path = tmp_path / 'nope' / 'access-token'
        with pytest.raises(CopilotError) as err:
            read_github_token(path=str(path))
        assert err.value.kind == 'empty_token'
        assert str(path) in err.value.message and 'does not exist' in err.value.message

    def test_directory(self, tmp_path):
        with pytest.raises(CopilotError) as err:
            read_github_token(path=str(tmp_path))
        assert str(tmp_path) in err.value.message and 'directory' in err.value.message

    def test_unreadable_file(self, tmp_path, monkeypatch):
        path = tmp_path / 'access-token'
        path.write_text('gho_x')

        def deny(*args, **kwargs):
            raise PermissionError(13, 'Permission denied')

        monkeypatch.setattr('os.open', deny)
        with pytest.raises(CopilotError) as err:
            read_github_token(path=str(path))
        assert str(path) in err.value.message and 'Permission denied' in err.value.message

    # The token directory belongs to the service user, and the modules read it as root: whatever
    # that user plants there names no file a root read follows, blocks on, or reads without end.
    def test_a_link_is_not_followed(self, tmp_path):
        secret = tmp_path / 'root-only'
        secret.write_text('root:$6$secret\n')
        path = tmp_path / 'access-token'
        path.symlink_to(secret)
        with pytest.raises(CopilotError) as err:
            read_github_token(path=str(path))
        assert 'link' in err.value.message and str(path) in err.value.message
        assert '$6$secret' not in err.value.message

    def test_a_fifo_does_not_block(self, tmp_path):
        path = tmp_path / 'access-token'
        os.mkfifo(str(path))
        with pytest.raises(CopilotError) as err:
            read_github_token(path=str(path))
        assert 'not a regular file' in err.value.message

    def test_an_endless_file_is_not_read_whole(self, tmp_path):
        path = tmp_path / 'access-token'
        path.write_bytes(b'g' * (1 << 20))
        with pytest.raises(CopilotError) as err:
            read_github_token(path=str(path))
        assert 'larger than' in err.value.message


# ---------------------------------------------------------------------------
# the client against the simulator
# ---------------------------------------------------------------------------

import copilot_sim  # noqa: E402  (tests/ is put on sys.path above)
from copilot_sim import (  # noqa: E402
    BUSINESS_TOKEN, ENTERPRISE_TOKEN, INDIVIDUAL_TOKEN, NO_COPILOT_TOKEN, UNKNOWN_TOKEN)
ALL_TOKENS = (INDIVIDUAL_TOKEN, BUSINESS_TOKEN, ENTERPRISE_TOKEN, NO_COPILOT_TOKEN, UNKNOWN_TOKEN)


def control(sim, method, path, body=None):
    """Call the simulator's control API; returns the parsed JSON answer (or None)."""
    return copilot_sim.control(sim.url, method, path, body)


def add_fault(sim, path, **spec):
    spec['path'] = path
    control(sim, 'POST', '/_sim/faults', spec)


def recorded(sim, path):
    answer = control(sim, 'GET', '/_sim/requests?path=' + path)
    if isinstance(answer, dict):
        answer = answer.get('requests', answer.get('data'))
    return answer


def closed_port_url():
    """A local URL nothing listens on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return 'http://127.0.0.1:%d' % port


def make_client(sim, **kwargs):
    kwargs.setdefault('github_api_url', sim.url)
    kwargs.setdefault('timeout', 5)
    kwargs.setdefault('retries', 2)
    kwargs.setdefault('backoff', 0)
    kwargs.setdefault('allow_insecure_http', True)  # the simulator speaks plain http
    return CopilotClient(None, **kwargs)


def assert_clean(message, *secrets):
    """No token and no Authorization header in an error message."""
    for secret in ALL_TOKENS + tuple(s for s in secrets if s):
        assert secret not in message
    assert 'gho_' not in message
    assert 'tid=' not in message
    # no Authorization header value, whatever the scheme
    assert not re.search(r'(?i)(authorization|bearer|token)\W+(token\s|bearer\s|basic\s|gh|tid|sha256)', message)


def error_of(call, *args):
    with pytest.raises(CopilotError) as err:
        call(*args)
    assert err.value.kind in ERROR_KINDS
    # the string arguments are tokens, except URLs
    assert_clean(err.value.message, *[a for a in args if isinstance(a, str) and not a.startswith('http')])
    return err.value


class TestExchange:
    @pytest.mark.parametrize('token, plan, individual', [
        (INDIVIDUAL_TOKEN, 'individual', True),
        (BUSINESS_TOKEN, 'business', False),
        (ENTERPRISE_TOKEN, 'enterprise', False),
    ])
    def test_exchange_per_plan(self, sim, token, plan, individual):
        exchange = make_client(sim).exchange_token(token)
        assert api_base(exchange, True) == sim.url + '/copilot/' + plan
        assert exchange['individual'] is individual
        assert isinstance(exchange['expires_at'], int) and exchange['expires_at'] > time.time()
        assert exchange['token'].startswith('tid=')

    def test_exchange_sends_token_auth_and_ide_headers(self, sim):
        make_client(sim).exchange_token('  %s\n' % INDIVIDUAL_TOKEN)
        [request] = recorded(sim, '/copilot_internal/v2/token')
        headers = {k.lower(): v for k, v in request['headers'].items()}
        assert headers['authorization'].startswith('token ')
        assert headers['authorization'] == 'token ' + copilot_sim.fingerprint(INDIVIDUAL_TOKEN)
        for name, value in DEFAULT_HEADERS.items():
            assert headers[name] == value

    def test_invalid_token(self, sim):
        client = make_client(sim)
        err = error_of(client.exchange_token, UNKNOWN_TOKEN)
        url = sim.url + '/copilot_internal/v2/token'
        assert err.kind == 'invalid_token' and err.status == 401 and err.url == url
        assert err.message == ('GitHub token is invalid or revoked (HTTP 401 from %s); sign in again '
                               '(playbooks/login.yml) and update the vaulted token' % url)
        assert len(recorded(sim, '/copilot_internal/v2/token')) == 1  # never retried

    def test_revoked_token(self, sim):
        client = make_client(sim)
        client.exchange_token(BUSINESS_TOKEN)
        control(sim, 'POST', '/_sim/revoke', {'token': BUSINESS_TOKEN})
        err = error_of(client.exchange_token, BUSINESS_TOKEN)
        assert err.kind == 'invalid_token' and err.status == 401

    def test_no_copilot(self, sim):
        err = error_of(make_client(sim).exchange_token, NO_COPILOT_TOKEN)
        url = sim.url + '/copilot_internal/v2/token'
        assert err.kind == 'no_copilot' and err.status == 403
        assert err.message == ('this GitHub account has no Copilot access (HTTP 403 from %s); check the seat at '
                               'https://github.com/settings/copilot or the client id' % url)
        assert len(recorded(sim, '/copilot_internal/v2/token')) == 1

    def test_404_is_no_copilot_and_not_retried(self, sim):
        add_fault(sim, '/copilot_internal/v2/token', status=404)
        err = error_of(make_client(sim).exchange_token, INDIVIDUAL_TOKEN)
        assert err.kind == 'no_copilot' and err.status == 404
        assert 'HTTP 404' in err.message
        assert len(recorded(sim, '/copilot_internal/v2/token')) == 1

    @pytest.mark.parametrize('token', ['', '   ', '\n', None])
    def test_empty_token_makes_no_request(self, sim, token):
        err = error_of(make_client(sim).exchange_token, token)
        assert err.kind == 'empty_token'
        assert recorded(sim, '/copilot_internal/v2/token') == []

    def test_token_missing_from_answer(self, sim):
        add_fault(sim, '/copilot_internal/v2/token', status=200, body={'expires_at': 1, 'endpoints': {}})
        err = error_of(make_client(sim).exchange_token, INDIVIDUAL_TOKEN)
        assert err.kind == 'malformed' and 'no Copilot token' in err.message

    def test_error_body_echoing_the_token_is_redacted(self, sim):
        add_fault(sim, '/copilot_internal/v2/token', status=400,
                  body={'message': 'bad header Authorization: token %s' % INDIVIDUAL_TOKEN})
        err = error_of(make_client(sim).exchange_token, INDIVIDUAL_TOKEN)
        assert err.kind == 'http_error' and err.status == 400
        assert 'HTTP 400' in err.message and '********' in err.message
        assert 'Authorization: ********' in err.message

    def test_long_error_body_is_cut(self, sim):
        add_fault(sim, '/copilot_internal/v2/token', status=400, body='x' * 5000)
        err = error_of(make_client(sim).exchange_token, INDIVIDUAL_TOKEN)
        assert len(err.message) < 400 and err.message.endswith('...')


class TestModels:
    def models(self, sim, token=INDIVIDUAL_TOKEN, **kwargs):
        client = make_client(sim, **kwargs)
        exchange = client.exchange_token(token)
        return client, exchange, client.list_models(exchange['token'], api_base(exchange, True))

    def test_list_models(self, sim):
        client, exchange, models = self.models(sim)
        ids = [m['id'] for m in models]
        for expected in ('gpt-4.1', 'gpt-4o', 'gpt-5-mini', 'claude-sonnet-4', 'claude-sonnet-4.5',
                         'claude-haiku-4.5', 'gpt-5-codex', 'text-embedding-3-small'):
            assert expected in ids
        codex = normalize_model([m for m in models if m['id'] == 'gpt-5-codex'][0])
        assert codex['mode'] == 'responses'
        embedding = normalize_model([m for m in models if m['id'] == 'text-embedding-3-small'][0])
        assert embedding['mode'] == 'embedding' and embedding['type'] == 'embeddings'
        for raw_model in models:
            assert set(normalize_model(raw_model)) == NORMALIZED_KEYS

    def test_models_request_headers(self, sim):
        self.models(sim, token=BUSINESS_TOKEN)
        [request] = recorded(sim, '/models')
        assert request['path'] == '/copilot/business/models'
        headers = {k.lower(): v for k, v in request['headers'].items()}
        assert headers['authorization'].startswith('Bearer sha256:')
        for name, value in DEFAULT_HEADERS.items():
            assert headers[name] == value

    def test_header_overrides_reach_the_server(self, sim):
        self.models(sim, headers={'Editor-Version': 'vscode/1.99.3', 'X-Custom-Header': 'yes',
                                  'Authorization': 'token must-not-be-used'})
        for path in ('/copilot_internal/v2/token', '/models'):
            [request] = recorded(sim, path)
            headers = {k.lower(): v for k, v in request['headers'].items()}
            assert headers['editor-version'] == 'vscode/1.99.3'
            assert headers['x-custom-header'] == 'yes'
            assert headers['editor-plugin-version'] == 'copilot-chat/0.68.0'
            assert 'must-not-be-used' not in headers['authorization']

    def test_missing_editor_version_is_an_http_error(self, sim):
        client = make_client(sim, headers={'editor-version': None})
        exchange = client.exchange_token(INDIVIDUAL_TOKEN)
        err = error_of(client.list_models, exchange['token'], api_base(exchange, True))
        assert err.kind == 'http_error' and err.status == 400
        assert sim.url + '/copilot/individual/models' in err.message
        assert len(recorded(sim, '/models')) == 1

    def test_bad_copilot_token(self, sim):
        client = make_client(sim)
        exchange = client.exchange_token(INDIVIDUAL_TOKEN)
        bogus = 'tid=0123456789abcdef;exp=1;sku=x:deadbeef'
        err = error_of(client.list_models, bogus, api_base(exchange, True))
        assert err.kind == 'invalid_token' and err.status == 401
        assert 'Copilot token was rejected' in err.message
        assert sim.url + '/copilot/individual/models' in err.message
        assert len(recorded(sim, '/models')) == 1

    def test_revoked_github_token_kills_copilot_token(self, sim):
        client = make_client(sim)
        exchange = client.exchange_token(ENTERPRISE_TOKEN)
        control(sim, 'POST', '/_sim/revoke', {'token': ENTERPRISE_TOKEN})
        err = error_of(client.list_models, exchange['token'], api_base(exchange, True))
        assert err.kind == 'invalid_token'
        assert_clean(err.message, exchange['token'])

    def test_empty_copilot_token(self, sim):
        err = error_of(make_client(sim).list_models, '', sim.url + '/copilot/individual')
        assert err.kind == 'empty_token'

    def test_server_error_is_retried_then_succeeds(self, sim):
        add_fault(sim, '/models', status=503, times=2)
        client, exchange, models = self.models(sim, retries=2)
        assert models
        assert len(recorded(sim, '/models')) == 3
        assert client.last_attempts == 3

    def test_server_error_after_retries(self, sim):
        add_fault(sim, '/models', status=503, body='upstream unavailable')
        client = make_client(sim, retries=2)
        exchange = client.exchange_token(INDIVIDUAL_TOKEN)
        err = error_of(client.list_models, exchange['token'], api_base(exchange, True))
        url = sim.url + '/copilot/individual/models'
        assert err.kind == 'server_error' and err.status == 503 and err.url == url
        assert err.message.startswith('%s answered HTTP 503 (server error)' % url)
        assert 'after 3 attempts' in err.message and 'upstream unavailable' in err.message
        assert len(recorded(sim, '/models')) == 3

    def test_rate_limit_is_retried(self, sim):
        add_fault(sim, '/models', status=429, times=1, headers={'Retry-After': '0'})
        client, exchange, models = self.models(sim, retries=1)
        assert models
        assert len(recorded(sim, '/models')) == 2

    def test_rate_limit_after_retries(self, sim):
        add_fault(sim, '/models', status=429)
        client = make_client(sim, retries=1)
        exchange = client.exchange_token(INDIVIDUAL_TOKEN)
        err = error_of(client.list_models, exchange['token'], api_base(exchange, True))
        assert err.kind == 'http_error' and err.status == 429 and 'rate limited' in err.message

    def test_retries_zero_means_one_attempt(self, sim):
        add_fault(sim, '/models', status=502)
        client = make_client(sim, retries=0)
        exchange = client.exchange_token(INDIVIDUAL_TOKEN)
        err = error_of(client.list_models, exchange['token'], api_base(exchange, True))
        assert err.kind == 'server_error' and 'attempts' not in err.message
        assert len(recorded(sim, '/models')) == 1

    @pytest.mark.parametrize('status', [401, 403, 404])
    def test_client_errors_are_never_retried(self, sim, status):
        add_fault(sim, '/models', status=status)
        client = make_client(sim, retries=3)
        exchange = client.exchange_token(INDIVIDUAL_TOKEN)
        err = error_of(client.list_models, exchange['token'], api_base(exchange, True))
        assert err.status == status
        assert err.kind == {401: 'invalid_token', 403: 'no_copilot', 404: 'http_error'}[status]
        assert len(recorded(sim, '/models')) == 1

    def test_malformed_json(self, sim):
        add_fault(sim, '/models', malformed=True)
        client = make_client(sim, retries=2)
        exchange = client.exchange_token(INDIVIDUAL_TOKEN)
        err = error_of(client.list_models, exchange['token'], api_base(exchange, True))
        assert err.kind == 'malformed'
        assert err.message.startswith('malformed response from %s/copilot/individual/models: ' % sim.url)
        assert len(recorded(sim, '/models')) == 1  # not retried

    @pytest.mark.parametrize('body', ['<html><body>Sign in to the proxy</body></html>', '', '"just a string"',
                                      {'data': 'nope'}, {'object': 'list'}])
    def test_wrong_shapes(self, sim, body):
        add_fault(sim, '/models', status=200, body=body)
        client = make_client(sim)
        exchange = client.exchange_token(INDIVIDUAL_TOKEN)
        err = error_of(client.list_models, exchange['token'], api_base(exchange, True))
        assert err.kind == 'malformed' and 'malformed response from' in err.message

    def test_bare_list_and_junk_entries_are_tolerated(self, sim):
        add_fault(sim, '/models', status=200, body=[{'id': 'gpt-4.1'}, 'junk', {'name': 'no id'}, {'id': 'o3'}])
        client, exchange, models = self.models(sim)
        assert [m['id'] for m in models] == ['gpt-4.1', 'o3']

    def test_models_added_and_removed(self, sim):
        control(sim, 'POST', '/_sim/models', {'remove': ['gpt-4o'], 'add': [{'id': 'my-new-model'}]})
        client, exchange, models = self.models(sim)
        ids = [m['id'] for m in models]
        assert 'gpt-4o' not in ids and 'my-new-model' in ids


class TestTransport:
    def test_unreachable(self):
        url = closed_port_url()
        sleeps = []
        client = CopilotClient(None, github_api_url=url, timeout=5, retries=2, backoff=0.5, sleep=sleeps.append,
                               allow_insecure_http=True)
        err = error_of(client.exchange_token, INDIVIDUAL_TOKEN)
        assert err.kind == 'unreachable' and err.status is None
        assert err.url == url + '/copilot_internal/v2/token'
        assert err.message.startswith('cannot reach %s/copilot_internal/v2/token: ' % url)
        assert 'refused' in err.message.lower()
        assert 'after 3 attempts' in err.message
        assert sleeps == [0.5, 1.0]  # retried with a growing pause
        assert client.last_attempts == 3

    def test_unresolvable_host(self):
        client = CopilotClient(None, github_api_url='http://copilot-sim.invalid', timeout=5, retries=0,
                               allow_insecure_http=True)
        err = error_of(client.get_usage, INDIVIDUAL_TOKEN)
        assert err.kind == 'unreachable' and 'copilot-sim.invalid' in err.message

    def test_bad_url(self):
        client = CopilotClient(None, github_api_url='not a url', retries=3, allow_insecure_http=True)
        err = error_of(client.exchange_token, INDIVIDUAL_TOKEN)
        assert err.kind == 'insecure_url' and 'not a url' in err.message
        assert client.last_attempts == 0  # refused before anything was sent

    def test_credentials_in_url_are_masked(self):
        url = closed_port_url().replace('http://', 'http://user:hunter2@')
        client = CopilotClient(None, github_api_url=url, retries=0, allow_insecure_http=True)
        err = error_of(client.exchange_token, INDIVIDUAL_TOKEN)
        assert 'hunter2' not in err.message and 'hunter2' not in err.url

    def test_timeout(self, sim):
        add_fault(sim, '/copilot_internal/v2/token', delay=2)
        client = make_client(sim, timeout=0.5, retries=0)
        started = time.time()
        err = error_of(client.exchange_token, INDIVIDUAL_TOKEN)
        assert time.time() - started < 1.8
        url = sim.url + '/copilot_internal/v2/token'
        assert err.kind == 'timeout' and err.url == url
        assert err.message.startswith('timed out after 0.5 s waiting for %s' % url)

    def test_timeout_is_retried(self, sim):
        add_fault(sim, '/models', delay=1.5, times=1)
        client, exchange, models = TestModels().models(sim, timeout=0.5, retries=1)
        assert models
        assert len(recorded(sim, '/models')) == 2

    def test_usage(self, sim):
        usage = make_client(sim).get_usage(BUSINESS_TOKEN)
        assert usage['copilot_plan'] == 'business'
        assert 'premium_interactions' in usage['quota_snapshots']

    def test_usage_errors(self, sim):
        client = make_client(sim)
        err = error_of(client.get_usage, UNKNOWN_TOKEN)
        assert err.kind == 'invalid_token' and 'playbooks/login.yml' in err.message
        err = error_of(client.get_usage, NO_COPILOT_TOKEN)
        assert err.kind == 'no_copilot' and err.status == 404

    def test_github_api_url_trailing_slash(self, sim):
        client = make_client(sim, github_api_url=sim.url + '/')
        assert client.exchange_token(INDIVIDUAL_TOKEN)['token']

    def test_secrets_registered_with_module(self, sim):
        class FakeModule(object):
            no_log_values = set()

        module = FakeModule()
        client = CopilotClient(module, github_api_url=sim.url, retries=0, allow_insecure_http=True)
        exchange = client.exchange_token(INDIVIDUAL_TOKEN)
        assert INDIVIDUAL_TOKEN in module.no_log_values
        assert exchange['token'] in module.no_log_values


@pytest.fixture(scope='module')
def tls_server(tmp_path_factory):
    """A local HTTPS server with a self-signed certificate, answering a token exchange."""
    import http.server
    import shutil
    import ssl
    import subprocess
    import threading

    # scripts/bootstrap.sh installs it: the TLS checks run everywhere, never skipped.
    assert shutil.which('openssl'), 'openssl is needed to make a self-signed certificate (scripts/bootstrap.sh)'
    directory = tmp_path_factory.mktemp('tls')
    cert, key = directory / 'cert.pem', directory / 'key.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', str(key),
                    '-out', str(cert), '-days', '1', '-subj', '/CN=localhost'],
                   check=True, capture_output=True)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({'token': 'tid=tls1;exp=1:sig', 'expires_at': 1,
                               'endpoints': {'api': 'https://127.0.0.1/'}}).encode()
            self.send_response(200)
            self.send_header('content-type', 'application/json')
            self.send_header('content-length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'https://127.0.0.1:%d' % server.server_address[1]
    server.shutdown()
    server.server_close()


class TestTLS:
    def test_untrusted_certificate_fails_without_retry(self, tls_server):
        sleeps = []
        client = CopilotClient(None, github_api_url=tls_server, retries=2, sleep=sleeps.append)
        err = error_of(client.exchange_token, INDIVIDUAL_TOKEN)
        assert err.kind == 'unreachable'
        assert 'certificate verify failed' in err.message and 'CA certificates' in err.message
        assert sleeps == [] and client.last_attempts == 1

    def test_validate_certs_false(self, tls_server):
        client = CopilotClient(None, github_api_url=tls_server, retries=0, validate_certs=False)
        assert api_base(client.exchange_token(INDIVIDUAL_TOKEN)) == 'https://127.0.0.1'
