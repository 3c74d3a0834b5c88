"""The lab host the integration tests drive (Molecule names it in LAB_HOST and LAB_INVENTORY):
running commands and playbooks on it, and reading Ansible's output. Not a test module."""
import json
import os
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import labkit
from constants import REPO, SERVICE

HOST = os.environ.get("LAB_HOST", "")
INVENTORY = os.environ.get("LAB_INVENTORY", "")
BIN = Path(sys.executable).parent


def on_host(*command, user=None, check=True, timeout=300, input_text=None):
    """Runs a command on the lab host (as `user` when given, with `input_text` on its standard
    input when given); returns the finished process."""
    return labkit.podman_exec(HOST, *command, user=user, check=check, timeout=timeout, input_text=input_text)


def host_output(*command, check=True):
    """Runs a command on the lab host as root; returns its stdout."""
    return on_host(*command, check=check).stdout


def service_pid():
    """The process id of the proxy's service on the lab host, its hand-over supervisor (0 while it
    is not running): a restart changes it, a hand-over does not."""
    return labkit.main_pid(HOST, SERVICE)


def proxy_pid():
    """The process id of the proxy that takes new connections on the lab host (0 while none does):
    a restart and a hand-over both change it."""
    serving = labkit.serving(HOST, SERVICE)
    return int(serving[1]) if serving else 0


def ansible_env(**extra):
    """The environment for ansible-* commands: the repo's ansible.cfg, no colour."""
    return labkit.environment(**extra)


def run_playbook(playbook, *extra_vars, options=(), inventory=None, verbose=False, timeout=900, env=None):
    """Runs a playbook of the repo against the lab host, with extra vars, ansible-playbook
    options (e.g. ["--tags", "configure"]) and environment variables; returns (exit code, output
    without colour)."""
    command = [str(BIN / "ansible-playbook"), "-i", str(inventory or INVENTORY), "--limit", HOST,
               *options, str(REPO / playbook)] + (["-vvv"] if verbose else [])
    for extra in extra_vars:
        command += ["-e", extra]
    done = subprocess.run(command, cwd=REPO, env=ansible_env(**(env or {})), capture_output=True, text=True,
                          timeout=timeout)
    return done.returncode, plain(done.stdout + done.stderr)


def plain(output):
    """Ansible output without its colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", output)


def fatal_lines(output):
    """The lines where Ansible reports a failed task."""
    return [line for line in plain(output).splitlines() if line.startswith(("fatal:", "failed:"))]


def the_one_failure(output):
    """The one failed-task line of a run that must fail once, naming the lab host (a task it
    delegated included); the run's last output is shown when it does not."""
    fatal = fatal_lines(output)
    assert len(fatal) == 1, "expected exactly one failure, got:\n" + "\n".join(fatal) + "\n" + output[-3000:]
    assert re.search(r"\[%s[\] ]" % re.escape(HOST), fatal[0]), fatal[0]
    return fatal[0]


def recap_counts(output):
    """The PLAY RECAP numbers (ok, changed, failed, ...) of the lab host."""
    line = next(line for line in output.splitlines() if line.startswith(HOST + " ") and "changed=" in line)
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}


@lru_cache(maxsize=None)
def host_vars():
    """The lab host's inventory variables, as Ansible sees them."""
    return labkit.host_vars(INVENTORY, HOST)


def sim_bodies(requests):
    """The JSON bodies of recorded simulator requests."""
    return [r["body"] if isinstance(r["body"], dict) else json.loads(r["body"]) for r in requests]
