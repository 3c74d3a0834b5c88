#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the action plugin action_plugins/copilot_vault_token.py does the work, on the
# controller (the vault password never leaves it).

from __future__ import annotations

DOCUMENTATION = r"""
module: copilot_vault_token
short_description: Store a GitHub token, vaulted, in the inventory of a host or a group
description:
  - Runs on the controller. Encrypts O(token) with the vault password of the running play and
    writes it as the only variable of C(<inventory>/host_vars/<host>/copilot_token.yml) or
    C(<inventory>/group_vars/<group>/copilot_token.yml) (mode C(0600)), replacing that file only.
    It then reads the file back and decrypts it, so a vault setup that could not decrypt it fails here.
  - Without O(token), only checks that the token could be stored - the host or group is a plain name
    in the inventory, a vault password is set, and no other file of that host or group sets the
    variable (files there are read in name order, so such a file would override the token) - and returns
    the path. Run it so before anyone is asked to sign in.
  - The vault password is the play's (C(ANSIBLE_VAULT_PASSWORD_FILE), C(vault_password_file) or
    C(vault_identity_list) in C(ansible.cfg), C(--vault-password-file), C(--ask-vault-pass)), or the one
    in O(vault_password_file). The token is never written in plain text.
  - The token never appears in the result or in a message.
author:
  - litellm-copilot maintainers
attributes:
  action:
    support: full
    description: Runs on the controller only.
  check_mode:
    support: none
    description: Not supported; the token file is written in check mode too.
  diff_mode:
    support: none
    description: Returns no diff (the content is ciphertext).
options:
  host:
    description:
      - The inventory host the token is for (a developer VM with its own Copilot seat).
      - Exactly one of O(host) and O(group) is not empty.
    type: str
    default: ''
  group:
    description:
      - The inventory group the token is for (one seat for the whole group).
    type: str
    default: ''
  inventory_dir:
    description:
      - The inventory directory whose C(host_vars/) or C(group_vars/) receives the file.
      - Empty uses the first inventory source of the play (that directory, or the directory of that file).
    type: path
    default: ''
  vault_password_file:
    description:
      - A vault password file (or script) to encrypt with instead of the play's vault password.
    type: path
    default: ''
  token:
    description:
      - The GitHub token to store. Surrounding whitespace is stripped.
      - Omit it to run only the checks.
    type: str
  login:
    description:
      - The GitHub login the token belongs to, written into the file's comment.
      - Required with O(token). GitHub's answer, so it must be a plain name (letters, digits, C(.), C(_), C(-)).
    type: str
  plan:
    description:
      - The Copilot plan of the account, written into the file's comment; a plain name or empty.
    type: str
    default: ''
  variable:
    description:
      - The variable the file sets.
    type: str
    default: litellm_copilot_github_token
notes:
  - Host, group, login and plan names become a path and YAML text, so only plain names pass; a name
    like C(../x) would put the token outside C(host_vars/), and a newline in a login would add
    inventory variables.
"""

EXAMPLES = r"""
- name: Check where the token will go, before anyone signs in
  copilot_vault_token:
    host: devvm-bob
  register: token_target

- name: Store the checked token
  copilot_vault_token:
    host: devvm-bob
    token: "{{ github_token }}"
    login: "{{ usage.login }}"
    plan: "{{ usage.plan }}"
"""

RETURN = r"""
path:
  description: The token file.
  type: str
  returned: always
  sample: inventories/mine/host_vars/devvm-bob/copilot_token.yml
kind:
  description: C(host) or C(group).
  type: str
  returned: always
  sample: host
target:
  description: The host or group name.
  type: str
  returned: always
  sample: devvm-bob
github_api_url:
  description:
    - The GitHub API that validates the token, from the target's inventory (a group's first host's);
      U(https://api.github.com) when it names none.
  type: str
  returned: always
  sample: https://api.github.com
allow_insecure_http:
  description: Whether the target's inventory allows plain http to that API (the simulator only).
  type: bool
  returned: always
  sample: false
"""
