"""SSH host keys are checked for every inventory (ansible.cfg leaves Ansible's default alone); only the
throwaway lab hosts turn the check off, in their own inventory. Read through ansible-config, as
ansible-playbook run from the repository root sees it."""

import json
import os
import pathlib
import subprocess
import sys

from constants import REPO
from module_harness import load_source

BIN = pathlib.Path(sys.executable).parent


def config_dump(*args):
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    done = subprocess.run([str(BIN / "ansible-config"), "dump", "--format", "json", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True, timeout=120)
    return json.loads(done.stdout)


def test_ansible_cfg_keeps_host_key_checking_on():
    settings = {item["name"]: item for item in config_dump() if "name" in item}
    assert settings["DEFAULT_FORKS"]["origin"] == str(REPO / "ansible.cfg")  # the file was read
    assert settings["HOST_KEY_CHECKING"]["value"] is True
    assert settings["HOST_KEY_CHECKING"]["origin"] == "default"


def test_the_ssh_connection_checks_host_keys():
    plugins = config_dump("-t", "connection")
    options = {}
    for plugin in plugins:
        for name, values in plugin.items():
            if name.split()[0] == "ssh":
                options = {item["name"]: item for item in values}
    assert options["host_key_checking"]["value"] is True
    assert options["host_key_checking"]["origin"] == "default"


def test_only_the_bench_lab_hosts_skip_the_check(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "bench"))  # as when run as a script: its folder on the path
    rollout = load_source(REPO / "bench" / "rollout.py")
    ssh_host = rollout.connection_vars(1, 2500)
    assert ssh_host["ansible_connection"] == "ssh" and ssh_host["ansible_host_key_checking"] is False
    assert "ansible_host_key_checking" not in rollout.connection_vars(1, None)  # podman: no SSH at all
