"""Bad input fails the play with one clear message naming the cause and the host, and the proxy
that was already serving keeps serving its last good config with its stored token."""
import json
import re

import pytest
from conftest import copilot_sim, sim_call
from constants import CONFIG, LAST_GOOD_MODELS, TOKEN_FILE
from lab import HOST, INVENTORY, fatal_lines, main_pid, recap_counts, run_playbook, the_one_failure
from lab import host_output as on_host
# A token the simulator accepts until this module revokes it (never INDIVIDUAL_TOKEN: other tests use it).
REVOKED_TOKEN = "gho_RevokedByTheBadInputTests000000000000"

pytestmark = pytest.mark.skipif(not (HOST and INVENTORY), reason="needs the Molecule lab host")


def run_site(*extra_vars):
    """Runs site.yml against the lab host; returns (exit code, output)."""
    return run_playbook("site.yml", *extra_vars)


def stored_token():
    return on_host("cat", TOKEN_FILE)


@pytest.fixture
def serving(serving):
    """The proxy answers before and after the bad run (conftest.py), and the stored token is untouched."""
    before = stored_token()
    yield
    assert stored_token() == before, "a rejected token replaced the stored one"


@pytest.mark.parametrize("extra_vars, cause", [
    (["litellm_copilot_github_token=gho_ThisTokenWasNeverIssued0000000000000"], "invalid or revoked"),
    (["litellm_copilot_github_token=" + copilot_sim.NO_COPILOT_TOKEN], "no Copilot access"),
    (["litellm_copilot_github_api_url=http://127.0.0.1:9"], "cannot reach http://127.0.0.1:9"),
    (["litellm_copilot_port=not-a-port"], "litellm_copilot_port"),
    (['{"litellm_copilot_models_include": ["no-such-model-*"]}'], "No Copilot model"),
    # The simulator is plain http: without the lab's explicit yes, no token may go there.
    (['{"litellm_copilot_allow_insecure_http": false}'], "Plain http for litellm_copilot_github_api_url"),
], ids=["wrong-token", "no-copilot", "unreachable-api", "invalid-variable", "no-model-left", "plain-http"])
def test_bad_input_fails_clearly_and_keeps_serving(serving, extra_vars, cause):
    code, output = run_site(*extra_vars)
    assert code != 0
    the_one_failure(output)
    assert cause in output
    assert "gho_ThisTokenWasNeverIssued" not in output


@pytest.fixture
def revoked_token():
    sim_call("POST", "/_sim/accounts", {"token": REVOKED_TOKEN, "plan": "individual", "login": "revoked"})
    sim_call("POST", "/_sim/revoke", {"token": REVOKED_TOKEN})
    return REVOKED_TOKEN


@pytest.mark.parametrize("token", ["   ", "\t\n"], ids=["spaces", "tab-newline"])
def test_whitespace_token_fails_clearly(serving, token):
    """A token of only whitespace is an error, never a silent fall-back to the stored token."""
    code, output = run_site('{"litellm_copilot_github_token": %s}' % json.dumps(token))
    assert code != 0
    failure = the_one_failure(output)
    assert "whitespace" in failure


def test_empty_stored_token_fails_clearly(serving):
    """No inventory token and an empty stored one (say, a sign-in that wrote nothing): one error
    naming the empty file, and no fall-back to the last good model list."""
    on_host("cp", "-p", TOKEN_FILE, TOKEN_FILE + ".h")
    try:
        on_host("truncate", "--size", "0", TOKEN_FILE)
        code, output = run_site('{"litellm_copilot_github_token": ""}')
    finally:
        on_host("mv", TOKEN_FILE + ".h", TOKEN_FILE)
    assert code != 0
    failure = the_one_failure(output)
    assert "is empty" in failure
    assert "WARNING: model discovery failed" not in output


def test_revoked_token_fails_clearly(serving, revoked_token):
    code, output = run_site("litellm_copilot_github_token=" + revoked_token)
    assert code != 0
    failure = the_one_failure(output)
    assert "invalid or revoked" in failure
    assert revoked_token not in output


@pytest.fixture
def fault():
    """Adds simulator faults for one test; clears them afterwards whatever happens."""
    def add(**spec):
        sim_call("POST", "/_sim/faults", spec)
    yield add
    sim_call("DELETE", "/_sim/faults")


# GitHub or Copilot down while deploying: the host keeps its last good model list (a warning, not
# a failure), nothing changes, nothing restarts. http_timeout only shortens the timeout case.
@pytest.mark.parametrize("spec, kind", [
    ({"path": "/copilot_internal/v2/token", "status": 502, "body": "Bad Gateway"}, "server_error"),
    ({"path": "/models", "status": 503}, "server_error"),
    ({"path": "/copilot_internal/v2/token", "delay": 8}, "timeout"),
    ({"path": "/models", "malformed": True}, "malformed"),
], ids=["token-exchange-502", "models-503", "token-exchange-timeout", "models-malformed-json"])
def test_outage_falls_back_to_last_good_models(serving, fault, spec, kind):
    before = on_host("cat", CONFIG)
    pid = main_pid()
    fault(**spec)
    # A new inventory token during an outage was not validated: it must not replace the stored one
    # (the serving fixture checks that).
    code, output = run_site("litellm_copilot_http_timeout=3",
                            "litellm_copilot_github_token=" + copilot_sim.BUSINESS_TOKEN)
    assert code == 0, output[-3000:]
    assert not fatal_lines(output)
    warning = [line for line in output.splitlines() if "WARNING: model discovery failed on" in line]
    assert warning, output[-3000:]
    assert HOST in warning[0] and kind in warning[0]
    assert "NOT validated" in output
    # The rollout summary marks the host, and a real Ansible warning at the end repeats the cause.
    assert re.search(r"^%s\s+ok, last good models\s" % re.escape(HOST), output, re.MULTILINE), output[-3000:]
    assert "[WARNING]: %s serves its last good model list: model discovery failed (%s: " % (HOST, kind) in output
    assert recap_counts(output)["changed"] == 0
    assert on_host("cat", CONFIG) == before
    assert main_pid() == pid


def test_outage_without_last_good_models_fails_clearly(serving, fault):
    fault(path="/copilot_internal/v2/token", status=502)
    on_host("mv", LAST_GOOD_MODELS, LAST_GOOD_MODELS + ".h")
    try:
        code, output = run_site()
    finally:
        on_host("mv", LAST_GOOD_MODELS + ".h", LAST_GOOD_MODELS)
    assert code != 0
    failure = the_one_failure(output)
    assert "502" in failure and "no last good model list" in failure


def test_config_litellm_rejects_never_reaches_the_proxy(serving):
    """validate_config.py catches a wrongly typed setting before the live config is replaced."""
    before = on_host("cat", CONFIG)
    code, output = run_site('{"litellm_copilot_litellm_settings": {"drop_params": "maybe"}}')
    assert code != 0
    failure = the_one_failure(output)
    assert "drop_params must be a boolean" in failure
    assert on_host("cat", CONFIG) == before


def test_config_that_fails_at_startup_rolls_back(serving):
    """A callback LiteLLM cannot import passes validation but stops the proxy at start-up: the
    health gate fails, the role restores the last good config and restarts it, and says so."""
    code, output = run_site('{"litellm_copilot_litellm_settings": {"callbacks": ["no_such_module.handler"]},'
                            ' "litellm_copilot_health_timeout": 60}')
    assert code != 0
    fatal = fatal_lines(output)
    assert fatal and "[%s]" % HOST in fatal[-1]
    assert "Rolled back to the last good config" in fatal[-1]
    assert "healthy again" in fatal[-1]
    assert "no_such_module" in fatal[-1]  # the journal excerpt shows why
    assert recap_counts(output)["failed"] == 1
    assert on_host("cat", CONFIG) == on_host("cat", CONFIG + ".last-good")
    assert "no_such_module" not in on_host("cat", CONFIG)
