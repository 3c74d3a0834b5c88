"""The preflight's strict checks of what reaches the unit, the environment file and the config
(roles/litellm_copilot/filter_plugins/copilot_settings.py), and the unit's resource caps and IP
filter as Ansible renders them."""
import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml
from constants import REPO, ROLE, ROLE_DEFAULTS
from module_harness import load_source

settings = load_source(ROLE / "filter_plugins" / "copilot_settings.py", "copilot_settings")

OWNED = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["_litellm_copilot_owned_environment"]
DEFAULTS = yaml.safe_load(ROLE_DEFAULTS.read_text())
# The variables the filter checks (its one list, which the role's check task looks up by name).
CHECKED = settings.copilot_checked_settings("litellm_copilot_")


def invalid(**variables):
    return settings.copilot_invalid_settings(
        {"litellm_copilot_" + name: value for name, value in variables.items()}, OWNED)


def test_the_defaults_pass():
    assert set(CHECKED) <= set(DEFAULTS) and len(CHECKED) == 36
    values = {name: DEFAULTS[name] for name in CHECKED}
    values["litellm_copilot_memory_max"] = "1024M"  # its default is a template over num_workers
    values["litellm_copilot_wheelhouse_cache_dir"] = "/root/.cache/litellm-copilot/wheelhouse"  # over $HOME
    assert settings.copilot_invalid_settings(values, OWNED) == []


def test_the_check_task_takes_the_filters_list():
    """One list: the task looks the filter's names up, so a new check cannot miss the task."""
    task = yaml.safe_load((ROLE / "tasks" / "check_settings.yml").read_text())
    [check] = [t for t in task if t["name"] == "Check the settings"]
    assert check["vars"]["_names"] == "{{ 'litellm_copilot_' | copilot_checked_settings }}"
    with pytest.raises(settings.AnsibleFilterError):
        settings.copilot_checked_settings("other_role_")


@pytest.mark.parametrize("name, value", [
    ("listen_host", "127.0.0.1\nExecStartPre=+/bin/sh -c id"),
    ("listen_host", "127.0.0.1\n"),
    ("listen_host", "127.0.0.1 --reload"),
    ("listen_host", "host_name"),
    ("port", 0), ("port", 65536), ("port", "80\n"), ("port", True),
    ("num_workers", 0), ("num_workers", "1 --reload"),
    ("max_request_bytes", -1), ("max_request_bytes", "32M"), ("max_request_bytes", 2 ** 40 + 1),
    ("max_request_bytes", True),
    ("master_key", "sk-"), ("master_key", "sk-" + "a" * 31), ("master_key", "sk-" + "a" * 32 + "\n"),
    ("master_key", "sk-" + "a" * 31 + " "), ("master_key", "pk-" + "a" * 40), ("master_key", "sk-1234"),
    ("github_api_url", "https://api.github.com\nExecStartPre=+/bin/true"),
    ("github_api_url", "https://api.github.com/%h"), ("api_base", "https://x y"),
    ("install_dir", "opt/x"), ("install_dir", "/opt/x y"), ("install_dir", "/opt/%i"),
    ("install_dir", "/opt/../etc"), ("install_dir", "/"), ("data_dir", "/var/lib/x\n"),
    ("user", "root\nUser=root"), ("user", "Litellm"), ("user", ""), ("group", "a b"),
    ("client_user", "dev/../root"), ("client_user", "-dev"),
    ("listen_host", "devvm-alice.example.internal"), ("listen_host", "localhost"),
    # Both name files on the controller: no way out of the role's locks or the cache.
    ("version", "../../../../root/.vault_pass"), ("version", "1.106.2/../x"), ("version", "1.106"),
    ("wheelhouse_cache_dir", "/root/x/../.ssh"), ("wheelhouse_cache_dir", "cache"),
    ("service_name", "../x"), ("service_name", "a b"), ("service_name", "x\n"), ("service_name", "sshd@x"),
    ("memory_max", "1G\nUser=root"), ("memory_max", "-1"), ("memory_max", "lots"),
    ("tasks_max", 0), ("limit_nofile", "65536\n"),
    ("ip_address_allow", ["10.0.0.0/8", "any\nUser=root"]), ("ip_address_allow", ["example.com"]),
    ("ip_address_allow", "10.0.0.0/8"),
    ("billing", "tokens"), ("billing", ""),
    ("credit_rates", []), ("credit_rates", {"gpt-5": {"input": 1, "output": 2}}),
    ("credit_rates", {"gpt-5": {"input": -1, "cached_input": 0, "output": 2}}),
    ("credit_rates", {"gpt-5": {"input": "1", "cached_input": 0, "output": 2}}),
    ("credit_rates", {"gpt-5": {"input": float("nan"), "cached_input": 0, "output": 2}}),
    ("credit_budget_daily", -5), ("credit_budget_daily", "lots"), ("credit_budget_daily", True),
    ("credit_budget_monthly", "pace"), ("credit_budget_monthly", float("inf")),
    ("anthropic_betas", "context-management-2025-06-27"), ("anthropic_betas", ["a,b"]),
    ("anthropic_betas", ["x\nLITELLM_MASTER_KEY=sk"]), ("anthropic_betas", ["Upper"]), ("anthropic_betas", [1]),
    # A token of only whitespace is an error, never a silent fall-back to the stored token.
    ("github_token", "   "), ("github_token", "gho_x\n"), ("allow_remote", "maybe"), ("allow_insecure_http", None),
])
def test_a_bad_value_is_named(name, value):
    errors = invalid(**{name: value})
    assert len(errors) == 1 and errors[0].startswith("litellm_copilot_" + name)


@pytest.mark.parametrize("variables, named", [
    # No token may travel in clear text unless asked for (the simulator).
    ({"github_api_url": "http://127.0.0.1:18080", "api_base": "", "allow_insecure_http": False},
     "Plain http for litellm_copilot_github_api_url"),
    ({"github_api_url": "https://api.github.com", "api_base": "http://copilot.internal", "allow_insecure_http": "no"},
     "Plain http for litellm_copilot_github_api_url or litellm_copilot_api_base"),
    # LiteLLM serves plain HTTP: beyond loopback only with an explicit yes.
    ({"listen_host": "0.0.0.0", "allow_remote": False}, "litellm_copilot_allow_remote: true"),
    ({"listen_host": "", "allow_remote": "false"}, "litellm_copilot_allow_remote: true"),
])
def test_values_wrong_together_are_named(variables, named):
    [error] = invalid(**variables)
    assert named in error


@pytest.mark.parametrize("variables", [
    {"github_api_url": "http://127.0.0.1:18080", "api_base": "http://x", "allow_insecure_http": "yes"},
    {"github_api_url": "https://api.github.com", "api_base": "", "allow_insecure_http": False},
    {"listen_host": "0.0.0.0", "allow_remote": True}, {"listen_host": "::1", "allow_remote": False},
    {"github_token": ""}, {"github_token": "gho_0upwQmFbMbl2HhFQ8qgPIfQU8M21Yg4B1AG9"},
])
def test_values_right_together_pass(variables):
    assert invalid(**variables) == []


def test_a_bad_value_is_named_once_not_again_with_its_partner():
    """A listen address that is no address is named as such, not again as not being loopback."""
    [error] = invalid(listen_host="127.0.0.1\nExecStartPre=+/bin/true", allow_remote=False)
    assert error.startswith("litellm_copilot_listen_host must be an IP address")


def test_pacing_needs_a_credit_seat():
    assert invalid(credit_budget_daily="pace", billing="premium_requests") == [
        "litellm_copilot_credit_budget_daily 'pace' needs litellm_copilot_billing: credits"]
    assert invalid(credit_budget_daily="pace", billing="credits") == []


@pytest.mark.parametrize("name, value", [
    ("listen_host", "0.0.0.0"), ("listen_host", "::"), ("listen_host", ""), ("listen_host", "::1"),
    ("port", "4000"), ("max_request_bytes", 0), ("max_request_bytes", "33554432"),
    ("master_key", ""), ("master_key", "sk-" + "A1_-" * 8),
    ("api_base", "https://api.business.githubcopilot.com"), ("install_dir", "/srv/litellm-copilot.d/v2"),
    ("user", "_litellm"), ("client_user", ""), ("client_user", "alice-dev"), ("service_name", "litellm-copilot.blue"),
    ("memory_max", "infinity"), ("memory_max", "50%"), ("memory_max", "1536M"), ("tasks_max", "64"),
    ("ip_address_allow", []), ("ip_address_allow", ["localhost", "140.82.112.0/20", "2606:50c0::/32", "10.1.2.3"]),
    ("billing", "premium_requests"), ("credit_budget_daily", "pace"), ("credit_budget_daily", "12.5"),
    ("credit_budget_monthly", 500), ("credit_rates", {"*": {"input": 0, "cached_input": 0.5, "output": 12}}),
])
def test_a_good_value_passes(name, value):
    assert invalid(**{name: value}) == []


@pytest.mark.parametrize("environment, named", [
    ({"LITELLM_MASTER_KEY": "sk-" + "a" * 40}, "LITELLM_MASTER_KEY"),
    ({"LITELLM_LOCAL_MODEL_COST_MAP": "False"}, "LITELLM_LOCAL_MODEL_COST_MAP"),
    ({"GITHUB_COPILOT_TOKEN_DIR": "/tmp"}, "GITHUB_COPILOT_TOKEN_DIR"),
    ({"GITHUB_COPILOT_API_KEY_URL": "http://evil"}, "GITHUB_COPILOT_API_KEY_URL"),
    ({"HOME": "/tmp"}, "HOME"), ({"PYTHONPATH": "/tmp"}, "PYTHONPATH"),
    ({"CONFIG_FILE_PATH": "/tmp/c.yaml"}, "CONFIG_FILE_PATH"), ({"WORKER_CONFIG": "{}"}, "WORKER_CONFIG"),
    ({"HTTPS_PROXY": "http://p:3128\nLITELLM_MASTER_KEY=x"}, "HTTPS_PROXY"),
    ({"HTTPS_PROXY": "http://p:3128\r"}, "HTTPS_PROXY"), ({"X": ["a"]}, "X"), ({"X": None}, "X"),
    ({"BAD KEY": "1"}, "a name"), ({"1ST": "1"}, "a name"), ({"A=B": "1"}, "a name"),
])
def test_an_environment_the_role_owns_or_cannot_write_is_refused(environment, named):
    errors = invalid(environment=environment)
    assert len(errors) == 1
    assert errors[0].startswith("litellm_copilot_environment") and named in errors[0]
    # Messages name variables, never values (a value may be a secret).
    assert all(str(value) not in errors[0] for value in environment.values())


def test_an_ordinary_environment_passes():
    assert invalid(environment={"HTTPS_PROXY": "http://proxy.internal:3128", "NO_PROXY": "127.0.0.1,localhost",
                                "SSL_CERT_FILE": "/etc/ssl/certs/ca.pem", "REQUESTS_CA_BUNDLE": 1,
                                "AIOHTTP_TRUST_ENV": True, "TZ": "Europe/Berlin\t"}) == []


@pytest.mark.parametrize("headers", [
    {"x-bad header": "1"}, {"x-ok": "1\r\nx-injected: 1"}, {"x-ok": "1\n"}, {"": "1"}, {"x:y": "1"},
    {"x-ok": {"nested": 1}},
])
def test_a_bad_header_is_refused(headers):
    for name in ("extra_headers", "ide_headers"):
        errors = invalid(**{name: headers})
        assert len(errors) == 1 and errors[0].startswith("litellm_copilot_" + name)


def test_litellm_settings_keys_are_setting_names():
    assert invalid(litellm_settings={"request_timeout": 600, "callbacks": ["x.y"]}) == []
    assert invalid(litellm_settings={"drop_params: true\nset_verbose": True})
    assert invalid(litellm_settings={"Drop-Params": True})


def test_an_unknown_variable_is_a_programming_error():
    with pytest.raises(Exception, match="no check for litellm_copilot_nope"):
        invalid(nope=1)


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("", False), ("10.0.0.5", False), ("devvm.example.internal", False),
])
def test_loopback(host, loopback):
    assert settings.copilot_is_loopback(host) is loopback


def render_unit(**variables):
    """The unit as Ansible renders it from the role's defaults and vars plus these variables."""
    template = ROLE / "templates" / "litellm-copilot.service.j2"
    extra = dict({"ansible_managed": "managed"}, **{"litellm_copilot_" + k: v for k, v in variables.items()})
    command = [str(pathlib.Path(sys.executable).parent / "ansible"), "-i", "localhost,", "-c", "local", "localhost",
               "-m", "ansible.builtin.debug", "-a", "msg={{ lookup('ansible.builtin.template', '%s') }}" % template,
               "-e", "@%s" % (ROLE / "defaults" / "main.yml"), "-e", "@%s" % (ROLE / "vars" / "main.yml"),
               "-e", json.dumps(extra)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=True,
                          env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                                   ANSIBLE_FILTER_PLUGINS=str(ROLE / "filter_plugins")))  # the role's own filters
    return json.loads(done.stdout.split("=>", 1)[1])["msg"].splitlines()


def test_the_unit_caps_resources_and_filters_ip_only_when_asked():
    unit = render_unit(num_workers=2)
    # 2 GiB a worker: during a hand-over the old proxy and the new one are both resident.
    assert {"MemoryMax=4096M", "TasksMax=512", "LimitNOFILE=65536"} <= set(unit)
    assert "    --max-request-bytes 33554432 \\" in unit  # the launcher's cap on request bodies
    assert not [line for line in unit if line.startswith("IPAddress")]
    unit = render_unit(ip_address_allow=["140.82.112.0/20", "2606:50c0::/32"], memory_max="3G")
    assert "MemoryMax=3G" in unit
    assert "IPAddressDeny=any" in unit
    assert "IPAddressAllow=localhost 140.82.112.0/20 2606:50c0::/32" in unit


@pytest.mark.parametrize("host, port, stream, url", [
    ("127.0.0.1", 4000, "127.0.0.1:4000", "http://127.0.0.1:4000"),
    ("", 4000, "4000", "http://127.0.0.1:4000"),
    ("0.0.0.0", 4001, "0.0.0.0:4001", "http://127.0.0.1:4001"),
    ("::", 4000, "4000", "http://127.0.0.1:4000"),
    ("::1", 4000, "[::1]:4000", "http://[::1]:4000"),
    ("10.1.2.3", 8080, "10.1.2.3:8080", "http://10.1.2.3:8080"),
])
def test_the_listen_address_in_systemd_and_url_syntax(host, port, stream, url):
    # A bare port listens on every address (IPv4 and IPv6); a wildcard is checked through loopback.
    assert settings.copilot_listen_stream(host, port) == stream
    assert settings.copilot_local_url(host, port) == url


@pytest.mark.parametrize("show, host, port, holds", [
    ("ActiveState=active\nListen=127.0.0.1:4000 (Stream)\n", "127.0.0.1", 4000, True),
    ("Listen=[::1]:4000 (Stream)\nActiveState=active", "::1", 4000, True),
    ("ActiveState=active\nListen=[::]:4000 (Stream)", "", 4000, True),
    # the unit stopped: whatever listens on the port now is not systemd's socket
    ("ActiveState=inactive\nListen=127.0.0.1:4000 (Stream)", "127.0.0.1", 4000, False),
    ("ActiveState=failed\nListen=127.0.0.1:4000 (Stream)", "127.0.0.1", 4000, False),
    # another address or port than the role's
    ("ActiveState=active\nListen=127.0.0.1:4001 (Stream)", "127.0.0.1", 4000, False),
    ("ActiveState=active\nListen=0.0.0.0:4000 (Stream)", "127.0.0.1", 4000, False),
    ("", "127.0.0.1", 4000, False), (None, "127.0.0.1", 4000, False),
])
def test_the_master_key_goes_only_to_the_gateways_own_socket(show, host, port, holds):
    assert settings.copilot_socket_holds(show, host, port) is holds


def test_the_checks_run_on_every_run_whatever_its_tags():
    """A run limited with --tags (configure, service...) renders from the same variables: the host
    override refusal and the settings checks carry the `always` tag."""
    preflight = yaml.safe_load((ROLE / "tasks" / "preflight.yml").read_text())
    imports = dict((task.get("ansible.builtin.import_tasks"), task.get("tags")) for task in preflight)
    assert imports["refuse_host_overrides.yml"] == ["always"]
    assert imports["check_settings.yml"] == ["always"]
