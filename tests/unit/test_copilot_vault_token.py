"""The logic of action_plugins/copilot_vault_token.py (playbooks/login.yml's vault handling): which file a
token goes to, what may not be written there, and a vaulted file that decrypts to the token and nothing else.
Real Ansible vault; the whole plugin runs in tests/unit/test_login_playbook.py through ansible-playbook."""

import json
import os
import pathlib
import secrets
import stat

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret
from module_harness import load_source

REPO = pathlib.Path(__file__).resolve().parents[2]
plugin = load_source(str(REPO / "action_plugins" / "copilot_vault_token.py"), "copilot_vault_token")

VARIABLE = "litellm_copilot_github_token"


@pytest.fixture
def vault():
    return VaultLib([("default", VaultSecret(secrets.token_hex(16).encode()))])


def vaulted(vault, token="gho_" + "a1" * 18, login="octocat", plan="business"):
    secret = vault.secrets[0][1]
    return plugin.vault_text(vault, secret, "default", VARIABLE, token, login, plan)


class TestTarget:
    @pytest.mark.parametrize("host, group, expected", [
        ("devvm-bob", "", ("host", "devvm-bob")),
        ("", "litellm_copilot", ("group", "litellm_copilot")),
        ("vm1.lab.example", "", ("host", "vm1.lab.example")),
        ("_a", "", ("host", "_a")),
    ])
    def test_plain_names(self, host, group, expected):
        assert plugin.target_of(host, group) == expected

    @pytest.mark.parametrize("host, group", [("", ""), ("devvm", "litellm_copilot")], ids=["neither", "both"])
    def test_one_of_host_or_group(self, host, group):
        with pytest.raises(plugin.Refused, match="Say whose token this is"):
            plugin.target_of(host, group)

    @pytest.mark.parametrize("name", ["../escaped", "..", ".hidden", "a/b", "vm\n", "vm 1", "-x", "{{ x }}"])
    def test_a_name_that_is_no_plain_name_is_refused(self, name):
        with pytest.raises(plugin.Refused) as refused:
            plugin.target_of("", name)
        message = str(refused.value)
        assert message.startswith("Group name %s is not a plain name" % json.dumps(name))
        assert "outside group_vars/" in message and "\n" not in message

    def test_inventory_dir(self, tmp_path):
        hosts = tmp_path / "hosts.yml"
        hosts.write_text("all: {}\n")
        assert plugin.inventory_dir_of("", [str(hosts), "/elsewhere"]) == str(tmp_path)
        assert plugin.inventory_dir_of("", [str(tmp_path)]) == str(tmp_path)
        assert plugin.inventory_dir_of("/given", [str(hosts)]) == "/given"
        with pytest.raises(plugin.Refused, match="No inventory"):
            plugin.inventory_dir_of("", [])


class TestOverridingFiles:
    def test_files_that_set_the_variable(self, tmp_path):
        (tmp_path / "copilot_token.yml").write_text(VARIABLE + ": old\n")  # the file login replaces
        (tmp_path / "main.yml").write_text("---\nx: 1\n%s : '{{ x }}'\n" % VARIABLE)
        (tmp_path / "other.json").write_text('{"a": 1}\n%s: 2\n' % VARIABLE)
        (tmp_path / "nested.yml").write_text("things:\n  %s: 1\n" % VARIABLE)  # not a top-level variable
        (tmp_path / "notes.txt").write_text(VARIABLE + ": not read by Ansible\n")
        (tmp_path / "zz.yaml").mkdir()
        assert plugin.overriding_files(str(tmp_path), VARIABLE) == [
            str(tmp_path / "main.yml"), str(tmp_path / "other.json")]

    def test_no_directory_yet(self, tmp_path):
        assert plugin.overriding_files(str(tmp_path / "host_vars" / "new"), VARIABLE) == []


class TestAccount:
    @pytest.mark.parametrize("login, plan", [("octo-cat.dev_1", "individual"), ("octocat", "")])
    def test_plain_names_pass(self, login, plan):
        plugin.check_account("host", "devvm", login, plan)

    @pytest.mark.parametrize("login, plan", [
        ("mallory\nlitellm_copilot_port: 1", "individual"),
        ("mallory\n", "individual"),
        ("{{ lookup('ansible.builtin.pipe', 'id') }}", "individual"),
        ("", "individual"),
        ("octocat", "business\nx: 1"),
        ("x" * 200 + " y", "individual"),
    ], ids=["newline-adds-a-variable", "trailing-newline", "jinja", "empty", "plan-newline", "long"])
    def test_anything_else_is_refused_in_one_line(self, login, plan):
        with pytest.raises(plugin.Refused) as refused:
            plugin.check_account("host", "devvm", login, plan)
        message = str(refused.value)
        assert message.startswith("The token for host devvm was not stored: GitHub answered a login ")
        assert "not plain names" in message and "\n" not in message and len(message) < 400


class TestVaultedFile:
    def test_the_file_sets_only_the_vaulted_token(self, vault):
        token = "gho_" + secrets.token_hex(18)
        text = vaulted(vault, token=token)
        assert token not in text
        assert text.startswith('---\n# GitHub token of "octocat" (Copilot "business"), written by playbooks/login.yml.')
        assert "%s: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n" % VARIABLE in text
        loaded = yaml.load(text, Loader=plugin._VaultLoader)
        assert list(loaded) == [VARIABLE]
        assert vault.decrypt(loaded[VARIABLE].encode()).decode() == token

    def test_no_plan_shows_a_question_mark(self, vault):
        assert '(Copilot "?")' in vaulted(vault, plan="")

    def test_read_back(self, vault, tmp_path):
        token = "gho_" + secrets.token_hex(18)
        path = tmp_path / "copilot_token.yml"
        path.write_text(vaulted(vault, token=token))
        assert plugin.stored_token(str(path), vault, VARIABLE) == token

    def test_read_back_refuses_a_file_setting_more(self, vault, tmp_path):
        path = tmp_path / "copilot_token.yml"
        path.write_text(vaulted(vault) + "litellm_copilot_port: 1\n")
        assert plugin.stored_token(str(path), vault, VARIABLE) is None

    def test_read_back_with_another_password_fails(self, vault, tmp_path):
        path = tmp_path / "copilot_token.yml"
        path.write_text(vaulted(vault))
        other = VaultLib([("default", VaultSecret(b"another password"))])
        with pytest.raises(Exception, match="Decryption failed"):
            plugin.stored_token(str(path), other, VARIABLE)

    def test_written_for_the_owner_only_in_one_step(self, tmp_path):
        path = tmp_path / "copilot_token.yml"
        path.write_text("old\n")
        os.chmod(path, 0o644)
        plugin.write_private(str(path), "new\n")
        assert path.read_text() == "new\n"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert [p.name for p in tmp_path.iterdir()] == ["copilot_token.yml"]  # no temporary file left



class TestGithubApi:
    """Which GitHub API checks the token: the target's inventory says (a group's first host's)."""

    VARS = {"groups": {"all": ["bob", "ann"], "devs": ["ann", "bob"], "empty": []},
            "hostvars": {"bob": {},
                         "ann": {"litellm_copilot_github_api_url": "http://127.0.0.1:18080",
                                 "litellm_copilot_allow_insecure_http": "yes"}}}

    def test_a_host_without_settings_uses_github(self):
        assert plugin.github_api_of("host", "bob", self.VARS) == {
            "github_api_url": "https://api.github.com", "allow_insecure_http": False}

    def test_a_group_follows_its_first_host(self):
        assert plugin.github_api_of("group", "devs", self.VARS) == {
            "github_api_url": "http://127.0.0.1:18080", "allow_insecure_http": True}

    def test_an_empty_group_uses_github(self):
        assert plugin.github_api_of("group", "empty", self.VARS)["github_api_url"] == "https://api.github.com"
