"""A run limited to one of the README's steps (`site.yml --tags <step>`) on a deployed host has what
that step needs - discovery, the plan, the master key - passes the health gate where the step can
restart the proxy, and changes nothing that is already in place. (Which tasks each tag runs, as
Ansible resolves them: tests/unit/test_role_interface.py.)"""
import pytest
from lab import recap_counts, run_playbook


@pytest.mark.parametrize("step", ["token", "service", "clients"])
def test_a_run_limited_to_one_step_passes_and_changes_nothing(serving, same_process, step):
    code, output = run_playbook("site.yml", options=["--tags", step])
    assert code == 0, output[-4000:]
    counts = recap_counts(output)
    assert counts["changed"] == 0 and counts["failed"] == 0, output[-4000:]
    if step != "clients":
        assert "Check the gateway's health" in output, output[-4000:]
