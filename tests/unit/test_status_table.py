# -*- coding: utf-8 -*-
"""The fleet table of playbooks/status.yml and the one table formatter behind every report
(roles/litellm_copilot/filter_plugins/copilot_report.py), from rows like the ones the role's status
entry point builds (the integration test renders it through ansible-playbook against a real host)."""

import importlib.util
import re
from pathlib import Path

import pytest

REPORT = Path(__file__).resolve().parents[2] / 'roles' / 'litellm_copilot' / 'filter_plugins' / 'copilot_report.py'
_spec = importlib.util.spec_from_file_location('copilot_report', REPORT)
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)

PREMIUM = {'unlimited': False, 'entitlement': 300, 'used': 13, 'remaining': 287, 'percent_used': 4.3,
           'percent_remaining': 95.7, 'overage_count': 0, 'overage_permitted': False}


def row(host, **fields):
    base = {'host': host, 'reachable': True, 'proxy': 'up', 'proxy_error': '', 'litellm_version': '1.106.2',
            'models': ['gpt-4.1', 'gpt-5'], 'token': 'ok', 'token_error': '', 'login': 'someone',
            'plan': 'individual', 'premium_interactions': PREMIUM, 'quota_reset_date': '2026-12-01'}
    base.update(fields)
    return base


def render(rows):
    return report.status_table(rows).splitlines()


def cells(line):
    return re.split(r'\s{2,}', line.strip())


def test_one_aligned_row_per_host_sorted():
    lines = render([
        row('devvm-zed'),
        row('devvm-a', proxy='unreachable', reachable=False, token='unknown', litellm_version=None, models=[],
            plan=None, premium_interactions=None, quota_reset_date=None),
        row('devvm-bob', token='invalid_token', plan=None, premium_interactions=None, quota_reset_date=None,
            token_error='GitHub token is invalid or revoked (HTTP 401 ...)'),
        row('devvm-ent', plan='enterprise', premium_interactions=dict(PREMIUM, unlimited=True)),
        row('devvm-down', proxy='down', models=[]),
        row('devvm-nocp', token='no_copilot', plan=None, premium_interactions=None),
        row('devvm-net', token='unreachable', token_error='cannot reach http://x: refused', plan=None,
            premium_interactions=None),
    ])
    header, rule, *rows = lines
    assert header.split()[:4] == ['host', 'proxy', 'litellm', 'models']
    assert set(rule.replace('  ', '')) == {'-'}
    assert [r.split()[0] for r in rows] == sorted(['devvm-zed', 'devvm-a', 'devvm-bob', 'devvm-ent', 'devvm-down',
                                                   'devvm-nocp', 'devvm-net'])
    starts = [header.index(name) for name in ('proxy', 'litellm', 'models', 'plan', 'premium used', 'left')]
    for line in rows:
        for start in starts:
            assert line[start - 2:start] == '  ' and line[start] != ' ', (line, start)
    by_host = {r.split()[0]: r for r in rows}
    assert cells(by_host['devvm-zed'])[1:9] == ['up', '1.106.2', '2', 'individual', '13 / 300', '287', '4.3%',
                                                '2026-12-01']
    assert by_host['devvm-a'].rstrip().endswith('host unreachable')
    assert by_host['devvm-bob'].rstrip().endswith('GitHub token invalid or revoked: run playbooks/login.yml')
    assert 'unlimited' in by_host['devvm-ent']
    assert by_host['devvm-down'].rstrip().endswith('proxy not answering')
    assert by_host['devvm-nocp'].rstrip().endswith('account has no Copilot seat')
    assert by_host['devvm-net'].rstrip().endswith('GitHub: cannot reach http://x: refused')


def test_empty_fleet_is_just_the_header():
    lines = render([])
    assert len(lines) == 2 and lines[0].startswith('host')


# --------------------------------------------------------------------------- the one formatter

def test_table_aligns_columns_under_a_rule_without_trailing_spaces():
    text = report.format_table(('name', 'n', 'note'), [('a', 10, ''), ('longer', 2, 'x')])
    assert text.endswith('\n')
    assert text.splitlines() == ['name    n   note',
                                 '------  --  ----',
                                 'a       10',
                                 'longer  2   x']


def test_table_clips_only_the_last_cell():
    text = report.format_table(('a', 'b'), [('x' * 30, 'word ' * 100)], last_cell_max=40)
    row = text.splitlines()[2]
    assert row.startswith('x' * 30 + '  word')
    assert row.endswith('...') and len(row.split('  ', 1)[1]) <= 40


def test_a_long_github_error_is_clipped_in_the_status_table():
    lines = render([row('devvm-net', token='unreachable', token_error='refused ' * 100, plan=None,
                        premium_interactions=None)])
    assert lines[2].endswith('...') and len(cells(lines[2])[-1]) <= 200


# --------------------------------------------------------------------------- what hosts and GitHub send

# Rewrites the line on a terminal: erase it, back to its start, print "ok" over it.
REWRITE = '1.0\x1b[2K\rok'
# No character a terminal acts on instead of showing: C0 controls (ESC, CR, LF, TAB...), DEL, C1
# controls, bidi embeddings, overrides and isolates, line and paragraph separators.
UNSHOWN = re.compile('[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]')


def test_a_host_cannot_rewrite_the_status_table():
    text = report.status_table([
        row('devvm-evil', litellm_version=REWRITE + '\x9b1A\u202eliated'),
        row('devvm-bad', token='unreachable', plan=None, premium_interactions=None,
            token_error='refused\r\n\x1b[1A\x1b[2Kdevvm-bad  up  \u2066ok\u2069'),
    ])
    assert not UNSHOWN.search(text.replace('\n', '')), repr(text)
    assert len(text.splitlines()) == 4
    by_host = {cells(line)[0]: line for line in text.splitlines()[2:]}
    assert cells(by_host['devvm-evil'])[2] == r'1.0\x1b[2K\rok\x9b1A\u202eliated'
    assert by_host['devvm-bad'].endswith(r'GitHub: refused\r\n\x1b[1A\x1b[2Kdevvm-bad  up  \u2066ok\u2069')


@pytest.mark.parametrize('char, shown', [
    ('\x00', r'\x00'), ('\x07', r'\x07'), ('\x08', r'\x08'), ('\t', r'\t'), ('\n', r'\n'), ('\r', r'\r'),
    ('\x1b', r'\x1b'), ('\x7f', r'\x7f'), ('\x85', r'\x85'), ('\x9b', r'\x9b'), ('\u200f', r'\u200f'),
    ('\u202a', r'\u202a'), ('\u202e', r'\u202e'), ('\u2066', r'\u2066'), ('\u2069', r'\u2069'),
    ('\u2028', r'\u2028'), ('\ufeff', r'\ufeff'), ('\udcff', r'\udcff'),
], ids=repr)
def test_every_cell_shows_control_characters_escaped(char, shown):
    text = report.format_table(('h', 'v', 'n'), [('h' + char, 'v' + char, 'n' + char)])
    assert text.splitlines()[2] == 'h%s  v%s  n%s' % (shown, shown, shown)


def test_text_is_left_as_it_is():
    text = report.format_table(('a', 'b'), [('café ünïcode 中文 ✓', r'C:\path\x1b')])
    assert text.splitlines()[2] == r'café ünïcode 中文 ✓  C:\path\x1b'


def test_every_cell_is_clipped():
    version = '1.0-' + 'x' * 10000
    text = report.format_table(('host', 'litellm', 'models'), [('devvm-a', version, 3)])
    assert len(cells(text.splitlines()[2])[1]) == report.CELL_MAX
    assert len(report.format_table(('a', 'b'), [('\x1b' * 1000, 'b')]).splitlines()[2]) <= report.CELL_MAX + 3


# --------------------------------------------------------------------------- one host's row

UP = {'status': 200, 'json': {'status': 'connected', 'litellm_version': '1.106.2'}}
MODELS = {'status': 200, 'json': {'data': [{'id': 'gpt-5'}, {'id': 'claude-sonnet-4.5'}]}}
USAGE = {'copilot': {}, 'login': 'someone', 'plan': 'individual', 'premium_interactions': PREMIUM,
         'quota_reset_date': '2026-12-01'}
SKIPPED = {'skipped': True, 'changed': False}


def test_row_of_a_healthy_host():
    built = report.status_row(UP, 'devvm-a', 'http://127.0.0.1:4000', {'stdout': '1.106.2'}, MODELS, USAGE)
    assert built == row('devvm-a', url='http://127.0.0.1:4000', models=['claude-sonnet-4.5', 'gpt-5'])


def test_row_of_an_unreachable_host_says_so_and_keeps_no_stale_values():
    built = report.status_row({'unreachable': True, 'msg': 'ssh: no route'}, 'devvm-b', 'http://127.0.0.1:4000',
                              SKIPPED, SKIPPED, SKIPPED)
    assert built['proxy'] == 'unreachable' and built['reachable'] is False and built['token'] == 'unknown'
    assert built['models'] == [] and built['litellm_version'] is None and built['plan'] is None
    assert report.status_table([built]).splitlines()[2].endswith('host unreachable')


@pytest.mark.parametrize('usage, token, problem', [
    ({'failed': True, 'error_kind': 'invalid_token', 'msg': 'GitHub token is invalid or revoked (HTTP 401)'},
     'invalid_token', 'GitHub token invalid or revoked: run playbooks/login.yml'),
    ({'failed': True, 'error_kind': 'timeout', 'msg': 'timed out'}, 'timeout', 'GitHub: timed out'),
])
def test_row_of_a_host_whose_token_fails_names_the_cause(usage, token, problem):
    built = report.status_row(UP, 'devvm-c', 'u', {'stdout': '1.106.2'}, MODELS, usage)
    assert built['token'] == token and built['token_error'] == usage['msg']
    assert built['plan'] is None and built['premium_interactions'] is None and built['login'] is None
    assert report.status_table([built]).splitlines()[2].endswith(problem)


def test_row_of_a_host_whose_proxy_is_down():
    built = report.status_row({'status': -1, 'msg': 'Connection refused'}, 'devvm-d', 'u', {'stdout': ''},
                              SKIPPED, USAGE)
    assert built['proxy'] == 'down' and built['proxy_error'] == 'Connection refused'
    assert built['models'] == [] and built['litellm_version'] is None
    assert cells(report.status_table([built]).splitlines()[2])[3] == '-'


def test_rows_come_from_the_hosts_that_built_one():
    hostvars = {'a': {'_litellm_copilot_status_row': {'host': 'a'}}, 'b': {}, 'c': {'_litellm_copilot_status_row': {'host': 'c'}}}
    assert report.status_rows(hostvars, ['c', 'b', 'a']) == [{'host': 'c'}, {'host': 'a'}]
