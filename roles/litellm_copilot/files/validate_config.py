#!/usr/bin/env python3
"""Check a rendered LiteLLM proxy config before it replaces the live one.

Run with the gateway's virtualenv Python: ``validate_config.py CONFIG``. Exits 0 when LiteLLM
accepts the config, else 1 with one line per problem. The checks are what the proxy itself would
trip over at start-up, caught while the running proxy still has its last good config.
"""
import json
import os
import sys
import tempfile
import time

# Keep the check offline and quiet, as the service is.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_LOG", "ERROR")

import yaml  # noqa: E402  (installed with litellm[proxy])

MODES = {"chat", "completion", "embedding", "responses", "image_generation", "audio_transcription",
         "audio_speech", "moderation", "rerank"}


def structure_problems(config):
    """Problems a reader can see without LiteLLM: shape, names, modes, the key reference."""
    if not isinstance(config, dict):
        return ["the config is not a mapping"]
    problems = []
    models = config.get("model_list")
    if not isinstance(models, list) or not models:
        problems.append("model_list is missing or empty")
        models = []
    seen = set()
    for index, entry in enumerate(models):
        where = "model_list[%d]" % index
        if not isinstance(entry, dict):
            problems.append("%s is not a mapping" % where)
            continue
        name = entry.get("model_name")
        params = entry.get("litellm_params") or {}
        if not isinstance(name, str) or not name:
            problems.append("%s has no model_name" % where)
        elif name in seen:
            problems.append("%s: model_name %r is listed twice" % (where, name))
        seen.add(name)
        if not isinstance(params.get("model"), str) or "/" not in params["model"]:
            problems.append("%s: litellm_params.model must be 'provider/model'" % where)
        mode = (entry.get("model_info") or {}).get("mode", "chat")
        if mode not in MODES:
            problems.append("%s: unknown model_info.mode %r" % (where, mode))
    if (config.get("general_settings") or {}).get("master_key") is None:
        problems.append("general_settings.master_key is not set")
    return problems


def offline_copilot_credentials(directory):
    """Point LiteLLM's github_copilot provider at a dummy cached token, so building a Router
    never tries to sign in or exchange a token: validation stays offline and touches no secret."""
    with open(os.path.join(directory, "access-token"), "w", encoding="utf-8") as handle:
        handle.write("validation-only\n")
    with open(os.path.join(directory, "api-key.json"), "w", encoding="utf-8") as handle:
        json.dump({"token": "validation-only", "expires_at": int(time.time()) + 3600,
                   "endpoints": {"api": "http://127.0.0.1:9"}}, handle)
    os.environ["GITHUB_COPILOT_TOKEN_DIR"] = directory
    os.environ["GITHUB_COPILOT_ACCESS_TOKEN_FILE"] = "access-token"


def setting_type(default):
    """The type a LiteLLM setting takes, judged by its default; None when it cannot be told."""
    if isinstance(default, bool):
        return "a boolean"
    if isinstance(default, (int, float)):
        return "a number"
    if isinstance(default, str):
        return "a string"
    if isinstance(default, list):
        return "a list"
    if isinstance(default, dict):
        return "a mapping"
    return None


def isinstance_of(value, expected):
    """Whether a setting's value fits the type its default has. LiteLLM reads these at start-up
    without checking them, so a wrong type only shows as a crash or odd behaviour later."""
    if expected == "a boolean":
        return isinstance(value, bool)
    if expected == "a number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == "a string":
        return isinstance(value, str)
    if expected == "a list":
        return isinstance(value, list)
    return isinstance(value, dict)


def litellm_problems(config):
    """Problems LiteLLM itself reports: unknown settings, providers or deployments it rejects."""
    import litellm

    problems = []
    for key, value in (config.get("litellm_settings") or {}).items():
        if not hasattr(litellm, key):
            problems.append("litellm_settings.%s is not a LiteLLM setting" % key)
            continue
        expected = setting_type(getattr(litellm, key))
        if expected and not isinstance_of(value, expected):
            problems.append("litellm_settings.%s must be %s, got %r" % (key, expected, value))
    # get_llm_provider() would try to sign in to Copilot; the provider list is enough here.
    providers = {str(getattr(provider, "value", provider)) for provider in litellm.provider_list}
    for entry in config["model_list"]:
        provider = entry["litellm_params"]["model"].split("/", 1)[0]
        if provider not in providers:
            problems.append("%s: %r is not a LiteLLM provider" % (entry["model_name"], provider))
    if not problems:
        try:
            litellm.Router(model_list=config["model_list"])
        except Exception as exc:
            problems.append("LiteLLM rejects the model list: %s" % str(exc).splitlines()[0])
    return problems


def main(argv):
    if len(argv) != 2:
        print("usage: validate_config.py CONFIG", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as handle:
            config = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        print("cannot read %s: %s" % (argv[1], exc), file=sys.stderr)
        return 1
    problems = structure_problems(config)
    if not problems:
        with tempfile.TemporaryDirectory() as directory:
            offline_copilot_credentials(directory)
            problems = litellm_problems(config)
    for problem in problems:
        print("invalid LiteLLM config: %s" % problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
