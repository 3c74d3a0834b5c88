# -*- coding: utf-8 -*-
"""Tests for module_utils/copilot.py: pure helpers, then the client against the simulator."""

from __future__ import annotations

import json
import socket
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import ansible.module_utils

REPO = Path(__file__).resolve().parents[2]
if str(REPO / 'module_utils') not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(REPO / 'module_utils'))
if str(REPO / 'tests') not in sys.path:
    sys.path.insert(0, str(REPO / 'tests'))

from ansible.module_utils import copilot  # noqa: E402
from ansible.module_utils.copilot import (  # noqa: E402
    DEFAULT_HEADERS,
    ERROR_KINDS,
    CopilotClient,
    CopilotError,
    api_base,
    filter_models,
    merge_headers,
    normalize_model,
    read_github_token,
    redact,
    unique_ids,
)


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
        assert merged['user-agent'] == 'GitHubCopilotChat/0.26.7'

    def test_default_headers(self):
        assert DEFAULT_HEADERS == {
            'accept': 'application/json',
            'editor-version': 'vscode/1.95.0',
            'editor-plugin-version': 'copilot-chat/0.26.7',
            'user-agent': 'GitHubCopilotChat/0.26.7',
            'copilot-integration-id': 'vscode-chat',
        }

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
                                    'malformed', 'http_error', 'empty_token'}


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

        monkeypatch.setattr('builtins.open', deny)
        with pytest.raises(CopilotError) as err:
            read_github_token(path=str(path))
        assert str(path) in err.value.message and 'Permission denied' in err.value.message
