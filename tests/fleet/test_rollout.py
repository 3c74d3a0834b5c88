"""Rollouts to a fleet of three lab hosts (molecule/fleet: they start on the previous LiteLLM).
The tests run in file order and build on each other, the way a platform team rolls out:
1. every host serves the simulator's models with its own master key;
2. a model refresh with nothing new upstream changes and restarts nothing;
3. a model released upstream reaches every host by one hand-over each, with no restart;
4. an upgrade of LiteLLM that fails its health gate on one host (the second: its new port is taken)
   stops there: the first host has it, the failing one rolls back to its last good config, unit and
   virtualenv, the third is never reached, and all three keep serving; the summary table says so;
5. the upgrade rolled out again without the fault reaches every host, canary first, with the
   fleet's settings as its inventory says."""
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

import labkit
from conftest import changed_tasks, playbook
from constants import CONFIG, INSTALL_DIR, SERVICE, default_version
from copilot_sim.catalog import chat_model

NEW_VERSION = default_version()
# A setting every host restarts for; the failing host also moves to a port something else holds.
CHANGE = json.dumps({"litellm_copilot_serial": 1, "litellm_copilot_litellm_settings": {"request_timeout": 601}})
CHANGED_SETTING = "request_timeout: 601"
BLOCKED_PORT = 4419


def serving(fleet):
    """{host: (generation, pid)} of the proxy taking connections on each host."""
    return {host.name: labkit.serving(host.name) for host in fleet}


def litellm_version(host):
    return host.run(INSTALL_DIR + "/venv/bin/python", "-c",
                    "import importlib.metadata as m; print(m.version('litellm'))").strip()


def summary_row(output, host):
    """The host's row of the rollout's summary table (callback_plugins/litellm_copilot_summary.py)
    without its name, e.g. "ok  1.108.7  42"; empty when the table has none."""
    table = output.rpartition("LITELLM COPILOT ROLLOUT SUMMARY")[2]
    rows = [line.strip()[len(host.name):].strip() for line in table.splitlines()
            if line.strip().startswith(host.name + " ")]
    return rows[0] if rows else ""


def release_model(fleet):
    """Releases a new chat model on the simulator (a name of its own on every run); its id."""
    name = "fleet-model-%d" % time.time()
    model = chat_model(name, "Fleet New Model", "OpenAI", name, name, context=128000, prompt=128000, output=16384)
    sim = fleet[0].vars["litellm_copilot_github_api_url"].rstrip("/")
    request = urllib.request.Request(sim + "/_sim/models", method="POST", data=json.dumps({"add": [model]}).encode())
    urllib.request.urlopen(request, timeout=10).read()
    return name


def test_every_host_serves_the_simulators_models(fleet):
    for host in fleet:
        status, models = host.served()
        assert status == 200 and "gpt-4.1" in models, (host, status, models)


def test_an_idle_refresh_changes_and_restarts_nothing(fleet):
    before = serving(fleet)
    code, output = playbook("playbooks/refresh-models.yml")
    assert code == 0, output[-4000:]
    assert changed_tasks(output) == 0, output[-4000:]
    assert serving(fleet) == before


def test_a_new_upstream_model_is_handed_over_once_on_every_host_without_a_restart(fleet):
    before = serving(fleet)
    since = int(time.time())
    model = release_model(fleet)
    code, output = playbook("playbooks/refresh-models.yml")
    assert code == 0, output[-4000:]
    after = serving(fleet)
    for host in fleet:
        journal = host.run("journalctl", "--unit", SERVICE, "--since", "@%d" % since, "--no-pager", "--output", "cat")
        hand_overs = [line for line in journal.splitlines()
                      if line.startswith("hand-over: generation") and "is ready and serves" in line]
        starts = [line for line in journal.splitlines() if line.startswith("Started " + SERVICE)]
        assert after[host.name] != before[host.name] and len(hand_overs) == 1 and not starts, (host, journal[-3000:])
        assert model in host.served()[1], host
    assert summary_row(output, fleet[-1]).startswith("ok"), output[-3000:]


@pytest.fixture
def taken_port():
    """Something else listening on BLOCKED_PORT for the test's duration."""
    holder = subprocess.Popen([sys.executable, "-m", "http.server", str(BLOCKED_PORT), "--bind", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", BLOCKED_PORT), timeout=1).close()
                break
            except OSError:
                assert holder.poll() is None and time.monotonic() < deadline, "port %d was not taken" % BLOCKED_PORT
                time.sleep(0.2)
        yield BLOCKED_PORT
    finally:
        holder.terminate()
        holder.wait(timeout=30)


def test_an_upgrade_that_fails_on_one_host_stops_there_and_rolls_it_back(fleet, taken_port, tmp_path):
    first, failing, last = fleet
    old_version = first.vars["litellm_copilot_version"]
    assert old_version != NEW_VERSION, "the fleet must start on another LiteLLM than the role's default"
    # The fleet's inventory as it is, but without its LiteLLM version (the rollout upgrades to the
    # role's default) and with the failing host moved to the taken port. Its own inventory, not a
    # second source next to Molecule's: Molecule's host_vars files would outrank it.
    hosts = {host.name: {name: value for name, value in host.vars.items() if name != "litellm_copilot_version"}
             for host in fleet}
    hosts[failing.name].update(litellm_copilot_port=taken_port, litellm_copilot_health_timeout=30)
    inventory = labkit.write_inventory(tmp_path / "failing.yml", hosts)

    code, output = playbook("site.yml", CHANGE, inventory=inventory)

    assert code != 0, output[-4000:]
    assert summary_row(output, first).startswith("ok") and NEW_VERSION in summary_row(output, first), output[-3000:]
    assert summary_row(output, failing).startswith("failed"), output[-3000:]
    assert summary_row(output, last).startswith("not reached"), output[-3000:]
    # The failing host says why (its proxy could not take the port) and that it went back.
    assert "failed its health check" in output, output[-4000:]
    assert ("Rolled back to the last good config, environment, unit and virtualenv; the proxy is healthy"
            in output), output[-4000:]
    configs = [host.run("cat", CONFIG) for host in fleet]
    assert [CHANGED_SETTING in config for config in configs] == [True, False, False]
    assert [litellm_version(host) for host in fleet] == [NEW_VERSION, old_version, old_version]
    assert [host.served()[0] for host in fleet] == [200, 200, 200]


def task_lines(output, host):
    """Indexes of the output lines that report a task's result on the host."""
    mark = re.compile(r"\[%s[\] ]" % re.escape(host.name))
    return [index for index, line in enumerate(output.splitlines()) if mark.search(line)]


def test_the_upgrade_rolled_out_again_reaches_every_host_canary_first(fleet):
    code, output = playbook("site.yml", "litellm_copilot_version=" + NEW_VERSION)
    assert code == 0, output[-4000:]
    for host in fleet:
        row = summary_row(output, host)
        assert row.startswith("ok") and NEW_VERSION in row, output[-3000:]
        assert CHANGED_SETTING not in host.run("cat", CONFIG), host
        assert litellm_version(host) == NEW_VERSION, host
        assert host.served()[0] == 200, host
    # The canary's batch ends before the rest of the fleet's begins.
    canary, *rest = fleet
    assert max(task_lines(output, canary)) < min(min(task_lines(output, host)) for host in rest), output[-3000:]
