"""library/ccr_config.py against real SQLite stores: what Claude-Code-Router 3 reads is set, what
the developer added stays, a second run changes nothing, and odd stores fail without a write."""
import json
import os
import sqlite3

import pytest
import yaml

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
from module_harness import invoke, load_library_module

ccr_config = load_library_module("ccr_config")

URL = "http://127.0.0.1:4000"


def rule(name, target, left="request.body.model", operator="starts-with", right="claude"):
    rewrite = {"key": "request.body.model", "operation": "set", "value": target}
    return {"id": "litellm-copilot-" + name, "name": name, "enabled": True, "type": "condition",
            "condition": {"left": left, "operator": operator, "right": right}, "target": target,
            "rewrite": rewrite, "rewrites": [dict(rewrite)]}


def arguments(path, master_key="sk-master", key="sk-ccr-1", models=("gpt-4.1", "claude-sonnet-4.5")):
    return dict(
        path=str(path), rule_prefix="litellm-copilot-", api_key=key,
        provider={"name": "copilot", "baseUrl": URL, "apiKey": master_key, "models": list(models),
                  "capabilities": [{"type": "anthropic_messages", "baseUrl": URL}]},
        rules=[rule("haiku", "copilot/gpt-4.1", operator="contains", right="haiku"),
               rule("default", "copilot/claude-sonnet-4.5")],
        settings={"PORT": 3456, "gateway": {"enabled": True, "port": 3456},
                  "profile": {"enabled": False, "profiles": []}})


@pytest.fixture
def run(capsys):
    def runner(check_mode=False, **args):
        return invoke(ccr_config, capsys, check_mode, **args)
    return runner


def stored(path):
    with sqlite3.connect(str(path / "config.sqlite")) as connection:
        document = json.loads(connection.execute("SELECT value_json FROM app_config WHERE key='default'").fetchone()[0])
        keys = dict(connection.execute("SELECT id, encrypted_key FROM api_keys").fetchall())
    return document, keys


def test_a_new_store_has_what_the_router_needs_and_is_the_developers_alone(tmp_path, run):
    result, failed, _ = run(**arguments(tmp_path))
    assert not failed and result["changed"] and result["running"] is False
    assert result["updated"] == ["store", "provider", "rules", "settings", "key"]
    assert oct(os.stat(tmp_path / "config.sqlite").st_mode & 0o777) == "0o600"
    document, keys = stored(tmp_path)
    assert document["Providers"] == [arguments(tmp_path)["provider"]]
    assert [r["id"] for r in document["Router"]["rules"]] == ["litellm-copilot-haiku", "litellm-copilot-default"]
    assert document["PORT"] == 3456 and document["profile"] == {"enabled": False, "profiles": []}
    assert keys == {"litellm-copilot": "sk-ccr-1"}
    # nothing in the result carries a key
    assert "sk-master" not in json.dumps(result) and "sk-ccr-1" not in json.dumps(result)

    result, failed, _ = run(**arguments(tmp_path))
    assert not failed and not result["changed"] and result["updated"] == []


def test_the_developers_own_providers_rules_keys_and_settings_stay(tmp_path, run):
    run(**arguments(tmp_path, master_key="sk-old", key="sk-ccr-old"))
    document, _ = stored(tmp_path)
    # What Claude-Code-Router adds when it loads the store (an id per provider, its own settings),
    # and what the developer adds: a provider, a rule before ours, a key, a theme.
    document["Providers"][0]["id"] = "provider-copilot-0123456789"
    document["Providers"].insert(0, {"name": "mine", "baseUrl": "https://example.test", "models": ["m"]})
    document["Router"]["rules"].insert(0, {"id": "my-rule", "type": "condition", "target": "mine/m"})
    document["Router"]["rules"].append(rule("retired", "copilot/gpt-4.1"))  # a rule an earlier run owned
    document["Router"]["fallback"] = {"mode": "off", "models": [], "retryCount": 1}
    document["theme"] = "dark"
    document["gateway"]["corePort"] = 3457
    with sqlite3.connect(str(tmp_path / "config.sqlite")) as connection:
        connection.execute("UPDATE app_config SET value_json = ? WHERE key = 'default'", (json.dumps(document),))
        connection.execute("INSERT INTO api_keys (id, name, encrypted_key, created_at) VALUES ('mine', '', 'sk-mine', '')")

    result, failed, _ = run(**arguments(tmp_path))
    assert not failed and result["updated"] == ["provider", "rules", "key"]
    document, keys = stored(tmp_path)
    assert [p["name"] for p in document["Providers"]] == ["mine", "copilot"]
    assert document["Providers"][1]["apiKey"] == "sk-master"
    assert [r["id"] for r in document["Router"]["rules"]] == ["my-rule", "litellm-copilot-haiku", "litellm-copilot-default"]
    assert document["Router"]["fallback"]["mode"] == "off"
    assert document["theme"] == "dark" and document["gateway"] == {"enabled": True, "port": 3456, "corePort": 3457}
    assert keys == {"mine": "sk-mine", "litellm-copilot": "sk-ccr-1"}

    # the router's own additions to our provider are not a difference
    document["Providers"][1]["id"] = "provider-copilot-0123456789"
    with sqlite3.connect(str(tmp_path / "config.sqlite")) as connection:
        connection.execute("UPDATE app_config SET value_json = ? WHERE key = 'default'", (json.dumps(document),))
    result, failed, _ = run(**arguments(tmp_path))
    assert not failed and not result["changed"]


def test_check_mode_writes_nothing(tmp_path, run):
    result, failed, _ = run(check_mode=True, **arguments(tmp_path))
    assert not failed and result["changed"] and not (tmp_path / "config.sqlite").exists()
    run(**arguments(tmp_path))
    before = stored(tmp_path)
    result, failed, _ = run(check_mode=True, **arguments(tmp_path, models=("gpt-5",), key="sk-ccr-2"))
    assert not failed and result["updated"] == ["provider", "key"]
    assert stored(tmp_path) == before


@pytest.mark.parametrize("document", ["[1, 2]", "{not json", "[" * 100000 + "]" * 100000])
def test_a_store_the_module_cannot_read_fails_clearly_and_is_left_alone(tmp_path, run, document):
    run(**arguments(tmp_path))
    with sqlite3.connect(str(tmp_path / "config.sqlite")) as connection:
        connection.execute("UPDATE app_config SET value_json = ? WHERE key = 'default'", (document,))
    result, failed, _ = run(**arguments(tmp_path, key="sk-ccr-2"))
    assert failed and result["msg"].startswith("Claude-Code-Router's store %s could not be updated: "
                                               % (tmp_path / "config.sqlite"))
    with sqlite3.connect(str(tmp_path / "config.sqlite")) as connection:
        assert connection.execute("SELECT value_json FROM app_config").fetchone()[0] == document
        assert connection.execute("SELECT encrypted_key FROM api_keys").fetchall() == [("sk-ccr-1",)]


def test_a_link_in_place_of_the_store_is_refused(tmp_path, run):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("not the developer's router store")
    (tmp_path / "config.sqlite").symlink_to(elsewhere)
    result, failed, _ = run(**arguments(tmp_path))
    assert failed and "is not a regular file (a link?)" in result["msg"]
    assert elsewhere.read_text() == "not the developer's router store"


def test_a_missing_directory_is_made_the_developers_alone_and_check_mode_makes_none(tmp_path, run):
    router = tmp_path / ".claude-code-router"
    result, failed, _ = run(check_mode=True, **arguments(router))
    assert not failed and result["changed"] and not router.exists()
    result, failed, _ = run(**arguments(router))
    assert not failed and result["changed"] and "store" in result["updated"]
    assert oct(os.stat(router).st_mode & 0o777) == "0o700" and (router / "config.sqlite").is_file()


@pytest.mark.parametrize("planted", ["link to the developer's own directory", "file", "someone else's directory"])
def test_a_directory_that_is_not_the_developers_own_real_one_is_refused(tmp_path, run, planted):
    """SQLite writes beside its store, so the directory must be a real one of the account the
    module runs as: a link (even to the developer's own dotfiles), a file or another owner's
    directory is refused by name, and nothing is written."""
    router, dotfiles = tmp_path / ".claude-code-router", tmp_path / "dotfiles"
    dotfiles.mkdir()
    if planted.startswith("link"):
        router.symlink_to(dotfiles)
    elif planted == "file":
        router.write_text("")
    else:
        router.mkdir()
        os.chown(router, 4242, -1)
    result, failed, _ = run(**arguments(router))
    assert failed and str(router) in result["msg"]
    assert list(dotfiles.iterdir()) == []
    assert not router.is_dir() or router.is_symlink() or list(router.iterdir()) == []


@pytest.mark.parametrize("service, running", [
    ({"pid": os.getpid()}, True), ({"pid": 2 ** 22 + 1}, False), ({"pid": "1"}, False), ({"pid": True}, False),
    ([], False), (None, False)])
def test_a_running_router_is_reported(tmp_path, run, service, running):
    if service is not None:
        (tmp_path / "service.json").write_text(json.dumps(service))
    result, failed, _ = run(**arguments(tmp_path))
    assert not failed and result["running"] is running


def test_the_documentation_names_every_option_as_the_module_takes_it():
    source = open(ccr_config.__file__).read()
    documented = yaml.safe_load(source.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])["options"]
    assert set(documented) == set(ccr_config.ARGUMENT_SPEC)
    for name, option in ccr_config.ARGUMENT_SPEC.items():
        assert documented[name]["type"] == option["type"], name
        assert documented[name].get("default") == option.get("default"), name
        assert documented[name].get("required", False) == option.get("required", False), name
