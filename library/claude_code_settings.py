#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: claude_code_settings
short_description: Set environment keys in a developer's Claude Code settings, keeping everything else
description:
  - Claude Code reads C(~/.claude/settings.json); its C(env) object sets the environment of every session
    (C(ANTHROPIC_BASE_URL), C(ANTHROPIC_AUTH_TOKEN), the models). This module sets the keys of O(env) there and
    leaves every other setting and every other C(env) key as the developer has it.
  - Run it as the developer (C(become_user)), so that it reads and writes only what that account may. Links are
    followed (dotfiles), but the settings' directory must be the developer's own and writable, and the settings
    a regular file the developer can read and write - anything else (a link to a system directory, to another
    user's or a root-only file) fails, naming the path and the account, and nothing is written.
  - Makes the directory mode C(0700) and the file mode C(0600), creating them when they are missing, as the file
    carries the proxy's key. The file is written whole, through a temporary file beside it, only when a value
    changed.
author:
  - litellm-copilot maintainers
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
    description: The settings carry the proxy's key; the result lists the keys that changed instead (RV(updated)).
options:
  path:
    description: The settings file, usually C(~/.claude/settings.json).
    type: path
    required: true
  env:
    description: The C(env) keys to set, with their values (strings).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Point the developer's Claude Code at the local proxy
  become: true
  become_user: alice
  claude_code_settings:
    path: /home/alice/.claude/settings.json
    env:
      ANTHROPIC_BASE_URL: http://127.0.0.1:4000
      ANTHROPIC_AUTH_TOKEN: "{{ master_key }}"
"""

RETURN = r"""
updated:
  description: The C(env) keys that were (or, in check mode, would be) set to a new value.
  returned: always
  type: list
  elements: str
  sample: [ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN]
"""

import json
import os
import pwd
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule

# No settings file of Claude Code's is near this size.
LIMIT = 4 << 20
ASIDE = 'make it the developer\'s own %s or remove it, then re-run (nothing was changed)'


def account():
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def require_own_directory(module, path):
    """Makes ``path`` a 0700 directory (created when missing); fails unless it is a directory this
    account owns and can write. Returns whether it changed."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if not module.check_mode:
            os.mkdir(path, 0o700)
        return True
    if not (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and os.access(path, os.W_OK)):
        module.fail_json(msg='%s is not a directory that \'%s\' owns and can write (a link to another user\'s or a '
                             'system directory?). The role writes the developer\'s files only as \'%s\'; %s.'
                             % (path, account(), account(), ASIDE % 'directory'))
    if stat.S_IMODE(info.st_mode) == 0o700:
        return False
    if not module.check_mode:
        os.chmod(path, 0o700)
    return True


def read_settings(module, path):
    """The settings as a dict ({} for a missing file); fails unless a regular, readable, writable JSON object."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return {}
    if not (stat.S_ISREG(info.st_mode) and os.access(path, os.R_OK | os.W_OK)) or info.st_size > LIMIT:
        module.fail_json(msg='%s is not a regular file that \'%s\' can read and write (a link to another user\'s or '
                             'a root-only file?). The role reads and writes it only as \'%s\'; %s.'
                             % (path, account(), account(), ASIDE % 'file'))
    with open(path, 'rb') as stream:
        text = stream.read(LIMIT + 1)
    try:
        settings = json.loads(text.decode('utf-8')) if text.strip() else {}
    except ValueError:
        settings = None
    if not isinstance(settings, dict):
        module.fail_json(msg='%s is not a JSON object; fix or remove it, then re-run (nothing was changed).' % path)
    return settings


def write_settings(path, settings):
    """Replaces the file a link ``path`` may point to, in one step, 0600."""
    target = os.path.realpath(path)
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix='.settings.', suffix='.json')
    try:
        with os.fdopen(fd, 'w') as stream:
            stream.write(json.dumps(settings, indent=2, sort_keys=True, ensure_ascii=False) + '\n')
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def main():
    module = AnsibleModule(
        argument_spec=dict(path=dict(type='path', required=True), env=dict(type='dict', required=True, no_log=True)),
        supports_check_mode=True,
    )
    path, env = module.params['path'], module.params['env']
    try:
        directory_changed = require_own_directory(module, os.path.dirname(path))
        missing = not os.path.exists(path)
        settings = read_settings(module, path)
        current = settings.get('env') if isinstance(settings.get('env'), dict) else {}
        updated = sorted(key for key, value in env.items() if current.get(key) != value)
        # It carries the proxy's key: nobody but the developer reads it.
        exposed = not missing and stat.S_IMODE(os.stat(path).st_mode) & 0o077
        if not module.check_mode:
            if updated or missing:
                settings['env'] = dict(current, **env)
                write_settings(path, settings)
            elif exposed:
                os.chmod(os.path.realpath(path), 0o600)
    except OSError as exc:
        module.fail_json(msg='%s: %s' % (exc.filename or path, exc.strerror or exc))
    module.exit_json(changed=bool(updated or missing or exposed or directory_changed), updated=updated)


if __name__ == '__main__':
    main()
