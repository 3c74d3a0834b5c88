#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: copilot_venv
short_description: The life of the gateway's versioned virtualenvs - read, prepare, unpack, seal, switch, promote, restore
description:
  - The proxy runs from O(install_dir)C(/venv), a link to one of the versioned virtualenvs in O(install_dir)C(/venvs).
    A new LiteLLM goes into a venv of its own beside the live one, the link switches to it in one step right
    before the restart, and the venv that last passed the health gate stays, linked from
    O(install_dir)C(/venv.last-good), for a rollback.
  - Each venv carries its record, written when its install completed (O(state=sealed)) - one line,
    C(<sha256 of the hash lock> <venv name>), in C(.requirements.lock.sha256) inside the venv. A venv without
    its record is unfinished. RV(live) and RV(good) return records as C({lock, name}), both empty when there
    is none.
  - The steps, in the order a deploy takes them - V(read) the records (changes nothing); V(prepared) a fresh
    venv for O(name) (an unfinished one of that name removed); V(unpacked) a packed venv the controller built
    into it, checked against O(sha256); V(sealed) its record; V(switched) the live link to it (changed whenever
    the gateway must restart onto the live venv - it was switched now, or by an earlier run, away from the last
    good venv, whose restart did not happen);
    V(promoted) the live venv to last good once it passed the health gate, and the venvs and wheelhouses
    before it removed; V(restored) the live link back to the last good venv after a failed gate.
  - A venv directory where the live link belongs (the layout before versioned venvs) is moved among the
    versioned ones as C(previous) and becomes the last good venv, when the first switch happens.
  - Run as root. Every path is under O(install_dir), which only root may write; links are replaced by
    renaming a new link over them, never followed for a removal.
author:
  - litellm-copilot maintainers
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
options:
  install_dir:
    description: The gateway's install directory, owned by root.
    type: path
    required: true
  state:
    description: The step, see the description.
    type: str
    choices: [read, prepared, unpacked, sealed, switched, promoted, restored]
    default: read
  name:
    description:
      - The venv's name under C(venvs) - a plain name (no slash, no leading dot). For V(read), the name of a venv of
        this version and O(lock); RV(next) says which venv the run brings to the health gate. Required for every
        step but V(promoted) and V(restored).
    type: str
  lock:
    description: The sha256 of the hash lock (64 hex digits). Required for V(read) and V(sealed).
    type: str
  pack:
    description: For V(unpacked), the host's copy of the packed venv (a zstd-compressed tar, C(.tar.zst)); removed once unpacked or refused.
    type: path
  sha256:
    description: For V(unpacked), the sha256 the controller recorded for the pack.
    type: str
  with_pip:
    description: For V(prepared), whether the new venv gets pip (an install needs it, an unpacked venv does not).
    type: bool
    default: true
  python:
    description: The interpreter the venv is made from (V(prepared)), and whose platform V(read) reports.
    type: path
    default: /usr/bin/python3
  keep_wheelhouse:
    description:
      - For V(promoted), the wheelhouse under O(install_dir)C(/wheelhouse) to keep; the others are removed.
        Empty keeps none.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Read the live, last good and next virtualenvs
  copilot_venv:
    install_dir: /opt/litellm-copilot
    name: 1.108.7-0123456789ab
    lock: "{{ lock_sha256 }}"
  register: venvs

- name: Switch the gateway to the virtualenv this run brings to the health gate
  copilot_venv:
    install_dir: /opt/litellm-copilot
    state: switched
    name: "{{ venvs.next }}"
  when: venvs.next | length > 0
  notify: Restart the gateway

- name: Keep the virtualenv that passed the health gate
  copilot_venv:
    install_dir: /opt/litellm-copilot
    state: promoted
"""

RETURN = r"""
live:
  description: The record of the venv the live link points at.
  returned: always
  type: dict
  sample: {lock: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, name: 1.108.7-9f86d081884c}
good:
  description: The record of the last good venv.
  returned: always
  type: dict
next:
  description:
    - For V(read), the venv this run brings to the health gate, empty when there is none (the live venv is of
      O(lock) and passed the gate).
    - When the live venv is not of O(lock), a new one - O(name), or C(<name>.2) when the live link points at a venv
      named O(name) (its record lost or stale), so a rebuild never touches the venv that serves.
    - When the live venv is of O(lock) but not the last good one, the live venv itself - an earlier run switched to
      it, and its restart or health gate did not happen.
  returned: when O(state=read)
  type: str
  sample: 1.108.7-9f86d081884c
next_complete:
  description: For V(read), whether RV(next) is installed from O(lock) already (its record says so).
  returned: when O(state=read)
  type: bool
platform:
  description:
    - For V(read) when RV(next) is to be built, what O(python) printed as its Python version, glibc version and
      architecture (for example C(3.11.2 2.36 x86_64)). The host's word - check it before it names anything.
  returned: when O(state=read) and RV(next) is not complete
  type: str
removed:
  description: For V(prepared) and V(promoted), the directories removed (or to be removed, in check mode).
  returned: when O(state) is V(prepared) or V(promoted)
  type: list
  elements: str
"""

import os
import re
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.copilot.files import read_regular_file, remove_entry, write_whole_file

MARKER = '.requirements.lock.sha256'
NO_RECORD = {'lock': '', 'name': ''}
LOCK = re.compile(r'[0-9a-f]{64}')
NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9._-]{0,99}')


def format_record(lock, name):
    """The record line a venv carries once its install completed."""
    return '%s %s\n' % (lock, name)


def parse_record(text):
    """{lock, name} of a record's text, each field '' when absent or not one: the file is on the
    host, and its word names a path only when it is a plain name. Several lines are no record."""
    fields = text.split() if isinstance(text, str) and text.strip().count('\n') == 0 else []
    if len(fields) > 2:
        return dict(NO_RECORD)
    return {'lock': fields[0] if fields and LOCK.fullmatch(fields[0]) else '',
            'name': fields[1] if len(fields) == 2 and NAME.fullmatch(fields[1]) else ''}


class Venvs(object):
    """The venvs under one install directory."""

    def __init__(self, module):
        self.module = module
        self.root = module.params['install_dir']
        self.link = os.path.join(self.root, 'venv')
        self.good_link = os.path.join(self.root, 'venv.last-good')
        self.dir = os.path.join(self.root, 'venvs')
        self.wheelhouses = os.path.join(self.root, 'wheelhouse')

    def path(self, name):
        return os.path.join(self.dir, name)

    def record(self, venv):
        """The record inside the venv directory ``venv`` (links to it followed: they are root's)."""
        try:
            return parse_record(read_regular_file(os.path.join(venv, MARKER), 4096).decode('utf-8', 'replace'))
        except (OSError, ValueError):
            return dict(NO_RECORD)

    def target(self, link):
        """The venv name a link under the install directory points at, or '' (no link, or not into venvs/)."""
        try:
            target = os.readlink(link)
        except OSError:
            return ''
        name = os.path.basename(target.rstrip('/'))
        return name if os.path.join(self.dir, name) == os.path.normpath(os.path.join(self.root, target)) else ''

    def is_sealed(self, name, lock=None):
        record = self.record(self.path(name))
        return record['name'] == name and (lock is None or record['lock'] == lock)

    def point(self, link, name):
        """Points ``link`` at venvs/``name`` in one step: a new link renamed over the old one."""
        if self.target(link) == name:
            return False
        if not self.module.check_mode:
            temporary = '%s.%d.new' % (link, os.getpid())
            if os.path.lexists(temporary):
                os.unlink(temporary)
            os.symlink(self.path(name), temporary)
            os.rename(temporary, link)
        return True

    def remove(self, path):
        """Removes a directory (never through a link) or a file; returns whether there was one."""
        return remove_entry(path, self.module.check_mode, trees=True)

    def make_dir(self):
        if not os.path.isdir(self.dir) or os.path.islink(self.dir):
            if os.path.islink(self.dir):
                self.module.fail_json(msg='%s is a link, not the directory of the versioned virtualenvs' % self.dir)
            if not self.module.check_mode:
                os.mkdir(self.dir, 0o755)
            return True
        return False


def require(module, *names):
    for option in names:
        if not module.params[option]:
            module.fail_json(msg='state=%s needs %s' % (module.params['state'], option))
    name = module.params['name']
    if 'name' in names and not NAME.fullmatch(name):
        module.fail_json(msg='name must be a plain virtualenv name (no slash, no leading dot): %r' % name)
    if 'lock' in names and not LOCK.fullmatch(module.params['lock']):
        module.fail_json(msg='lock must be the sha256 of the hash lock, 64 lowercase hex digits')


# What picks the wheels of a venv: the versions of its Python and C library, and the architecture.
PLATFORM = 'import platform, sys; print("%d.%d.%d" % sys.version_info[:3], platform.libc_ver()[1] or "2.17", platform.machine())'


def read(venvs, params):
    """The venv this run brings to the health gate (see RETURN next), and whether it is complete."""
    lock, live, good = params['lock'], venvs.record(venvs.link), venvs.record(venvs.good_link)
    if live['lock'] != lock:
        name = params['name']
        next_name = name + '.2' if venvs.target(venvs.link) == name else name
    else:
        # Switched to by an earlier run that never saw it pass the gate: still this run's to restart and check.
        next_name = venvs.target(venvs.link) if live != good else ''
    result = dict(changed=False, next=next_name, next_complete=bool(next_name) and venvs.is_sealed(next_name, lock))
    if next_name and not result['next_complete']:
        # Printed by the interpreter the venv is made from, as it answers: the controller checks it.
        _, out, _ = venvs.module.run_command([params['python'], '-c', PLATFORM])
        result['platform'] = out.rstrip('\n')
    return result


def prepared(venvs, params):
    """A fresh venv at venvs/<name>: an unfinished one of that name goes first. Never the live one."""
    name = params['name']
    if name == venvs.target(venvs.link):
        venvs.module.fail_json(msg='%s is the live virtualenv: a new one is never built over it' % venvs.path(name))
    venvs.make_dir()
    removed = [venvs.path(name)] if venvs.remove(venvs.path(name)) else []
    if not venvs.module.check_mode:
        argv = [params['python'], '-m', 'venv'] + ([] if params['with_pip'] else ['--without-pip']) + [venvs.path(name)]
        venvs.module.run_command(argv, check_rc=True)
    return dict(changed=True, removed=removed)


def unpacked(venvs, params):
    """The pack checked against the controller's sha256, then unpacked with root's owners and modes."""
    pack, module = params['pack'], venvs.module
    if module.check_mode:
        return dict(changed=True)
    try:
        info = os.lstat(pack)
        if not stat.S_ISREG(info.st_mode):
            module.fail_json(msg='%s is not a regular file, so it is not unpacked' % pack)
        if module.sha256(pack) != params['sha256']:
            module.fail_json(msg='The copy of the packed virtualenv %s does not have the sha256 recorded when it was '
                                 'packed: it changed on the way or on the host, so it is not unpacked.'
                                 % os.path.basename(pack))
        # tar runs zstd itself (--use-compress-program: GNU tar before 1.31 has no --zstd).
        zstd = module.get_bin_path('zstd')
        if not zstd:
            module.fail_json(msg='zstd is not installed on this host, so the packed virtualenv cannot be unpacked '
                                 '(the role installs it with litellm_copilot_system_packages)')
        module.run_command(['tar', '--extract', '--use-compress-program', zstd, '--no-same-owner',
                            '--no-same-permissions', '--file', pack, '--directory', venvs.path(params['name'])],
                           check_rc=True)
    finally:
        if os.path.lexists(pack):
            os.unlink(pack)
    return dict(changed=True)


def sealed(venvs, params):
    """The record, written last and atomically: only a complete venv carries it."""
    name, lock = params['name'], params['lock']
    if venvs.is_sealed(name, lock):
        return dict(changed=False)
    if not venvs.module.check_mode:
        write_whole_file(os.path.join(venvs.path(name), MARKER), format_record(lock, name).encode('utf-8'),
                         os.geteuid(), os.getegid(), 0o644)
    return dict(changed=True)


def switched(venvs, params):
    """The live link to venvs/<name>; a venv directory of the earlier layout becomes the last good one."""
    name, module = params['name'], venvs.module
    if not module.check_mode and not venvs.is_sealed(name):
        module.fail_json(msg='%s has no record of a completed install, so the gateway is not switched to it'
                             % venvs.path(name))
    changed = False
    if os.path.isdir(venvs.link) and not os.path.islink(venvs.link):
        changed = True
        if not module.check_mode:
            venvs.make_dir()
            previous = venvs.path('previous')
            venvs.remove(previous)
            os.rename(venvs.link, previous)
        venvs.point(venvs.good_link, 'previous')
    moved = venvs.point(venvs.link, name)
    # Not moved, but not the last good venv either: an earlier run's switch whose restart is still owed.
    good = venvs.record(venvs.good_link)
    owed = bool(good['lock']) and venvs.record(venvs.link) != good
    return dict(changed=moved or changed or owed)


def promoted(venvs, params):
    """The live venv becomes the last good one; the venvs and wheelhouses before it go."""
    live = venvs.target(venvs.link)
    if not live:
        return dict(changed=False, removed=[])
    changed = venvs.point(venvs.good_link, live)
    removed = []
    for parent, keep in ((venvs.dir, live), (venvs.wheelhouses, params['keep_wheelhouse'])):
        try:
            entries = sorted(os.listdir(parent))
        except FileNotFoundError:
            continue
        for entry in entries:
            path = os.path.join(parent, entry)
            if entry != keep and os.path.isdir(path) and not os.path.islink(path):
                venvs.remove(path)
                removed.append(path)
    return dict(changed=changed or bool(removed), removed=removed)


def restored(venvs, params):
    """The live link back to the last good venv, when there is one."""
    good = venvs.target(venvs.good_link)
    return dict(changed=bool(good) and venvs.point(venvs.link, good), restored=good)


STEPS = {
    'read': (read, ('name', 'lock')),
    'prepared': (prepared, ('name',)),
    'unpacked': (unpacked, ('name', 'pack', 'sha256')),
    'sealed': (sealed, ('name', 'lock')),
    'switched': (switched, ('name',)),
    'promoted': (promoted, ()),
    'restored': (restored, ()),
}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            install_dir=dict(type='path', required=True),
            state=dict(type='str', default='read', choices=list(STEPS)),
            name=dict(type='str'),
            lock=dict(type='str'),
            pack=dict(type='path'),
            sha256=dict(type='str'),
            with_pip=dict(type='bool', default=True),
            python=dict(type='path', default='/usr/bin/python3'),
            keep_wheelhouse=dict(type='str', default=''),
        ),
        supports_check_mode=True,
    )
    step, needed = STEPS[module.params['state']]
    require(module, *needed)
    venvs = Venvs(module)
    try:
        result = step(venvs, module.params)
    except OSError as exc:
        module.fail_json(msg='%s: %s' % (exc.filename or venvs.root, exc.strerror or exc))
    result.update(live=venvs.record(venvs.link), good=venvs.record(venvs.good_link))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
