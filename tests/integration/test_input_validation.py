"""Every variable that reaches the unit, the environment file or the config is checked before
anything changes: a bad value fails the host with one message naming the variable and the host,
and the deployed unit, environment and config stay as they were."""
import json

import pytest
from constants import CONFIG, ENV_FILE, UNIT_FILE
from lab import HOST, INVENTORY, fatal_lines, host_output, run_playbook

KEY_31 = "sk-" + "a" * 31
KEY_32 = "sk-" + "b" * 32
# The lines after it in the unit become the shell's $0, $1...: the injected command would run as root.
INJECTED = "127.0.0.1\nExecStartPre=+/bin/sh -c 'touch /root/injected'"

pytestmark = pytest.mark.skipif(not (HOST and INVENTORY), reason="needs the Molecule lab host")


def preflight(variables):
    """Runs the role's preflight (and its argument validation) with these extra vars."""
    return run_playbook("site.yml", json.dumps(variables), options=["--tags", "preflight"])


def deployed():
    return [host_output("cat", path) for path in (UNIT_FILE, ENV_FILE, CONFIG)]


@pytest.fixture(scope="module")
def files_before():
    return deployed()


@pytest.mark.parametrize("variables, named", [
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
], ids=lambda value: value if isinstance(value, str) else "-".join(
    "%s=%s" % (name.replace("litellm_copilot_", ""), json.dumps(item)[:24]) for name, item in value.items()))
def test_bad_value_fails_naming_the_variable(files_before, variables, named):
    code, output = preflight(variables)
    assert code != 0, output[-2000:]
    fatal = fatal_lines(output)
    assert len(fatal) == 1, "\n".join(fatal)
    assert "[%s]" % HOST in fatal[0] and named in fatal[0]
    assert KEY_31 not in output and KEY_32 not in output
    assert deployed() == files_before


@pytest.fixture
def no_marker():
    host_output("rm", "-f", "/root/injected")
    yield "/root/injected"
    host_output("rm", "-f", "/root/injected")


def test_injected_listen_host_never_reaches_the_unit(files_before, no_marker):
    """A full run, not only the preflight: the unit never gets the injected line, nothing runs."""
    code, output = run_playbook("site.yml", json.dumps({"litellm_copilot_listen_host": INJECTED}))
    assert code != 0
    assert "ExecStartPre" not in host_output("cat", UNIT_FILE)
    assert "ExecStartPre" not in host_output("sh", "-c", "cat /etc/systemd/system/litellm-copilot.socket || true")
    assert host_output("sh", "-c", "test -e %s && echo ran || true" % no_marker) == ""
    assert deployed() == files_before


def test_remote_listen_address_warns_about_plain_http():
    code, output = preflight({"litellm_copilot_listen_host": "0.0.0.0", "litellm_copilot_allow_remote": True})
    assert code == 0, output[-2000:]
    assert "WARNING: the proxy on" in output
    warning = " ".join(output.split("WARNING: the proxy on", 1)[1].split("}", 1)[0].split())
    assert HOST in warning and "0.0.0.0" in warning and "plain HTTP" in warning


def test_good_values_pass():
    code, output = preflight({"litellm_copilot_master_key": KEY_32,
                              "litellm_copilot_environment": {"HTTPS_PROXY": "http://proxy.internal:3128",
                                                              "NO_PROXY": "127.0.0.1,localhost"},
                              "litellm_copilot_extra_headers": {"editor-version": "vscode/1.99.0"},
                              "litellm_copilot_listen_host": "::1",
                              "litellm_copilot_litellm_settings": {"request_timeout": 600}})
    assert code == 0, output[-2000:]
    assert "WARNING: the proxy on" not in output
