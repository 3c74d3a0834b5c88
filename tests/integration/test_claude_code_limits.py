"""A long Claude Code session within Copilot's limits: Copilot serves Claude models with a 128k prompt
limit (the simulator lists Copilot's limits and refuses a longer prompt with Copilot's exact 400), while
Claude Code assumes 200k. With the settings the role writes (CLAUDE_CODE_AUTO_COMPACT_WINDOW and
CLAUDE_CODE_MAX_OUTPUT_TOKENS from the discovered limits) the real CLI compacts the session in time and
goes on; the same session without them outgrows the limit and gets the 400."""
import json
import shlex

import pytest
from conftest import claude_settings, model_info
from lab import on_host, sim_bodies

# Each prompt is ~60 KB of text (~15k tokens by the simulator's count): a session of PROMPTS of them
# outgrows a 128k window well before the 200k Claude Code assumes.
PROMPT_CHARS = 60_000
PROMPTS = 10
LIMIT_SETTINGS = ("CLAUDE_CODE_AUTO_COMPACT_WINDOW", "CLAUDE_CODE_MAX_OUTPUT_TOKENS")
COMPACTION_ASK = "<summary> block"


def write_prompts(developer, session):
    """PROMPTS files of text in the developer's home, each a different part of a long document."""
    directory = "/home/%s/%s" % (developer, session)
    on_host("mkdir", "-p", directory, user=developer)
    for part in range(1, PROMPTS + 1):
        line = "Part %d of the design notes for %s: the gateway meters, caps and shapes requests. " % (part, session)
        text = "Please keep these notes in mind.\n" + line * (PROMPT_CHARS // len(line))
        on_host("sh", "-c", 'cat > "$1"', "sh", "%s/part-%d.txt" % (directory, part), user=developer,
                input_text=text)
    return directory


def run_session(developer, directory):
    """The prompts one after the other in one session (`--continue`); the results as Claude Code
    reported them, up to the first error."""
    results = []
    for part in range(1, PROMPTS + 1):
        continued = "--continue" if part > 1 else ""
        command = 'claude -p "$(cat %s)" --output-format json --max-turns 3 %s' % (
            shlex.quote("%s/part-%d.txt" % (directory, part)), continued)
        done = on_host("sh", "-c", "cd %s && %s" % (shlex.quote(directory), command), user=developer, check=False,
                       timeout=240)
        result = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {"is_error": True,
                                                                                      "result": done.stderr[-500:]}
        results.append(result)
        if result.get("is_error"):
            break
    return results


@pytest.fixture
def without_limit_settings(developer):
    """The developer's settings.json without the two limits the role writes, restored afterwards."""
    path = "/home/%s/.claude/settings.json" % developer
    original = on_host("cat", path).stdout
    settings = json.loads(original)
    for name in LIMIT_SETTINGS:
        settings["env"].pop(name)
    on_host("sh", "-c", 'cat > "$1"', "sh", path, user=developer, input_text=json.dumps(settings))
    try:
        yield
    finally:
        on_host("sh", "-c", 'cat > "$1"', "sh", path, user=developer, input_text=original)


def test_the_settings_name_copilots_limits(developer):
    env = claude_settings(developer)["env"]
    main = model_info()[env["ANTHROPIC_MODEL"]]
    assert main["max_input_tokens"] < 200_000, "the test needs a model with a window below Claude Code's 200k"
    assert env["CLAUDE_CODE_AUTO_COMPACT_WINDOW"] == str(main["max_input_tokens"])


def test_a_long_session_compacts_and_goes_on(developer, claude_on_host, sim_requests):
    results = run_session(developer, write_prompts(developer, "compacting"))
    assert [r.get("is_error") for r in results] == [False] * PROMPTS, results[-1]
    requests = sim_requests("/v1/messages")
    assert [r for r in requests if r["status"] != 200] == []
    assert any(COMPACTION_ASK in json.dumps(body["messages"][-1]) for body in sim_bodies(requests)), \
        "Claude Code never compacted the session"
    assert "Part %d of the design notes" % PROMPTS in results[-1]["result"]


def test_the_same_session_without_the_settings_hits_copilots_limit(developer, claude_on_host, sim_requests,
                                                                  without_limit_settings):
    results = run_session(developer, write_prompts(developer, "overflowing"))
    assert results[-1].get("is_error") is True, "the session never outgrew the limit: %s" % results[-1]
    # Copilot's refusal reached Claude Code, which ended the session instead of compacting it
    assert "exceeds the limit of" in json.dumps(results[-1]), results[-1]
    requests = sim_requests("/v1/messages")
    assert [r["status"] for r in requests][-1] == 400
    assert not any(COMPACTION_ASK in json.dumps(body["messages"][-1]) for body in sim_bodies(requests))
