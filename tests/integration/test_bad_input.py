"""Bad input fails the play with one clear message naming the cause and the host, and the proxy
that was already serving keeps serving its last good config with its stored token."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HOST = os.environ.get("LAB_HOST", "")
INVENTORY = os.environ.get("LAB_INVENTORY", "")
TOKEN_FILE = "/var/lib/litellm-copilot/github_copilot/access-token"

pytestmark = pytest.mark.skipif(not (HOST and INVENTORY), reason="needs the Molecule lab host")


def run_site(*extra_vars):
    """Runs site.yml against the lab host; returns (exit code, combined output)."""
    command = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", INVENTORY,
               "--limit", HOST, str(REPO / "site.yml")]
    for extra in extra_vars:
        command += ["-e", extra]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0")
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout + done.stderr


def stored_token():
    return subprocess.run(["podman", "exec", HOST, "cat", TOKEN_FILE], check=True,
                          capture_output=True, text=True).stdout


def fatal_lines(output):
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
    return [line for line in plain.splitlines() if line.startswith(("fatal:", "failed:"))]


@pytest.fixture
def serving(openai_client):
    """The proxy answers before and after the bad run, and the stored token is untouched."""
    before = stored_token()
    assert openai_client.chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "before"}]).choices
    yield
    assert stored_token() == before, "a rejected token replaced the stored one"
    reply = openai_client.chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "after"}])
    assert "You said: after" in reply.choices[0].message.content


@pytest.mark.parametrize("extra_vars, cause", [
    (["litellm_copilot_github_token=gho_ThisTokenWasNeverIssued0000000000000"], "invalid or revoked"),
    (["litellm_copilot_github_token=gho_fCqCmWFKa04hiQiQWNXEAtYyPExG1Bj70tvJ"], "no Copilot access"),
    (["litellm_copilot_github_api_url=http://127.0.0.1:9"], "cannot reach http://127.0.0.1:9"),
    (["litellm_copilot_port=not-a-port"], "litellm_copilot_port"),
    (['{"litellm_copilot_models_include": ["no-such-model-*"]}'], "No Copilot model"),
], ids=["wrong-token", "no-copilot", "unreachable-api", "invalid-variable", "no-model-left"])
def test_bad_input_fails_clearly_and_keeps_serving(serving, extra_vars, cause):
    code, output = run_site(*extra_vars)
    assert code != 0
    fatal = fatal_lines(output)
    assert len(fatal) == 1, "expected exactly one failure, got:\n" + "\n".join(fatal)
    assert "[%s]" % HOST in fatal[0]
    assert cause in output
    assert "gho_ThisTokenWasNeverIssued" not in output
