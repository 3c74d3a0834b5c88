"""The service's resource caps are in force on the host, and a failed health gate's journal read
stays hidden at -vvv: only its filtered excerpt reaches the output."""
import pytest
from constants import CONFIG, SERVICE
from lab import HOST, INVENTORY, fatal_lines, host_output, host_vars, run_playbook

pytestmark = pytest.mark.skipif(not (HOST and INVENTORY), reason="needs the Molecule lab host")


def test_the_service_runs_with_resource_caps():
    workers = int(host_vars().get("litellm_copilot_num_workers", 1))
    shown = host_output("systemctl", "show", SERVICE, "--property", "MemoryMax,TasksMax,LimitNOFILE")
    limits = dict(line.split("=", 1) for line in shown.split())
    assert limits == {"MemoryMax": str(workers * 1024 * 1024 * 1024), "TasksMax": "512", "LimitNOFILE": "65536"}
    # The proxy runs within them, enabled, sandboxed, as the service user.
    shown = host_output("systemctl", "show", SERVICE, "--property",
                        "ActiveState,UnitFileState,User,ProtectSystem,NoNewPrivileges")
    assert dict(line.split("=", 1) for line in shown.split()) == {
        "ActiveState": "active", "UnitFileState": "enabled", "User": "litellm", "ProtectSystem": "strict",
        "NoNewPrivileges": "yes"}


def task_output(output, task):
    """What Ansible printed for one task: from its TASK line to the next."""
    start = output.index("TASK [litellm_copilot : %s]" % task)
    end = output.find("\nTASK [", start + 1)
    return output[start:end if end > 0 else None]


def test_failed_health_gate_hides_the_journal_read_at_verbose():
    """A callback LiteLLM cannot import stops the proxy at start-up; the journal says why. At -vvv
    the journal read prints nothing of it, the failure message carries the filtered excerpt."""
    code, output = run_playbook("site.yml", '{"litellm_copilot_litellm_settings": {"callbacks": ["no_such_module.handler"]},'
                                ' "litellm_copilot_health_timeout": 4}', verbose=True)
    assert code != 0
    read = task_output(output, "Read the proxy's journal")
    assert "censored" in read and "no_log: true" in read
    assert "no_such_module" not in read and "journalctl" not in read.split("\n", 1)[1]
    assert fatal_lines(output)
    # At -vvv the failure's message follows its fatal: line over several lines.
    failure = output[output.rindex("fatal: [%s]" % HOST):].split("PLAY RECAP", 1)[0]
    assert "Last journal lines" in failure and "no_such_module" in failure
    assert "no_such_module" not in host_output("cat", CONFIG)
