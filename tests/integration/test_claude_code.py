"""The real Claude Code CLI and Claude-Code-Router, configured only by the files the role wrote for
the developer, answer through the deployed proxy from the simulator, tool round trip included.

The clients come from scripts/install-clients.sh (pinned; run here when missing)."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
from lab import HOST, INVENTORY, REPO, host_vars, on_host, sim_bodies
from conftest import PROXY_KEY, PROXY_URL

pytestmark = pytest.mark.skipif(not (HOST and INVENTORY), reason="needs the Molecule lab host")

GREETING = "Hello from the Copilot simulator (model {model})."


@pytest.fixture(scope="module")
def developer():
    user = host_vars().get("litellm_copilot_client_user", "")
    if not user:
        pytest.skip("the lab inventory configures no developer (litellm_copilot_client_user)")
    return user


@pytest.fixture(scope="module")
def installed_clients():
    """Paths of the pinned clients on the controller."""
    claude = subprocess.run([str(REPO / "scripts" / "install-clients.sh")], check=True,
                            capture_output=True, text=True).stdout.strip().splitlines()[-1]
    ccr = REPO / ".cache" / "clients" / "node_modules" / "@musistudio" / "claude-code-router" / "dist" / "cli.js"
    return {"claude": claude, "ccr": ccr}


@pytest.fixture(scope="module")
def claude_on_host(installed_clients):
    """The native Claude Code binary, copied onto the lab host (it needs no node there)."""
    subprocess.run(["podman", "cp", installed_clients["claude"], HOST + ":/usr/local/bin/claude"], check=True)
    version = on_host("claude", "--version").stdout
    assert "Claude Code" in version
    return version


def read_json_on_host(path):
    return json.loads(on_host("cat", path).stdout)


def model_info():
    """{served name: model_info} from the proxy."""
    request = urllib.request.Request(PROXY_URL + "/v1/model/info", headers={"Authorization": "Bearer " + PROXY_KEY})
    return {entry["model_name"]: entry["model_info"]
            for entry in json.loads(urllib.request.urlopen(request, timeout=30).read())["data"]}


def run_claude(developer, prompt, *options):
    """`claude -p PROMPT --output-format json` as the developer, with only the role's settings."""
    done = on_host("claude", "-p", prompt, "--output-format", "json", *options, user=developer, timeout=240)
    return json.loads(done.stdout)


def test_settings_hold_the_proxy_and_keep_the_developers_own(developer):
    home = "/home/" + developer
    path = home + "/.claude/settings.json"
    stat = on_host("stat", "-c", "%U %a", path, home + "/.claude").stdout.split()
    assert stat == [developer, "600", developer, "700"]
    settings = read_json_on_host(path)
    env = settings["env"]
    assert env["ANTHROPIC_BASE_URL"] == PROXY_URL
    assert env["ANTHROPIC_AUTH_TOKEN"] == PROXY_KEY
    assert env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] == "1"
    served = model_info()
    assert env["ANTHROPIC_MODEL"] in served
    # the small fast model costs no premium requests by default
    assert served[env["ANTHROPIC_SMALL_FAST_MODEL"]]["copilot_premium"] is False
    # what the developer had before the role ran (molecule/default/prepare.yml) is still there
    assert settings.get("theme") == "dark"
    assert settings["env"].get("EDITOR_OF_CHOICE") == "vim"


def test_claude_code_answers_through_the_proxy(developer, claude_on_host, sim_requests):
    result = run_claude(developer, "Say hello to the fleet")
    model = read_json_on_host("/home/%s/.claude/settings.json" % developer)["env"]["ANTHROPIC_MODEL"]
    assert result["is_error"] is False
    assert result["result"].startswith(GREETING.format(model=model))
    assert "You said: Say hello to the fleet" in result["result"]
    bodies = sim_bodies(sim_requests("/v1/messages"))
    main = [body for body in bodies if body["model"] == model]
    assert main and main[-1]["stream"] is True
    assert len(main[-1]["tools"]) >= 10  # Claude Code sends its whole tool belt


def test_claude_code_tool_round_trip(developer, claude_on_host, sim_requests):
    marker = "tool-round-trip-%d" % os.getpid()
    prompt = 'call Bash {"command": "echo %s", "description": "Print a marker"}' % marker
    result = run_claude(developer, prompt, "--allowedTools", "Bash(echo:*)")
    assert result["is_error"] is False
    assert result["num_turns"] == 2
    assert result["result"].startswith("Tool Bash returned: " + marker)
    # the first answer was a tool_use, and Claude Code sent the command's output back upstream
    last_turns = [body["messages"][-1]["content"] for body in sim_bodies(sim_requests("/v1/messages"))]
    results = [block for content in last_turns if isinstance(content, list)
               for block in content if block.get("type") == "tool_result"]
    assert len(results) == 1
    output = results[0]["content"]
    text = output if isinstance(output, str) else "".join(part.get("text", "") for part in output)
    assert marker in text


def test_small_fast_model_answers_claude_codes_api(developer, anthropic_client, sim_requests):
    """Claude Code sends its background requests to the small fast model on /v1/messages, even
    when that is not a Claude model (LiteLLM translates them to chat completions)."""
    model = read_json_on_host("/home/%s/.claude/settings.json" % developer)["env"]["ANTHROPIC_SMALL_FAST_MODEL"]
    with anthropic_client.messages.stream(
            model=model, max_tokens=100, messages=[{"role": "user", "content": "summarise the session"}]) as stream:
        text = "".join(stream.text_stream)
    assert text.startswith(GREETING.format(model=model))
    assert [body["model"] for body in sim_bodies(sim_requests("/chat/completions"))] == [model]


def test_claude_code_router_config(developer):
    path = "/home/%s/.claude-code-router/config.json" % developer
    assert on_host("stat", "-c", "%U %a", path).stdout.split() == [developer, "600"]
    config = read_json_on_host(path)
    provider = config["Providers"][0]
    assert provider["api_base_url"] == PROXY_URL + "/v1/chat/completions"
    assert provider["api_key"] == PROXY_KEY
    served = model_info()
    assert set(provider["models"]) <= set(served)
    routes = {route: config["Router"][route].split(",", 1) for route in ("default", "background", "think", "longContext")}
    for route, (name, model) in routes.items():
        assert name == provider["name"], route
        assert model in provider["models"], route
    assert served[routes["background"][1]]["copilot_premium"] is False


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def router(developer, installed_clients, tmp_path):
    """Claude-Code-Router running headless on the controller with the config the role rendered."""
    config = read_json_on_host("/home/%s/.claude-code-router/config.json" % developer)
    config["PORT"] = free_port()
    (tmp_path / ".claude-code-router").mkdir()
    (tmp_path / ".claude-code-router" / "config.json").write_text(json.dumps(config))
    process = subprocess.Popen(["node", str(installed_clients["ccr"]), "start"], env=dict(os.environ, HOME=str(tmp_path)),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = "http://127.0.0.1:%d" % config["PORT"]
    try:
        for _ in range(120):
            try:
                with socket.create_connection(("127.0.0.1", config["PORT"]), timeout=1):
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                time.sleep(0.5)
        yield url, config
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def post_messages(url, model, text):
    body = json.dumps({"model": model, "max_tokens": 200, "messages": [{"role": "user", "content": text}]})
    request = urllib.request.Request(url + "/v1/messages", data=body.encode(),
                                     headers={"content-type": "application/json"})
    return json.loads(urllib.request.urlopen(request, timeout=120).read())


def test_claude_code_router_routes_through_the_proxy(router, sim_requests):
    url, config = router
    default = config["Router"]["default"].split(",", 1)[1]
    reply = post_messages(url, "claude-sonnet-4-5", "hello router")
    assert reply["content"][0]["text"].startswith(GREETING.format(model=default))
    # background work (Claude Code's haiku requests) goes to the background route
    background = config["Router"]["background"].split(",", 1)[1]
    reply = post_messages(url, "claude-3-5-haiku-20241022", "background job")
    assert reply["content"][0]["text"].startswith(GREETING.format(model=background))
    assert [body["model"] for body in sim_bodies(sim_requests("/chat/completions"))] == [default, background]
