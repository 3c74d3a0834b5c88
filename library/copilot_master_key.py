#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: copilot_master_key
short_description: Generate the LiteLLM proxy's master key once on the host, and read it back on every run
description:
  - The master key is what every client of the proxy sends. Where the inventory gives none, the key generated on
    the first run is kept in O(path) (C(sk-) and 48 letters and digits, from the operating system's random source)
    and read from there on every later run.
  - The file is root's (owned by the account the module runs as - root, with C(become) - group O(group), mode
    C(0640)). It is opened without following a link and read only when it is a regular file of a sane size holding
    one key; anything else fails, naming the path, and nothing is written. A file of an earlier layout, where the
    service user owned it, is taken over by root through the opened file, never through its name.
  - A new key is written to a temporary file beside O(path) and renamed into place, so no run leaves half a key.
author:
  - litellm-copilot maintainers
attributes:
  check_mode:
    support: full
    details: In check mode a missing key is reported as a change and RV(master_key) is empty.
  diff_mode:
    support: none
    description: The file holds a secret.
options:
  path:
    description: The file that keeps the generated key.
    type: path
    required: true
  group:
    description: The file's group (the proxy's service group).
    type: str
    required: true
notes:
  - Register the result on a task with C(no_log), which RV(master_key) needs; see the example for showing a
    failure's message all the same.
"""

EXAMPLES = r"""
- name: Read or generate the master key
  copilot_master_key:
    path: /var/lib/litellm-copilot/master-key
    group: litellm
  register: settled
  failed_when: false
  no_log: true  # the result is the key

- name: Stop when the key file cannot be used
  ansible.builtin.fail:
    msg: "{{ settled.msg }}"
  when: settled.master_key is not defined
"""

RETURN = r"""
master_key:
  description: The key the proxy and its clients use. Empty in check mode when it would be generated.
  returned: success
  type: str
generated:
  description: Whether this run generated the key (in check mode, would generate it).
  returned: success
  type: bool
"""

import errno
import grp
import os
import re
import secrets
import stat
import string

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.copilot.files import open_regular_file, read_descriptor, write_whole_file

# A key is one token of printable characters, not a document.
LIMIT = 4096
KEY = re.compile(r'[!-~]{8,1024}')
ALPHABET = string.ascii_letters + string.digits
MODE = 0o640
REMOVE = 'remove it (a new key is generated) or put the key there as a plain file, then re-run'
REASONS = {errno.ELOOP: 'not a regular file (a symbolic link)', errno.EISDIR: 'not a regular file (a directory)',
           errno.EINVAL: 'not a regular file', errno.EFBIG: 'larger than a key (%d bytes)' % LIMIT}


def new_key():
    return 'sk-' + ''.join(secrets.choice(ALPHABET) for _ in range(48))


def read_key(module, path, gid):
    """(key, changed) from the key file, or None when there is none. Root takes over a file that
    is not its 0640 through the opened file, never through its name."""
    try:
        fd, info = open_regular_file(path, LIMIT)
    except FileNotFoundError:
        return None
    except OSError as exc:
        module.fail_json(msg='%s is %s; root does not read it: %s'
                             % (path, REASONS.get(exc.errno, exc.strerror or 'unreadable'), REMOVE))
    try:
        text = read_descriptor(fd, path, LIMIT).decode('utf-8', 'replace').strip()
        if not KEY.fullmatch(text):
            # the content is a secret, or garbage: never in the message
            module.fail_json(msg='%s does not hold one key (8 to 1024 printable characters, no spaces): %s'
                                 % (path, REMOVE))
        uid = os.geteuid()
        changed = (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) != (uid, gid, MODE)
        if changed and not module.check_mode:
            os.fchown(fd, uid, gid)
            os.fchmod(fd, MODE)
        return text, changed
    finally:
        os.close(fd)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            group=dict(type='str', required=True),
        ),
        supports_check_mode=True,
    )
    path = module.params['path']
    try:
        gid = grp.getgrnam(module.params['group']).gr_gid
    except KeyError:
        module.fail_json(msg='group %s does not exist' % module.params['group'])

    found = read_key(module, path, gid)
    if found is not None:
        module.exit_json(changed=found[1], master_key=found[0], generated=False)
    if module.check_mode:
        module.exit_json(changed=True, master_key='', generated=True)
    key = new_key()
    write_whole_file(path, (key + '\n').encode('ascii'), os.geteuid(), gid, MODE)
    module.exit_json(changed=True, master_key=key, generated=True)


if __name__ == '__main__':
    main()
