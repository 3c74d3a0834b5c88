# -*- coding: utf-8 -*-
"""Tests for library/github_device_login.py and module_utils/copilot/device_flow.py, against the simulator."""

from __future__ import annotations


import pytest

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
from module_harness import invoke, load_library_module
from ansible.module_utils.copilot.device_flow import (
    DEFAULT_CLIENT_ID, DEFAULT_INTERVAL, DEVICE_GRANT_TYPE, MAX_EXPIRES_IN, MAX_INTERVAL, SLOW_DOWN_STEP,
    DeviceFlowClient)
from ansible.module_utils.copilot.errors import CopilotError
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


class Scripted(DeviceFlowClient):
    """A client that gets its answers from a list (the last one repeats) instead of GitHub, and
    sleeps on a fake clock: waits are recorded, and time passes only by them. A poll loop that
    would run for ages fails after MAX_WAITS instead of hanging the test run."""

    MAX_WAITS = 1000

    def __init__(self, *answers):
        super().__init__(sleep=self._fake_sleep)
        self.answers = list(answers)
        self.waits = []
        self.now = 0.0

    def request_json(self, *args, **kwargs):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def _fake_sleep(self, seconds):
        assert seconds >= 0, seconds
        assert len(self.waits) < self.MAX_WAITS, 'still polling after %d waits' % len(self.waits)
        self.waits.append(seconds)
        self.now += seconds

    def clock(self):
        return self.now

    def poll(self, **args):
        return self.poll_device_flow('code', 'https://github.example', clock=self.clock, **args)


CODE = {'device_code': 'd' * 40, 'user_code': 'ABCD-1234', 'verification_uri': 'https://github.com/login/device'}
TOKEN = {'access_token': 'gho_' + 'x' * 36}
# An interval as GitHub or a caller might give it -> the one waited: a number is capped, anything
# else (negative, no number at all) is the default.
HOSTILE_INTERVALS = [(10 ** 9, MAX_INTERVAL), ('1e9', MAX_INTERVAL), (61, MAX_INTERVAL), (-5, DEFAULT_INTERVAL),
                     ('x', DEFAULT_INTERVAL), (float('nan'), DEFAULT_INTERVAL), (float('inf'), DEFAULT_INTERVAL),
                     (None, DEFAULT_INTERVAL), ([], DEFAULT_INTERVAL), ({'n': 1}, DEFAULT_INTERVAL)]
HOSTILE_LIFETIMES = [10 ** 9, '1e12', 901, -5, 0, 'x', float('nan'), float('inf'), None, []]


class TestHostileWaits:
    """Whatever GitHub (or something answering in its place) says, the sign-in waits a bounded time."""

    @pytest.mark.parametrize('interval, waited', HOSTILE_INTERVALS, ids=repr)
    def test_the_interval_github_asks_for_is_kept_sane(self, interval, waited):
        started = Scripted(dict(CODE, interval=interval, expires_in=900)).start_device_flow('https://github.example')
        assert started['interval'] == waited

    @pytest.mark.parametrize('expires_in', HOSTILE_LIFETIMES, ids=repr)
    def test_the_lifetime_github_gives_the_code_is_kept_sane(self, expires_in):
        started = Scripted(dict(CODE, interval=5, expires_in=expires_in)).start_device_flow('https://github.example')
        assert started['expires_in'] == MAX_EXPIRES_IN

    @pytest.mark.parametrize('interval, waited', HOSTILE_INTERVALS, ids=repr)
    def test_polling_with_a_hostile_interval_waits_a_bounded_time(self, interval, waited):
        client = Scripted({'error': 'authorization_pending'}, TOKEN)
        signed_in = client.poll(interval=interval)
        assert client.waits == [waited, waited] and signed_in['interval'] == waited

    @pytest.mark.parametrize('interval, waited', HOSTILE_INTERVALS, ids=repr)
    def test_slow_down_with_a_hostile_interval_waits_a_bounded_time(self, interval, waited):
        client = Scripted({'error': 'slow_down', 'interval': interval}, TOKEN)
        signed_in = client.poll(interval=5)
        # slow_down adds its 5 s unless GitHub's own (sane) interval is longer
        expected = MAX_INTERVAL if waited == MAX_INTERVAL else 5 + SLOW_DOWN_STEP
        assert client.waits == [5, expected] and signed_in['interval'] == expected

    @pytest.mark.parametrize('interval', [None, 10 ** 9])
    def test_a_slow_down_storm_stops_growing_and_ends_when_the_code_expires(self, interval):
        client = Scripted({'error': 'slow_down', 'interval': interval})
        with pytest.raises(CopilotError) as raised:
            client.poll(interval=5, expires_in=600)
        assert raised.value.kind == 'expired_token'
        assert max(client.waits) == MAX_INTERVAL
        assert client.now == 600, 'slept past the expiry: %r' % client.waits

    @pytest.mark.parametrize('expires_in', HOSTILE_LIFETIMES, ids=repr)
    def test_a_pending_storm_ends_within_the_longest_code_lifetime(self, expires_in):
        client = Scripted({'error': 'authorization_pending'})
        with pytest.raises(CopilotError) as raised:
            client.poll(interval=7, expires_in=expires_in)
        assert raised.value.kind == 'expired_token'
        assert client.now <= MAX_EXPIRES_IN and client.waits[-1] <= 7

    def test_no_wait_runs_past_the_expiry(self):
        client = Scripted({'error': 'authorization_pending'})
        with pytest.raises(CopilotError):
            client.poll(interval=60, expires_in=90)
        assert client.waits == [60, 30] and client.now == 90
