"""The real Claude Code CLI, configured only by the settings the role wrote for the developer,
answers through the deployed proxy from the simulator, tool round trip included. (Claude-Code-Router:
test_claude_code_router.py.)

The clients come from scripts/install-clients.sh (pinned; run here when missing)."""
import json
import os

from conftest import (GREETING, PROXY_KEY, PROXY_URL, claude_settings, model_info, read_json_on_host, result_text,
                      run_claude, tool_results)
from lab import on_host, sim_bodies



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
    # Copilot's limits of the main model as the proxy serves it, not the 200k/32k Claude Code assumes
    main = served[env["ANTHROPIC_MODEL"]]
    assert env["CLAUDE_CODE_AUTO_COMPACT_WINDOW"] == str(main["max_input_tokens"])
    assert int(env["CLAUDE_CODE_MAX_OUTPUT_TOKENS"]) == min(
        served[env[name]]["max_output_tokens"]
        for name in ("ANTHROPIC_MODEL", "ANTHROPIC_SMALL_FAST_MODEL", "ANTHROPIC_DEFAULT_OPUS_MODEL"))
    assert env["ANTHROPIC_DEFAULT_SONNET_MODEL"] == env["ANTHROPIC_MODEL"]
    # what the developer had before the role ran (molecule/default/prepare.yml) is still there
    assert settings.get("theme") == "dark"
    assert settings["env"].get("EDITOR_OF_CHOICE") == "vim"


def test_claude_code_answers_through_the_proxy(developer, claude_on_host, sim_requests):
    result = run_claude(developer, "Say hello to the fleet")
    model = claude_settings(developer)["env"]["ANTHROPIC_MODEL"]
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
    results = [block for body in sim_bodies(sim_requests("/v1/messages")) for block in tool_results(body)]
    assert len(results) == 1
    assert marker in result_text(results[0])


def test_small_fast_model_answers_claude_codes_api(developer, anthropic_client, sim_requests):
    """Claude Code sends its background requests to the small fast model on /v1/messages, even
    when that is not a Claude model (LiteLLM translates them to chat completions)."""
    model = claude_settings(developer)["env"]["ANTHROPIC_SMALL_FAST_MODEL"]
    with anthropic_client.messages.stream(
            model=model, max_tokens=100, messages=[{"role": "user", "content": "summarise the session"}]) as stream:
        text = "".join(stream.text_stream)
    assert text.startswith(GREETING.format(model=model))
    assert [body["model"] for body in sim_bodies(sim_requests("/chat/completions"))] == [model]


COPILOT_BETAS = {"interleaved-thinking-2025-05-14", "context-management-2025-06-27", "advanced-tool-use-2025-11-20"}


def test_thinking_and_betas_reach_copilot_as_it_accepts_them(developer, claude_on_host, sim_requests):
    """Claude Code with extended thinking and its experimental betas on (its defaults): every request
    the proxy sends passes Copilot's strict /v1/messages (the simulator refuses other betas, a
    context_management without its beta, and a thinking block whose text or signature changed), and
    the signed thinking blocks go back to Copilot as they came."""
    done = on_host("env", "MAX_THINKING_TOKENS=4000", "claude", "-p",
                   'SIM:TOOLS 2 Bash {"command": "echo thinking-{call}", "description": "Print a step"}',
                   "--output-format", "json", "--allowedTools", "Bash(echo:*)", user=developer, timeout=240)
    result = json.loads(done.stdout)
    assert result["is_error"] is False, result
    requests = sim_requests("/v1/messages")
    assert [r["status"] for r in requests if r["status"] != 200] == []
    model = claude_settings(developer)["env"]["ANTHROPIC_MODEL"]
    bodies = [body for body in sim_bodies(requests) if body["model"] == model]
    assert any(body.get("thinking") for body in bodies), "Claude Code asked for no thinking"
    returned = [block for body in bodies for message in body["messages"] if message["role"] == "assistant"
                and isinstance(message["content"], list) for block in message["content"] if block.get("type") == "thinking"]
    assert returned and all(block.get("signature") for block in returned)
    for request in requests:
        sent = {beta.strip() for beta in request["headers"].get("anthropic-beta", "").split(",") if beta.strip()}
        assert sent <= COPILOT_BETAS, sent - COPILOT_BETAS
