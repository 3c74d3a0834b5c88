"""Helpers for the tests that drive the real clients on the lab host (not a test module)."""
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOST = os.environ.get("LAB_HOST", "")
INVENTORY = os.environ.get("LAB_INVENTORY", "")


def on_host(*command, user=None, check=True, timeout=300):
    """Runs a command on the lab host (as `user` when given); returns the finished process."""
    podman = ["podman", "exec"] + (["--user", user, "--workdir", "/home/" + user] if user else [])
    return subprocess.run(podman + [HOST, *command], check=check, capture_output=True, text=True,
                          timeout=timeout)


@lru_cache(maxsize=None)
def host_vars():
    """The lab host's inventory variables, as Ansible sees them."""
    command = [str(Path(sys.executable).with_name("ansible-inventory")), "-i", INVENTORY, "--host", HOST]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO,
                                     env=env).stdout)


def sim_bodies(requests):
    """The JSON bodies of recorded simulator requests."""
    return [r["body"] if isinstance(r["body"], dict) else json.loads(r["body"]) for r in requests]
