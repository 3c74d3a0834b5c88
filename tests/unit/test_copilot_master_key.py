"""library/copilot_master_key.py on real files: a key generated once, whole, private to its owner
and group, then read back unchanged; a file of an earlier layout taken over; and what is not one
key in a regular file (a planted link, a directory, an empty or oversized file) refused by name,
without the file's content in the message and without a write. (On a real host, a planted link
to /etc/shadow: tests/integration/test_untrusted_host.py.)"""
import grp
import os
import re
import stat

import pytest

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
from module_harness import invoke, load_library_module

key_module = load_library_module("copilot_master_key")
GROUP = grp.getgrgid(os.getegid()).gr_name


@pytest.fixture
def run(capsys):
    def runner(path, check_mode=False):
        return invoke(key_module, capsys, check_mode, path=str(path), group=GROUP)
    return runner


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_key_is_generated_once_then_read_back(tmp_path, run):
    path = tmp_path / "master-key"
    result, failed, _ = run(path)
    assert not failed and result["changed"] and result["generated"]
    key = result["master_key"]
    assert re.fullmatch(r"sk-[A-Za-z0-9]{48}", key)
    assert path.read_text() == key + "\n" and mode(path) == 0o640
    assert [entry.name for entry in tmp_path.iterdir()] == ["master-key"]  # no temporary file left
    again, failed, _ = run(path)
    assert not failed and not again["changed"] and not again["generated"] and again["master_key"] == key


def test_two_hosts_get_different_keys(tmp_path, run):
    assert run(tmp_path / "one")[0]["master_key"] != run(tmp_path / "two")[0]["master_key"]


def test_check_mode_generates_nothing(tmp_path, run):
    path = tmp_path / "master-key"
    result, failed, _ = run(path, check_mode=True)
    assert not failed and result["changed"] and result["master_key"] == ""
    assert not path.exists()


def test_a_key_file_of_an_earlier_layout_is_taken_over_through_the_open_file(tmp_path, run):
    path = tmp_path / "master-key"
    path.write_text("sk-earlier-layout-key\n")
    path.chmod(0o666)
    result, failed, _ = run(path, check_mode=True)
    assert not failed and result["changed"] and mode(path) == 0o666
    result, failed, _ = run(path)
    assert not failed and result["changed"] and result["master_key"] == "sk-earlier-layout-key"
    assert mode(path) == 0o640 and not run(path)[0]["changed"]


@pytest.mark.parametrize("planted, why", [
    ("link", "not a regular file (a symbolic link)"),
    ("directory", "not a regular file"),
    ("empty", "does not hold one key"),
    ("two words", "does not hold one key"),
    ("oversized", "larger than a key"),
])
def test_what_is_not_one_key_in_a_regular_file_is_refused_unread_and_untouched(tmp_path, run, planted, why):
    path, secret = tmp_path / "master-key", tmp_path / "shadow"
    secret.write_text("root:$6$secret-hash:19000::::::\n")
    secret.chmod(0o600)
    if planted == "link":
        path.symlink_to(secret)
    elif planted == "directory":
        path.mkdir()
    else:
        path.write_text({"empty": "\n", "two words": "sk-one sk-two\n", "oversized": "k" * 5000}[planted])
    before = os.lstat(path)
    result, failed, out = run(path)
    assert failed and str(path) in result["msg"] and why in result["msg"], result["msg"]
    assert "secret-hash" not in out and "sk-one" not in out
    after = os.lstat(path)
    assert (after.st_mode, after.st_uid, after.st_mtime_ns) == (before.st_mode, before.st_uid, before.st_mtime_ns)
    assert mode(secret) == 0o600
