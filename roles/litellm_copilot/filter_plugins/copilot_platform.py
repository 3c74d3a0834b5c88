# -*- coding: utf-8 -*-
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform a target reported, the names of what the controller builds for it, and the
system packages it still lacks.

The wheels a venv needs depend on the target's Python, glibc and architecture, and a built venv
runs only at the path it was built at, so the names of the wheelhouse and of the packed venv in
the controller's cache carry all of them, plus the lock. The report is the host's word: it must
match a strict pattern (install's preflight says so to the user first) before it names a file.
"""

import hashlib
import posixpath
import re

from ansible.errors import AnsibleFilterError

# "<python> <glibc> <arch>", e.g. "3.11.2 2.36 x86_64"; fullmatch, so no trailing newline either.
REPORT = re.compile(r"(3\.\d{1,2}\.\d{1,3}) (\d\.\d{1,3}) ([A-Za-z0-9_]{1,20})")


def copilot_platform(report, venv, version, lock_sha, cache_dir):
    """The target's platform, its wheelhouse and the name of its packed venv at path ``venv``."""
    match = REPORT.fullmatch(report) if isinstance(report, str) else None
    if match is None:
        raise AnsibleFilterError("copilot_platform: the target's report is not '<python> <glibc> <arch>'")
    python, glibc, arch = match.groups()
    platform = {"python": python, "glibc": glibc, "arch": arch}
    # The lock's hash is part of both names: a regenerated lock builds both again.
    wheelhouse = "litellm-%s-py%s-%s-glibc%s-lock%s" % (version, python, arch, glibc, lock_sha[:12])
    path_hash = hashlib.sha256(venv.encode("utf-8")).hexdigest()[:8]
    wheelhouse_tar = posixpath.join(cache_dir, wheelhouse + ".tar")
    pack = "venv-%s-py%s-%s-glibc%s-at%s" % (posixpath.basename(venv), python, arch, glibc, path_hash)
    return dict(
        platform,
        wheelhouse=dict(platform, id=wheelhouse, tar=wheelhouse_tar),
        # What files/controller/build_venv.py builds on the controller for this platform, and where.
        venv_pack=dict(platform, id=pack, wheelhouse=wheelhouse_tar, venv=venv,
                       tar=posixpath.join(cache_dir, pack + ".tar.zst")),
    )

def copilot_batch_builds(hosts, hostvars):
    """What the controller builds for the hosts of a batch (``hosts``: ansible_play_hosts), each once:
    {"wheelhouses": [...], "venv_packs": [...]} from the names copilot_platform gave each host that
    needs a build (the facts _litellm_copilot_wheelhouse and _litellm_copilot_venv_pack)."""
    builds = {"wheelhouses": [], "venv_packs": []}
    for host in hosts:
        for key, fact in (("wheelhouses", "_litellm_copilot_wheelhouse"), ("venv_packs", "_litellm_copilot_venv_pack")):
            value = hostvars[host].get(fact) if fact in hostvars[host] else None
            if isinstance(value, dict) and value not in builds[key]:
                builds[key].append(value)
    return builds


def copilot_missing_packages(wanted, dpkg_lines):
    """The packages of ``wanted`` that ``dpkg-query --showformat '${Package} ${db:Status-Status}\\n'``
    did not report installed, in ``wanted``'s order. The lines are the host's: a line that is not
    "<package> installed" counts for nothing."""
    installed = set()
    for line in dpkg_lines if isinstance(dpkg_lines, list) else []:
        fields = line.split() if isinstance(line, str) else []
        if len(fields) == 2 and fields[1] == "installed":
            installed.add(fields[0])
    return [package for package in wanted if package not in installed]


class FilterModule(object):
    def filters(self):
        return {"copilot_platform": copilot_platform, "copilot_batch_builds": copilot_batch_builds,
                "copilot_missing_packages": copilot_missing_packages}
