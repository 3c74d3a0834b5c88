"""The real Claude-Code-Router, configured only by what the role wrote for the developer, answers
through the deployed proxy: 3.1.1 from its SQLite store (which the role updates, keeping what the
developer added), 1.0.73 from its config.json. Both run on the controller (3.1.1 on the Node 22 of
scripts/install-clients.sh), each from a copy of the developer's files."""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from conftest import GREETING, PROXY_KEY, PROXY_URL, model_info, read_json_on_host
from lab import on_host, run_playbook, sim_bodies

KEY_ID = "litellm-copilot"
# What Claude Code sends for its three kinds of work: its sonnet, haiku and opus names.
SONNET, HAIKU, OPUS = "claude-sonnet-4-5", "claude-haiku-4-5-20251001", "claude-opus-4-1"


def ccr_dir(developer):
    return "/home/%s/.claude-code-router" % developer


# Reads the store as the developer, with the host's Python: (document, {key id: key}).
READ_STORE = """
import json, sqlite3, sys
with sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True) as db:
    document = json.loads(db.execute("SELECT value_json FROM app_config WHERE key = 'default'").fetchone()[0])
    keys = dict(db.execute("SELECT id, encrypted_key FROM api_keys"))
print(json.dumps([document, keys]))
"""


def read_store(developer):
    done = on_host("python3", "-c", READ_STORE, ccr_dir(developer) + "/config.sqlite", user=developer)
    return json.loads(done.stdout)


def targets(document):
    """{rule id: the provider/model it routes to} of the role's rules."""
    return dict((rule["id"], rule["target"]) for rule in document["Router"]["rules"]
                if rule["id"].startswith("litellm-copilot-"))


def copilot_provider(document):
    [provider] = [entry for entry in document["Providers"] if entry["name"] == "copilot"]
    return provider


def test_the_store_holds_the_proxy_routes_and_a_client_key(developer):
    """The store molecule/default/prepare.yml gave the developer, with their own provider, rule and key
    and an earlier run's stale entries: the role updated it (CCR 3 would have ignored a config.json)."""
    assert on_host("stat", "-c", "%U %a", ccr_dir(developer), ccr_dir(developer) + "/config.sqlite").stdout.split() \
        == [developer, "700", developer, "600"]
    document, keys = read_store(developer)
    provider = copilot_provider(document)
    assert provider["baseUrl"] == PROXY_URL and provider["apiKey"] == PROXY_KEY
    assert provider["capabilities"] == [{"type": "anthropic_messages", "baseUrl": PROXY_URL}]
    served = model_info()
    assert set(provider["models"]) <= set(served)
    routes = targets(document)
    assert list(routes) == ["litellm-copilot-long-context", "litellm-copilot-think", "litellm-copilot-background",
                            "litellm-copilot-default"]
    for target in routes.values():
        assert target.split("/", 1)[0] == "copilot" and target.split("/", 1)[1] in provider["models"]
    assert served[routes["litellm-copilot-background"].split("/", 1)[1]]["copilot_premium"] is False
    assert document["profile"] == {"enabled": False, "profiles": []}
    assert keys[KEY_ID].startswith("sk-ccr-") and PROXY_KEY not in keys[KEY_ID]
    # the developer's own entries stay, theirs first; the rule the role no longer makes is gone
    assert [provider["name"] for provider in document["Providers"]] == ["mine", "copilot"]
    assert [rule["id"] for rule in document["Router"]["rules"]] == ["my-rule"] + list(routes)
    assert document["theme"] == "dark"
    assert keys == {"mine": "sk-ccr-mine", KEY_ID: keys[KEY_ID]} and keys[KEY_ID] != "sk-ccr-stale"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_router(command, home, port, timeout=120):
    """Starts Claude-Code-Router in the foreground with HOME=home; waits for its port."""
    process = subprocess.Popen(command, env=dict(os.environ, HOME=str(home)), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGTERM)
                raise AssertionError("Claude-Code-Router did not listen on %d:\n%s" % (port, process.communicate()[0].decode()))
            time.sleep(0.5)


def stop_router(process):
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def router3(developer, installed_clients, tmp_path):
    """Claude-Code-Router 3.1.1 on the controller, serving a copy of the developer's store (only its
    port changed, so it cannot collide): yields (its URL, the client key, the store's document)."""
    home = tmp_path / "home"
    (home / ".claude-code-router").mkdir(parents=True)
    store = home / ".claude-code-router" / "config.sqlite"
    document, keys = read_store(developer)
    # The host's store as SQL (SQLite's own dump, by the developer's Python), loaded into a new one here.
    copy = on_host("python3", "-c", "import sqlite3, sys; print('\\n'.join(sqlite3.connect(sys.argv[1]).iterdump()))",
                   ccr_dir(developer) + "/config.sqlite", user=developer).stdout
    with sqlite3.connect(str(store)) as db:
        db.executescript(copy)
        port = free_port()
        document.update(PORT=port, gateway=dict(document["gateway"], port=port))
        db.execute("UPDATE app_config SET value_json = ? WHERE key = 'default'", (json.dumps(document),))
    process = start_router(installed_clients["ccr3"] + ["serve", "--no-open", "--port", str(free_port())], home, port)
    try:
        yield "http://127.0.0.1:%d" % port, keys[KEY_ID], document
    finally:
        stop_router(process)


def post_messages(url, model, text, key=None):
    body = json.dumps({"model": model, "max_tokens": 200, "messages": [{"role": "user", "content": text}]})
    headers = {"content-type": "application/json"}
    if key:
        headers["x-api-key"] = key
    request = urllib.request.Request(url + "/v1/messages", data=body.encode(), headers=headers)
    return json.loads(urllib.request.urlopen(request, timeout=120).read())


def upstream_models(sim_requests):
    """The models the simulator was asked for, on either endpoint the proxy uses for /v1/messages."""
    return sorted(body["model"] for path in ("/v1/messages", "/chat/completions")
                  for body in sim_bodies(sim_requests(path)))


def test_claude_code_router_3_routes_claude_codes_requests_through_the_proxy(router3, sim_requests):
    url, key, document = router3
    routes = dict((name, target.split("/", 1)[1]) for name, target in targets(document).items())
    for model, route in ((SONNET, "default"), (HAIKU, "background"), (OPUS, "think")):
        reply = post_messages(url, model, "routed " + route, key)
        text = reply["content"][0]["text"]
        assert text.startswith(GREETING.format(model=routes["litellm-copilot-" + route])), (model, text)
        assert text.endswith("You said: routed " + route)
    assert upstream_models(sim_requests) == sorted(routes["litellm-copilot-" + route]
                                                   for route in ("default", "background", "think"))
    # Claude-Code-Router 3 answers only clients with a key it knows
    with pytest.raises(urllib.error.HTTPError) as refused:
        post_messages(url, SONNET, "no key")
    assert refused.value.code == 401


@pytest.fixture
def ccr1_config(developer):
    """The client configs re-applied for a developer on Claude-Code-Router 1.0.73 (site.yml's
    configure and clients steps): its config.json, removed afterwards."""
    code, output = run_playbook("site.yml", "litellm_copilot_ccr_version=1.0.73", options=["--tags", "configure,clients"])
    assert code == 0, output[-3000:]
    try:
        yield read_json_on_host(ccr_dir(developer) + "/config.json")
    finally:
        on_host("rm", "-f", ccr_dir(developer) + "/config.json")


def test_claude_code_router_1_routes_from_its_config_json(developer, ccr1_config, installed_clients, tmp_path,
                                                         sim_requests):
    provider = ccr1_config["Providers"][0]
    assert provider["api_base_url"] == PROXY_URL + "/v1/chat/completions" and provider["api_key"] == PROXY_KEY
    routes = dict((route, ccr1_config["Router"][route].split(",", 1)) for route in ("default", "background"))
    assert all(name == provider["name"] and model in provider["models"] for name, model in routes.values())
    port = free_port()
    (tmp_path / ".claude-code-router").mkdir()
    (tmp_path / ".claude-code-router" / "config.json").write_text(json.dumps(dict(ccr1_config, PORT=port)))
    process = start_router(installed_clients["ccr1"] + ["start"], tmp_path, port)
    try:
        url = "http://127.0.0.1:%d" % port
        assert post_messages(url, SONNET, "hello router")["content"][0]["text"].startswith(
            GREETING.format(model=routes["default"][1]))
        # background work (Claude Code's haiku requests) goes to the background route
        assert post_messages(url, "claude-3-5-haiku-20241022", "background job")["content"][0]["text"].startswith(
            GREETING.format(model=routes["background"][1]))
    finally:
        stop_router(process)
    assert [body["model"] for body in sim_bodies(sim_requests("/chat/completions"))] == [
        routes["default"][1], routes["background"][1]]
