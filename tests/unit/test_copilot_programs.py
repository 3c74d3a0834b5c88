"""library/copilot_programs.py on real files: the role's programs written whole with their owner,
group and mode in one run, only what differs, nothing in check mode; a program turned off removed
(a link there removed, never followed); a link or directory where a program belongs refused by name,
its target untouched."""
import grp
import os
import pwd
import stat

import pytest

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
from module_harness import invoke, load_library_module

programs = load_library_module("copilot_programs")
OWNER = pwd.getpwuid(os.geteuid()).pw_name
GROUP = grp.getgrgid(os.getegid()).gr_name


@pytest.fixture
def run(capsys):
    def runner(*files, check_mode=False, diff=False):
        args = dict(files=[dict(dict(owner=OWNER, group=GROUP), **spec) for spec in files])
        if diff:
            args["_ansible_diff"] = True
        return invoke(programs, capsys, check_mode, **args)
    return runner


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_programs_are_written_once_with_their_modes(tmp_path, run):
    launcher, validator = tmp_path / "serve.py", tmp_path / "validate.py"
    specs = [dict(dest=str(launcher), content="print('{{ not a template }}')\n"),
             dict(dest=str(validator), content="v = 1\n", mode="0755")]
    result, failed, _ = run(*specs)
    assert not failed and result["changed"] and result["written"] == [str(launcher), str(validator)]
    assert launcher.read_text() == "print('{{ not a template }}')\n" and mode(launcher) == 0o644
    assert validator.read_text() == "v = 1\n" and mode(validator) == 0o755
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["serve.py", "validate.py"]  # no temporary file left
    again, failed, _ = run(*specs)
    assert not failed and not again["changed"] and again["written"] == []


def test_only_what_differs_is_written_and_a_mode_alone_counts(tmp_path, run):
    kept, changed = tmp_path / "kept.py", tmp_path / "changed.py"
    run(dict(dest=str(kept), content="a\n"), dict(dest=str(changed), content="b\n"))
    before = os.stat(kept).st_ino
    os.chmod(changed, 0o666)
    result, failed, _ = run(dict(dest=str(kept), content="a\n"), dict(dest=str(changed), content="b\n"))
    assert not failed and result["written"] == [str(changed)] and mode(changed) == 0o644
    assert os.stat(kept).st_ino == before


def test_check_mode_reports_and_writes_nothing_and_diff_shows_the_change(tmp_path, run):
    path = tmp_path / "meter.py"
    path.write_text("old\n")
    result, failed, _ = run(dict(dest=str(path), content="new\n"), check_mode=True, diff=True)
    assert not failed and result["changed"] and result["written"] == [str(path)]
    assert path.read_text() == "old\n"
    assert result["diff"] == [dict(before_header=str(path), after_header=str(path), before="old\n", after="new\n")]


def test_a_program_turned_off_is_removed_and_a_link_there_is_not_followed(tmp_path, run):
    target = tmp_path / "precious"
    target.write_text("keep\n")
    shaper = tmp_path / "shaper.py"
    shaper.symlink_to(target)
    result, failed, _ = run(dict(dest=str(shaper), present=False))
    assert not failed and result["changed"] and result["removed"] == [str(shaper)]
    assert not os.path.lexists(shaper) and target.read_text() == "keep\n"
    again, failed, _ = run(dict(dest=str(shaper), present=False))
    assert not failed and not again["changed"] and again["removed"] == []


@pytest.mark.parametrize("planted", ["link", "directory"])
def test_a_link_or_directory_where_a_program_belongs_is_refused_by_name(tmp_path, run, planted):
    target = tmp_path / "shadow"
    target.write_text("secret\n")
    dest = tmp_path / "hand_over.py"
    if planted == "link":
        dest.symlink_to(target)
    else:
        dest.mkdir()
    result, failed, _ = run(dict(dest=str(dest), content="x\n"))
    assert failed and str(dest) in result["msg"]
    assert target.read_text() == "secret\n"
    assert dest.is_symlink() if planted == "link" else dest.is_dir()
