"""The role's settings checks (tasks/check_settings.yml) as Ansible runs them, without a lab host:
ONE real ansible-playbook run over local hosts, one host per bad value plus a good and a remote one.
Each bad host must fail with exactly one message naming the variable (or the cause) and the host,
the good hosts must pass, the remote one must be warned about plain HTTP, and no secret may show."""
import json
import os
import re
import subprocess
import sys
import time

import pytest
import yaml
from constants import REPO

# Where ansible-playbook finds the role.
ROLES_PATH = REPO / "roles"

KEY_31 = "sk-" + "a" * 31
KEY_32 = "sk-" + "b" * 32
GITHUB_TOKEN = "gho_0upwQmFbMbl2HhFQ8qgPIfQU8M21Yg4B1AG9"  # the lab's (inventories/lab), issued by the simulator
SECRETS = (KEY_31, KEY_32, GITHUB_TOKEN)
# The lines after it in the unit become the shell's $0, $1...: the injected command would run as root.
INJECTED = "127.0.0.1\nExecStartPre=+/bin/sh -c 'touch /root/injected'"

# What every host has, as the lab's hosts do (inventories/lab/group_vars): the checks pass on these.
COMMON = {
    "ansible_connection": "local",
    "ansible_python_interpreter": sys.executable,
    "litellm_copilot_github_token": GITHUB_TOKEN,
    "litellm_copilot_github_api_url": "http://127.0.0.1:18080",
    "litellm_copilot_allow_insecure_http": True,
}
GOOD = {"litellm_copilot_master_key": KEY_32,
        "litellm_copilot_environment": {"HTTPS_PROXY": "http://proxy.internal:3128", "NO_PROXY": "127.0.0.1,localhost"},
        "litellm_copilot_extra_headers": {"editor-version": "vscode/1.99.0"},
        "litellm_copilot_listen_host": "::1",
        "litellm_copilot_litellm_settings": {"request_timeout": 600}}
REMOTE = {"litellm_copilot_listen_host": "0.0.0.0", "litellm_copilot_allow_remote": True}

# (host variables, what its one failure must name)
BAD = [
    ({"litellm_copilot_master_key": "sk-"}, "litellm_copilot_master_key"),
    ({"litellm_copilot_master_key": KEY_31}, "litellm_copilot_master_key"),
    ({"litellm_copilot_master_key": KEY_32 + "\nX=1"}, "litellm_copilot_master_key"),
    ({"litellm_copilot_environment": {"LITELLM_MASTER_KEY": KEY_32}}, "LITELLM_MASTER_KEY"),
    ({"litellm_copilot_environment": {"GITHUB_COPILOT_TOKEN_DIR": "/tmp"}}, "GITHUB_COPILOT_TOKEN_DIR"),
    ({"litellm_copilot_environment": {"HOME": "/tmp"}}, "HOME"),
    ({"litellm_copilot_environment": {"CONFIG_FILE_PATH": "/tmp/c.yaml"}}, "CONFIG_FILE_PATH"),
    ({"litellm_copilot_environment": {"HTTPS_PROXY": "http://p:3128\nLITELLM_MASTER_KEY=x"}},
     "litellm_copilot_environment"),
    ({"litellm_copilot_environment": {"BAD KEY": "1"}}, "litellm_copilot_environment"),
    ({"litellm_copilot_listen_host": "0.0.0.0"}, "litellm_copilot_allow_remote"),
    ({"litellm_copilot_listen_host": INJECTED}, "litellm_copilot_listen_host"),
    ({"litellm_copilot_listen_host": "127.0.0.1\n"}, "litellm_copilot_listen_host"),
    ({"litellm_copilot_listen_host": "127.0.0.1 --reload"}, "litellm_copilot_listen_host"),
    ({"litellm_copilot_data_dir": "var/lib/x"}, "litellm_copilot_data_dir"),
    ({"litellm_copilot_config_dir": "/etc/litellm %h"}, "litellm_copilot_config_dir"),
    ({"litellm_copilot_install_dir": "/opt/a\nExecStartPre=+/bin/true"}, "litellm_copilot_install_dir"),
    ({"litellm_copilot_user": "litellm\nUser=root"}, "litellm_copilot_user"),
    ({"litellm_copilot_group": "lit llm"}, "litellm_copilot_group"),
    ({"litellm_copilot_service_name": "../../tmp/x"}, "litellm_copilot_service_name"),
    ({"litellm_copilot_client_user": "dev/../root"}, "litellm_copilot_client_user"),
    ({"litellm_copilot_github_api_url": "http://127.0.0.1:9\nExecStartPre=+/bin/true"},
     "litellm_copilot_github_api_url"),
    ({"litellm_copilot_extra_headers": {"x-bad header": "1"}}, "litellm_copilot_extra_headers"),
    ({"litellm_copilot_extra_headers": {"x-ok": "1\r\nx-injected: 1"}}, "litellm_copilot_extra_headers"),
    ({"litellm_copilot_litellm_settings": {"drop_params: true\nset_verbose": True}},
     "litellm_copilot_litellm_settings"),
    ({"litellm_copilot_num_workers": 0}, "litellm_copilot_num_workers"),
    ({"litellm_copilot_memory_max": "1G\nExecStartPre=+/bin/true"}, "litellm_copilot_memory_max"),
    ({"litellm_copilot_ip_address_allow": ["140.82.112.0/20", "any\nUser=root"]},
     "litellm_copilot_ip_address_allow"),
    # A token of only whitespace is an error, never a silent fall-back to the stored token.
    ({"litellm_copilot_github_token": "   "}, "whitespace"),
    ({"litellm_copilot_github_token": "\t\n"}, "whitespace"),
    # The lab's API URL is plain http: without the explicit yes, no token may go there.
    ({"litellm_copilot_allow_insecure_http": False}, "Plain http for litellm_copilot_github_api_url"),
]
BAD_HOSTS = ["bad-%02d" % index for index in range(len(BAD))]
PLAYBOOK = """
- name: Check the settings
  hosts: all
  gather_facts: false
  tasks:
    - name: Check the settings
      ansible.builtin.include_role: {name: litellm_copilot, tasks_from: check_settings}
"""


def case_id(variables):
    return "-".join("%s=%s" % (name.replace("litellm_copilot_", ""), json.dumps(item)[:24])
                    for name, item in variables.items())


def run_checks(directory):
    """Runs the settings checks once over every host; returns (exit code, output without colour, seconds)."""
    hosts = {host: dict(variables) for host, (variables, _) in zip(BAD_HOSTS, BAD)}
    hosts.update(good=GOOD, remote=REMOTE)
    for variables in hosts.values():
        variables.update({name: value for name, value in COMMON.items() if name not in variables})
    (directory / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    (directory / "check.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_ROLES_PATH=str(ROLES_PATH),
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="false")
    env.pop("ANSIBLE_FORCE_COLOR", None)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", "hosts.yml", "-f", str(len(hosts)), "check.yml"]
    start = time.monotonic()
    done = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, timeout=300)
    return done.returncode, re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr), time.monotonic() - start


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    code, output, seconds = run_checks(tmp_path_factory.mktemp("settings"))
    print("settings checks over %d hosts: %.1f s" % (len(BAD) + 2, seconds))
    return code, output


def fatal_lines(output, host):
    return [line for line in output.splitlines()
            if line.startswith(("fatal:", "failed:")) and "[%s]" % host in line.split("=>", 1)[0]]


def recap(output, host):
    line = next((line for line in output.splitlines() if re.match(r"%s\s+:\s+ok=" % re.escape(host), line)), None)
    assert line, "%s is missing from the recap:\n%s" % (host, output[-3000:])
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}


@pytest.mark.parametrize("host, variables, named", [(host, *case) for host, case in zip(BAD_HOSTS, BAD)],
                         ids=[case_id(variables) for variables, _ in BAD])
def test_bad_value_fails_naming_the_variable(checked, host, variables, named):
    code, output = checked
    assert code != 0
    fatal = fatal_lines(output, host)
    assert len(fatal) == 1, "%s (%s):\n%s\n%s" % (host, variables, "\n".join(fatal), output[-3000:])
    assert fatal[0].startswith(("fatal: [%s]" % host, "failed: [%s]" % host)), fatal[0]
    message = fatal[0].split("=>", 1)[1]
    assert named in message and host in message, fatal[0]
    assert recap(output, host)["failed"] == 1


@pytest.mark.parametrize("host", ["good", "remote"])
def test_good_values_pass(checked, host):
    _, output = checked
    assert not fatal_lines(output, host), "\n".join(fatal_lines(output, host))
    counts = recap(output, host)
    # every check ran and passed (the include and the one assert; the remote one is also warned)
    assert (counts["failed"], counts["unreachable"]) == (0, 0), counts
    assert counts["ok"] == (3 if host == "remote" else 2), counts


def test_remote_listen_address_warns_about_plain_http(checked):
    _, output = checked
    warnings = [" ".join(part.split("}", 1)[0].split()) for part in output.split("WARNING: the proxy on")[1:]]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("remote ") and "0.0.0.0" in warnings[0] and "plain HTTP" in warnings[0]


def test_no_secret_in_the_output(checked):
    _, output = checked
    assert not [secret for secret in SECRETS if secret in output]
