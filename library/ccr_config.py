#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ccr_config
short_description: Keep a provider, its routing rules and a client key in Claude-Code-Router 3's config store
description:
  - Claude-Code-Router 3 keeps its configuration in C(config.sqlite) in its directory (C(~/.claude-code-router)),
    as one JSON document (table C(app_config), key C(default)) and the keys its clients use (table C(api_keys)). It
    reads a C(config.json) only while that document is missing, then archives and deletes the file, so a rendered
    C(config.json) would be ignored from the second run on. This module writes the document itself.
  - It sets what it is given and keeps everything else as the developer has it - the provider named like
    O(provider) replaced, the routing rules whose C(id) starts with O(rule_prefix) replaced and put after the
    developer's own rules (the first matching rule wins), the listening address, the upstream timeout and the
    profile takeover (off, see O(settings)), and the client key O(key_id). Other providers, rules, keys and settings
    stay.
  - Creates the store with Claude-Code-Router's own schema (mode C(0600)) where there is none yet, so the first
    start of Claude-Code-Router finds the configuration.
  - A running Claude-Code-Router reads the store when it starts; the module says when one runs (RV(running)).
  - Run it as the developer (C(become_user)), so that it reads and writes only what that account may.
author:
  - litellm-copilot maintainers
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
    description: The document carries keys; the result lists what changed instead (RV(updated)).
options:
  path:
    description:
      - Claude-Code-Router's directory, made (mode C(0700)) where there is none. One that is there must be a directory
        the account the module runs as owns, not a link; C(config.sqlite) in it must be a regular file or absent.
    type: path
    required: true
  provider:
    description:
      - The provider, in the form Claude-Code-Router stores (C(name), C(baseUrl), C(apiKey), C(models),
        C(capabilities)). Carries the upstream key.
    type: dict
    required: true
  rules:
    description:
      - The routing rules, in the form Claude-Code-Router stores; each C(id) starts with O(rule_prefix).
    type: list
    elements: dict
    required: true
  rule_prefix:
    description:
      - The C(id) prefix that marks the rules this module owns.
    type: str
    required: true
  settings:
    description:
      - Top-level settings to set (for example C(HOST), C(PORT), C(API_TIMEOUT_MS), C(gateway), C(profile)).
    type: dict
    default: {}
  api_key:
    description:
      - The key Claude-Code-Router's clients present for this provider's routes.
    type: str
    required: true
  key_id:
    description:
      - The id of that key in the store.
    type: str
    default: litellm-copilot
"""

EXAMPLES = r"""
- name: Point the developer's Claude-Code-Router 3 at the local proxy
  become: true
  become_user: alice
  ccr_config:
    path: /home/alice/.claude-code-router
    provider:
      name: copilot
      baseUrl: http://127.0.0.1:4000
      apiKey: "{{ master_key }}"
      models: [gpt-4.1, claude-sonnet-4.5]
      capabilities: [{type: anthropic_messages, baseUrl: "http://127.0.0.1:4000"}]
    rules:
      - id: litellm-copilot-default
        name: Claude models (litellm-copilot)
        enabled: true
        type: condition
        condition: {left: request.body.model, operator: starts-with, right: claude}
        target: copilot/claude-sonnet-4.5
        rewrite: {key: request.body.model, operation: set, value: copilot/claude-sonnet-4.5}
        rewrites: [{key: request.body.model, operation: set, value: copilot/claude-sonnet-4.5}]
    rule_prefix: litellm-copilot-
    settings: {HOST: 127.0.0.1, PORT: 3456, profile: {enabled: false, profiles: []}}
    api_key: "{{ ccr_key }}"
  no_log: true
"""

RETURN = r"""
updated:
  description: What was (or, in check mode, would be) written.
  returned: always
  type: list
  elements: str
  sample: [store, provider, rules, settings, key]
running:
  description:
    - Whether a Claude-Code-Router started with C(ccr start) runs for this directory; it uses a change after a
      restart (C(ccr stop), C(ccr start)).
  returned: always
  type: bool
"""

import json
import os
import sqlite3
import stat
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.copilot.files import read_regular_file

STORE = 'config.sqlite'
SERVICE = 'service.json'
# Claude-Code-Router 3.1.1's own tables (its schema, as it creates them), less the ones it fills itself.
SCHEMA = """
CREATE TABLE IF NOT EXISTS app_config (
  key TEXT PRIMARY KEY,
  value_json TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  encrypted_key TEXT NOT NULL,
  encryption TEXT NOT NULL DEFAULT 'plain',
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL DEFAULT '',
  limits_json TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS api_keys_created_at_idx ON api_keys(created_at);
"""
ARGUMENT_SPEC = dict(
    path=dict(type='path', required=True),
    provider=dict(type='dict', required=True, no_log=True),
    rules=dict(type='list', elements='dict', required=True),
    rule_prefix=dict(type='str', required=True),
    settings=dict(type='dict', default={}),
    api_key=dict(type='str', required=True, no_log=True),
    key_id=dict(type='str', default='litellm-copilot', no_log=False),
)
# No store is larger than this: a bigger document is not one the module should rewrite.
DOCUMENT_LIMIT = 16 << 20


def now():
    return datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.') + '000Z'


def projected(entry, keys):
    """``entry`` restricted to ``keys``: what this module set in it, without what the router added."""
    return dict((key, entry.get(key)) for key in keys) if isinstance(entry, dict) else entry


def merged_document(document, provider, rules, rule_prefix, settings):
    """The document with the provider, rules and settings set; returns (document, what changed)."""
    document = dict(document)
    updated = []

    providers = [entry for entry in document.get('Providers') or [] if isinstance(entry, dict)]
    ours = [entry for entry in providers if entry.get('name') == provider['name']]
    if len(ours) != 1 or projected(ours[0], provider) != provider:
        others = [entry for entry in providers if entry.get('name') != provider['name']]
        document['Providers'] = others + [provider]
        updated.append('provider')

    router = document.get('Router') if isinstance(document.get('Router'), dict) else {}
    existing = [rule for rule in router.get('rules') or [] if isinstance(rule, dict)]

    def owned(rule):
        return str(rule.get('id', '')).startswith(rule_prefix)
    theirs = [rule for rule in existing if not owned(rule)]
    current = [projected(rule, wanted) for rule, wanted in zip(existing[len(theirs):], rules)]
    if existing[:len(theirs)] != theirs or current != rules or len(existing) != len(theirs) + len(rules):
        document['Router'] = dict(router, rules=theirs + list(rules))
        updated.append('rules')

    changed = [key for key, value in settings.items()
               if (projected(document.get(key), value) if isinstance(value, dict) else document.get(key)) != value]
    for key in changed:
        current_value = document.get(key)
        document[key] = dict(current_value, **settings[key]) if isinstance(current_value, dict) and isinstance(
            settings[key], dict) else settings[key]
    if changed:
        updated.append('settings')
    return document, updated


def running(path):
    """Whether the Claude-Code-Router that ``ccr start`` recorded in ``path`` still runs."""
    try:
        service = json.loads(read_regular_file(os.path.join(path, SERVICE), 1 << 16))
        pid = service.get('pid') if isinstance(service, dict) else None
        if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 1:
            return False
        os.kill(pid, 0)
        return True
    except (OSError, ValueError):
        return False


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    path, prefix = params['path'], params['rule_prefix']
    store = os.path.join(path, STORE)
    if not prefix or not all(str(rule.get('id', '')).startswith(prefix) for rule in params['rules']):
        module.fail_json(msg='every rule id must start with rule_prefix %r' % prefix)

    # The directory is made here (0700) where there is none; one that is there must be a real
    # directory of the developer's own: SQLite writes beside its store, so not even a link to the
    # developer's own directory is followed.
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        module.fail_json(msg='%s: %s' % (path, exc.strerror))
    if info is None:
        if not module.check_mode:
            try:
                os.mkdir(path, 0o700)
            except OSError as exc:
                module.fail_json(msg='%s could not be made: %s' % (path, exc.strerror))
    elif not stat.S_ISDIR(info.st_mode):
        module.fail_json(msg='%s is not a directory (a link?)' % path)
    elif info.st_uid != os.geteuid():
        module.fail_json(msg='%s is not a directory of the account the module runs as (uid %d): it belongs to uid %d'
                             % (path, os.geteuid(), info.st_uid))
    try:
        info = os.lstat(store)
        exists = True
    except FileNotFoundError:
        exists = False
    except OSError as exc:
        module.fail_json(msg='%s: %s' % (store, exc.strerror))
    if exists and not stat.S_ISREG(info.st_mode):
        module.fail_json(msg='%s is not a regular file (a link?); move it away and re-run' % store)

    result = dict(changed=False, updated=[], running=running(path))
    if not exists and module.check_mode:
        result.update(changed=True, updated=['store', 'provider', 'rules', 'settings', 'key'])
        module.exit_json(**result)

    # The store and the files SQLite keeps beside it (-wal, -shm) are the developer's alone.
    umask = os.umask(0o077)
    connection = None
    try:
        connection = sqlite3.connect(store, timeout=30, isolation_level=None)
        connection.execute('PRAGMA busy_timeout = 30000')
        # One write transaction: a router starting meanwhile reads the old document or the new one.
        connection.execute('BEGIN IMMEDIATE')
        if not exists:
            result['updated'].append('store')
        for statement in SCHEMA.split(';'):
            if statement.strip():
                connection.execute(statement)
        row = connection.execute("SELECT value_json, length(value_json) FROM app_config WHERE key = 'default'").fetchone()
        document = {}
        if row:
            if row[1] > DOCUMENT_LIMIT:
                raise ValueError('its configuration document is larger than %d bytes' % DOCUMENT_LIMIT)
            document = json.loads(row[0])
            if not isinstance(document, dict):
                raise ValueError('its configuration document is not a JSON object')
        document, updated = merged_document(document, params['provider'], params['rules'], prefix, params['settings'])
        if updated or not row:
            connection.execute(
                "INSERT INTO app_config (key, value_json, updated_at) VALUES ('default', ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at",
                (json.dumps(document, sort_keys=True), now()))
        key = connection.execute('SELECT encrypted_key, encryption FROM api_keys WHERE id = ?',
                                 (params['key_id'],)).fetchone()
        if key != (params['api_key'], 'plain'):
            connection.execute(
                "INSERT INTO api_keys (id, name, encrypted_key, encryption, created_at) VALUES (?, ?, ?, 'plain', ?) "
                "ON CONFLICT(id) DO UPDATE SET encrypted_key = excluded.encrypted_key, encryption = 'plain'",
                (params['key_id'], 'litellm-copilot (Ansible)', params['api_key'], now()))
            updated.append('key')
        result['updated'] += updated
        if module.check_mode:
            connection.execute('ROLLBACK')
        else:
            connection.execute('COMMIT')
    except (sqlite3.Error, ValueError, RecursionError) as exc:
        if connection is not None and connection.in_transaction:
            connection.execute('ROLLBACK')
        module.fail_json(msg='Claude-Code-Router\'s store %s could not be updated: %s' % (store, exc))
    finally:
        if connection is not None:
            connection.close()
        os.umask(umask)
    result['changed'] = bool(result['updated'])
    if result['changed'] and result['running']:
        module.warn('Claude-Code-Router runs with the config it had when it started: restart it (ccr stop, then '
                    'ccr start) to use this one.')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
