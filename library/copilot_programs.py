#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: copilot_programs
short_description: Install the gateway's own programs on a host in one step
description:
  - Writes each file of O(files) whose content, owner, group or mode differs from what is there, and removes each
    one marked O(files[].present=false). The role's programs (the launcher, the hand-over supervisor, the meter,
    the request shaper, the config validator) are a few small text files. One module run for all of them, instead
    of two per file (a stat and a copy), saves a second of host CPU on every run.
  - Each file is read without following a link and written whole, through a new temporary file beside it that is
    renamed into place with its owner, group and mode set before any byte; a link, directory or other non-regular
    file where a program belongs fails the task, naming the path. A removal never follows a link either.
author:
  - litellm-copilot maintainers
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  files:
    description: The programs.
    type: list
    elements: dict
    required: true
    suboptions:
      dest:
        description: Where the program lives on the host.
        type: path
        required: true
      content:
        description: Its text.
        type: str
        default: ""
      owner:
        description: Its owner.
        type: str
        default: root
      group:
        description: Its group.
        type: str
        default: root
      mode:
        description: Its mode, in octal.
        type: str
        default: "0644"
      present:
        description: V(false) removes it instead.
        type: bool
        default: true
"""

EXAMPLES = r"""
- name: Install the gateway's programs
  copilot_programs:
    files:
      - dest: /opt/litellm-copilot/serve_on_socket.py
        content: "{{ lookup('ansible.builtin.file', 'serve_on_socket.py', rstrip=false) }}"
      - dest: /etc/litellm-copilot/copilot_shaper.py
        present: false
  register: programs
  notify: Restart the gateway
"""

RETURN = r"""
written:
  description: The files written (new or changed), in the order of O(files).
  returned: always
  type: list
  elements: str
  sample: [/opt/litellm-copilot/hand_over.py]
removed:
  description: The files removed.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.copilot.files import ownership, remove_entry, write_if_different

# Far above any of the role's programs; a larger file there is not one of them.
MAX_BYTES = 1 << 20


def install(module, spec, diffs):
    """Whether the program at spec['dest'] was (or, in check mode, would be) written."""
    dest, wanted = spec['dest'], spec['content'].encode('utf-8')
    try:
        owned = ownership(spec['owner'], spec['group'], spec['mode'])
    except (KeyError, ValueError):
        module.fail_json(msg='%s: owner %r, group %r or mode %r does not exist on this host'
                             % (dest, spec['owner'], spec['group'], spec['mode']))
    try:
        before, written = write_if_different(dest, wanted, owned, MAX_BYTES, module.check_mode)
    except OSError as exc:
        module.fail_json(msg='%s cannot be replaced: %s' % (dest, exc.strerror or exc))
    if written and before != wanted and module._diff:
        diffs.append(dict(before_header=dest, after_header=dest, after=spec['content'],
                          before='' if before is None else to_text(before, errors='surrogate_or_replace')))
    return written


def remove(module, dest):
    """Whether a file at ``dest`` was (or would be) removed; a link is removed, never followed."""
    try:
        return remove_entry(dest, module.check_mode)
    except IsADirectoryError:
        module.fail_json(msg='%s is a directory where a program belongs: it is not removed' % dest)


def main():
    module = AnsibleModule(
        argument_spec=dict(files=dict(type='list', elements='dict', required=True, options=dict(
            dest=dict(type='path', required=True),
            content=dict(type='str', default=''),
            owner=dict(type='str', default='root'),
            group=dict(type='str', default='root'),
            mode=dict(type='str', default='0644'),
            present=dict(type='bool', default=True),
        ))),
        supports_check_mode=True,
    )
    written, removed, diffs = [], [], []
    for spec in module.params['files']:
        if not spec['present']:
            if remove(module, spec['dest']):
                removed.append(spec['dest'])
        elif install(module, spec, diffs):
            written.append(spec['dest'])
    result = dict(changed=bool(written or removed), written=written, removed=removed)
    if diffs:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
