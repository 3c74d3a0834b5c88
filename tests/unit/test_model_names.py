"""The role's model names (roles/litellm_copilot/filter_plugins/copilot_config.py): the names
Claude Code uses, user aliases, route preferences and per-model rpm caps."""
import pathlib

import pytest
from ansible.errors import AnsibleFilterError

from copilot_sim.catalog import default_models
from module_harness import load_source

PLUGIN = (pathlib.Path(__file__).resolve().parents[2]
          / "roles" / "litellm_copilot" / "filter_plugins" / "copilot_config.py")
names = load_source(PLUGIN, "copilot_config")


def model(model_id, premium=False):
    """The fields of a copilot_models_info model these filters read."""
    return {"id": model_id, "premium": premium}


# The simulator's default picker-visible chat models, shaped like copilot_models_info returns them.
SEAT = [model(m["id"], m["billing"]["is_premium"]) for m in default_models()
        if m.get("model_picker_enabled") and m["capabilities"]["type"] == "chat"]


def test_claude_models_get_dash_and_family_names():
    aliases = names.copilot_aliases(SEAT)
    assert aliases["claude-sonnet-4-5"] == "claude-sonnet-4.5"
    assert aliases["claude-haiku-4-5"] == "claude-haiku-4.5"
    assert aliases["claude-opus-4-1"] == "claude-opus-4.1"
    # the family alias points at the newest version present, not the first listed
    assert aliases["claude-sonnet"] == "claude-sonnet-4.5"
    assert aliases["claude-opus"] == "claude-opus-4.1"
    # a dash form equal to the id itself is not an alias; non-Claude models get none
    assert "claude-sonnet-4" not in aliases
    assert not [alias for alias in aliases if alias.startswith(("gpt", "gemini"))]


def test_newest_version_compares_numerically():
    seat = [model("claude-sonnet-4.10"), model("claude-sonnet-4.9"), model("claude-3.7-sonnet"),
            model("claude-3.7-sonnet-thought")]
    aliases = names.copilot_aliases(seat)
    assert aliases["claude-sonnet"] == "claude-sonnet-4.10"
    assert aliases["claude-3-7-sonnet"] == "claude-3.7-sonnet"
    assert aliases["claude-3-7-sonnet-thought"] == "claude-3.7-sonnet-thought"


def test_user_aliases_win_and_are_served():
    aliases = names.copilot_aliases(SEAT, {"fast": "gpt-5-mini", "claude-sonnet": "claude-sonnet-4"})
    assert aliases["fast"] == "gpt-5-mini"
    assert aliases["claude-sonnet"] == "claude-sonnet-4"
    served = names.copilot_served_names(SEAT, {"fast": "gpt-5-mini"})
    assert served == sorted(served)
    assert {"fast", "gpt-5-mini", "claude-sonnet-4-5", "claude-sonnet"} <= set(served)


def test_user_alias_of_an_unserved_model_names_the_alias():
    with pytest.raises(AnsibleFilterError, match="'fast' points at 'gpt-9'"):
        names.copilot_aliases(SEAT, {"fast": "gpt-9"})


def test_user_alias_may_not_shadow_a_served_model():
    with pytest.raises(AnsibleFilterError, match="'gpt-4.1' is already the id"):
        names.copilot_aliases(SEAT, {"gpt-4.1": "gpt-5"})


def test_dated_patterns_do_not_swallow_newer_versions():
    patterns = names.claude_dated_patterns(SEAT)
    assert patterns["claude-sonnet-4-5-2*"] == "claude-sonnet-4.5"
    assert patterns["claude-sonnet-4-2*"] == "claude-sonnet-4"
    # LiteLLM matches wildcards as prefixes: claude-sonnet-4-5-20250929 must not match claude-sonnet-4's
    assert not "claude-sonnet-4-5-20250929".startswith("claude-sonnet-4-2")
    assert "claude-sonnet-4-20250514".startswith("claude-sonnet-4-2")
    assert not [p for p in patterns if not p.startswith("claude-")]


def test_pick_takes_the_first_preference_served():
    assert names.copilot_pick(SEAT, ["claude-sonnet-9", "claude-sonnet-*", "*"]) == "claude-sonnet-4"
    assert names.copilot_pick(SEAT, ["claude-sonnet-4.5", "*"]) == "claude-sonnet-4.5"
    assert names.copilot_pick(SEAT, ["nothing-*"]) == ""


def test_background_pick_prefers_models_without_premium_cost():
    preferences = ["claude-haiku-*", "gpt-5-mini", "*"]
    assert names.copilot_pick(SEAT, preferences) == "claude-haiku-4.5"
    assert names.copilot_pick(SEAT, preferences, True) == "gpt-5-mini"
    # a seat with only premium models still gets a model
    premium_only = [m for m in SEAT if m["premium"]]
    assert names.copilot_pick(premium_only, preferences, True) == "claude-haiku-4.5"


@pytest.mark.parametrize("model_id, expected", [
    ("claude-opus-4.1", 3),       # exact id wins over the glob listed first
    ("claude-sonnet-4.5", 5),     # first matching glob
    ("gpt-4.1", 0),               # default
])
def test_rpm_overrides(model_id, expected):
    overrides = {"claude-*": 5, "claude-opus-4.1": 3}
    assert names.copilot_rpm(model_id, 0, overrides) == expected


def test_filters_are_registered():
    # The names, rpm caps and quota fallback are worked out once, in the plan; Jinja calls only these.
    assert set(names.FilterModule().filters()) == {"copilot_plan_settings", "copilot_host_plan", "copilot_client_configs"}
