# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Vaults a GitHub token into the inventory for one host or one group (playbooks/login.yml)."""

from __future__ import annotations

# Its documentation (ansible-doc -t module copilot_vault_token) is library/copilot_vault_token.py, as
# for ansible.builtin.debug: ansible-doc reads module paths only.

import hmac
import json
import os
import re
import tempfile

import yaml

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.parsing.vault import (
    VaultLib, VaultSecretsContext, get_file_vault_secret, match_encrypt_secret)
from ansible.plugins.action import ActionBase
from ansible import constants as C

FILE_NAME = 'copilot_token.yml'
DEFAULT_GITHUB_API_URL = 'https://api.github.com'
# What a host or group name, and GitHub's login and plan, may hold: they become a path and YAML text.
PLAIN = re.compile(r'[A-Za-z0-9_.-]*')
# A host or group name must not start with '.': '..' would climb out of host_vars/.
PLAIN_TARGET = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.-]*')
# ansible-vault encrypt_string's indentation of the ciphertext under `name: !vault |`
VAULT_INDENT = ' ' * 10
ARGUMENT_SPEC = dict(
    host=dict(type='str', default=''),
    group=dict(type='str', default=''),
    inventory_dir=dict(type='path', default=''),
    vault_password_file=dict(type='path', default=''),
    token=dict(type='str', no_log=True),
    login=dict(type='str'),
    plan=dict(type='str', default=''),
    variable=dict(type='str', default='litellm_copilot_github_token'),
)


class Refused(Exception):
    """The token cannot or must not be stored; the message says why and what to do."""


def shown(value, limit=80):
    """A value from outside, quoted as JSON (no raw newline reaches a message) and cut to ``limit``."""
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def target_of(host, group):
    """('host', name) or ('group', name); exactly one must be given."""
    if bool(host) == bool(group):
        raise Refused('Say whose token this is: -e litellm_copilot_login_host=<inventory host> (a VM with its own '
                      'seat) or -e litellm_copilot_login_group=<group> (one seat for the group), not both.')
    kind, name = ('host', host) if host else ('group', group)
    # fullmatch: a trailing newline does not pass (a regex `$` would let it through)
    if not PLAIN_TARGET.fullmatch(name):
        raise Refused("%s name %s is not a plain name (a letter, digit or '_', then letters, digits, '.', '_' or "
                      "'-'); its token file would land outside %s_vars/. Sign in for a host or group with a "
                      "plain name." % (kind.capitalize(), shown(name), kind))
    return kind, name


def inventory_dir_of(inventory_dir, sources):
    """The directory whose host_vars/ or group_vars/ gets the file."""
    if inventory_dir:
        return inventory_dir
    if not sources:
        raise Refused('No inventory to store the token in: pass -i, or -e litellm_copilot_login_inventory_dir=DIR.')
    source = sources[0]
    return source if os.path.isdir(source) else os.path.dirname(source)


def github_api_of(kind, name, task_vars):
    """The GitHub API that validates the token, as the target's inventory names it (for a group, its
    first host's), and whether that inventory allows plain http there (the simulator)."""
    groups = task_vars.get('groups') or {}
    sample = name if kind == 'host' else next(iter(groups.get(name) or []), None)
    hostvars = task_vars.get('hostvars') or {}
    inventory = hostvars[sample] if sample is not None and sample in hostvars else {}
    return {
        'github_api_url': inventory.get('litellm_copilot_github_api_url') or DEFAULT_GITHUB_API_URL,
        'allow_insecure_http': boolean(inventory.get('litellm_copilot_allow_insecure_http', False), strict=False),
    }


def overriding_files(directory, variable):
    """Other files in ``directory`` that set ``variable`` (Ansible reads them in name order)."""
    sets = re.compile(r'^%s\s*:' % re.escape(variable), re.MULTILINE)
    found = []
    if not os.path.isdir(directory):
        return found
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name == FILE_NAME or not name.endswith(('.yml', '.yaml', '.json')) or not os.path.isfile(path):
            continue
        with open(path, 'rb') as handle:
            if sets.search(to_text(handle.read(), errors='surrogate_or_replace')):
                found.append(path)
    return found


def check_account(kind, name, login, plan):
    """GitHub's login and plan go into the file's comment: plain names only."""
    if not login or not PLAIN.fullmatch(login) or not PLAIN.fullmatch(plan):
        raise Refused("The token for %s %s was not stored: GitHub answered a login %s and plan %s, which are not "
                      "plain names (letters, digits, '.', '_', '-')." % (kind, name, shown(login), shown(plan)))


def vault_text(vault, secret, vault_id, variable, token, login, plan):
    """The file's content: a comment naming the account, then the variable, vaulted."""
    ciphertext = to_text(vault.encrypt(to_bytes(token), secret, vault_id=vault_id))
    return ('---\n# GitHub token of %s (Copilot %s), written by playbooks/login.yml. Re-run it to replace.\n'
            '%s: !vault |\n%s\n' % (json.dumps(login), json.dumps(plan or '?'), variable,
                                    '\n'.join(VAULT_INDENT + line for line in ciphertext.splitlines())))


class _VaultLoader(yaml.SafeLoader):
    """Reads the written file as plain YAML: a !vault value is its ciphertext."""


_VaultLoader.add_constructor('!vault', lambda loader, node: loader.construct_scalar(node))


def stored_token(path, vault, variable):
    """What the file at ``path`` decrypts to, if it sets only ``variable``; else None."""
    with open(path, 'rb') as handle:
        data = yaml.load(handle, Loader=_VaultLoader)
    if not isinstance(data, dict) or list(data) != [variable] or not isinstance(data[variable], str):
        return None
    return vault.decrypt(to_bytes(data[variable].strip())).decode('utf-8')


def write_private(path, text):
    """Replaces ``path`` in one step with ``text``, readable by its owner only."""
    directory = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(prefix='.' + FILE_NAME + '.', dir=directory)
    try:
        with os.fdopen(handle, 'w') as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def _secrets(self, password_file):
        """The vault secrets to encrypt with: the given file's, else the play's."""
        if password_file:
            secret = get_file_vault_secret(filename=password_file, vault_id=C.DEFAULT_VAULT_IDENTITY,
                                           loader=self._loader)
            secret.load()
            return [(C.DEFAULT_VAULT_IDENTITY, secret)]
        context = VaultSecretsContext.current(optional=True)
        return list(context.secrets) if context else []

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC,
                                                       required_by=dict(token=['login']))
        task_vars = task_vars or {}
        token = (args['token'] or '').strip() if args['token'] is not None else None
        try:
            kind, name = target_of(args['host'], args['group'])
            groups = task_vars.get('groups') or {}
            if name not in (groups.get('all', []) if kind == 'host' else groups):
                raise Refused('%s %s is not in the inventory %s; add it first, or pass the right -i.'
                              % (kind.capitalize(), name, ', '.join(task_vars.get('ansible_inventory_sources') or [])))
            directory = os.path.join(inventory_dir_of(args['inventory_dir'],
                                                      task_vars.get('ansible_inventory_sources')),
                                     kind + '_vars', name)
            path = os.path.join(directory, FILE_NAME)
            result.update(path=path, kind=kind, target=name, **github_api_of(kind, name, task_vars))
            try:
                secrets = self._secrets(args['vault_password_file'])
            except AnsibleError as exc:
                raise Refused('Cannot read the vault password: %s' % to_native(exc.message))
            if not secrets:
                raise Refused('No vault password to encrypt the token with: set ANSIBLE_VAULT_PASSWORD_FILE (or '
                              'vault_password_file in ansible.cfg), or pass -e litellm_copilot_login_vault_password_'
                              'file=PATH. The token is never stored in plain text.')
            others = overriding_files(directory, args['variable'])
            if others:
                raise Refused('%s also set %s and would override the signed-in token; remove that line, the login '
                              'playbook keeps the token in %s.' % (', '.join(others), args['variable'], path))
            if token is None:
                return result
            if not token:
                raise Refused('The token for %s %s is empty; nothing was stored.' % (kind, name))
            check_account(kind, name, args['login'], args['plan'] or '')
            self._store(path, secrets, args, token)
        except Refused as exc:
            result.update(failed=True, msg=str(exc))
            return result
        result.update(changed=True, msg='Stored the vaulted token for %s %s in %s' % (kind, name, path))
        return result

    def _store(self, path, secrets, args, token):
        vault_id, secret = match_encrypt_secret(secrets, C.DEFAULT_VAULT_ENCRYPT_IDENTITY)
        vault = VaultLib(secrets)
        os.makedirs(os.path.dirname(path), mode=0o750, exist_ok=True)
        write_private(path, vault_text(vault, secret, vault_id, args['variable'], token, args['login'],
                                       args['plan'] or ''))
        # Read back through the same vault: the file must give the new token to the next deploy.
        try:
            back = stored_token(path, vault, args['variable'])
        except (AnsibleError, yaml.YAMLError, UnicodeDecodeError):
            back = None
        if back is None or not hmac.compare_digest(back.encode('utf-8'), token.encode('utf-8')):
            raise Refused('%s does not decrypt to the new token; check the vault setup' % path)
