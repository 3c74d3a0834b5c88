"""Model names clients ask for: Claude Code's names for the Claude models, user aliases, the
responses-only model through both OpenAI APIs, the per-model rpm cap and the premium multiplier,
all through the deployed proxy with the real SDKs."""
import json

import openai
import pytest
import yaml
from conftest import GREETING
from constants import CONFIG
from lab import HOST, fatal_lines, host_vars, on_host, run_playbook, sim_bodies




def test_models_lists_the_claude_code_names_and_user_aliases(openai_client):
    served = {model.id for model in openai_client.models.list()}
    assert {"claude-sonnet-4.5", "claude-sonnet-4-5", "claude-sonnet", "claude-haiku-4-5",
            "claude-opus-4-1", "claude-opus"} <= served
    assert set(host_vars().get("litellm_copilot_model_aliases", {})) <= served
    # wildcards for the dated names answer but are not listed
    assert not [name for name in served if "*" in name]


@pytest.mark.parametrize("asked, copilot_id", [
    ("claude-sonnet-4-5", "claude-sonnet-4.5"),
    ("claude-sonnet", "claude-sonnet-4.5"),             # newest of claude-sonnet-4 and -4.5
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4.5"),
    ("claude-sonnet-4-20250514", "claude-sonnet-4"),
    ("claude-haiku-4-5-20251001", "claude-haiku-4.5"),
])
def test_claude_code_names_reach_the_copilot_model_natively(anthropic_client, sim_requests, asked, copilot_id):
    reply = anthropic_client.messages.create(
        model=asked, max_tokens=100, messages=[{"role": "user", "content": "which model?"}])
    assert reply.content[0].text.startswith(GREETING.format(model=copilot_id))
    # native Anthropic path upstream (not translated through chat completions), under the Copilot id
    assert [body["model"] for body in sim_bodies(sim_requests("/v1/messages"))] == [copilot_id]
    assert sim_requests("/chat/completions") == []


def test_user_alias_answers_as_its_model(openai_client):
    aliases = host_vars()["litellm_copilot_model_aliases"]
    assert aliases, "the lab inventory must set litellm_copilot_model_aliases"
    alias, target = sorted(aliases.items())[0]
    reply = openai_client.chat.completions.create(model=alias, messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content.startswith(GREETING.format(model=target))


def test_responses_only_model_through_the_responses_api(openai_client, sim_requests):
    reply = openai_client.responses.create(model="gpt-5-codex", input="write code")
    assert reply.output_text.startswith(GREETING.format(model="gpt-5-codex"))
    assert [body["model"] for body in sim_bodies(sim_requests("/responses"))] == ["gpt-5-codex"]


def test_responses_only_model_through_chat_completions(openai_client, sim_requests):
    reply = openai_client.chat.completions.create(
        model="gpt-5-codex", messages=[{"role": "user", "content": "write code"}])
    assert reply.choices[0].message.content.startswith(GREETING.format(model="gpt-5-codex"))
    # LiteLLM bridged it to Copilot's /responses; /chat/completions would answer 400 for this model
    assert [body["model"] for body in sim_bodies(sim_requests("/responses"))] == ["gpt-5-codex"]
    assert sim_requests("/chat/completions") == []


def test_streamed_chat_completions_of_a_responses_only_model(openai_client):
    stream = openai_client.chat.completions.create(
        model="gpt-5-codex", stream=True, messages=[{"role": "user", "content": "stream code"}])
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text.startswith(GREETING.format(model="gpt-5-codex"))


def test_model_info_carries_the_premium_multiplier(openai_client):
    info = openai_client.get("/model/info", cast_to=object)["data"]
    by_name = {entry["model_name"]: entry["model_info"] for entry in info}
    assert by_name["claude-opus-4.1"]["copilot_multiplier"] == 10
    assert by_name["claude-opus-4.1"]["copilot_premium"] is True
    assert by_name["gpt-4.1"]["copilot_premium"] is False


def rpm_caps():
    """{model id: rpm} from the rendered config on the host."""
    config = yaml.safe_load(on_host("cat", CONFIG).stdout)
    return {entry["model_name"]: entry["litellm_params"].get("rpm", 0) for entry in config["model_list"]
            if "*" not in entry["model_name"]}


def test_the_inventorys_cap_is_rendered():
    """The lab inventory caps one model; its config entry carries that cap (the merge of caps and
    globs is the unit tier's: tests/unit/test_proxy_config.py)."""
    overrides = host_vars()["litellm_copilot_rpm_overrides"]
    assert overrides, "the lab inventory must cap a model (litellm_copilot_rpm_overrides)"
    model_id, cap = sorted(overrides.items())[0]
    assert rpm_caps().get(model_id) == cap, "the inventory's cap was not rendered"


def test_rpm_cap_answers_429_before_copilot_is_called(openai_client, sim_requests):
    model_id, cap = sorted(host_vars()["litellm_copilot_rpm_overrides"].items())[0]
    # 2 * cap + 1 requests: whichever minute boundary falls between them, one minute sees > cap.
    outcomes = []
    for _ in range(2 * cap + 1):
        try:
            openai_client.chat.completions.create(model=model_id, messages=[{"role": "user", "content": "again"}])
            outcomes.append(200)
        except openai.RateLimitError:
            outcomes.append(429)
    assert 429 in outcomes
    # the refused requests never reached Copilot
    assert len(sim_requests("/chat/completions")) == outcomes.count(200)


def test_alias_of_an_unserved_model_fails_naming_it_and_the_host(openai_client):
    before = sorted(model.id for model in openai_client.models.list())
    code, output = run_playbook("site.yml", json.dumps({"litellm_copilot_model_aliases": {"fast": "gpt-9"}}),
                                options=["--tags", "configure"])
    fatal = fatal_lines(output)
    assert code != 0
    assert len(fatal) == 1
    assert "alias 'fast' points at 'gpt-9', which this seat does not serve" in fatal[0]
    assert "on %s:" % HOST in fatal[0]
    # nothing was rendered: the proxy serves what it served before
    assert sorted(model.id for model in openai_client.models.list()) == before
