"""Bad input fails the play with one clear message naming the cause and the host, and the proxy
that was already serving keeps serving its last good config with its stored token."""
import re

import pytest
from conftest import PROXY_KEY, copilot_sim, sim_call
from constants import CONFIG, LAST_GOOD_MODELS, TOKEN_FILE
from lab import HOST, fatal_lines, proxy_pid, recap_counts, run_playbook, the_one_failure
from lab import host_output as on_host


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


# A wrong or revoked token: test_login_and_status.py (the deploy fails, status says so); the
# variable checks: tests/unit/test_settings_playbook.py. Each case names the token it sends, which
# must appear nowhere in the output, nor the stored token or the master key.
@pytest.mark.parametrize("extra_vars, cause, sent_token", [
    (["litellm_copilot_github_token=" + copilot_sim.NO_COPILOT_TOKEN], "no Copilot access", copilot_sim.NO_COPILOT_TOKEN),
    (["litellm_copilot_github_api_url=http://127.0.0.1:9"], "cannot reach http://127.0.0.1:9", None),
    (["litellm_copilot_port=not-a-port"], "litellm_copilot_port", None),
    (['{"litellm_copilot_models_include": ["no-such-model-*"]}'], "No Copilot model", None),
], ids=["no-copilot", "unreachable-api", "invalid-variable", "no-model-left"])
def test_bad_input_fails_clearly_and_keeps_serving(serving, extra_vars, cause, sent_token):
    code, output = run_site(*extra_vars)
    assert code != 0
    the_one_failure(output)
    assert cause in output
    for secret in (sent_token or stored_token().strip(), stored_token().strip(), PROXY_KEY):
        assert secret not in output


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


@pytest.fixture
def fault():
    """Adds simulator faults for one test; clears them afterwards whatever happens."""
    def add(**spec):
        sim_call("POST", "/_sim/faults", spec)
    yield add
    sim_call("DELETE", "/_sim/faults")


# GitHub or Copilot down while deploying: the host keeps its last good model list (a warning, not
# a failure), nothing changes, nothing restarts. Which outages fall back (502, 503, timeouts,
# malformed answers) is the module's, tested in tests/unit/test_copilot_models_info.py; here, the
# role's part, once: the token exchange fails, so the new inventory token goes unvalidated.
def test_outage_falls_back_to_last_good_models(serving, fault):
    before = on_host("cat", CONFIG)
    pid = proxy_pid()
    kind = "server_error"
    fault(path="/copilot_internal/v2/token", status=502, body="Bad Gateway")
    # A new inventory token during an outage was not validated: it must not replace the stored one
    # (the serving fixture checks that).
    code, output = run_site("litellm_copilot_github_token=" + copilot_sim.BUSINESS_TOKEN)
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
    assert proxy_pid() == pid


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


def task_output(output, task):
    """What Ansible printed for one task: from its TASK line to the next."""
    start = output.index("TASK [litellm_copilot : %s]" % task)
    end = output.find("\nTASK [", start + 1)
    return output[start:end if end > 0 else None]


def test_config_that_fails_at_startup_rolls_back(serving):
    """A callback LiteLLM cannot import passes validation but stops the proxy at start-up: the
    health gate fails, the role restores the last good config and restarts it, and says so with
    the journal's excerpt. At -vvv the journal read itself prints nothing: only the filtered
    excerpt in the failure message shows it. Applied with `--tags configure`, as a settings change
    is: such a run restarts the proxy, so it passes the gate too."""
    code, output = run_playbook("site.yml", '{"litellm_copilot_litellm_settings": {"callbacks": ["no_such_module.handler"]},'
                                ' "litellm_copilot_health_timeout": 60}', options=["--tags", "configure"], verbose=True)
    assert code != 0
    read = task_output(output, "Read the proxy's journal")
    assert "censored" in read and "no_log: true" in read
    assert "no_such_module" not in read and "journalctl" not in read.split("\n", 1)[1]
    assert fatal_lines(output)
    # At -vvv the failure's message follows its fatal: line over several lines.
    failure = output[output.rindex("fatal: [%s]" % HOST):].split("PLAY RECAP", 1)[0]
    assert "Rolled back to the last good config" in failure and "healthy again" in failure
    assert "Last journal lines" in failure and "no_such_module" in failure  # the journal excerpt shows why
    assert recap_counts(output)["failed"] == 1
    assert on_host("cat", CONFIG) == on_host("cat", CONFIG + ".last-good")
    assert "no_such_module" not in on_host("cat", CONFIG)
