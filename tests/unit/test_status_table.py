# -*- coding: utf-8 -*-
"""The fleet table of playbooks/status.yml and the one table formatter behind every report
(roles/litellm_copilot/filter_plugins/copilot_report.py), from rows like the ones the role's status
entry point builds (the integration test renders it through ansible-playbook against a real host)."""

import json
import re
from pathlib import Path

import pytest
from module_harness import load_source

REPORT = Path(__file__).resolve().parents[2] / 'roles' / 'litellm_copilot' / 'filter_plugins' / 'copilot_report.py'
report = load_source(REPORT, 'copilot_report')

PREMIUM = {'unlimited': False, 'entitlement': 300, 'used': 13, 'remaining': 287, 'percent_used': 4.3,
           'percent_remaining': 95.7, 'overage_count': 0, 'overage_permitted': False}


def row(host, **fields):
    base = {'host': host, 'reachable': True, 'proxy': 'up', 'proxy_error': '', 'litellm_version': '1.106.2',
            'models': ['gpt-4.1', 'gpt-5'], 'token': 'ok', 'token_error': '', 'login': 'someone',
            'plan': 'individual', 'premium_interactions': PREMIUM, 'quota_reset_date': '2026-12-01', 'meter': {}}
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
    starts = [header.index(name) for name in ('proxy', 'litellm', 'models', 'plan', 'today', 'month', 'budget',
                                              'premium used', 'left', 'resets')]
    for line in rows:
        for start in starts:
            assert line[start - 2:start] == '  ' and line[start] != ' ', (line, start)
    by_host = {r.split()[0]: r for r in rows}
    # no meter (an older proxy, or /metrics not answering): no spend, GitHub's quota figures
    assert cells(by_host['devvm-zed'])[1:11] == ['up', '1.106.2', '2', 'individual', '-', '-', '-', '13 / 300', '287',
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


# --------------------------------------------------------------------------- the credit meter

# What the proxy's /metrics serves (copilot_meter.py), with the budget lines.
METER = '''# HELP litellm_copilot_credits_total AI credits spent through this proxy, by Copilot model
# TYPE litellm_copilot_credits_total counter
litellm_copilot_credits_total{model="claude-sonnet-4.5"} 12.3456
litellm_copilot_tokens_total{model="claude-sonnet-4.5",kind="cached_input"} 20480
litellm_copilot_requests_total{model="gpt-4.1",initiator="agent"} 7
litellm_copilot_fallbacks_total{reason="budget"} 3
# TYPE litellm_copilot_quota_remaining_ratio gauge
litellm_copilot_quota_remaining_ratio{quota="premium_interactions"} 0.971
litellm_copilot_quota_reset_timestamp_seconds{quota="premium_interactions"} 1767225600
litellm_copilot_spend_credits{period="day"} 1.5
litellm_copilot_spend_credits{period="month"} 40.25
litellm_copilot_budget_credits{period="day"} 50
litellm_copilot_budget_remaining_credits{period="day"} 48.5
litellm_copilot_billing_info{billing="credits"} 1
'''
PARSED = {'spend': {'day': 1.5, 'month': 40.25}, 'budget': {'day': 50.0}, 'budget_remaining': {'day': 48.5},
          'quota_remaining': {'premium_interactions': 0.971},
          'quota_reset': {'premium_interactions': 1767225600.0}, 'billing': 'credits'}
NO_BUDGET = ''.join(line + '\n' for line in METER.splitlines() if not line.startswith('litellm_copilot_budget'))
NO_SNAPSHOT = ''.join(line + '\n' for line in METER.splitlines() if not line.startswith('litellm_copilot_quota'))
COLUMNS = ('plan', 'today', 'month', 'budget', 'premium used', 'left', 'resets')


def meter_cells(text, **fields):
    """The meter's columns of a healthy host's line, by header name."""
    line = render([row('devvm-a', meter=report.parse_meter(text), **fields)])[2]
    return dict(zip(report.STATUS_HEADER, cells(line)))


def test_the_meter_text_becomes_a_small_dict():
    assert report.parse_meter(METER) == PARSED
    assert report.parse_meter('') == {} and report.parse_meter(None) == {}
    assert report.parse_meter(METER.encode()) == PARSED


def test_a_row_shows_spend_budget_and_the_quota_snapshot():
    shown = meter_cells(METER)
    assert [shown[name] for name in COLUMNS] == ['individual/credits', '1.50', '40.25', '48.50/50 day', '-',
                                                 '97.1%', '2026-01-01']
    assert 'problem' not in shown  # a healthy host: the last cell is empty


def test_a_row_without_a_budget_shows_a_dash():
    shown = meter_cells(NO_BUDGET)
    assert [shown[name] for name in COLUMNS] == ['individual/credits', '1.50', '40.25', '-', '-', '97.1%',
                                                 '2026-01-01']


def test_a_row_without_a_quota_snapshot_shows_githubs_figures():
    shown = meter_cells(NO_SNAPSHOT)
    assert [shown[name] for name in COLUMNS] == ['individual/credits', '1.50', '40.25', '48.50/50 day', '-',
                                                 '287', '2026-12-01']


@pytest.mark.parametrize('budget_lines, shown', [
    ('litellm_copilot_budget_credits{period="day"} 50\nlitellm_copilot_budget_remaining_credits{period="day"} 0\n',
     'spent (day)'),
    # the tightest budget is the one with the least left
    ('litellm_copilot_budget_credits{period="day"} 20\nlitellm_copilot_budget_remaining_credits{period="day"} 12.5\n'
     'litellm_copilot_budget_credits{period="month"} 400\n'
     'litellm_copilot_budget_remaining_credits{period="month"} 3.25\n', '3.25/400 month'),
    ('litellm_copilot_budget_credits{period="day"} 12.5\nlitellm_copilot_budget_remaining_credits{period="day"} 12.5\n'
     'litellm_copilot_budget_credits{period="month"} 400\nlitellm_copilot_budget_remaining_credits{period="month"} 0\n',
     'spent (month)'),
    # without the remaining line, the budget less today's spend (1.5)
    ('litellm_copilot_budget_credits{period="day"} 10\n', '8.50/10 day'),
    # a budget of another period than day and month is not one the table knows
    ('litellm_copilot_budget_credits{period="week"} 10\nlitellm_copilot_budget_remaining_credits{period="week"} 1\n',
     '-'),
])
def test_the_budget_cell(budget_lines, shown):
    assert meter_cells(NO_BUDGET + budget_lines)['budget'] == shown


def test_a_seat_billed_by_premium_requests_says_so_in_the_plan():
    text = METER.replace('billing="credits"', 'billing="premium_requests"')
    assert meter_cells(text)['plan'] == 'individual/premium requests'
    # a host whose token fails still shows how the proxy's seat is billed
    assert meter_cells(METER, plan=None)['plan'] == '-/credits'


def test_the_row_carries_the_meter_only_from_a_200_answer():
    def built(meter):
        return report.status_row(UP, 'devvm-a', 'u', {'stdout': '1.106.2'}, MODELS, USAGE, meter)['meter']

    assert built({'status': 200, 'content': METER}) == PARSED
    assert built({'status': 404, 'content': METER}) == {}
    assert built({'status': -1, 'msg': 'Connection refused'}) == {}
    assert built(SKIPPED) == {} and built(None) == {}
    assert report.status_row({'unreachable': True}, 'devvm-b', 'u', SKIPPED, SKIPPED, SKIPPED, SKIPPED)['meter'] == {}


def test_the_meter_filter_is_registered():
    assert report.FilterModule().filters()['copilot_parse_meter'] is report.parse_meter


# --------------------------------------------------------------------------- what a host's meter may send

def parse(text):
    """parse_meter's answer, which must always be JSON (status_format=json prints the rows)."""
    parsed = report.parse_meter(text)
    json.dumps(parsed, allow_nan=False)
    return parsed


def test_the_prometheus_text_format_is_read_as_written():
    text = ('  litellm_copilot_spend_credits { period = "day" , }\t1.5 1767225600000\r\n'
            'litellm_copilot_spend_credits{period="month"} 4e1\n'
            'litellm_copilot_quota_remaining_ratio{quota="a,b=}c\\"d\\\\e\\nf",x="y"} .5\n'
            'litellm_copilot_billing_info{billing="credits"} 1.0\n')
    assert parse(text) == {'spend': {'day': 1.5, 'month': 40.0}, 'quota_remaining': {'a,b=}c"d\\e\nf': 0.5},
                           'billing': 'credits'}


@pytest.mark.parametrize('line', [
    'litellm_copilot_spend_credits{period="day"} NaN',
    'litellm_copilot_spend_credits{period="day"} nan',
    'litellm_copilot_spend_credits{period="day"} +Inf',
    'litellm_copilot_spend_credits{period="day"} -Inf',
    'litellm_copilot_spend_credits{period="day"} 1e999',
    'litellm_copilot_spend_credits{period="day"} -1',
    'litellm_copilot_spend_credits{period="day"} 1_000',
    'litellm_copilot_spend_credits{period="day"} \u0661\u0662',
    'litellm_copilot_spend_credits{period="day"} 0x10',
    'litellm_copilot_spend_credits{period="day"} ' + '1' * 100,
    'litellm_copilot_spend_credits{period="day"} \x1b[2K1.5',
    'litellm_copilot_spend_credits{period="day"} 1.5\x1b[2K',
    'litellm_copilot_spend_credits{period="day"} 1.5 later',
    'litellm_copilot_spend_credits{period="day"} 1.5 1 2',
    'litellm_copilot_spend_credits{period="day"}',
    'litellm_copilot_spend_credits{period="day"',
    'litellm_copilot_spend_credits{period="day} 1.5',
    'litellm_copilot_spend_credits{period=day} 1.5',
    'litellm_copilot_spend_credits{period="d\\ay"} 1.5',
    'litellm_copilot_spend_credits{period="day",period="day"} 1.5',
    'litellm_copilot_spend_credits{"day"} 1.5',
    'litellm_copilot_spend_credits{period="day"}} 1.5',
    'litellm_copilot_spend_credits{} 1.5',
    'litellm_copilot_spend_credits 1.5',
    'litellm_copilot_spend_credits{period=""} 1.5',
    'litellm_copilot_spend_credits{period="\x1b[31mday"} 1.5',
    'litellm_copilot_spend_creditsx{period="day"} 1.5',
    '#litellm_copilot_spend_credits{period="day"} 1.5',
    'litellm_copilot_quota_remaining_ratio{quota="premium_interactions"} 1.5',
    'litellm_copilot_quota_reset_timestamp_seconds{quota="premium_interactions"} 1e20',
    'litellm_copilot_quota_reset_timestamp_seconds{quota="premium_interactions"} -5',
    'litellm_copilot_billing_info{billing="credits"} 0',
    'litellm_copilot_billing_info{billing="%s"} 1' % ('x' * 129),
], ids=repr)
def test_a_line_not_understood_is_skipped(line):
    assert parse(line + '\n') == {}
    # and the lines around it are still read
    assert parse(METER + line + '\n') == PARSED
    assert parse(line + '\n' + METER) == PARSED


def test_a_host_cannot_rewrite_the_table_through_its_meter():
    text = ('litellm_copilot_billing_info{billing="\x1b[2K\\ncredits\r\u202e"} 1\n'
            'litellm_copilot_quota_remaining_ratio{quota="premium_interactions"} 0.5\n')
    table = report.status_table([row('devvm-evil', meter=parse(text))])
    assert not UNSHOWN.search(table.replace('\n', '')), repr(table)
    assert len(table.splitlines()) == 3
    assert r'individual/\x1b[2K\ncredits\r\u202e' in table


def test_absurd_numbers_stay_short():
    text = ('litellm_copilot_spend_credits{period="day"} 1e300\n'
            'litellm_copilot_budget_credits{period="day"} 1e300\n'
            'litellm_copilot_budget_remaining_credits{period="day"} 1e299\n'
            'litellm_copilot_quota_reset_timestamp_seconds{quota="premium_interactions"} 253402300799\n')
    shown = meter_cells(text)
    assert shown['today'] == '1e+300' and shown['budget'] == '1e+299/1e+300 day' and shown['resets'] == '9999-12-31'


@pytest.mark.parametrize('content', [
    None, 42, 1.5, ['litellm_copilot_billing_info{billing="credits"} 1'], {'a': 1},
    bytes(range(256)) * 64, bytes(range(256)).decode('latin-1') * 64, b'\xff\xfe\x00' * 10000,
    '\x00' * 300000, '{' * 300000, '"' * 300000, '=' * 300000, '\\' * 300000,
    'litellm_copilot_billing_info{' + 'a="",' * 60000 + '} 1',
    'litellm_copilot_billing_info{billing="' + '\\"' * 150000 + '"} 1',
    'litellm_copilot_billing_info{' + 'a' * 300000 + '="credits"} 1',
    'litellm_copilot_billing_info' + ' ' * 300000 + '1',
    'litellm_copilot_spend_credits{period="day"} ' + '9' * 300000,
    '\ud800\udfff' * 1000,
], ids=lambda content: repr(content)[:40])
def test_hostile_text_is_read_without_raising(content):
    parsed = parse(content)
    assert isinstance(parsed, dict) and 'billing' not in parsed and 'spend' not in parsed


def test_only_the_first_256_kib_are_read():
    line = 'litellm_copilot_billing_info{billing="credits"} 1\n'
    filler = '#' * 99 + '\n'
    head = filler * ((report.METER_MAX_CHARS - len(line)) // len(filler))
    assert parse(head + line) == {'billing': 'credits'}
    assert parse(head + filler + line) == {}
    assert parse((head + filler) * 40 + line) == {}  # 10 MiB: read no further than the first 256 KiB


def test_only_the_first_lines_are_read():
    line = 'litellm_copilot_billing_info{billing="credits"} 1\n'
    assert parse('\n' * (report.METER_MAX_LINES - 1) + line) == {'billing': 'credits'}
    assert parse('\n' * report.METER_MAX_LINES + line) == {}
    assert parse('\n' * 10 ** 6 + line) == {}
    # a million sample lines: the first ones count, the rest is never looked at
    many = ''.join('litellm_copilot_quota_remaining_ratio{quota="q%d"} 0.5\n' % n for n in range(10 ** 6))
    assert parse(many) == {'quota_remaining': {'q%d' % n: 0.5 for n in range(16)}}


def test_the_first_sample_of_a_series_counts():
    text = METER + METER.replace('1.5', '99').replace('credits"', 'premium_requests"')
    assert parse(text) == PARSED


def test_a_failed_proxys_journal_is_shown_without_frames_key_or_terminal_escapes():
    """The proxy (the service user) writes its journal: the failure message shows its last lines,
    traceback frames left out, the master key masked, and no control character acted on."""
    lines = ['Traceback (most recent call last):', '  File "x.py", line 1', 'ImportError: no_such_module',
             'key sk-master-1 rejected', '\x1b[2K\rall good'] + ['line %d' % n for n in range(40)]
    excerpt = report.journal_excerpt(lines, 'sk-master-1').splitlines()
    assert len(excerpt) == 30 and excerpt[-1] == 'line 39'
    excerpt = report.journal_excerpt(lines[:5], 'sk-master-1').splitlines()
    assert excerpt[:3] == ['Traceback (most recent call last):', 'ImportError: no_such_module', 'key ******** rejected']
    assert '\x1b' not in excerpt[3] and '\r' not in excerpt[3] and excerpt[3].endswith('all good')
    assert report.journal_excerpt(None) == ''
