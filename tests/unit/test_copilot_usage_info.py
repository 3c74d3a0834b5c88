# -*- coding: utf-8 -*-
"""Tests for library/copilot_usage_info.py and module_utils/copilot/usage.py, against the simulator."""

from __future__ import annotations

import datetime

import pytest

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
from module_harness import load_library_module, simulator_runner
from ansible.module_utils.copilot.endpoints import CopilotClient, api_base
from ansible.module_utils.copilot.usage import parse_usage

import copilot_sim
from copilot_sim import BUSINESS_TOKEN, INDIVIDUAL_TOKEN, NO_COPILOT_TOKEN, UNKNOWN_TOKEN


copilot_usage_info = load_library_module('copilot_usage_info')


def control(sim, method, path, body=None):
    return copilot_sim.control(sim.url, method, path, body)


@pytest.fixture
def run(sim, capsys, monkeypatch):
    return simulator_runner(copilot_usage_info, sim, capsys, monkeypatch)


def next_month_first():
    today = datetime.date.today()
    return datetime.date(today.year + today.month // 12, today.month % 12 + 1, 1).isoformat()


def test_individual_full_quota(sim, run):
    result, failed, out = run(github_token=INDIVIDUAL_TOKEN)
    assert not failed, result
    assert result['changed'] is False
    assert result['login'] == 'sim-individual' and result['plan'] == 'individual'
    assert result['quota_reset_date'] == next_month_first()
    assert result['premium_interactions'] == {
        'unlimited': False, 'entitlement': 300, 'used': 0, 'remaining': 300, 'percent_used': 0.0,
        'percent_remaining': 100.0, 'overage_count': 0, 'overage_permitted': False}
    assert result['quotas']['chat']['unlimited'] is True
    assert result['copilot']['api_base'] == sim.url + '/copilot/individual'
    assert result['copilot']['sku'] == 'monthly_subscriber_quota'
    assert INDIVIDUAL_TOKEN not in out and 'tid=' not in out


def test_used_quota_from_a_token_file(sim, run, tmp_path):
    control(sim, 'POST', '/_sim/accounts', {'token': BUSINESS_TOKEN, 'plan': 'business', 'login': 'sim-business',
                                            'premium_remaining': 212.67})
    path = tmp_path / 'access-token'
    path.write_text(BUSINESS_TOKEN + '\n')
    result, failed, out = run(github_token_path=str(path))
    assert not failed, result
    assert result['plan'] == 'business' and result['organizations'] == ['sim-org']
    premium = result['premium_interactions']
    assert premium['entitlement'] == 300 and premium['remaining'] == 212.67
    assert premium['used'] == 87.33
    assert premium['percent_used'] == 29.1 and premium['percent_remaining'] == 70.9
    assert BUSINESS_TOKEN not in out


def test_premium_use_through_copilot_shows_up(sim, run):
    before, _, _ = run(github_token=INDIVIDUAL_TOKEN)
    client = CopilotClient(github_api_url=sim.url, allow_insecure_http=True)
    exchanged = client.exchange_token(INDIVIDUAL_TOKEN)
    client.request_json('POST', api_base(exchanged, True) + '/chat/completions', token=exchanged['token'],
                        auth_scheme='Bearer', data={'model': 'claude-opus-4.1',
                                                    'messages': [{'role': 'user', 'content': 'hi'}]})
    after, _, _ = run(github_token=INDIVIDUAL_TOKEN)
    assert after['premium_interactions']['used'] == before['premium_interactions']['used'] + 10


def test_revoked_token(sim, run):
    control(sim, 'POST', '/_sim/accounts', {'token': 'gho_RevokedForTheUsageTest000000000000001'})
    control(sim, 'POST', '/_sim/revoke', {'token': 'gho_RevokedForTheUsageTest000000000000001'})
    result, failed, out = run(github_token='gho_RevokedForTheUsageTest000000000000001')
    assert failed
    assert result['error_kind'] == 'invalid_token'
    assert 'invalid or revoked' in result['msg'] and 'playbooks/login.yml' in result['msg']
    assert 'RevokedForTheUsageTest' not in out


@pytest.mark.parametrize('exchange', [True, False])
def test_no_copilot(sim, run, exchange):
    result, failed, out = run(github_token=NO_COPILOT_TOKEN, exchange=exchange)
    assert failed
    assert result['error_kind'] == 'no_copilot'
    assert 'no Copilot access' in result['msg']


def test_unknown_token(sim, run):
    result, failed, out = run(github_token=UNKNOWN_TOKEN)
    assert failed and result['error_kind'] == 'invalid_token'
    assert UNKNOWN_TOKEN not in out


def test_missing_token_file(sim, run, tmp_path):
    result, failed, out = run(github_token_path=str(tmp_path / 'nope'))
    assert failed and result['error_kind'] == 'empty_token'


def test_unreachable(run):
    result, failed, out = run(github_token=INDIVIDUAL_TOKEN, github_api_url='http://127.0.0.1:9', retries=0)
    assert failed and result['error_kind'] == 'unreachable'


def test_check_mode_and_no_exchange(sim, run):
    control(sim, 'DELETE', '/_sim/requests')
    result, failed, out = run(github_token=INDIVIDUAL_TOKEN, exchange=False, check_mode=True)
    assert not failed and 'copilot' not in result
    assert result['plan'] == 'individual'
    assert not control(sim, 'GET', '/_sim/requests?path=/copilot_internal/v2/token')['requests']


class TestParseUsage:
    def test_unlimited_and_missing(self):
        parsed = parse_usage({'copilot_plan': 'enterprise', 'quota_reset_date_utc': 'x', 'quota_snapshots': {
            'premium_interactions': {'unlimited': True, 'entitlement': 0, 'remaining': 0, 'percent_remaining': 100}}})
        premium = parsed['premium_interactions']
        assert premium['unlimited'] is True and premium['used'] is None and premium['percent_used'] is None
        assert parsed['quota_reset_date'] is None

    def test_old_answer_without_snapshots(self):
        parsed = parse_usage({'copilot_plan': 'individual', 'limited_user_reset_date': '2026-12-01T00:00:00Z'})
        assert parsed['quotas'] == {} and parsed['premium_interactions'] is None
        assert parsed['quota_reset_date'] == '2026-12-01'

    def test_percent_computed_when_absent(self):
        parsed = parse_usage({'quota_snapshots': {'premium_interactions': {'entitlement': 300,
                                                                                   'quota_remaining': 75}}})
        assert parsed['premium_interactions']['percent_used'] == 75.0
        assert parsed['premium_interactions']['used'] == 225

    def test_garbage(self):
        assert parse_usage(None)['plan'] is None
        assert parse_usage({'quota_snapshots': []})['quotas'] == {}
