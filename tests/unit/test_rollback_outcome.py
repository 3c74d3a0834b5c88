"""filter_plugins/copilot_rollback.py: what the rollback did, read from its tasks' results as
Ansible registers them (copilot_last_good's, copilot_venv's, the health probe's)."""
import pathlib
from module_harness import load_source

PLUGIN = (pathlib.Path(__file__).resolve().parents[2]
          / "roles" / "litellm_copilot" / "filter_plugins" / "copilot_rollback.py")
rollback = load_source(PLUGIN, "copilot_rollback")

SOCKET = "/etc/systemd/system/litellm-copilot.socket"


def files(*changed_live):
    """copilot_last_good's restore: the files in ``changed_live`` were put back."""
    return {"changed": bool(changed_live), "written": list(changed_live), "complete": True, "missing": []}


NO_STATE = {"changed": False, "written": [], "complete": False, "missing": ["/etc/litellm-copilot/config.yaml.last-good"]}


def test_the_socket_unit_put_back_takes_the_stop_first_restart():
    assert rollback.copilot_rolled_back(files(SOCKET), {"changed": False}, SOCKET) == {"any": True, "socket": True}
    assert rollback.copilot_rolled_back(files("/etc/litellm-copilot/litellm.env"), {"changed": False}, SOCKET) == {
        "any": True, "socket": False}
    assert rollback.copilot_rolled_back(NO_STATE, {"changed": True, "restored": "v1"}, SOCKET) == {
        "any": True, "socket": False}
    assert rollback.copilot_rolled_back(files(), {"changed": False}, SOCKET) == {"any": False, "socket": False}


def test_each_outcome_in_one_sentence():
    outcome = rollback.copilot_rollback_outcome
    assert outcome(NO_STATE, {"changed": False, "restored": ""}, None) == rollback.OUTCOMES["none"]
    assert outcome(files(), {"changed": False, "restored": "v1"}, None) == rollback.OUTCOMES["unchanged"]
    assert outcome(files(SOCKET), {"changed": False}, {"liveliness": 200}) == rollback.OUTCOMES["healthy"]
    unhealthy = outcome(files(SOCKET), {"changed": True}, {"liveliness": 0, "msg": "the proxy exited while starting"})
    assert unhealthy.startswith("Rolled back") and unhealthy.endswith("(the proxy exited while starting).")
    assert outcome(files(SOCKET), {}, {"skipped": True}).endswith("(no answer).")
