"""A spent premium allowance does not stop work: Copilot refuses premium models (402
quota_exceeded) and the proxy answers with the included fallback model, named in the answer, on
/v1/chat/completions, /v1/responses and /v1/messages. Any other error of a premium model still
reaches the client as it is."""
import anthropic
import openai
import pytest
import requests
import yaml
from conftest import COPILOT_SIM_URL, PROXY_KEY, PROXY_URL, sim_call
from constants import CONFIG, TOKEN_FILE
from lab import host_output as on_host


GREETING = "Hello from the Copilot simulator (model {model}). You said: {said}"


def rendered_fallbacks():
    """{served name: fallback model} from the host's live config."""
    config = yaml.safe_load(on_host("cat", CONFIG))
    entries = (config.get("router_settings") or {}).get("fallbacks") or []
    return {name: targets[0] for entry in entries for name, targets in entry.items()}


def model_info():
    answer = requests.get(PROXY_URL + "/v1/model/info", headers={"Authorization": "Bearer " + PROXY_KEY},
                          timeout=120)
    answer.raise_for_status()
    return {entry["model_name"]: entry["model_info"] for entry in answer.json()["data"]}


@pytest.fixture
def spent_allowance():
    """The proxy's account has no premium requests left; restored afterwards (the simulator is shared)."""
    token = on_host("cat", TOKEN_FILE).strip()
    user = requests.get(COPILOT_SIM_URL + "/copilot_internal/user", headers={"Authorization": "token " + token},
                        timeout=10).json()
    before = user["quota_snapshots"]["premium_interactions"]["remaining"]
    account = {"token": token, "plan": user["copilot_plan"], "login": user["login"]}
    sim_call("POST", "/_sim/accounts", dict(account, premium_remaining=0))
    try:
        yield
    finally:
        sim_call("POST", "/_sim/accounts", dict(account, premium_remaining=before))


@pytest.fixture(scope="module")
def fallback():
    fallbacks = rendered_fallbacks()
    assert fallbacks, "the lab config renders no quota fallback"
    (model_id,) = set(fallbacks.values())
    info = model_info()
    assert info[model_id]["copilot_premium"] is False
    # every premium model the proxy serves has its own entry, no included one does; the
    # catch-all "*" covers the dated names Claude Code sends
    for name, details in info.items():
        assert (name in fallbacks) == bool(details["copilot_premium"]), name
    assert "*" in fallbacks
    return model_id


def test_chat_completions_answered_by_the_fallback(openai_client, fallback, spent_allowance, sim_requests):
    raw = openai_client.chat.completions.with_raw_response.create(
        model="claude-sonnet-4.5", messages=[{"role": "user", "content": "spent chat"}])
    reply = raw.parse()
    assert reply.choices[0].message.content == GREETING.format(model=fallback, said="spent chat")
    assert reply.model.split("/")[-1] == fallback
    assert raw.headers.get("x-litellm-model-group") == fallback
    assert raw.headers.get("x-litellm-attempted-fallbacks") == "1"
    assert raw.headers.get("x-litellm-copilot-fallback") == "quota"  # the meter's mark: why it fell back
    # Copilot was asked for the premium model first, and refused it
    statuses = [(entry["body"]["model"], entry["status"]) for entry in sim_requests("/chat/completions")]
    assert statuses == [("claude-sonnet-4.5", 402), (fallback, 200)]


def test_responses_answered_by_the_fallback(openai_client, fallback, spent_allowance):
    reply = openai_client.responses.create(model="gpt-5", input="spent responses")
    assert reply.output_text == GREETING.format(model=fallback, said="spent responses")
    assert reply.model.split("/")[-1] == fallback


def test_messages_answered_by_the_fallback(anthropic_client, fallback, spent_allowance, sim_requests):
    raw = anthropic_client.messages.with_raw_response.create(
        model="claude-sonnet-4-5", max_tokens=256, messages=[{"role": "user", "content": "spent messages"}])
    reply = raw.parse()
    assert reply.content[0].text == GREETING.format(model=fallback, said="spent messages")
    assert reply.model.split("/")[-1] == fallback
    assert raw.headers.get("x-litellm-model-group") == fallback
    assert [entry["status"] for entry in sim_requests("/v1/messages")] == [402]


def test_claude_codes_streamed_dated_name_answered_by_the_fallback(anthropic_client, fallback, spent_allowance):
    """What Claude Code sends: a dated model name, streamed."""
    with anthropic_client.messages.stream(model="claude-sonnet-4-5-20250929", max_tokens=256,
                                          messages=[{"role": "user", "content": "spent stream"}]) as stream:
        text = "".join(stream.text_stream)
        headers = stream.response.headers
    assert text == GREETING.format(model=fallback, said="spent stream")
    # a stream's message_start echoes the requested name; the headers name the model that served
    assert headers.get("x-litellm-model-group") == fallback
    assert headers.get("x-litellm-attempted-fallbacks") == "1"


def test_included_models_are_served_as_they_are(openai_client, fallback, spent_allowance, sim_requests):
    reply = openai_client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "own"}])
    assert reply.choices[0].message.content == GREETING.format(model="gpt-4.1", said="own")
    assert [entry["body"]["model"] for entry in sim_requests("/chat/completions")] == ["gpt-4.1"]


@pytest.fixture
def messages_outage():
    sim_call("POST", "/_sim/faults", {"path": "/v1/messages", "status": 503})
    try:
        yield
    finally:
        sim_call("DELETE", "/_sim/faults")


def test_other_errors_of_a_premium_model_do_not_fall_back(anthropic_client, openai_client, fallback,
                                                          messages_outage, sim_requests):
    """With the allowance intact, an outage of the premium model's endpoint reaches the client;
    the fallback (served through /chat/completions) is never asked."""
    with pytest.raises(anthropic.APIStatusError) as refusal:
        anthropic_client.messages.create(model="claude-sonnet-4-5", max_tokens=64,
                                         messages=[{"role": "user", "content": "outage"}])
    assert refusal.value.status_code >= 500
    assert sim_requests("/chat/completions") == []
    # the refused hop did not put the fallback model out of service
    reply = openai_client.chat.completions.create(
        model=fallback, messages=[{"role": "user", "content": "still here"}])
    assert reply.choices[0].message.content == GREETING.format(model=fallback, said="still here")


def test_without_the_fallback_the_client_gets_copilots_402(openai_client, spent_allowance, fallback):
    with pytest.raises(openai.APIStatusError) as refusal:
        openai_client.chat.completions.create(
            model="claude-sonnet-4.5", messages=[{"role": "user", "content": "no fallback"}],
            extra_body={"disable_fallbacks": True})
    assert refusal.value.status_code == 402
    assert "You have no quota" in str(refusal.value)
