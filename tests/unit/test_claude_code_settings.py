"""library/claude_code_settings.py on real files: the proxy's env keys set, the developer's own
settings kept, a second run changes nothing, and what is not the developer's own is refused
without a write. (As the developer, over links to system paths: tests/integration/test_client_symlinks.py.)"""
import json
import os

import pytest

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
from module_harness import invoke, load_library_module

settings_module = load_library_module("claude_code_settings")

ENV = {"ANTHROPIC_BASE_URL": "http://127.0.0.1:4000", "ANTHROPIC_AUTH_TOKEN": "sk-master-secret"}


@pytest.fixture
def run(capsys):
    def runner(path, check_mode=False, env=None):
        return invoke(settings_module, capsys, check_mode, path=str(path), env=dict(env or ENV))
    return runner


def test_new_settings_are_the_developers_alone_and_carry_the_env(tmp_path, run):
    path = tmp_path / ".claude" / "settings.json"
    result, failed, out = run(path)
    assert not failed and result["changed"] and result["updated"] == sorted(ENV)
    assert json.loads(path.read_text()) == {"env": ENV}
    assert oct(os.stat(path).st_mode & 0o777) == "0o600" and oct(os.stat(path.parent).st_mode & 0o777) == "0o700"
    assert "sk-master-secret" not in out


def test_the_developers_own_settings_stay_and_a_second_run_changes_nothing(tmp_path, run):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"theme": "dark", "env": {"MY_VAR": "1", "ANTHROPIC_BASE_URL": "http://old"}}))
    path.chmod(0o644)
    result, failed, _ = run(path)
    assert not failed and result["updated"] == ["ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"]
    assert json.loads(path.read_text()) == {"theme": "dark", "env": dict(ENV, MY_VAR="1")}
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    result, failed, _ = run(path)
    assert not failed and not result["changed"] and result["updated"] == []


def test_a_readable_file_and_directory_that_change_nothing_still_become_the_developers_alone(tmp_path, run):
    directory = tmp_path / ".claude"
    directory.mkdir(mode=0o755)
    path = directory / "settings.json"
    path.write_text(json.dumps({"env": ENV}))
    path.chmod(0o644)
    result, _, _ = run(path)
    assert result["changed"] and oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert oct(os.stat(directory).st_mode & 0o777) == "0o700"
    assert not run(path)[0]["changed"]


def test_a_linked_settings_file_stays_linked(tmp_path, run):
    dotfiles = tmp_path / "dotfiles.json"
    dotfiles.write_text("{}")
    path = tmp_path / "settings.json"
    path.symlink_to(dotfiles)
    run(path)
    assert path.is_symlink() and json.loads(dotfiles.read_text()) == {"env": ENV}


def test_check_mode_writes_nothing(tmp_path, run):
    path = tmp_path / ".claude" / "settings.json"
    result, failed, _ = run(path, check_mode=True)
    assert not failed and result["changed"] and not path.parent.exists()


@pytest.mark.parametrize("content", ["[1, 2]", "not json", '"text"'])
def test_settings_that_are_no_json_object_are_refused_untouched(tmp_path, run, content):
    path = tmp_path / "settings.json"
    path.write_text(content)
    result, failed, _ = run(path)
    assert failed and result["msg"] == "%s is not a JSON object; fix or remove it, then re-run (nothing was changed)." % path
    assert path.read_text() == content


def test_a_directory_of_another_account_is_refused(tmp_path, run):
    other = tmp_path / "other"
    other.mkdir()
    if os.getuid() == 0:  # root may write anywhere: another owner is what it must refuse
        os.chown(other, 12345, 12345)
    else:
        other.chmod(0o500)
    result, failed, _ = run(other / "settings.json")
    assert failed and str(other) in result["msg"] and "owns and can write" in result["msg"]
    assert not (other / "settings.json").exists()


def test_a_settings_path_that_is_a_directory_is_refused(tmp_path, run):
    (tmp_path / "settings.json").mkdir()
    result, failed, _ = run(tmp_path / "settings.json")
    assert failed and "is not a regular file" in result["msg"]
