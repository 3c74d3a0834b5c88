"""library/copilot_venv.py on a real install directory: each step of a venv's life (read, prepare,
unpack, seal, switch, promote, restore), which venv a run brings to the gate, the record it keeps,
and what a host may plant there."""
import hashlib
import io
import os
import subprocess
import tarfile

import pytest

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
from module_harness import invoke, load_library_module

copilot_venv = load_library_module("copilot_venv")

SHA = "841ee2e96b1fee824b04e82696a6877db32c6ee31195b533cb922b7af5ec83ad"
OTHER = "0" * 64
NAME = "1.108.7-841ee2e96b1f"
RECORD = ".requirements.lock.sha256"


@pytest.fixture
def run(tmp_path, capsys):
    def runner(check_mode=False, **args):
        args.setdefault("install_dir", str(tmp_path))
        return invoke(copilot_venv, capsys, check_mode, **args)
    return runner


def venv(root, name, record=None):
    """A venv directory under venvs/ (no Python in it: the steps only look at the record)."""
    path = root / "venvs" / name
    path.mkdir(parents=True)
    if record is not None:
        (path / RECORD).write_text(record)
    return path


def link(root, which, name):
    (root / which).symlink_to(root / "venvs" / name)


def target(root, which):
    return os.path.basename(os.readlink(root / which))


def test_a_fresh_host_has_no_records_and_builds_under_the_plain_name(run):
    result, failed, _ = run(name=NAME, lock=SHA)
    assert not failed and not result["changed"]
    assert result["live"] == result["good"] == {"lock": "", "name": ""}
    assert result["next"] == NAME and result["next_complete"] is False


def test_read_returns_the_live_and_last_good_records(tmp_path, run):
    venv(tmp_path, NAME, "%s %s\n" % (SHA, NAME))
    venv(tmp_path, "1.106.2-0123456789ab", "%s 1.106.2-0123456789ab\n" % OTHER)
    link(tmp_path, "venv", NAME)
    link(tmp_path, "venv.last-good", "1.106.2-0123456789ab")
    result, _, _ = run(name=NAME, lock=SHA)
    assert result["live"] == {"lock": SHA, "name": NAME}
    assert result["good"] == {"lock": OTHER, "name": "1.106.2-0123456789ab"}
    # Of this lock, but not yet past the gate: the run brings the live venv itself to the gate.
    assert result["next"] == NAME and result["next_complete"] is True


def test_a_live_venv_of_the_lock_that_passed_the_gate_brings_nothing(tmp_path, run):
    venv(tmp_path, NAME, "%s %s\n" % (SHA, NAME))
    link(tmp_path, "venv", NAME)
    link(tmp_path, "venv.last-good", NAME)
    result, _, _ = run(name=NAME, lock=SHA)
    assert result["next"] == "" and result["next_complete"] is False and "platform" not in result


def test_a_live_venv_whose_record_went_stale_is_never_built_over(tmp_path, run):
    venv(tmp_path, NAME, "%s %s\n" % (OTHER, NAME))
    link(tmp_path, "venv", NAME)
    link(tmp_path, "venv.last-good", NAME)
    result, _, _ = run(name=NAME, lock=SHA)
    assert result["next"] == NAME + ".2" and result["next_complete"] is False and result["platform"]


def test_a_complete_venv_of_the_lock_needs_no_build(tmp_path, run):
    venv(tmp_path, NAME, "%s %s\n" % (SHA, NAME))
    assert run(name=NAME, lock=SHA)[0]["next_complete"] is True
    assert run(name=NAME, lock=OTHER)[0]["next_complete"] is False


@pytest.mark.parametrize("record, expected", [
    ("", {"lock": "", "name": ""}),                                   # an empty record
    (SHA, {"lock": SHA, "name": ""}),                                 # the earlier layout's record: a lock alone
    ("%s ../../etc" % SHA, {"lock": SHA, "name": ""}),                # the host's word never names a path
    ("%s .hidden" % SHA, {"lock": SHA, "name": ""}),
    ("%s a b" % SHA, {"lock": "", "name": ""}),                       # not "<sha> <name>"
    ("not-a-sha %s" % NAME, {"lock": "", "name": NAME}),
    ("%s %s\n%s other\n" % (SHA, NAME, SHA), {"lock": "", "name": ""}),  # several lines
])
def test_a_record_the_role_did_not_write_counts_as_none(tmp_path, run, record, expected):
    venv(tmp_path, NAME, record)
    link(tmp_path, "venv", NAME)
    assert run(name=NAME, lock=SHA)[0]["live"] == expected


def test_a_record_planted_as_a_link_is_not_followed(tmp_path, run):
    secret = tmp_path / "secret"
    secret.write_text("%s %s\n" % (SHA, NAME))
    path = venv(tmp_path, NAME)
    (path / RECORD).symlink_to(secret)
    link(tmp_path, "venv", NAME)
    assert run(name=NAME, lock=SHA)[0]["live"] == {"lock": "", "name": ""}


@pytest.mark.parametrize("name", ["../x", ".hidden", "a/b", ""])
def test_a_name_that_is_no_plain_name_is_refused(run, name):
    result, failed, _ = run(state="prepared", name=name)
    assert failed and ("plain virtualenv name" in result["msg"] or "needs name" in result["msg"])


def test_prepare_makes_a_fresh_venv_in_place_of_an_unfinished_one(tmp_path, run):
    unfinished = venv(tmp_path, NAME)
    (unfinished / "half-installed").write_text("x")
    result, failed, _ = run(state="prepared", name=NAME, with_pip=False)
    assert not failed and result["changed"] and result["removed"] == [str(unfinished)]
    assert (unfinished / "bin" / "python").exists() and not (unfinished / "half-installed").exists()
    assert not (unfinished / "bin" / "pip").exists()


def test_prepare_never_touches_the_live_venv(tmp_path, run):
    live = venv(tmp_path, NAME, "%s %s\n" % (SHA, NAME))
    link(tmp_path, "venv", NAME)
    result, failed, _ = run(state="prepared", name=NAME)
    assert failed and "live virtualenv" in result["msg"]
    assert (live / RECORD).exists()


def pack(tmp_path, members):
    """A zstd-compressed tar, as the controller packs a venv (with the real zstd)."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        for name, text in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.uid = len(text), 0o4777, 4242
            archive.addfile(info, io.BytesIO(text))
    packed = subprocess.run(["zstd", "--quiet", "--stdout"], input=data.getvalue(), capture_output=True, check=True).stdout
    path = tmp_path / "venvs" / ".pack.tar.zst"
    path.write_bytes(packed)
    return path, hashlib.sha256(packed).hexdigest()


def test_unpack_checks_the_copy_then_unpacks_with_roots_modes(tmp_path, run):
    target_dir = venv(tmp_path, NAME)
    copy, digest = pack(tmp_path, {"lib/site.py": b"print(1)\n"})
    result, failed, _ = run(state="unpacked", name=NAME, pack=str(copy), sha256=digest)
    assert not failed and result["changed"]
    unpacked = target_dir / "lib" / "site.py"
    assert unpacked.read_text() == "print(1)\n"
    assert os.stat(unpacked).st_mode & 0o7000 == 0  # the archive's setuid mode is not kept
    assert not copy.exists()


def test_a_copy_that_changed_is_refused_and_removed(tmp_path, run):
    target_dir = venv(tmp_path, NAME)
    copy, digest = pack(tmp_path, {"lib/site.py": b"print(1)\n"})
    result, failed, _ = run(state="unpacked", name=NAME, pack=str(copy), sha256=OTHER)
    assert failed and "sha256" in result["msg"] and ".pack.tar.zst" in result["msg"]
    assert list(target_dir.iterdir()) == [] and not copy.exists()


def test_seal_writes_the_record_once(tmp_path, run):
    path = venv(tmp_path, NAME)
    assert run(state="sealed", name=NAME, lock=SHA)[0]["changed"]
    assert (path / RECORD).read_text() == "%s %s\n" % (SHA, NAME)
    assert not run(state="sealed", name=NAME, lock=SHA)[0]["changed"]


def test_switch_needs_a_sealed_venv_and_is_one_step(tmp_path, run):
    venv(tmp_path, NAME)
    result, failed, _ = run(state="switched", name=NAME)
    assert failed and "no record" in result["msg"] and not (tmp_path / "venv").exists()
    run(state="sealed", name=NAME, lock=SHA)
    result, failed, _ = run(state="switched", name=NAME)
    assert not failed and result["changed"] and target(tmp_path, "venv") == NAME
    assert result["live"] == {"lock": SHA, "name": NAME}
    assert not run(state="switched", name=NAME)[0]["changed"]


def test_a_switch_whose_restart_never_happened_is_still_owed(tmp_path, run):
    """The link already points at the venv, but it never passed the gate: the gateway must still
    restart onto it, so the switch reports a change until the venv is promoted."""
    venv(tmp_path, "old", "%s old\n" % OTHER)
    venv(tmp_path, NAME, "%s %s\n" % (SHA, NAME))
    link(tmp_path, "venv", NAME)
    link(tmp_path, "venv.last-good", "old")
    result, failed, _ = run(state="switched", name=NAME)
    assert not failed and result["changed"] and target(tmp_path, "venv") == NAME
    run(state="promoted")
    assert not run(state="switched", name=NAME)[0]["changed"]


def test_check_mode_switches_nothing(tmp_path, run):
    venv(tmp_path, "old", "%s old\n" % OTHER)
    link(tmp_path, "venv", "old")
    result, failed, _ = run(check_mode=True, state="switched", name=NAME)
    assert not failed and result["changed"] and target(tmp_path, "venv") == "old"


def test_the_earlier_layouts_venv_becomes_the_last_good_one_at_the_first_switch(tmp_path, run):
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / RECORD).write_text(SHA)
    venv(tmp_path, NAME, "%s %s\n" % (SHA, NAME))
    result, failed, _ = run(state="switched", name=NAME)
    assert not failed and result["changed"]
    assert target(tmp_path, "venv") == NAME and target(tmp_path, "venv.last-good") == "previous"
    assert (tmp_path / "venvs" / "previous" / RECORD).read_text() == SHA


def test_promote_keeps_the_live_venv_and_removes_the_ones_before_it(tmp_path, run):
    venv(tmp_path, "old", "%s old\n" % OTHER)
    venv(tmp_path, NAME, "%s %s\n" % (SHA, NAME))
    link(tmp_path, "venv", NAME)
    link(tmp_path, "venv.last-good", "old")
    for wheelhouse in ("kept", "earlier"):
        (tmp_path / "wheelhouse" / wheelhouse).mkdir(parents=True)
    result, failed, _ = run(state="promoted", keep_wheelhouse="kept")
    assert not failed and result["changed"]
    assert result["removed"] == [str(tmp_path / "venvs" / "old"), str(tmp_path / "wheelhouse" / "earlier")]
    assert target(tmp_path, "venv.last-good") == NAME
    assert sorted(os.listdir(tmp_path / "venvs")) == [NAME] and os.listdir(tmp_path / "wheelhouse") == ["kept"]
    assert not run(state="promoted", keep_wheelhouse="kept")[0]["changed"]


def test_promote_never_follows_a_link_into_another_directory(tmp_path, run):
    venv(tmp_path, NAME, "%s %s\n" % (SHA, NAME))
    link(tmp_path, "venv", NAME)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep-me").write_text("x")
    (tmp_path / "venvs" / "planted").symlink_to(elsewhere)
    result, failed, _ = run(state="promoted")
    assert not failed and (elsewhere / "keep-me").exists()


def test_restore_points_the_live_link_back_at_the_last_good_venv(tmp_path, run):
    venv(tmp_path, "old", "%s old\n" % OTHER)
    venv(tmp_path, NAME, "%s %s\n" % (SHA, NAME))
    link(tmp_path, "venv", NAME)
    link(tmp_path, "venv.last-good", "old")
    result, failed, _ = run(state="restored")
    assert not failed and result["changed"] and result["restored"] == "old" and target(tmp_path, "venv") == "old"
    assert not run(state="restored")[0]["changed"]


def test_nothing_to_restore_without_a_last_good_venv(tmp_path, run):
    venv(tmp_path, NAME, "%s %s\n" % (SHA, NAME))
    link(tmp_path, "venv", NAME)
    result, failed, _ = run(state="restored")
    assert not failed and not result["changed"] and result["restored"] == ""
