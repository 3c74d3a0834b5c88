"""The rollout's summary callback (callback_plugins/litellm_copilot_summary.py), run by real
ansible-playbook over local hosts, and the hash lock the wheelhouse is built from."""

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
ROLE = REPO / "roles" / "litellm_copilot"

# A stand-in role of the same name: the callback keys on the role's name and on the fact the real
# role's health gate sets. Hosts named in `fail_hosts` fail their "gate"; hosts in `stale_hosts`
# pass with their last good model list, as after an outage. `versions` and `stale_reasons` (host ->
# text) make a host report what it likes, as a host's root could.
STAND_IN_TASKS = """
- name: Gate
  ansible.builtin.fail:
    msg: health gate failed
  when: inventory_hostname in fail_hosts | default([])
- name: Record what the host now serves
  ansible.builtin.set_fact:
    _litellm_copilot_result:
      version: "{{ (versions | default({}))[inventory_hostname] | default('1.2.3') }}"
      models: 7
      stale_models_reason: "{{ (stale_reasons | default({}))[inventory_hostname] | default(
          'timeout: no answer in 3 s' if inventory_hostname in stale_hosts | default([]) else '') }}"
"""
PLAYBOOK = """
- name: Roll out
  hosts: fleet
  gather_facts: false
  serial: 1
  max_fail_percentage: 0
  roles: [litellm_copilot]
"""


def run_playbook(tmp_path, playbook, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / "none.cfg"), ANSIBLE_ROLES_PATH=str(tmp_path / "roles"),
               ANSIBLE_CALLBACK_PLUGINS=str(REPO / "callback_plugins"), ANSIBLE_RETRY_FILES_ENABLED="false",
               ANSIBLE_NOCOLOR="1")
    command = pathlib.Path(sys.executable).with_name("ansible-playbook")
    return subprocess.run([str(command), "-i", "hosts.yml", playbook, *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def run_rollout(tmp_path, *args):
    (tmp_path / "roles/litellm_copilot/tasks").mkdir(parents=True)
    (tmp_path / "roles/litellm_copilot/tasks/main.yml").write_text(STAND_IN_TASKS)
    (tmp_path / "site.yml").write_text(PLAYBOOK)
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump({"fleet": {
        "hosts": {name: None for name in ("host-a", "host-b", "host-c")},
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}))
    return run_playbook(tmp_path, "site.yml", *args)


def summary(output):
    """host -> (result, version, models) from the table after the summary banner."""
    table = output.split("LITELLM COPILOT ROLLOUT SUMMARY", 1)[1].splitlines()
    rows = {}
    for line in table:
        match = re.match(r"(host-\w)\s+(ok, last good models|ok|failed|unreachable|not reached)\s+(\S+)\s+(\S+)$",
                         line)
        if match:
            rows[match[1]] = match.group(2, 3, 4)
    return rows


def test_summary_lists_every_host_of_a_successful_rollout(tmp_path):
    result = run_rollout(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary(result.stdout) == {host: ("ok", "1.2.3", "7") for host in ("host-a", "host-b", "host-c")}


def test_stopped_rollout_reports_failed_and_not_reached_hosts(tmp_path):
    result = run_rollout(tmp_path, "-e", '{"fail_hosts": ["host-b"]}')
    assert result.returncode != 0
    assert summary(result.stdout) == {
        "host-a": ("ok", "1.2.3", "7"),
        "host-b": ("failed", "-", "-"),
        "host-c": ("not reached", "-", "-"),
    }


def test_host_serving_its_last_good_models_is_marked_and_warned_about(tmp_path):
    result = run_rollout(tmp_path, "-e", '{"stale_hosts": ["host-b"]}')
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary(result.stdout)["host-b"] == ("ok, last good models", "1.2.3", "7")
    assert summary(result.stdout)["host-a"] == ("ok", "1.2.3", "7")
    warnings = [line for line in result.stderr.splitlines() if line.startswith("[WARNING]")]
    assert warnings == ["[WARNING]: host-b serves its last good model list: model discovery failed "
                        "(timeout: no answer in 3 s)"], result.stderr


def test_a_host_cannot_rewrite_the_summary(tmp_path):
    # host-a passes, reporting a version and a cause that would erase the line under them and print
    # over it on a terminal; host-b fails, which must still show.
    hostile = {"versions": {"host-a": "1.0\x1b[2K\rok\u202e"},
               "stale_reasons": {"host-a": "timeout\x1b[1B\x1b[2K\r\nhost-b  ok\x9b"},
               "fail_hosts": ["host-b"]}
    result = run_rollout(tmp_path, "-e", json.dumps(hostile))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", output), repr(output)
    assert summary(result.stdout) == {
        "host-a": ("ok, last good models", r"1.0\x1b[2K\rok\u202e", "7"),
        "host-b": ("failed", "-", "-"),
        "host-c": ("not reached", "-", "-"),
    }
    warnings = [line for line in result.stderr.splitlines() if line.startswith("[WARNING]")]
    assert warnings == ["[WARNING]: host-a serves its last good model list: model discovery failed "
                        r"(timeout\x1b[1B\x1b[2K\r\nhost-b  ok\x9b)"], result.stderr


def test_summary_covers_only_the_limited_hosts(tmp_path):
    result = run_rollout(tmp_path, "--limit", "host-c")
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary(result.stdout) == {"host-c": ("ok", "1.2.3", "7")}


def test_no_summary_for_other_playbooks(tmp_path):
    (tmp_path / "hosts.yml").write_text("localhost:\n")
    (tmp_path / "other.yml").write_text("- {name: Other, hosts: localhost, gather_facts: false, tasks: []}\n")
    result = run_playbook(tmp_path, "other.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PLAY RECAP" in result.stdout
    assert "ROLLOUT SUMMARY" not in result.stdout


def test_no_summary_for_the_status_report(tmp_path):
    # playbooks/status.yml runs the role's read-only status entry point: that is no rollout
    (tmp_path / "roles/litellm_copilot/tasks").mkdir(parents=True)
    (tmp_path / "roles/litellm_copilot/tasks/status.yml").write_text(
        "- {name: Read, ansible.builtin.set_fact: {_litellm_copilot_status_row: {host: x}}}\n")
    (tmp_path / "hosts.yml").write_text("localhost:\n")
    (tmp_path / "status.yml").write_text(
        "- name: Status\n  hosts: localhost\n  gather_facts: false\n"
        "  tasks:\n    - {name: Read, ansible.builtin.import_role: {name: litellm_copilot, tasks_from: status}}\n")
    result = run_playbook(tmp_path, "status.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TASK [litellm_copilot : Read]" in result.stdout
    assert "ROLLOUT SUMMARY" not in result.stdout


def lock_for_default_version():
    defaults = yaml.safe_load((ROLE / "defaults/main.yml").read_text())
    return ROLE / "files/locks" / ("litellm-%s.txt" % defaults["litellm_copilot_version"])


def test_the_pinned_version_has_a_hash_lock():
    lock = lock_for_default_version()
    assert lock.is_file(), "run scripts/lock-requirements.sh"


@pytest.mark.parametrize("package", ["litellm", "uv"])
def test_the_lock_pins_and_hashes_every_requirement(package):
    text = lock_for_default_version().read_text()
    # One requirement per logical line (continuations joined); comments dropped.
    logical = [line for line in text.replace("\\\n", " ").splitlines() if line and not line.lstrip().startswith("#")]
    assert logical
    for line in logical:
        assert re.match(r"[A-Za-z0-9._-]+==\S+( ;[^-]+)? +--hash=sha256:[0-9a-f]{64}", line), line
    assert any(line.startswith(package + "==") for line in logical)


def test_the_lock_ships_the_uv_the_controller_locks_with():
    """scripts/lock-requirements.sh pins the hosts' uv to the controller's (requirements-dev.txt)."""
    dev = re.search(r"^uv==(\S+)", (REPO / "requirements-dev.txt").read_text(), re.M)
    assert dev, "requirements-dev.txt pins uv"
    assert re.search(r"^uv==%s " % re.escape(dev[1]), lock_for_default_version().read_text(), re.M)


def test_wheel_download_evaluates_markers_for_the_target_python(tmp_path):
    """async-timeout is locked for python_full_version < 3.11.3 only: a 3.11.2 host needs it, a
    3.11.9 host does not, whatever Python the controller runs. Checked with pip's own marker code
    and the marker environment download_wheels.py gives pip, on the real lock."""
    sys.path.insert(0, str(ROLE / "files" / "controller"))
    import download_wheels  # pylint: disable=import-outside-toplevel
    from pip._vendor.packaging.markers import Marker  # pylint: disable=import-outside-toplevel

    text = lock_for_default_version().read_text()
    marker = Marker(re.search(r"^async-timeout==\S+ ; ([^\\\n]+?) *\\", text, re.M)[1])
    assert marker.evaluate(download_wheels.target_markers("3.11.2", "x86_64"))
    assert not marker.evaluate(download_wheels.target_markers("3.11.9", "x86_64"))
    assert download_wheels.platform_tags("x86_64", "2.36")[0] == "manylinux_2_36_x86_64"
    assert "manylinux2014_x86_64" in download_wheels.platform_tags("x86_64", "2.36")
