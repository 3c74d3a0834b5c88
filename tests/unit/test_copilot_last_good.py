"""library/copilot_last_good.py on real files: kept copies only what differs (content, mode) and
the record with where the proxy answered; restored puts back only a whole last good state, each
file that differs, and says where the last good proxy answered; what is not a regular file (a
planted link) is refused by name, never read through. (A rollback on a real host: the default
scenario's tests/integration/test_faults.py and the fleet's tests/fleet/test_rollout.py.)"""
import grp
import json
import os
import pwd
import stat

import pytest

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
from module_harness import invoke, load_library_module

last_good = load_library_module("copilot_last_good")
OWNER = pwd.getpwuid(os.geteuid()).pw_name
GROUP = grp.getgrgid(os.getegid()).gr_name
RECORD = {"query": {"github_api_url": "https://api.github.com"}, "discovery": {"models": [], "model_ids": []}}


@pytest.fixture
def state(tmp_path):
    """Three live files (the environment one 0600, holding a key) and where their copies go."""
    entries = []
    for name, mode, text in (("config.yaml", "0640", "model_list: []\n"), ("litellm.env", "0600", "KEY=sk-secret\n"),
                             ("gateway.socket", "0644", "[Socket]\nListenStream=127.0.0.1:4000\n")):
        live = tmp_path / name
        live.write_text(text)
        live.chmod(int(mode, 8))
        entries.append({"live": str(live), "saved": str(live) + ".last-good", "owner": OWNER, "group": GROUP,
                        "mode": mode})
    return entries


@pytest.fixture
def run(capsys, tmp_path):
    def runner(state_name, files, check_mode=False, **extra):
        return invoke(last_good, capsys, check_mode, state=state_name, files=files,
                      record_path=str(tmp_path / "models.last-good.json"), **extra)
    return runner


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def keep(run, state):
    return run("kept", state, record=RECORD, local_url="http://127.0.0.1:4000")


def test_kept_copies_every_file_and_the_record_then_nothing(tmp_path, run, state):
    result, failed, out = keep(run, state)
    assert not failed and result["written"] == [entry["saved"] for entry in state] + [
        str(tmp_path / "models.last-good.json")]
    for entry in state:
        assert open(entry["saved"]).read() == open(entry["live"]).read()
        assert mode(entry["saved"]) == int(entry["mode"], 8)
    record = json.loads((tmp_path / "models.last-good.json").read_text())
    assert record == dict(RECORD, local_url="http://127.0.0.1:4000") and mode(tmp_path / "models.last-good.json") == 0o600
    assert "sk-secret" not in out
    again, failed, _ = keep(run, state)
    assert not failed and not again["changed"] and again["written"] == []


def test_kept_in_check_mode_writes_nothing(run, state):
    result, failed, _ = run("kept", state, check_mode=True, record=RECORD, local_url="http://127.0.0.1:4000")
    assert not failed and result["changed"] and not any(os.path.exists(entry["saved"]) for entry in state)


def test_a_saved_copy_whose_mode_drifted_is_kept_again(run, state):
    keep(run, state)
    os.chmod(state[1]["saved"], 0o644)
    result, _, _ = keep(run, state)
    assert result["written"] == [state[1]["saved"]] and mode(state[1]["saved"]) == 0o600


def test_restored_puts_back_what_differs_and_says_where_the_proxy_answered(tmp_path, run, state):
    keep(run, state)
    with open(state[2]["live"], "w") as live:
        live.write("[Socket]\nListenStream=127.0.0.1:4419\n")
    os.chmod(state[0]["live"], 0o666)
    result, failed, _ = run("restored", state)
    assert not failed and result["complete"] and result["written"] == [state[0]["live"], state[2]["live"]]
    assert open(state[2]["live"]).read().endswith("127.0.0.1:4000\n") and mode(state[0]["live"]) == 0o640
    assert result["local_url"] == "http://127.0.0.1:4000"
    again, _, _ = run("restored", state)
    assert not again["changed"] and again["written"] == []


def test_a_half_kept_state_is_not_restored(run, state):
    keep(run, state)
    os.unlink(state[1]["saved"])
    with open(state[0]["live"], "w") as live:
        live.write("model_list: [broken]\n")
    result, failed, _ = run("restored", state)
    assert not failed and not result["changed"] and not result["complete"]
    assert result["missing"] == [state[1]["saved"]] and "broken" in open(state[0]["live"]).read()


def test_a_record_that_names_no_plain_url_gives_none(tmp_path, run, state):
    keep(run, state)
    record = tmp_path / "models.last-good.json"
    record.write_text(json.dumps(dict(RECORD, local_url="http://127.0.0.1:4000/\x1b[2J; rm -rf /")))
    assert run("restored", state)[0]["local_url"] == ""


@pytest.mark.parametrize("where", ["saved", "live"])
def test_a_planted_link_is_refused_by_name_and_not_read_through(tmp_path, run, state, where):
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret-hash\n")
    keep(run, state)
    os.unlink(state[1][where])
    os.symlink(secret, state[1][where])
    result, failed, out = run("restored", state)
    assert failed and state[1][where] in result["msg"] and "symbolic link" in result["msg"]
    assert "secret-hash" not in out and os.path.islink(state[1][where])
    assert open(secret).read() == "root:$6$secret-hash\n"
