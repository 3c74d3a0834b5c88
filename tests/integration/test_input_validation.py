"""Every variable that reaches the unit, the environment file or the config is checked before
anything changes: on a real host, an injected value never reaches the unit and the deployed unit,
environment and config stay as they were. Each check's message (the variable, the host, no secret)
is tested once for every bad value by tests/unit/test_settings_playbook.py, over local hosts."""
import json

import pytest
from constants import CONFIG, ENV_FILE, UNIT_FILE
from lab import host_output, run_playbook, the_one_failure

# The lines after it in the unit become the shell's $0, $1...: the injected command would run as root.
INJECTED = "127.0.0.1\nExecStartPre=+/bin/sh -c 'touch /root/injected'"



def deployed():
    return [host_output("cat", path) for path in (UNIT_FILE, ENV_FILE, CONFIG)]


@pytest.fixture(scope="module")
def files_before():
    return deployed()


@pytest.fixture
def no_marker():
    host_output("rm", "-f", "/root/injected")
    yield "/root/injected"
    host_output("rm", "-f", "/root/injected")


def test_injected_listen_host_never_reaches_the_unit(files_before, no_marker):
    """A full run, not only the preflight: the unit never gets the injected line, nothing runs."""
    code, output = run_playbook("site.yml", json.dumps({"litellm_copilot_listen_host": INJECTED}))
    assert code != 0
    # Stopped by the checks, before any change: not by systemd refusing the unit, then a rollback.
    assert "litellm_copilot_listen_host" in the_one_failure(output)
    assert "Rolled back" not in output
    assert "ExecStartPre" not in host_output("cat", UNIT_FILE)
    assert "ExecStartPre" not in host_output("sh", "-c", "cat /etc/systemd/system/litellm-copilot.socket || true")
    assert host_output("sh", "-c", "test -e %s && echo ran || true" % no_marker) == ""
    assert deployed() == files_before
