"""What a Claude Code session costs the seat: the real Claude Code CLI, configured only by the files the
role wrote for the developer, runs a scripted agent loop (the simulator's `SIM:TOOLS`: several tool calls
in one turn) and then a second prompt in the same session. Copilot bills a premium request (times the
model's multiplier) per request a person starts; the simulator bills the same way, so its quota before and
after says what the session spent. The ideal is one premium request per prompt the person typed."""
import json
import os

from conftest import claude_settings, model_info, premium_remaining, result_text, run_claude, tool_results
from lab import sim_bodies


TOOL_CALLS = 5


def test_agent_loop_and_second_prompt_cost_one_premium_request_per_prompt(developer, claude_on_host,
                                                                          sim_requests):
    model = claude_settings(developer)["env"]["ANTHROPIC_MODEL"]
    info = model_info()[model]
    assert info["copilot_premium"] is True and info["copilot_multiplier"] > 0, "the test needs a premium model"
    marker = "premium-%d" % os.getpid()
    before = premium_remaining()
    assert before >= 2 * info["copilot_multiplier"], "the lab account's premium allowance is spent: %s" % before

    first = run_claude(developer, 'SIM:TOOLS %d Bash {"command": "echo %s-{call}", "description": "Print a step"}'
                       % (TOOL_CALLS, marker), "--allowedTools", "Bash(echo:*)")
    assert first["is_error"] is False, first
    assert first["num_turns"] == TOOL_CALLS + 1
    assert first["result"].startswith("Scripted task done after %d tool calls." % TOOL_CALLS)
    second = run_claude(developer, "Now sum it up", "--continue")
    assert second["is_error"] is False, second
    assert "You said: Now sum it up" in second["result"]
    spent = before - premium_remaining()

    requests = sim_requests("/v1/messages")
    assert [r["status"] for r in requests if r["status"] != 200] == []
    bodies = [body for body in sim_bodies(requests) if body["model"] == model]
    # Claude Code ran every scripted command on the host and handed each output back upstream.
    outputs = [result_text(block) for body in bodies for block in tool_results(body)]
    for number in range(1, TOOL_CALLS + 1):
        assert any("%s-%d" % (marker, number) in text for text in outputs), number
    # The second prompt went out with the whole first turn in its history.
    assert any("Now sum it up" in json.dumps(body["messages"][-1]) and len(body["messages"]) > 2 * TOOL_CALLS
               for body in bodies)
    assert spent == 2 * info["copilot_multiplier"], "spent %s premium requests on 2 prompts" % spent


def test_count_tokens_answers_for_every_served_claude_name(anthropic_client, sim_requests):
    """Claude Code asks /v1/messages/count_tokens; LiteLLM estimates locally for every Claude name the proxy
    serves (Copilot has no such endpoint), so it costs nothing and reaches no upstream."""
    names = [name for name in model_info() if name.startswith("claude")]
    assert names
    before = premium_remaining()
    counts = {}
    for name in names:
        counts[name] = anthropic_client.messages.count_tokens(
            model=name, system="You are Claude Code.",
            tools=[{"name": "Bash", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}],
            messages=[{"role": "user", "content": "count these tokens " * 20}]).input_tokens
    assert all(count > 20 for count in counts.values()), counts
    assert sim_requests("/v1/messages") == [] and sim_requests("/count_tokens") == []
    assert premium_remaining() == before


def test_sub_agent_and_compaction_cost_nothing_beyond_the_prompt(developer, claude_on_host, sim_requests):
    """A sub-agent (Claude Code's Agent tool), the notification that it finished, and `/compact` are Claude
    Code's own requests: the prompt that started them is the only premium request."""
    model = claude_settings(developer)["env"]["ANTHROPIC_MODEL"]
    multiplier = model_info()[model]["copilot_multiplier"]
    marker = "sub-agent-%d" % os.getpid()
    task = json.dumps({"command": "echo " + marker, "description": "Print a marker"})
    before = premium_remaining()
    result = run_claude(developer, "call Agent %s" % json.dumps(
        {"description": "Print a marker", "prompt": "call Bash " + task, "subagent_type": "general-purpose"}),
        "--allowedTools", "Bash(echo:*)", "Agent", "--max-turns", "10")
    assert result["is_error"] is False, result
    bodies = sim_bodies(sim_requests("/v1/messages"))
    sub_agent = [body for body in bodies if "cc_is_subagent=true" in json.dumps(body.get("system"))]
    assert sub_agent, "no sub-agent request reached Copilot"
    # the sub-agent ran the command on the host and handed its output back
    assert any(marker in result_text(block) for body in sub_agent for block in tool_results(body))
    assert before - premium_remaining() == multiplier

    before = premium_remaining()
    compacted = run_claude(developer, "/compact", "--continue", "--max-turns", "3")
    assert compacted["is_error"] is False, compacted
    asks = [body for body in sim_bodies(sim_requests("/v1/messages"))
            if "detailed summary of the conversation so far" in json.dumps(body["messages"][-1])]
    assert asks, "no compaction request reached Copilot"
    assert premium_remaining() == before
