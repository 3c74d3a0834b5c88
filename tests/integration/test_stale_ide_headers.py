"""Copilot retires old editor versions (HTTP 466): the role's IDE headers reach Copilot on every
path the proxy serves, instead of LiteLLM's own older ones, and a retired editor version fails
discovery with one message naming litellm_copilot_ide_headers while the proxy keeps serving."""
import pytest
import yaml
from conftest import sim_call
from constants import CONFIG
from lab import HOST, fatal_lines, run_playbook
from lab import host_output as on_host


# What LiteLLM's github_copilot provider (1.106.2 to 1.108.7) sends when nobody overrides it.
LITELLM_OWN_EDITOR = "vscode/1.95.0"


def rendered_editor_version():
    """The editor-version the role put into every deployment of the live config."""
    config = yaml.safe_load(on_host("cat", CONFIG))
    versions = {entry["litellm_params"]["extra_headers"]["editor-version"] for entry in config["model_list"]}
    assert len(versions) == 1
    return versions.pop()


@pytest.fixture
def minimum_editor():
    """Sets the simulator's oldest served editor version for one test; clears it afterwards."""
    def set_minimum(version):
        sim_call("POST", "/_sim/config", {"min_editor_version": version})
    yield set_minimum
    sim_call("POST", "/_sim/config", {"min_editor_version": None})


def test_role_headers_replace_litellms_own_on_every_path(openai_client, anthropic_client, minimum_editor,
                                                         sim_requests):
    editor = rendered_editor_version()
    assert editor != LITELLM_OWN_EDITOR
    # Copilot now refuses LiteLLM's own editor version: only the role's headers get through
    minimum_editor(editor)
    hi = [{"role": "user", "content": "hi"}]
    assert openai_client.chat.completions.create(model="gpt-4.1", messages=hi).choices
    assert openai_client.responses.create(model="gpt-5-mini", input="hi").output_text
    assert openai_client.responses.create(model="gpt-5-codex", input="hi").output_text  # responses-only model
    assert anthropic_client.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=hi).content
    assert anthropic_client.messages.create(model="gpt-4.1", max_tokens=64, messages=hi).content  # via chat
    sent = [(entry["path"].rsplit("/", 1)[-1], entry["headers"].get("editor-version"), entry["status"])
            for suffix in ("/chat/completions", "/responses", "/v1/messages") for entry in sim_requests(suffix)]
    assert {path for path, _, _ in sent} == {"completions", "responses", "messages"}
    assert all(version == editor and status == 200 for _, version, status in sent), sent


# serving (conftest.py) is requested first, so it is torn down after minimum_editor lifts the refusal.
def test_retired_editor_version_fails_clearly_and_keeps_serving(serving, minimum_editor):
    minimum_editor("vscode/99.0.0")
    code, output = run_playbook("site.yml")
    assert code != 0
    fatal = fatal_lines(output)
    assert len(fatal) == 1, "expected exactly one failure, got:\n" + "\n".join(fatal)
    assert "[%s]" % HOST in fatal[0]
    assert "HTTP 466" in fatal[0] and "no longer supported" in fatal[0]
    assert "litellm_copilot_ide_headers" in fatal[0]
    assert "WARNING: model discovery failed" not in output  # not an outage: no last-good stand-in
