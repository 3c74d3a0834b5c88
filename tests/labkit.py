"""What the integration tests (tests/integration/lab.py), the fleet tests (tests/fleet) and the
benchmarks (bench/) share about lab hosts - podman containers with systemd as PID 1
(scripts/lab-host.sh): running a command on one, which proxy serves there, the environment Ansible
and podman run in, and lab inventories (read as Ansible sees them, written in one shape). Written
once here. Not a test module."""
import json
import os
import subprocess
import sys
from pathlib import Path

from constants import REPO, SERVICE


def podman_exec(container, *command, user=None, check=True, timeout=300, input_text=None):
    """Runs a command on a lab host (as ``user`` in their home when given, with ``input_text`` on its
    standard input when given); returns the finished process."""
    options = (["-i"] if input_text is not None else []) + (["--user", user, "--workdir", "/home/" + user] if user else [])
    return subprocess.run(["podman", "exec", *options, container, *command], check=check, capture_output=True,
                          text=True, timeout=timeout, input=input_text)


def serving(container, service=SERVICE):
    """The proxy a lab host's hand-over supervisor serves with, as files/hand_over.py records it in
    /run/<service>/serving: (generation, pid) as strings, or None while no proxy serves. A restart
    and a hand-over both change it."""
    fields = podman_exec(container, "cat", "/run/%s/serving" % service, check=False).stdout.split()
    return tuple(fields) if len(fields) == 2 and all(field.isdigit() for field in fields) else None


def main_pid(container, service=SERVICE):
    """The service's main process on a lab host, its hand-over supervisor (0 while it is not
    running): a restart changes it, a hand-over does not."""
    shown = podman_exec(container, "systemctl", "show", "--property", "MainPID", "--value", service)
    return int(shown.stdout.strip() or 0)


def environment(**extra):
    """The environment scripts/lib.sh sets up: the project's venv first on PATH, the repo's Ansible
    and podman config, no colour in Ansible's output."""
    env = dict(os.environ)
    env["PATH"] = "%s:%s" % (REPO / ".venv" / "bin", env.get("PATH", ""))
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), CONTAINERS_CONF=str(REPO / "tests" / "lab" / "containers.conf"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.update(extra)
    return env


# The group every playbook of the repo deploys to.
GROUP = "litellm_copilot"


def tool(name):
    """A command of the Python environment running this (the project's venv), else from PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else name


def inventory_hosts(inventory, env=None):
    """{host: its variables} of the inventory's litellm_copilot group, as ansible-inventory gives
    them (merged, not templated: a Jinja value stays a Jinja string)."""
    found = subprocess.run([tool("ansible-inventory"), "-i", str(inventory), "--list"], check=True, capture_output=True,
                           text=True, cwd=REPO, env=env or environment())
    listed = json.loads(found.stdout)
    hostvars = listed["_meta"]["hostvars"]
    return {host: hostvars.get(host, {}) for host in sorted(group_members(listed, GROUP))}


def group_members(listed, group):
    """The hosts of a group of ``ansible-inventory --list`` output, its child groups' included."""
    entry = listed.get(group, {})
    members = set(entry.get("hosts", []))
    for child in entry.get("children", []):
        members |= group_members(listed, child)
    return members


def host_vars(inventory, host, env=None):
    """One host's variables, as ansible-inventory gives them."""
    found = subprocess.run([tool("ansible-inventory"), "-i", str(inventory), "--host", host], check=True,
                           capture_output=True, text=True, cwd=REPO, env=env or environment())
    return json.loads(found.stdout)


def write_inventory(path, hosts, group_vars=None):
    """Writes a lab inventory to ``path``: ``hosts`` ({host: its variables or None}) in the
    litellm_copilot group, with ``group_vars``. JSON, which Ansible reads as YAML; mode 0600 (it may
    carry a token). Returns the path as a string."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A file that was there keeps its inode but not its mode: 0600 before the token is written.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(json.dumps({GROUP: {"hosts": hosts, "vars": group_vars or {}}}, indent=2))
    return str(path)
