"""What the integration tests (tests/integration/lab.py) and the benchmarks (bench/common.py) share
about a lab host - a podman container with systemd as PID 1 (scripts/lab-host.sh): running a
command on it, which proxy serves there, and the environment Ansible and podman run in. Written
once here. Not a test module."""
import os
import subprocess

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
