"""The proxy config and the client configs as data (roles/litellm_copilot/filter_plugins/copilot_config.py):
what config.yaml and the developer's client files hold for a seat and the role's variables."""
import pathlib

import re

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.plugins.filter.core import to_nice_yaml

from copilot_sim.catalog import default_models
from module_harness import load_source

PLUGIN = (pathlib.Path(__file__).resolve().parents[2]
          / "roles" / "litellm_copilot" / "filter_plugins" / "copilot_config.py")
builder = load_source(PLUGIN, "copilot_config")

API_BASE = "https://api.individual.githubcopilot.com"
HOST = "dev-vm-1"
HEADERS = {"editor-version": "vscode/1.140.0", "copilot-integration-id": "vscode-chat"}
PREFERENCES = {  # the role's defaults
    "default": ["claude-sonnet-4.5", "claude-sonnet-*", "claude-*", "gpt-5", "*"],
    "background": ["gpt-5-mini", "gpt-4.1", "gpt-4o", "claude-haiku-*", "*"],
    "think": ["claude-sonnet-4.5", "gpt-5", "claude-sonnet-*", "*"],
    "longContext": ["gpt-4.1", "gemini-2.5-pro", "claude-sonnet-4.5", "*"],
}


def shaped(raw):
    """A simulator catalogue entry shaped like copilot_models_info returns it (the fields the builder reads)."""
    caps = raw["capabilities"]
    limits, supports = caps.get("limits", {}), caps.get("supports", {})
    endpoints = raw.get("supported_endpoints", [])
    return {
        "id": raw["id"], "vendor": raw["vendor"], "premium": raw["billing"]["is_premium"],
        "multiplier": float(raw["billing"]["multiplier"]),
        "max_prompt_tokens": limits.get("max_prompt_tokens", 0),
        "max_output_tokens": limits.get("max_output_tokens", 0),
        "supports_tools": supports.get("tool_calls", False),
        "supports_parallel_tool_calls": supports.get("parallel_tool_calls", False),
        "supports_vision": supports.get("vision", False),
        "supports_structured_outputs": supports.get("structured_outputs", False),
        "reasoning_efforts": supports.get("reasoning_effort", []),
        "supported_endpoints": endpoints,
        "mode": "responses" if endpoints and "/chat/completions" not in endpoints else "chat",
    }


SEAT = [shaped(m) for m in default_models()
        if m.get("model_picker_enabled") and m["capabilities"]["type"] == "chat"]
IDS = [m["id"] for m in SEAT]
PREMIUM = {m["id"] for m in SEAT if m["premium"]}


def build(**variables):
    """The config for SEAT with the role's default variables, overridden by ``variables``."""
    arguments = dict(host=HOST, headers=HEADERS, aliases={}, rpm=0, rpm_overrides={}, quota_fallback="auto",
                     preferences=PREFERENCES, drop_params=True, keep_system_role=True, request_shaper=True,
                     litellm_settings={}, litellm_settings_base={}, general_settings={})
    arguments.update(variables)
    return builder.copilot_proxy_config({"models": SEAT, "api_base": API_BASE}, **arguments)


def deployments(config):
    return {entry["model_name"]: entry for entry in config["model_list"]}


# ---------------------------------------------------------------------------
# model_list
# ---------------------------------------------------------------------------

def test_one_deployment_per_model_then_the_dated_name_wildcards():
    config = build()
    names = [entry["model_name"] for entry in config["model_list"]]
    assert names[:len(IDS)] == IDS
    patterns = names[len(IDS):]
    assert patterns == sorted(patterns) and all(p.startswith("claude-") and p.endswith("-2*") for p in patterns)
    # a wildcard is served by its Claude model, with that model's parameters and limits
    entries = deployments(config)
    assert entries["claude-sonnet-4-5-2*"]["litellm_params"] == entries["claude-sonnet-4.5"]["litellm_params"]
    assert entries["claude-sonnet-4-5-2*"]["model_info"] == entries["claude-sonnet-4.5"]["model_info"]


def test_a_deployment_calls_copilot_with_the_ide_headers_and_describes_the_model():
    gpt = deployments(build(headers={"editor-version": "vscode/1.140.0", "x-number": 7}))["gpt-4.1"]
    assert gpt["litellm_params"] == {
        "model": "github_copilot/gpt-4.1", "api_base": API_BASE,
        # header values are text, whatever type the variable gave
        "extra_headers": {"editor-version": "vscode/1.140.0", "x-number": "7"}}
    assert gpt["model_info"] == {
        "mode": "chat", "max_input_tokens": 128000, "max_output_tokens": 16384, "max_tokens": 16384,
        "supports_function_calling": True, "supports_parallel_function_calling": True, "supports_vision": True,
        "supports_response_schema": True, "supports_reasoning": False, "copilot_vendor": "Azure OpenAI",
        "copilot_premium": False, "copilot_multiplier": 0.0,
        "copilot_supported_endpoints": ["/chat/completions", "/responses"]}


def test_unknown_token_limits_are_left_out():
    seat = [dict(SEAT[0], max_prompt_tokens=0, max_output_tokens=0)]
    info = builder.copilot_proxy_config({"models": seat, "api_base": API_BASE})["model_list"][0]["model_info"]
    assert not {"max_input_tokens", "max_output_tokens", "max_tokens"} & set(info)


def test_rpm_caps_only_where_set_and_with_pre_call_checks():
    config = build(rpm_overrides={"gemini-2.5-pro": 2, "claude-opus-*": 5})
    entries = deployments(config)
    assert entries["gemini-2.5-pro"]["litellm_params"]["rpm"] == 2
    assert entries["claude-opus-4.1"]["litellm_params"]["rpm"] == 5
    assert entries["claude-opus-4-1-2*"]["litellm_params"]["rpm"] == 5
    assert "rpm" not in entries["gpt-4.1"]["litellm_params"]
    # LiteLLM enforces rpm only with its pre-call checks on
    assert config["router_settings"]["enable_pre_call_checks"] is True
    uncapped = build()
    assert "enable_pre_call_checks" not in uncapped["router_settings"]
    assert not [e for e in uncapped["model_list"] if "rpm" in e["litellm_params"]]


# ---------------------------------------------------------------------------
# router_settings
# ---------------------------------------------------------------------------

def test_aliases_are_claude_codes_names_and_the_users():
    aliases = build(aliases={"copilot-fast": "gpt-5-mini"})["router_settings"]["model_group_alias"]
    assert aliases["copilot-fast"] == "gpt-5-mini"
    assert aliases["claude-sonnet-4-5"] == "claude-sonnet-4.5"
    assert aliases["claude-sonnet"] == "claude-sonnet-4.5"
    assert list(aliases) == sorted(aliases)


def test_bad_aliases_are_one_error_naming_each_alias_and_the_host():
    with pytest.raises(AnsibleFilterError) as error:
        build(aliases={"fast": "gpt-9", "gpt-4.1": "gpt-5", "ok": "gpt-5"})
    message = str(error.value)
    assert message.startswith("Bad litellm_copilot_model_aliases on %s: " % HOST)
    assert "alias 'fast' points at 'gpt-9', which this seat does not serve" in message
    assert "alias 'gpt-4.1' is already the id of a served model" in message
    assert "'ok'" not in message
    assert "served: " + ", ".join(sorted(IDS)) in message


def test_quota_fallback_routes_every_premium_name_to_the_included_model():
    config = build(aliases={"big": "claude-opus-4.1"})
    routed = {name: targets for entry in config["router_settings"]["fallbacks"] for name, targets in entry.items()}
    assert all(targets == ["gpt-5-mini"] for targets in routed.values())
    assert PREMIUM | {"big", "claude-sonnet-4-5-2*", "*"} <= set(routed)
    assert not {"gpt-4.1", "gpt-5-mini"} & set(routed)
    # the meter, whose gate lets only a spent allowance or budget fall back, comes last
    assert config["litellm_settings"]["callbacks"] == [builder.SHAPER_CALLBACK, builder.METER_CALLBACK]
    assert "retry_policy" not in config["router_settings"]


def test_no_quota_fallback_no_fallbacks_and_the_meter_still_meters():
    config = build(quota_fallback="")
    assert "fallbacks" not in config["router_settings"]
    assert config["litellm_settings"]["callbacks"] == [builder.SHAPER_CALLBACK, builder.METER_CALLBACK]


def test_a_credit_budget_turns_off_the_routers_rate_limit_retries():
    """A spent budget's 429 is final for the day: retried, it would hold the fallback 2 s a retry."""
    assert build(credit_budgets=True)["router_settings"]["retry_policy"] == {"RateLimitErrorRetries": 0}


def test_the_meter_settings_price_each_served_model_once():
    discovery = {"models": [{"id": "claude-sonnet-4.5", "premium": True}, {"id": "gpt-4.1", "premium": False},
                            {"id": "gpt-5", "premium": True}, {"id": "new-model", "premium": True}]}
    rates = {"gpt-5": {"input": 125, "cached_input": 12.5, "output": 1000},
             "claude-*": {"input": 300, "cached_input": 30, "output": 1500},
             "*": {"input": 1, "cached_input": 2, "output": 3},
             "gpt-4.1": {"input": 9, "cached_input": 9, "output": 9}}
    settings = builder.copilot_meter_settings(discovery, "/var/lib/x/ledger.sqlite3", billing="credits", rates=rates,
                                              budget_daily="pace", budget_monthly="250")
    assert settings == {
        "billing": "credits", "ledger": "/var/lib/x/ledger.sqlite3", "budgets": {"day": "pace", "month": 250.0},
        "models": {"claude-sonnet-4.5": {"input": 300.0, "cached_input": 30.0, "output": 1500.0},
                   "gpt-4.1": {"input": 0, "cached_input": 0, "output": 0},  # included: never priced
                   "gpt-5": {"input": 125.0, "cached_input": 12.5, "output": 1000.0},
                   "new-model": {"input": 1.0, "cached_input": 2.0, "output": 3.0}}}
    assert builder.copilot_meter_settings(discovery, "l", budget_daily=0, budget_monthly="0")["budgets"] == {}


def plan(clients=None, **proxy):
    """The plan for SEAT with the role's default variables, proxy settings overridden by ``proxy``."""
    arguments = dict(headers=HEADERS, aliases={}, rpm=0, rpm_overrides={}, quota_fallback="auto",
                     preferences=PREFERENCES, drop_params=True, keep_system_role=True, request_shaper=True,
                     litellm_settings={}, litellm_settings_base={}, general_settings={})
    arguments.update(proxy)
    return builder.copilot_plan({"models": SEAT, "api_base": API_BASE}, host=HOST, ledger="/l", proxy=arguments,
                                meter={"billing": "credits", "budget_daily": 5}, clients=clients)


def test_the_plan_works_names_and_fallback_out_once_for_config_gate_meter_and_clients():
    built = plan(clients={"preferences": PREFERENCES, "claude_code_small_fast_model": "fast"},
                 aliases={"fast": "gpt-5-mini"})
    config = built["config"]
    assert config == build(aliases={"fast": "gpt-5-mini"}, credit_budgets=True)  # the budget's retry policy too
    # the gate expects exactly the ids and every alias the config routes
    assert built["served_names"] == sorted(set(IDS) | set(config["router_settings"]["model_group_alias"]))
    assert "fast" in built["served_names"]
    assert built["fallback"] == "gpt-5-mini" and {"*": ["gpt-5-mini"]} in config["router_settings"]["fallbacks"]
    assert built["meter"]["budgets"] == {"day": 5.0}
    assert built["clients"]["claude_code"]["small_fast"] == "fast"


def test_the_plan_has_no_clients_without_a_developer_and_stops_on_an_unserved_choice():
    assert plan()["clients"] is None
    with pytest.raises(AnsibleFilterError, match=r"^The client models for dev-vm-1 \(gpt-9\) are not served"):
        plan(clients={"preferences": PREFERENCES, "claude_code_model": "gpt-9"})


def test_the_role_plans_from_its_variables_by_name():
    """plan.yml's call: the role's defaults looked up by copilot_plan_settings' names (every
    one a role default), flags as Ansible passes them, give the plan of the same arguments."""
    defaults = yaml.safe_load((PLUGIN.parents[1] / "defaults" / "main.yml").read_text())
    names = builder.copilot_plan_settings("litellm_copilot_")
    assert set(names) <= set(defaults)
    settings = {name: defaults[name] for name in names}
    settings.update(litellm_copilot_client_user="dev", litellm_copilot_drop_params="yes",
                    litellm_copilot_credit_budget_daily=5, litellm_copilot_model_aliases={"fast": "gpt-5-mini"})
    built = builder.copilot_host_plan(settings, {"models": SEAT, "api_base": API_BASE}, host=HOST, ledger="/l",
                                      headers=HEADERS, litellm_settings_base={}, general_settings={})
    expected = plan(clients={"preferences": defaults["litellm_copilot_model_preferences"],
                             "background_non_premium": defaults["litellm_copilot_background_non_premium"],
                             "claude_code_model": defaults["litellm_copilot_claude_code_model"],
                             "claude_code_small_fast_model": defaults["litellm_copilot_claude_code_small_fast_model"]},
                    aliases={"fast": "gpt-5-mini"}, preferences=defaults["litellm_copilot_model_preferences"],
                    rpm=defaults["litellm_copilot_rpm"], quota_fallback=defaults["litellm_copilot_quota_fallback"])
    assert built["config"] == expected["config"] and built["clients"] == expected["clients"]
    assert built["meter"]["budgets"] == {"day": 5.0}
    settings["litellm_copilot_client_user"] = ""
    assert builder.copilot_host_plan(settings, {"models": SEAT, "api_base": API_BASE}, host=HOST)["clients"] is None


def test_a_bad_quota_fallback_names_the_host():
    with pytest.raises(AnsibleFilterError,
                       match="^Bad litellm_copilot_quota_fallback on dev-vm-1: 'gpt-5' costs premium requests"):
        build(quota_fallback="gpt-5")


# ---------------------------------------------------------------------------
# litellm_settings and general_settings
# ---------------------------------------------------------------------------

def test_settings_layers_role_base_then_role_variables_then_the_users():
    settings = build(litellm_settings_base={"turn_off_message_logging": True, "drop_params": "base"},
                     drop_params=False, keep_system_role=True,
                     litellm_settings={"request_timeout": 600, "disable_copilot_system_to_assistant": False},
                     )["litellm_settings"]
    assert settings["turn_off_message_logging"] is True
    assert settings["drop_params"] is False
    assert settings["request_timeout"] == 600
    assert settings["disable_copilot_system_to_assistant"] is False
    # sorted, callbacks last
    assert list(settings)[:-1] == sorted(list(settings)[:-1]) and list(settings)[-1] == "callbacks"


def test_callbacks_shaper_first_then_the_users_then_the_meter():
    settings = build(litellm_settings={"callbacks": ["mine.handler"]})["litellm_settings"]
    assert settings["callbacks"] == [builder.SHAPER_CALLBACK, "mine.handler", builder.METER_CALLBACK]
    settings = build(request_shaper=False, quota_fallback="", litellm_settings={"callbacks": []})["litellm_settings"]
    assert settings["callbacks"] == [builder.METER_CALLBACK]


def test_the_master_key_comes_from_the_environment_whatever_the_extra_settings():
    general = build(general_settings={"disable_spend_logs": True, "master_key": "sk-leaked"})["general_settings"]
    assert general == {"disable_spend_logs": True, "master_key": "os.environ/LITELLM_MASTER_KEY"}


def test_untrusted_text_stays_data_through_yaml():
    # Ids are checked at discovery; headers and settings come from variables. Whatever they hold,
    # the serialized config reads back as the same data: nothing turns into YAML structure.
    hostile = "evil\nmodel_list: []\n# '\"{{ x }}"
    seat = [dict(SEAT[0], vendor=hostile)]
    config = builder.copilot_proxy_config({"models": seat, "api_base": API_BASE}, headers={"x-test": hostile},
                                          litellm_settings={"note": hostile})
    assert yaml.safe_load(to_nice_yaml(config, indent=2, sort_keys=False)) == config


# ---------------------------------------------------------------------------
# the clients
# ---------------------------------------------------------------------------

def client_models(**variables):
    arguments = dict(host=HOST, aliases={}, preferences=PREFERENCES, background_non_premium=True,
                     claude_code_model="", claude_code_small_fast_model="")
    arguments.update(variables)
    return builder.copilot_client_models(SEAT, **arguments)


def test_client_routes_follow_the_preferences():
    chosen = client_models()
    assert chosen["routes"] == {"default": "claude-sonnet-4.5", "background": "gpt-5-mini",
                                "think": "claude-sonnet-4.5", "longContext": "gpt-4.1"}
    assert chosen["claude_code"] == {"main": "claude-sonnet-4.5", "small_fast": "gpt-5-mini",
                                     "opus": "claude-sonnet-4.5"}
    # without the non-premium preference, background takes the first match
    background = client_models(background_non_premium=False,
                               preferences=dict(PREFERENCES, background=["claude-haiku-*", "gpt-5-mini"]))
    assert background["routes"]["background"] == "claude-haiku-4.5"


def test_claude_code_models_may_be_set_to_any_served_name():
    chosen = client_models(aliases={"fast": "gpt-5-mini"}, claude_code_model="claude-sonnet-4-5",
                           claude_code_small_fast_model="fast")
    assert chosen["claude_code"] == {"main": "claude-sonnet-4-5", "small_fast": "fast", "opus": "claude-sonnet-4.5"}
    # the limits follow the models behind the names: an alias and Claude Code's dash name included
    assert chosen["claude_code_limits"] == {"max_output_tokens": 16000, "compact_window": 128000}


def test_claude_code_is_told_the_smallest_limits_of_the_models_it_calls():
    chosen = client_models(claude_code_model="claude-opus-4.1", preferences=dict(PREFERENCES, think=["gpt-5"]))
    # opus 4.1: 80k prompt, 16k output; gpt-5 (plan mode): 128k/128k; gpt-5-mini: 128k/64k
    assert chosen["claude_code_limits"] == {"max_output_tokens": 16000, "compact_window": 80000}


def test_unserved_client_models_are_an_error_naming_them_and_the_host():
    with pytest.raises(AnsibleFilterError,
                       match=r"^The client models for dev-vm-1 \(nothing matches for think, gpt-9\) are not served"):
        client_models(claude_code_model="gpt-9", preferences=dict(PREFERENCES, think=["nothing-*"]))


def test_client_configs_point_at_the_proxy():
    chosen = client_models()
    configs = builder.copilot_client_configs(chosen, SEAT, "http://127.0.0.1:4000", "sk-test")
    assert configs["claude_code_env"] == {
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:4000", "ANTHROPIC_AUTH_TOKEN": "sk-test",
        "ANTHROPIC_MODEL": "claude-sonnet-4.5", "ANTHROPIC_SMALL_FAST_MODEL": "gpt-5-mini",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "gpt-5-mini", "ANTHROPIC_DEFAULT_SONNET_MODEL": "claude-sonnet-4.5",
        "ANTHROPIC_DEFAULT_OPUS_MODEL": "claude-sonnet-4.5", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "CLAUDE_CODE_MAX_OUTPUT_TOKENS": "16000", "CLAUDE_CODE_AUTO_COMPACT_WINDOW": "128000"}
    assert configs["ccr"] == {
        "LOG": False, "API_TIMEOUT_MS": 600000,
        "Providers": [{"name": "copilot", "api_base_url": "http://127.0.0.1:4000/v1/chat/completions",
                       "api_key": "sk-test", "models": IDS}],
        "Router": {"default": "copilot,claude-sonnet-4.5", "background": "copilot,gpt-5-mini",
                   "think": "copilot,claude-sonnet-4.5", "longContext": "copilot,gpt-4.1",
                   "longContextThreshold": 60000}}


def test_claude_code_router_3_gets_the_routes_as_ordered_rules():
    chosen = client_models()
    ccr3 = builder.copilot_client_configs(chosen, SEAT, "http://127.0.0.1:4000", "sk-test", ccr_port=3999)["ccr3"]
    assert ccr3["provider"] == {
        "name": "copilot", "baseUrl": "http://127.0.0.1:4000", "apiKey": "sk-test",
        "models": IDS,
        "capabilities": [{"type": "anthropic_messages", "baseUrl": "http://127.0.0.1:4000"}]}
    # the first matching rule wins: long prompts, then opus, haiku, and any other Claude name
    routes = [(rule["id"], rule["condition"]["left"], rule["condition"]["operator"], rule["condition"]["right"],
               rule["target"]) for rule in ccr3["rules"]]
    assert routes == [
        ("litellm-copilot-long-context", "request.tokenCount", ">", "60000", "copilot/gpt-4.1"),
        ("litellm-copilot-think", "request.body.model", "contains", "opus", "copilot/claude-sonnet-4.5"),
        ("litellm-copilot-background", "request.body.model", "contains", "haiku", "copilot/gpt-5-mini"),
        ("litellm-copilot-default", "request.body.model", "starts-with", "claude", "copilot/claude-sonnet-4.5")]
    for rule in ccr3["rules"]:
        assert rule["rewrites"] == [rule["rewrite"]] == [
            {"key": "request.body.model", "operation": "set", "value": rule["target"]}]
        assert rule["id"].startswith(ccr3["rule_prefix"]) and rule["enabled"] is True
    assert ccr3["settings"]["PORT"] == ccr3["settings"]["gateway"]["port"] == 3999
    assert ccr3["settings"]["profile"] == {"enabled": False, "profiles": []}


def test_claude_code_router_key_is_derived_from_the_master_key():
    key = builder.ccr_client_key("sk-master-1")
    assert re.fullmatch(r"sk-ccr-[0-9a-f]{48}", key)
    assert key == builder.ccr_client_key("sk-master-1") != builder.ccr_client_key("sk-master-2")
    assert "master" not in key
