# -*- coding: utf-8 -*-
"""Tests for library/github_device_login.py and module_utils/copilot/device_flow.py, against the simulator."""

from __future__ import annotations

import json

import pytest

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
from module_harness import invoke, load_library_module
from ansible.module_utils.copilot.device_flow import (
    DEFAULT_CLIENT_ID, DEVICE_GRANT_TYPE, SLOW_DOWN_STEP, DeviceFlowClient)
from ansible.module_utils.copilot.endpoints import CopilotClient

import copilot_sim


github_device_login = load_library_module('github_device_login')


def control(sim, method, path, body=None):
    return copilot_sim.control(sim.url, method, path, body)


@pytest.fixture
def fast_sim(sim):
    """The simulator with an interval of 0: polls need not wait unless slow_down says so."""
    control(sim, 'POST', '/_sim/config', {'device_interval': 0})
    return sim


@pytest.fixture
def run(capsys):
    """Run the module's main() with args; returns (result, failed, raw stdout)."""
    def runner(check_mode=False, **args):
        args.setdefault('allow_insecure_http', True)  # the simulator speaks plain http
        args.setdefault('timeout', 5)
        return invoke(github_device_login, capsys, check_mode, **args)

    return runner


def script(sim, *outcomes):
    control(sim, 'POST', '/_sim/device', {'script': list(outcomes)})


def start(run, sim, **args):
    result, failed, out = run(step='start', github_url=sim.url, **args)
    assert not failed, result
    return result


def poll(run, sim, started, **args):
    args.setdefault('interval', started['interval'])
    args.setdefault('expires_in', started['expires_in'])
    return run(step='poll', github_url=sim.url, device_code=started['device_code'], **args)


class TestStart:
    def test_returns_the_code_to_show(self, sim, run):
        result = start(run, sim)
        assert result['changed'] is False
        assert result['verification_uri'] == sim.url + '/login/device'
        assert len(result['user_code']) == 9 and result['user_code'][4] == '-'
        assert result['interval'] == 1 and result['expires_in'] == 899
        assert len(result['device_code']) == 40
        sent = control(sim, 'GET', '/_sim/requests?path=/login/device/code')['requests'][-1]
        assert sent['body'] == {'client_id': DEFAULT_CLIENT_ID, 'scope': 'read:user'}
        assert sent['headers']['accept'] == 'application/json'
        # the code is listed on the page the user opens
        assert result['user_code'] in control_page(sim)

    def test_check_mode(self, sim, run):
        result, failed, out = run(step='start', github_url=sim.url, check_mode=True)
        assert not failed and result['user_code']

    def test_wrong_client_id_is_a_clear_error(self, sim, run):
        result, failed, out = run(step='start', github_url=sim.url, client_id='Iv1.0000000000000000')
        assert failed
        assert result['error_kind'] == 'bad_client_id'
        assert result['status'] == 404
        assert 'Iv1.0000000000000000' in result['msg'] and DEFAULT_CLIENT_ID in result['msg']

    def test_unreachable_github(self, run):
        result, failed, out = run(step='start', github_url='http://127.0.0.1:9')
        assert failed and result['error_kind'] == 'unreachable'
        assert 'http://127.0.0.1:9/login/device/code' in result['msg']


def control_page(sim):
    import urllib.request
    with urllib.request.urlopen(sim.url + '/login/device', timeout=5) as page:
        return page.read().decode()


class TestPoll:
    def test_pending_then_success_gives_a_working_token(self, sim, run):
        script(sim, 'authorization_pending', 'success')
        started = start(run, sim)
        result, failed, out = poll(run, sim, started)
        assert not failed, result
        assert result['polls'] == 2 and result['slow_downs'] == 0
        assert result['token_type'] == 'bearer' and result['scope'] == 'read:user'
        token = result['access_token']
        assert token.startswith('gho_')
        # the token is a real sign-in: it has a Copilot seat
        exchanged = CopilotClient(github_api_url=sim.url, allow_insecure_http=True).exchange_token(token)
        assert exchanged['individual'] is True
        sent = control(sim, 'GET', '/_sim/requests?path=/login/oauth/access_token')['requests']
        assert [r['body']['grant_type'] for r in sent] == [DEVICE_GRANT_TYPE] * 2

    def test_pending_slow_down_success_honours_the_new_interval(self, fast_sim, run):
        # The simulator enforces the interval: a poll sooner than 5 s after slow_down would earn
        # another slow_down, so exactly one slow_down in three polls means the +5 s was honoured.
        script(fast_sim, 'authorization_pending', 'slow_down', 'success')
        started = start(run, fast_sim)
        assert started['interval'] == 0
        result, failed, out = poll(run, fast_sim, started)
        assert not failed, result
        assert result['polls'] == 3
        assert result['slow_downs'] == 1
        assert result['interval'] == SLOW_DOWN_STEP

    def test_expired_code_says_start_over(self, fast_sim, run):
        script(fast_sim, 'authorization_pending', 'expired_token')
        started = start(run, fast_sim)
        result, failed, out = poll(run, fast_sim, started)
        assert failed
        assert result['error_kind'] == 'expired_token'
        assert 'expired' in result['msg'] and 'start over' in result['msg']
        assert started['device_code'] not in out

    def test_denied(self, fast_sim, run):
        script(fast_sim, 'access_denied')
        started = start(run, fast_sim)
        result, failed, out = poll(run, fast_sim, started)
        assert failed
        assert result['error_kind'] == 'access_denied'
        assert 'cancelled' in result['msg']

    def test_wrong_client_id_while_polling(self, fast_sim, run):
        started = start(run, fast_sim)
        result, failed, out = poll(run, fast_sim, started, client_id='Iv1.0000000000000000')
        assert failed
        assert result['error_kind'] == 'bad_client_id'
        assert 'incorrect_client_credentials' in result['msg']

    def test_unknown_device_code(self, fast_sim, run):
        bogus = '0123456789abcdef0123456789abcdef01234567'
        result, failed, out = run(step='poll', github_url=fast_sim.url, device_code=bogus, interval=0)
        assert failed
        assert result['error_kind'] == 'expired_token'
        assert 'incorrect_device_code' in result['msg']
        assert bogus not in out

    def test_gives_up_when_the_code_runs_out(self, sim, run):
        script(sim, 'authorization_pending')
        started = start(run, sim)
        result, failed, out = poll(run, sim, started, expires_in=2)
        assert failed
        assert result['error_kind'] == 'expired_token'

    def test_poll_needs_the_device_code(self, run):
        result, failed, out = run(step='poll')
        assert failed and 'device_code' in result['msg']

    def test_server_error_is_retried(self, fast_sim, run):
        script(fast_sim, 'success')
        started = start(run, fast_sim)
        control(fast_sim, 'POST', '/_sim/faults', {'path': '/login/oauth/access_token', 'status': 502, 'times': 1})
        result, failed, out = poll(run, fast_sim, started)
        assert not failed, result
        assert result['access_token'].startswith('gho_')


class TestClientWaits:
    """The waits themselves, without waiting: the client's sleep is recorded."""

    def test_sleeps_interval_then_plus_five_per_slow_down(self, fast_sim):
        control(fast_sim, 'POST', '/_sim/device', {'script': ['authorization_pending', 'slow_down', 'slow_down',
                                                              'success'], 'enforce_interval': False})
        control(fast_sim, 'POST', '/_sim/config', {'device_interval': 2})
        waits = []
        client = DeviceFlowClient(sleep=waits.append, allow_insecure_http=True)
        started = client.start_device_flow(fast_sim.url)
        signed_in = client.poll_device_flow(started['device_code'], fast_sim.url, interval=started['interval'],
                                            expires_in=started['expires_in'])
        assert waits == [2, 2, 7, 12]
        assert signed_in['slow_downs'] == 2 and signed_in['interval'] == 12

    def test_a_longer_interval_from_github_wins(self):
        class Client(DeviceFlowClient):
            answers = [{'error': 'slow_down', 'interval': 30}, {'access_token': 'gho_' + 'x' * 36}]

            def request_json(self, *args, **kwargs):
                return self.answers.pop(0)
        waits = []
        signed_in = Client(sleep=waits.append).poll_device_flow('code', 'https://github.example', interval=5)
        assert waits == [5, 30]
        assert signed_in['interval'] == 30
