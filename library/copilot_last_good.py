#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: copilot_last_good
short_description: Keep the gateway's last good files once it passed its health gate, and put them back
description:
  - The last good state of a gateway is a copy of each file in O(files) (its config, the meter's settings, its
    environment, its systemd units) beside the live one, plus the record of the model list it served at
    O(record_path) (what C(copilot_models_info) returned as RV(copilot_models_info#module:record), and where the
    proxy answered).
  - V(kept) copies every live file whose saved copy differs (content, owner, group or mode) and writes the record.
    V(restored) puts back every saved copy that differs from its live file - only when every saved copy is there,
    so a half-kept state is never restored - and returns where the last good proxy answered.
  - Every file is opened without following a link and must be a regular file; each one is written whole, through
    a temporary file beside it that is renamed into place, with the owner, group and mode O(files) names. File
    contents (the environment holds the master key) are never in the result.
  - The virtualenv's last good state is C(copilot_venv)'s.
author:
  - litellm-copilot maintainers
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
    description: The environment file holds the master key; the result lists the paths written instead.
options:
  state:
    description: V(kept) after a passed health gate; V(restored) after a failed one.
    type: str
    choices: [kept, restored]
    required: true
  files:
    description: The files of the last good state.
    type: list
    elements: dict
    required: true
    suboptions:
      live:
        description: The file the gateway uses.
        type: path
        required: true
      saved:
        description: Its last good copy.
        type: path
        required: true
      owner:
        description: The owner of both.
        type: str
        required: true
      group:
        description: The group of both.
        type: str
        required: true
      mode:
        description: The mode of both, in octal.
        type: str
        required: true
  record_path:
    description: The last good model list (C(copilot_models_info)'s O(copilot_models_info#module:last_good_path)),
      root's, mode C(0600).
    type: path
    required: true
  record:
    description: With V(kept), the record to keep at O(record_path) (no secret belongs in it).
    type: dict
  local_url:
    description: With V(kept), where the proxy answered its health gate, kept in the record as C(local_url).
    type: str
"""

EXAMPLES = r"""
- name: Keep the state that passed the health gate
  copilot_last_good:
    state: kept
    files:
      - {live: /etc/litellm-copilot/config.yaml, saved: /etc/litellm-copilot/config.yaml.last-good,
         owner: root, group: litellm, mode: "0640"}
    record_path: /var/lib/litellm-copilot/models.last-good.json
    record: "{{ discovered.record }}"
    local_url: http://127.0.0.1:4000

- name: Put the last good state back
  copilot_last_good:
    state: restored
    files: "{{ last_good_files }}"
    record_path: /var/lib/litellm-copilot/models.last-good.json
  register: restored
"""

RETURN = r"""
written:
  description: The paths written (with V(kept) the saved copies and the record, with V(restored) the live files);
    in check mode, the ones that would be.
  returned: success
  type: list
  elements: str
complete:
  description: With V(restored), whether there was a whole last good state to restore (every saved copy present).
  returned: success
  type: bool
missing:
  description: With V(restored), the saved copies that are not there.
  returned: success
  type: list
  elements: str
local_url:
  description: With V(restored), where the last good proxy answered (empty when the record does not say, or says
    something that is not a plain http(s) URL).
  returned: success
  type: str
"""

import errno
import json
import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.copilot.files import ownership, read_owned_file, write_if_different

# A config of a few hundred models is some 100 KB; a file far larger is not the gateway's.
LIMIT = 16 * 1024 * 1024
URL = re.compile(r'https?://[A-Za-z0-9.:\[\]-]{1,260}/?')


class Refused(Exception):
    """A file that is not what the gateway wrote: named, never read through."""


def refused(path, exc):
    """The Refused for an OSError on path: a link is named as one."""
    if exc.errno == errno.ELOOP:
        return Refused('%s is a symbolic link, which root does not follow' % path)
    return Refused('%s: %s' % (path, exc.strerror))


def read_file(path):
    """(bytes, (uid, gid, mode)) of the regular file at path, or None when there is none."""
    try:
        return read_owned_file(path, LIMIT)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise refused(path, exc)


def replace(path, content, owned, check_mode):
    """Writes path whole with content and owned (uid, gid, mode) unless it has them; whether it had to."""
    try:
        return write_if_different(path, content, owned, LIMIT, check_mode)[1]
    except OSError as exc:
        raise refused(path, exc)


def entry_ownership(entry):
    """(uid, gid, mode) an entry of the files option names."""
    try:
        return ownership(entry['owner'], entry['group'], entry['mode'])
    except (KeyError, ValueError):
        raise Refused('%s: owner %s, group %s or mode %s does not exist here'
                      % (entry['live'], entry['owner'], entry['group'], entry['mode']))


def copy(source, target, owner, check_mode):
    """Makes target a copy of the regular file source with owner; whether it had to change."""
    found = read_file(source)
    if found is None:
        raise Refused('%s is missing' % source)
    return replace(target, found[0], owner, check_mode)


def kept(module):
    params, written = module.params, []
    for entry in params['files']:
        if copy(entry['live'], entry['saved'], entry_ownership(entry), module.check_mode):
            written.append(entry['saved'])
    record = dict(params['record'] or {}, local_url=params['local_url'] or '')
    content = (json.dumps(record, indent=4, sort_keys=True) + '\n').encode('utf-8')
    if replace(params['record_path'], content, (os.geteuid(), os.getegid(), 0o600), module.check_mode):
        written.append(params['record_path'])
    return dict(changed=bool(written), written=written)


def restored(module):
    params = module.params
    missing = [entry['saved'] for entry in params['files'] if read_file(entry['saved']) is None]
    if missing:
        return dict(changed=False, written=[], complete=False, missing=missing, local_url='')
    written = [entry['live'] for entry in params['files']
               if copy(entry['saved'], entry['live'], entry_ownership(entry), module.check_mode)]
    return dict(changed=bool(written), written=written, complete=True, missing=[], local_url=last_url(params))


def last_url(params):
    """Where the last good proxy answered, from its record; empty when it does not plainly say."""
    try:
        found = read_file(params['record_path'])
        url = json.loads(found[0].decode('utf-8')).get('local_url') if found else None
    except (Refused, ValueError, AttributeError):
        return ''
    return url if isinstance(url, str) and URL.fullmatch(url) else ''


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['kept', 'restored'], required=True),
            files=dict(type='list', elements='dict', required=True, options=dict(
                live=dict(type='path', required=True),
                saved=dict(type='path', required=True),
                owner=dict(type='str', required=True),
                group=dict(type='str', required=True),
                mode=dict(type='str', required=True),
            )),
            record_path=dict(type='path', required=True),
            record=dict(type='dict'),
            local_url=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    try:
        result = kept(module) if module.params['state'] == 'kept' else restored(module)
    except Refused as refused:
        module.fail_json(msg='the last good state was not %s: %s' % (module.params['state'], refused))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
