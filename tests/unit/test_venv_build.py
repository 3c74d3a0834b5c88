"""The controller's venv build (roles/litellm_copilot/files/controller/build_venv.py): real uv installs a
hash-locked wheelhouse into a venv for the target, the bytecode and scripts name the target's
path, and the pack is sealed; a controller that cannot build for the target says why (exit 3)
and leaves nothing behind. And the seal check that leaves out packs never built (--built)."""
import hashlib
import io
import json
import marshal
import platform
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from test_wheelhouse_build import make_wheel, sealed_tar

SCRIPT = Path(__file__).resolve().parents[2] / "roles/litellm_copilot/files/controller/build_venv.py"
TARGET = "/opt/litellm-copilot/venvs/1.0-test"
PYTHON = "%d.%d.%d" % sys.version_info[:3]
MINOR = "%d.%d" % sys.version_info[:2]
SITE = "lib/python%s/site-packages" % MINOR
# The lock's uv entry stays out of the venv: only the hosts' own installs use uv.
UV_ENTRY = "uv==0.13.9 \\\n    --hash=sha256:%s\n" % ("0" * 64)


def build(tmp_path, *extra, python=PYTHON, venv=TARGET):
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--wheelhouse", str(tmp_path / "wheelhouse.tar"), "--lock", str(tmp_path / "lock.txt"),
         "--python", python, "--arch", platform.machine(), "--glibc", "2.36", "--venv", venv,
         "--pack", str(tmp_path / "cache" / "venv-test.tar.zst"), "--cache-dir", str(tmp_path / "cache"), *extra],
        capture_output=True, text=True, timeout=300)


@pytest.fixture
def wheelhouse(tmp_path):
    """A wheelhouse tar of one wheel with a console script, and a lock hashing it (plus uv's entry)."""
    wheel = make_wheel(tmp_path, "tinypkg", "0.1", entry_points={"tinypkg": "tinypkg:main"})
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (tmp_path / "lock.txt").write_text("tinypkg==0.1 \\\n    --hash=sha256:%s\n%s" % (digest, UV_ENTRY))
    with tarfile.open(tmp_path / "wheelhouse.tar", "w") as tar:
        tar.add(wheel, arcname=wheel.name)
    return tmp_path


def test_the_pack_holds_the_locked_packages_for_the_target_path(wheelhouse):
    done = build(wheelhouse)
    assert done.returncode == 0, done.stdout + done.stderr
    cache = wheelhouse / "cache"
    pack = cache / "venv-test.tar.zst"
    assert sorted(p.name for p in cache.iterdir()) == ["venv-test.tar.zst", "venv-test.tar.zst.sha256"]
    assert json.loads(sealed_tar("check", cache, pack).stdout) == {str(pack): hashlib.sha256(pack.read_bytes()).hexdigest()}
    unpacked = subprocess.run(["zstd", "--decompress", "--stdout", str(pack)], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(unpacked)) as tar:
        members = {member.name: member for member in tar.getmembers()}
        script = tar.extractfile("bin/tinypkg").read().decode()
        pyc = [name for name in members if name.startswith(SITE + "/__pycache__/tinypkg.")]
        assert len(pyc) == 1, sorted(members)
        code = marshal.loads(tar.extractfile(pyc[0]).read()[16:])
    # The packages and their scripts; the venv's own files (python, activate, pyvenv.cfg) are the host's.
    assert SITE + "/tinypkg.py" in members and SITE + "/tinypkg-0.1.dist-info/RECORD" in members
    assert not [name for name in members if name.startswith(("bin/python", "bin/activate", "pyvenv", SITE + "/uv"))
                or "_virtualenv" in name]
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members.values()} == {(0, 0, "root", "root")}
    assert script.startswith("#!%s/bin/python\n" % TARGET)
    assert code.co_filename == "%s/%s/tinypkg.py" % (TARGET, SITE)


def test_a_controller_without_the_targets_python_builds_nothing_and_says_why(wheelhouse):
    done = build(wheelhouse, python="3.99.0")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "no Python 3.99" in done.stdout
    assert not (wheelhouse / "cache").exists() or list((wheelhouse / "cache").iterdir()) == []


def test_a_wheel_the_lock_does_not_hash_fails_the_build(wheelhouse):
    (wheelhouse / "lock.txt").write_text("tinypkg==0.1 \\\n    --hash=sha256:%s\n%s" % ("1" * 64, UV_ENTRY))
    done = build(wheelhouse)
    assert done.returncode not in (0, 3)
    assert "hash" in done.stderr.lower()
    assert list((wheelhouse / "cache").iterdir()) == []


@pytest.mark.parametrize("venv", ["relative/venv", "/opt/x y", "/opt/$(id)", "/opt/venv\n"])
def test_a_venv_path_that_is_not_plain_is_refused(wheelhouse, venv):
    done = build(wheelhouse, venv=venv)
    assert done.returncode == 2 and "--venv" in done.stderr
    assert not (wheelhouse / "cache").exists()


def test_the_built_check_leaves_out_a_pack_never_built_and_refuses_a_changed_one(tmp_path):
    part, never = tmp_path / ".part", tmp_path / "never-built.tar.zst"
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("bin/x")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    part.write_bytes(subprocess.run(["zstd", "--quiet", "--stdout"], input=data.getvalue(), capture_output=True,
                                    check=True).stdout)
    pack = tmp_path / "built.tar.zst"
    digest = json.loads(sealed_tar("seal", part, pack).stdout)[str(pack)]
    done = sealed_tar("check", "--built", tmp_path, pack, never)
    assert done.returncode == 0 and json.loads(done.stdout) == {str(pack): digest}
    with open(pack, "ab") as stream:
        stream.write(b"planted")
    done = sealed_tar("check", "--built", tmp_path, pack, never)
    assert done.returncode != 0 and str(pack) in done.stderr and done.stdout == ""
