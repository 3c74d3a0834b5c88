"""The fleet Molecule's fleet scenario deploys (molecule/fleet): its hosts as its inventory gives
them (FLEET_INVENTORY, which the scenario's verify.yml sets), each with its proxy's URL and master
key, and the playbook runner the rollout tests use. Not a test module."""
import json
import os
import re
import subprocess
import urllib.error
import urllib.request

import pytest

import labkit
from constants import MASTER_KEY_FILE, REPO

INVENTORY = os.environ.get("FLEET_INVENTORY", "")
if not INVENTORY:
    # Never a quiet "skipped": Molecule's fleet verify runs these with the fleet deployed.
    raise pytest.UsageError("the fleet tests need the fleet scenario's hosts (FLEET_INVENTORY, which "
                            "molecule/fleet/verify.yml sets): run them with scripts/test.sh molecule")


class Host:
    """One host of the fleet: its inventory name and variables, its proxy on this machine."""

    def __init__(self, name, variables):
        self.name, self.vars = name, variables
        self.url = "http://127.0.0.1:%s" % variables["litellm_copilot_port"]

    def __repr__(self):
        return self.name

    def run(self, *command, check=True):
        """A command on the host as root; its standard output."""
        return labkit.podman_exec(self.name, *command, check=check).stdout

    @property
    def key(self):
        return self.run("cat", MASTER_KEY_FILE).strip()

    def served(self):
        """(HTTP status, model ids) of the proxy's /v1/models; status -1 when nothing answers."""
        request = urllib.request.Request(self.url + "/v1/models", headers={"Authorization": "Bearer " + self.key})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, sorted(model["id"] for model in json.load(answer)["data"])
        except urllib.error.HTTPError as refused:
            return refused.code, []
        except OSError:
            return -1, []


@pytest.fixture(scope="session")
def fleet():
    """The fleet's hosts, in name order (the order site.yml's batches take them)."""
    hosts = [Host(name, variables) for name, variables in labkit.inventory_hosts(INVENTORY).items()]
    assert len(hosts) == 3, "the fleet scenario deploys three hosts, the inventory names %s" % hosts
    return hosts


def playbook(name, *extra_vars, inventory=INVENTORY):
    """Runs a playbook of the repo against the fleet; (exit code, output without colour)."""
    command = [labkit.tool("ansible-playbook"), "-i", str(inventory), str(REPO / name)]
    for extra in extra_vars:
        command += ["-e", extra]
    done = subprocess.run(command, cwd=REPO, env=labkit.environment(), capture_output=True, text=True, timeout=1800)
    return done.returncode, re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)


def changed_tasks(output):
    """The changed tasks of a run, summed over its PLAY RECAP."""
    return sum(int(count) for count in re.findall(r"changed=(\d+)", output))
