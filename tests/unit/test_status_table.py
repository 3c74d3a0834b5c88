# -*- coding: utf-8 -*-
"""The fleet table of playbooks/status.yml, rendered from rows like the ones the playbook builds
(the integration test renders it through ansible-playbook against a real host)."""

import re
from pathlib import Path

import jinja2

TEMPLATE = Path(__file__).resolve().parents[2] / 'playbooks' / 'templates' / 'status_table.j2'

PREMIUM = {'unlimited': False, 'entitlement': 300, 'used': 13, 'remaining': 287, 'percent_used': 4.3,
           'percent_remaining': 95.7, 'overage_count': 0, 'overage_permitted': False}


def row(host, **fields):
    base = {'host': host, 'reachable': True, 'proxy': 'up', 'proxy_error': '', 'litellm_version': '1.106.2',
            'models': ['gpt-4.1', 'gpt-5'], 'token': 'ok', 'token_error': '', 'login': 'someone',
            'plan': 'individual', 'premium_interactions': PREMIUM, 'quota_reset_date': '2026-12-01'}
    base.update(fields)
    return base


def render(rows):
    # the options Ansible's template lookup uses
    env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.from_string(TEMPLATE.read_text()).render(_litellm_copilot_status_rows=rows).splitlines()


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
