# -*- coding: utf-8 -*-
"""A spent premium allowance and a retired editor version: how the simulator answers them like
Copilot does, and how discovery (module_utils/copilot/ through copilot_models_info) reports the
retired editor."""

from __future__ import annotations

import pytest
import requests

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
from module_harness import load_library_module, simulator_runner
from ansible.module_utils.copilot.endpoints import CopilotClient, api_base
from ansible.module_utils.copilot.errors import CopilotError

import anthropic
import copilot_sim
import openai
from copilot_sim import BUSINESS_TOKEN, INDIVIDUAL_TOKEN

copilot_models_info = load_library_module('copilot_models_info')

OLD_HEADERS = {
    'editor-version': 'vscode/1.95.0',
    'editor-plugin-version': 'copilot-chat/0.26.7',
    'copilot-integration-id': 'vscode-chat',
    'user-agent': 'GitHubCopilotChat/0.26.7',
}
CURRENT_HEADERS = dict(OLD_HEADERS, **{'editor-version': 'vscode/1.140.0',
                                       'editor-plugin-version': 'copilot-chat/0.68.0'})
RETIRED_TEXT = ('bad request: the specified API version is no longer supported. '
                'You may need to update your client to a newer version.\n')
SPENT_TOKEN = 'gho_' + 's' * 36
HI = [{'role': 'user', 'content': 'hi'}]


def control(sim, method, path, body=None):
    return copilot_sim.control(sim.url, method, path, body)


def session(sim, token=INDIVIDUAL_TOKEN):
    """(api base URL, Copilot token) for a GitHub token."""
    answer = requests.get(sim.url + '/copilot_internal/v2/token', timeout=10,
                          headers={'Authorization': 'token ' + token, **OLD_HEADERS})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body['endpoints']['api'], body['token']


def premium_remaining(sim, token):
    user = requests.get(sim.url + '/copilot_internal/user', headers={'Authorization': 'token ' + token},
                        timeout=10).json()
    return user['quota_snapshots']['premium_interactions']['remaining']


# ---------------------------------------------------------------------------
# the simulator: a spent allowance
# ---------------------------------------------------------------------------

@pytest.fixture
def spent(sim):
    """An account whose premium allowance is used up, and clients for its three APIs."""
    control(sim, 'POST', '/_sim/accounts', {'token': SPENT_TOKEN, 'plan': 'individual', 'premium_remaining': 0})
    api, token = session(sim, SPENT_TOKEN)
    return {
        'openai': openai.OpenAI(base_url=api, api_key=token, max_retries=0, default_headers=CURRENT_HEADERS),
        'agent': openai.OpenAI(base_url=api, api_key=token, max_retries=0,
                               default_headers={**CURRENT_HEADERS, 'X-Initiator': 'agent'}),
        'anthropic': anthropic.Anthropic(base_url=api, auth_token=token, api_key=None, max_retries=0,
                                         default_headers=CURRENT_HEADERS),
    }


def test_spent_allowance_refuses_premium_models_with_copilots_402(spent):
    with pytest.raises(openai.APIStatusError) as chat:
        spent['openai'].chat.completions.create(model='claude-sonnet-4.5', messages=HI)
    with pytest.raises(openai.APIStatusError) as responses:
        spent['openai'].responses.create(model='gpt-5', input='hi')
    with pytest.raises(anthropic.APIStatusError) as messages:
        spent['anthropic'].messages.create(model='claude-sonnet-4.5', max_tokens=64, messages=HI)
    for refusal in (chat.value, responses.value, messages.value):
        assert refusal.status_code == 402
        assert refusal.response.json() == {'error': {'message': 'You have no quota', 'code': 'quota_exceeded'}}


def test_spent_allowance_still_serves_included_models_and_agent_turns(sim, spent):
    chat = spent['openai'].chat.completions.create(model='gpt-4.1', messages=HI)
    assert chat.model == 'gpt-4.1' and 'You said: hi' in chat.choices[0].message.content
    assert 'You said: hi' in spent['openai'].responses.create(model='gpt-5-mini', input='hi').output_text
    # an agent turn costs nothing, so it is not refused either
    assert spent['agent'].chat.completions.create(model='claude-sonnet-4.5', messages=HI).choices
    assert premium_remaining(sim, SPENT_TOKEN) == 0


def test_allowance_left_but_below_the_multiplier_is_spent(sim):
    """Opus costs 10: with 5 left, it is refused while a x1 model is still served."""
    control(sim, 'POST', '/_sim/accounts', {'token': SPENT_TOKEN, 'premium_remaining': 5})
    api, token = session(sim, SPENT_TOKEN)
    client = openai.OpenAI(base_url=api, api_key=token, max_retries=0, default_headers=CURRENT_HEADERS)
    with pytest.raises(openai.APIStatusError) as refusal:
        client.chat.completions.create(model='claude-opus-4.1', messages=HI)
    assert refusal.value.status_code == 402
    assert client.chat.completions.create(model='claude-sonnet-4.5', messages=HI).choices
    assert premium_remaining(sim, SPENT_TOKEN) == 4


# ---------------------------------------------------------------------------
# the simulator: a retired editor version
# ---------------------------------------------------------------------------

def test_no_minimum_editor_version_by_default(sim):
    assert control(sim, 'GET', '/_sim/config')['min_editor_version'] is None
    api, token = session(sim)
    answer = requests.get(api + '/models', headers={'Authorization': 'Bearer ' + token, **OLD_HEADERS}, timeout=10)
    assert answer.status_code == 200


def test_editor_older_than_the_minimum_gets_466_on_models_and_inference(sim):
    control(sim, 'POST', '/_sim/config', {'min_editor_version': 'vscode/1.104.0'})
    api, token = session(sim)  # the token exchange on api.github.com still answers
    auth = {'Authorization': 'Bearer ' + token}
    calls = [('GET', '/models', None),
             ('POST', '/chat/completions', {'model': 'gpt-4.1', 'messages': HI}),
             ('POST', '/responses', {'model': 'gpt-5-mini', 'input': 'hi'}),
             ('POST', '/v1/messages', {'model': 'claude-sonnet-4.5', 'max_tokens': 64, 'messages': HI})]
    for method, path, body in calls:
        old = requests.request(method, api + path, json=body, headers={**auth, **OLD_HEADERS}, timeout=10)
        assert old.status_code == 466, path
        assert old.text == RETIRED_TEXT
        current = requests.request(method, api + path, json=body, headers={**auth, **CURRENT_HEADERS}, timeout=10)
        assert current.status_code == 200, (path, current.text)
    # exactly the minimum passes; another editor is not compared with VS Code's numbers
    for version in ('vscode/1.104.0', 'vscode/1.104.0-insider', 'JetBrains-IU/2025.1'):
        answer = requests.get(api + '/models', headers={**auth, **OLD_HEADERS, 'editor-version': version}, timeout=10)
        assert answer.status_code == 200, version


def test_minimum_editor_version_is_validated_and_reset(sim):
    for bad in ('1.104', 'vscode/one', 42):
        answer = requests.post(sim.url + '/_sim/config', json={'min_editor_version': bad}, timeout=10)
        assert answer.status_code == 400, bad
    control(sim, 'POST', '/_sim/config', {'min_editor_version': 'vscode/1.104.0'})
    control(sim, 'POST', '/_sim/reset', {})
    assert control(sim, 'GET', '/_sim/config')['min_editor_version'] is None


# ---------------------------------------------------------------------------
# discovery: one message naming the IDE headers
# ---------------------------------------------------------------------------

@pytest.fixture
def run(sim, capsys, monkeypatch):
    return simulator_runner(copilot_models_info, sim, capsys, monkeypatch)


def test_client_reports_a_retired_editor_naming_the_headers(sim):
    control(sim, 'POST', '/_sim/config', {'min_editor_version': 'vscode/1.104.0'})
    client = CopilotClient(None, github_api_url=sim.url, headers=OLD_HEADERS, retries=2, backoff=0,
                                   allow_insecure_http=True)
    api = api_base(client.exchange_token(BUSINESS_TOKEN), allow_insecure_http=True)
    with pytest.raises(CopilotError) as err:
        client.list_models(client.exchange_token(BUSINESS_TOKEN)['token'], api)
    assert err.value.kind == 'unsupported_client' and err.value.status == 466
    assert 'HTTP 466 from %s/models' % api in err.value.message
    assert 'the specified API version is no longer supported' in err.value.message
    assert 'editor-version vscode/1.95.0' in err.value.message
    assert 'litellm_copilot_ide_headers' in err.value.message
    # a refusal is not an outage: asked once, not retried
    requests_seen = control(sim, 'GET', '/_sim/requests?path=/models')['requests']
    assert [entry['status'] for entry in requests_seen] == [466]


def test_discovery_fails_once_naming_the_ide_headers(sim, run):
    control(sim, 'POST', '/_sim/config', {'min_editor_version': 'vscode/1.104.0'})
    result, failed, out = run(github_token=INDIVIDUAL_TOKEN, headers=OLD_HEADERS)
    assert failed
    assert result['error_kind'] == 'unsupported_client' and result['status'] == 466
    assert 'litellm_copilot_ide_headers' in result['msg'] and 'vscode/1.95.0' in result['msg']
    assert INDIVIDUAL_TOKEN not in out and 'tid=' not in out


def test_discovery_with_current_headers_passes_the_minimum(sim, run):
    control(sim, 'POST', '/_sim/config', {'min_editor_version': 'vscode/1.104.0'})
    result, failed, _out = run(github_token=INDIVIDUAL_TOKEN, headers=CURRENT_HEADERS)
    assert not failed, result.get('msg')
    assert 'gpt-4.1' in [model['id'] for model in result['models']]
