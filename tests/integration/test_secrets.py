"""Secrets never leak: not into Ansible's output at -vvv (through a token rotation, so the token,
environment and master-key tasks all run with a change), not into the journal, not into any file
other users can read; the files holding them are private to root and the service user; the unit's
sandbox keeps its systemd-analyze exposure at or below 2.5."""
import re

import pytest
from conftest import PROXY_KEY, ROTATIONS, copilot_sim
from constants import (CONFIG_DIR, DATA_DIR, ENV_FILE, LAST_GOOD_MODELS, MASTER_KEY_FILE, SERVICE, TOKEN_CACHE,
                       TOKEN_DIR, TOKEN_FILE)
from lab import HOST, run_playbook
from lab import host_output as on_host

# The shape of a Copilot token: tid=<hex>;exp=<unix>;...:<signature>. Matches any one the simulator issued.
COPILOT_TOKEN = re.compile(r"tid=[0-9a-f]{16,};exp=\d+")
MAX_EXPOSURE = 2.5



def run_site_verbose(*extra_vars):
    return run_playbook("site.yml", *extra_vars, verbose=True)


def leaks(text, secrets):
    """Names of the secrets found in text (never the secrets themselves)."""
    found = [name for name, value in secrets.items() if value and value in text]
    if COPILOT_TOKEN.search(text):
        found.append("a Copilot token (tid=...)")
    return found


@pytest.fixture(scope="module")
def rotation():
    """Two token rotations at -vvv (the token, environment and master-key tasks all run with a
    change, LiteLLM and discovery exchange new Copilot tokens) and the secrets in play: the ones
    test_login_and_status.py ran (to the signed-in token and back), or, when this file runs
    alone, its own (to another account's token and back)."""
    if len(ROTATIONS) >= 2:
        found = {}
        for run in ROTATIONS:
            found.update(run["secrets"])
        return "\n".join(run["output"] for run in ROTATIONS), found
    stored = on_host("cat", TOKEN_FILE).strip()
    outputs = []
    for token in (copilot_sim.BUSINESS_TOKEN, stored):
        code, output = run_site_verbose("litellm_copilot_github_token=" + token)
        outputs.append(output)
        assert code == 0, "the rotation run failed:\n" + "\n".join(output.splitlines()[-40:]).replace(token, "<token>")
    assert "changed: [%s]" % HOST in outputs[0], "the rotation changed nothing"
    assert on_host("cat", TOKEN_FILE).strip() == stored
    return "\n".join(outputs), {"GitHub token (stored)": stored, "GitHub token (rotation)": copilot_sim.BUSINESS_TOKEN,
                                "master key": on_host("cat", MASTER_KEY_FILE).strip()}


@pytest.fixture(scope="module")
def rotation_output(rotation):
    return rotation[0]


@pytest.fixture(scope="module")
def secrets(rotation):
    assert all(rotation[1].values()), "a secret in play is empty"
    return rotation[1]


def test_no_secret_in_verbose_ansible_output(rotation_output, secrets):
    assert "Store the GitHub token where LiteLLM reads it" in rotation_output
    assert leaks(rotation_output, secrets) == []


def test_no_secret_in_the_config(rotation_output, secrets):
    """The config names the master key by its environment variable; no secret is written in it."""
    config = on_host("cat", CONFIG_DIR + "/config.yaml")
    assert "master_key: os.environ/LITELLM_MASTER_KEY" in config
    assert leaks(config, secrets) == []


def test_no_secret_in_the_journal(rotation_output, secrets):
    cached = on_host("cat", TOKEN_CACHE, check=False)
    assert COPILOT_TOKEN.search(cached), "LiteLLM holds no Copilot token: the proxy never exchanged one"
    journal = on_host("journalctl", "--no-pager", "--output", "cat")
    assert journal
    assert leaks(journal, secrets) == []


def test_no_secret_in_files_others_can_read(rotation_output, secrets):
    # Each secret as a fixed string, and the Copilot token shape, over every file others may read.
    patterns = [value for value in secrets.values() if value] + ["tid=[0-9a-f]\\{16,\\};exp="]
    listing = ("{ find / -xdev -type f -perm -o=r -print0;"
               " find /tmp /run /var/tmp /dev/shm -type f -perm -o=r -print0; } 2>/dev/null"
               " | xargs -0 -r grep -l -I %s -- 2>/dev/null || true"
               % " ".join("-e '%s'" % pattern for pattern in patterns))
    found = on_host("sh", "-c", listing).split()
    assert found == []


# The service user writes only its token directory (LiteLLM's Copilot token cache); the data
# directory, the generated master key and the last good list are root's, so that user can plant
# no link where root reads or chowns (issue 20).
@pytest.mark.parametrize("path, mode, owner, group", [
    (DATA_DIR, "750", "root", "litellm"),
    (TOKEN_DIR, "700", "litellm", "litellm"),
    (TOKEN_FILE, "600", "litellm", "litellm"),
    (TOKEN_CACHE, "600", "litellm", "litellm"),
    (MASTER_KEY_FILE, "640", "root", "litellm"),
    (LAST_GOOD_MODELS, "600", "root", "root"),
    (ENV_FILE, "600", "litellm", "litellm"),
    (ENV_FILE + ".last-good", "600", "litellm", "litellm"),
])
def test_secret_files_are_private_to_root_and_the_service_user(path, mode, owner, group):
    assert on_host("stat", "--format", "%a %U %G %F", path).strip().split(" ", 3) == [
        mode, owner, group, "directory" if path in (DATA_DIR, TOKEN_DIR) else "regular file"]


def test_config_dir_is_closed_to_others():
    mode, owner, group = on_host("stat", "--format", "%a %U %G", CONFIG_DIR).split()
    assert mode.endswith("0") and (owner, group) == ("root", "litellm")


def test_sandbox_exposure():
    report = on_host("systemd-analyze", "security", "--no-pager", SERVICE)
    match = re.search(r"Overall exposure level for %s\.service: ([0-9.]+)" % SERVICE, report)
    assert match, report[-500:]
    assert float(match.group(1)) <= MAX_EXPOSURE, report
    assert PROXY_KEY not in report
