"""The quota fallback: which included model answers once the premium allowance is spent
(filter_plugins/copilot_config.py) and the gate that keeps every other error from falling back
(files/copilot_meter.py)."""
import pathlib

import pytest
from ansible.errors import AnsibleFilterError

from copilot_sim.catalog import default_models
from module_harness import load_source

ROLE = pathlib.Path(__file__).resolve().parents[2] / "roles" / "litellm_copilot"


names = load_source(ROLE / "filter_plugins" / "copilot_config.py")
gate = load_source(ROLE / "files" / "copilot_meter.py")

# The simulator's default picker-visible chat models, shaped like copilot_models_info returns them.
SEAT = [{"id": m["id"], "premium": m["billing"]["is_premium"]} for m in default_models()
        if m.get("model_picker_enabled") and m["capabilities"]["type"] == "chat"]
BACKGROUND = ["gpt-5-mini", "gpt-4.1", "gpt-4o", "claude-haiku-*", "*"]  # the role's default preferences


# ---------------------------------------------------------------------------
# which model answers
# ---------------------------------------------------------------------------

def test_auto_takes_the_first_included_background_preference():
    assert names.copilot_quota_fallback(SEAT, "auto", BACKGROUND) == "gpt-5-mini"
    # a premium model listed first is passed over
    assert names.copilot_quota_fallback(SEAT, "auto", ["claude-haiku-*", "gpt-4o", "*"]) == "gpt-4o"


def test_auto_without_an_included_model_turns_the_fallback_off():
    premium_only = [m for m in SEAT if m["premium"]]
    assert names.copilot_quota_fallback(premium_only, "auto", BACKGROUND) == ""


@pytest.mark.parametrize("setting", ["", "  ", None])
def test_empty_setting_turns_the_fallback_off(setting):
    assert names.copilot_quota_fallback(SEAT, setting, BACKGROUND) == ""


def test_explicit_included_model():
    assert names.copilot_quota_fallback(SEAT, "gpt-4o", BACKGROUND) == "gpt-4o"


def test_explicit_premium_or_unserved_model_is_an_error_naming_it():
    with pytest.raises(AnsibleFilterError, match="'claude-sonnet-4.5' costs premium requests itself"):
        names.copilot_quota_fallback(SEAT, "claude-sonnet-4.5", BACKGROUND)
    with pytest.raises(AnsibleFilterError, match="'gpt-9' is not a model this seat serves"):
        names.copilot_quota_fallback(SEAT, "gpt-9", BACKGROUND)


def test_router_fallbacks_cover_every_served_name_of_a_premium_model():
    aliases = names.copilot_aliases(SEAT, {"copilot-fast": "gpt-5-mini", "big": "claude-opus-4.1"})
    patterns = names.claude_dated_patterns(SEAT)
    fallbacks = names.copilot_quota_fallbacks(SEAT, "gpt-5-mini", aliases, patterns)
    routed = {name: targets for entry in fallbacks for name, targets in entry.items()}
    assert all(targets == ["gpt-5-mini"] for targets in routed.values())
    premium = {m["id"] for m in SEAT if m["premium"]}
    assert premium <= set(routed)
    # aliases and Claude Code's dated names of premium models too; included models never fall back
    assert {"big", "claude-sonnet-4-5", "claude-sonnet", "claude-sonnet-4-5-2*"} <= set(routed)
    assert not {"gpt-4.1", "gpt-5-mini", "copilot-fast"} & set(routed)
    # then a catch-all for the dated names Claude Code sends, which LiteLLM matches to no key
    assert list(routed)[-1] == "*"
    assert list(routed)[:-1] == sorted(set(routed) - {"*"})


def test_no_router_fallbacks_without_a_fallback_model():
    assert names.copilot_quota_fallbacks(SEAT, "", {}, {}) == []


# ---------------------------------------------------------------------------
# the gate: which router hops may go ahead
# ---------------------------------------------------------------------------

# Router breadcrumbs as LiteLLM 1.106.2 records them (seen on a deployed proxy): a 402 keeps only
# Copilot's message on chat completions and Responses, the whole body on /v1/messages.
QUOTA_CHAT = {"model_group": "claude-sonnet-4.5", "exception_type": "APIError",
              "exception_string": "litellm.APIError: APIError: Github_copilotException - You have no quota"}
QUOTA_MESSAGES = {"model_group": "claude-sonnet-4-5", "exception_type": "APIError",
                  "exception_string": 'litellm.APIError: APIError: Github_copilotException - {"error": '
                                      '{"message": "You have no quota", "code": "quota_exceeded"}}'}
RPM_CAP = {"model_group": "gemini-2.5-pro", "exception_type": "RouterRateLimitError",
           "exception_string": "No deployments available for selected model, Try again in 5 seconds."}
OUTAGE = {"model_group": "claude-sonnet-4.5", "exception_type": "InternalServerError",
          "exception_string": "litellm.InternalServerError: Github_copilotException - upstream 500"}
# A request's own words quoted back in an error are not Copilot's refusal.
ECHO = {"model_group": "gpt-5", "exception_type": "BadRequestError",
        "exception_string": "litellm.BadRequestError: Github_copilotException - bad input: You have no quota, right?"}
RETRY_IN_HOP = {"model_group": "gpt-5-mini", "exception_type": "BadRequestError", "exception_string": "gate"}


def hop(*failures, key="metadata", depth=1):
    return {"model": "gpt-5-mini", "fallback_depth": depth, key: {"previous_models": list(failures)}}


@pytest.mark.parametrize("request_kwargs, reason", [
    ({"model": "gpt-5-mini"}, None),                     # a first attempt: always tried
    (hop(RPM_CAP, depth=0), None),                       # retries of the first attempt are not hops
    (hop(QUOTA_CHAT), "quota"),
    (hop(QUOTA_MESSAGES, key="litellm_metadata"), "quota"),  # /v1/messages and Responses keep them here
    (hop(QUOTA_CHAT, RETRY_IN_HOP), "quota"),            # a retry within the hop: the cause still counts
    (hop(QUOTA_CHAT, OUTAGE), False),                    # the latest failure of another group counts
    (hop(RPM_CAP), False),
    (hop(OUTAGE), False),
    (hop(ECHO), False),
    (hop(), False),                                      # a hop with no record of why
    (hop(RPM_CAP, depth=True), None),                    # not a depth
    (None, None),
], ids=["first", "depth-0", "quota-chat", "quota-messages", "retry-in-hop", "latest-wins", "rpm-cap",
        "outage", "echoed-words", "no-record", "bool-depth", "no-kwargs"])
def test_only_a_spent_allowance_or_budget_lets_a_fallback_hop_through(request_kwargs, reason):
    assert gate.fallback_reason(request_kwargs) is reason


@pytest.mark.parametrize("request_kwargs, reason", [
    (hop(OUTAGE), "budget"),         # the first attempt was refused here for a spent budget
    ({"model": "gpt-5-mini"}, None),  # a first attempt is tried whatever the budget says
])
def test_a_hop_after_a_budget_refusal_is_a_budget_fallback(request_kwargs, reason):
    assert gate.fallback_reason(request_kwargs, budget_refused=True) is reason
