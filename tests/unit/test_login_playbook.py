"""playbooks/login.yml treats GitHub's answer and the host or group name as untrusted: a login that is not a
plain name never reaches the inventory file, and a host name like '../x' never moves the token file out of
host_vars/. Real ansible-playbook and ansible-vault on the controller, against the Copilot simulator."""

import os
import pathlib
import secrets
import subprocess
import sys

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

import copilot_sim

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
ESCAPING_HOST = "../escaped"


class VaultLoader(yaml.SafeLoader):
    """Reads an inventory file the way its structure matters here: a !vault value is a string."""


VaultLoader.add_constructor("!vault", lambda loader, node: loader.construct_scalar(node))


@pytest.fixture
def inventory(tmp_path, sim):
    """An inventory directory with a plain host and a host whose name climbs out of host_vars/."""
    root = tmp_path / "inventory"
    root.mkdir()
    (root / "hosts.yml").write_text(yaml.safe_dump({"litellm_copilot": {
        "hosts": {"devvm": None, ESCAPING_HOST: None},
        "vars": {"litellm_copilot_github_api_url": sim.url, "litellm_copilot_allow_insecure_http": True}}}))
    password = tmp_path / "vault-pass"
    password.write_text(secrets.token_hex(16) + "\n")
    password.chmod(0o600)
    return root


def account(sim, login):
    """A new simulator account with that login; returns its GitHub token."""
    token = "gho_" + secrets.token_hex(18)
    copilot_sim.control(sim.url, "POST", "/_sim/accounts", {"token": token, "plan": "individual", "login": login})
    return token


def login(inventory, token, host, vault=True, verbose=False):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ANSIBLE_", "MOLECULE_")) and key not in ("GH_TOKEN", "GITHUB_TOKEN")}
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", GH_TOKEN=token)
    if vault:
        env.update(ANSIBLE_VAULT_PASSWORD_FILE=str(inventory.parent / "vault-pass"))
    done = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(inventory / "hosts.yml"),
                           str(REPO / "playbooks" / "login.yml"), "-e", "litellm_copilot_login_host=" + host]
                          + (["-vvv"] if verbose else []),
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout + done.stderr


def token_files(root):
    return sorted(str(path.relative_to(root)) for path in root.rglob("copilot_token.yml"))


def test_a_plain_login_is_stored(sim, inventory):
    code, output = login(inventory, account(sim, "octo-cat.dev_1"), "devvm")
    assert code == 0, output
    assert token_files(inventory.parent) == ["inventory/host_vars/devvm/copilot_token.yml"]
    text = (inventory / "host_vars" / "devvm" / "copilot_token.yml").read_text()
    assert list(yaml.load(text, Loader=VaultLoader)) == ["litellm_copilot_github_token"]
    assert '# GitHub token of "octo-cat.dev_1"' in text


@pytest.mark.parametrize("bad_login", [
    "mallory\nlitellm_copilot_port: 1",
    "mallory\n",
    "{{ lookup('ansible.builtin.pipe', 'id') }}",
    "mal lory",
], ids=["newline-adds-a-variable", "trailing-newline", "jinja", "space"])
def test_a_login_that_is_not_a_plain_name_is_never_written(sim, inventory, bad_login):
    code, output = login(inventory, account(sim, bad_login), "devvm")
    assert code != 0
    assert "was not stored" in output and "not plain names" in output
    assert token_files(inventory.parent) == []


def test_a_host_name_that_leaves_host_vars_is_refused(sim, inventory):
    code, output = login(inventory, account(sim, "octocat"), ESCAPING_HOST)
    assert code != 0
    assert 'Host name "../escaped" is not a plain name' in output
    assert token_files(inventory.parent) == []


def test_the_token_is_in_no_output_and_decrypts_from_the_file(sim, inventory):
    token = account(sim, "octocat")
    code, output = login(inventory, token, "devvm", verbose=True)
    assert code == 0, output
    assert token not in output
    text = (inventory / "host_vars" / "devvm" / "copilot_token.yml").read_text()
    assert token not in text
    password = (inventory.parent / "vault-pass").read_text().strip()
    ciphertext = yaml.load(text, Loader=VaultLoader)["litellm_copilot_github_token"]
    assert VaultLib([("default", VaultSecret(password.encode()))]).decrypt(ciphertext.encode()).decode() == token


def test_without_a_vault_password_nothing_is_asked_or_written(sim, inventory):
    code, output = login(inventory, account(sim, "octocat"), "devvm", vault=False)
    assert code != 0
    assert "No vault password to encrypt the token with" in output
    assert "Check the token" not in output  # refused before the token is even checked
    assert token_files(inventory.parent) == []


def test_a_file_that_would_override_the_token_is_refused_first(sim, inventory):
    host_vars = inventory / "host_vars" / "devvm"
    host_vars.mkdir(parents=True)
    (host_vars / "main.yml").write_text("litellm_copilot_github_token: plain\n")
    code, output = login(inventory, account(sim, "octocat"), "devvm")
    assert code != 0
    assert "main.yml also set litellm_copilot_github_token" in output and "Check the token" not in output
    assert token_files(inventory.parent) == []
