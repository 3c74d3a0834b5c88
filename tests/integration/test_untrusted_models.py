"""Model ids Copilot lists are untrusted input: an id that is not a plain model name (a '*' above all,
which LiteLLM would take as a catch-all route) is skipped with a warning naming it, while the proxy
serves the other models of the same answer."""
import json
import urllib.request

import pytest
from conftest import PROXY_KEY, PROXY_URL, sim_call
from constants import CONFIG
from lab import host_output, run_playbook

PLAIN_NEW_MODEL = "gpt-untrusted-ids-test"
HOSTILE_IDS = ["*", "evil\nmodel_list: []"]



def chat_entry(model_id):
    """A catalogue entry the role's default filters keep (an enabled chat model in the picker)."""
    return {"id": model_id, "name": "Untrusted ids test", "vendor": "x", "version": "1", "object": "model",
            "model_picker_enabled": True, "billing": {"is_premium": False, "multiplier": 0},
            "policy": {"state": "enabled", "terms": ""}, "supported_endpoints": ["/chat/completions"],
            "capabilities": {"type": "chat", "family": "x", "limits": {"max_output_tokens": 1000},
                             "supports": {"streaming": True, "tool_calls": True}}}


def served_models():
    request = urllib.request.Request(PROXY_URL + "/v1/models", headers={"Authorization": "Bearer " + PROXY_KEY})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return [model["id"] for model in json.load(answer)["data"]]


@pytest.fixture
def hostile_catalogue():
    sim_call("POST", "/_sim/models", {"add": [chat_entry(i) for i in HOSTILE_IDS + [PLAIN_NEW_MODEL]]})
    yield
    sim_call("POST", "/_sim/models", {"remove": HOSTILE_IDS + [PLAIN_NEW_MODEL]})
    code, output = run_playbook("playbooks/refresh-models.yml")  # back to the models the other tests expect
    assert code == 0, output[-3000:]
    assert PLAIN_NEW_MODEL not in served_models()


def test_ids_that_are_not_plain_names_are_skipped_with_a_warning(hostile_catalogue):
    code, output = run_playbook("playbooks/refresh-models.yml")
    assert code == 0, output[-3000:]
    warning = next((line for line in output.splitlines() if "skipped 2 model(s)" in line), "")
    assert '"*"' in warning and '"evil\\nmodel_list: []"' in warning, output[-3000:]
    served = served_models()
    assert PLAIN_NEW_MODEL in served and "gpt-4.1" in served
    assert "*" not in served and not any("\n" in model or "evil" in model for model in served)
    config = host_output("cat", CONFIG)
    # no route named "*" (the config's fallbacks may use "*": that only picks a fallback, it serves nothing)
    assert 'model_name: "*"' not in config and '"github_copilot/*"' not in config and "evil" not in config
