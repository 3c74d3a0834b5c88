"""The controller's wheelhouse build (roles/litellm_copilot/files/controller/download_wheels.py): it takes the
target's versions only as plain versions, and records the sha256 of every tar it builds. The cache's
seal (files/controller/sealed_tar.py), which wheelhouses and packed virtualenvs share: a tar that changed since
it was sealed is refused, by name."""
import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles/litellm_copilot/files/controller/download_wheels.py"
SEAL = SCRIPT.parent / "sealed_tar.py"
GOOD = {"--python": "3.11.2", "--glibc": "2.36", "--arch": "x86_64"}


def run(args, env=None):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.mark.parametrize("option, value", [
    ("--python", "3.11.2$(touch /tmp/x)"),
    ("--python", "3.11.2\n3.11.2"),
    ("--glibc", "2.36`id`"),
    ("--glibc", "2.36;id"),
    ("--arch", "x86_64;id"),
    ("--arch", "x86_64 {{ lookup('pipe', 'id') }}"),
])
def test_hostile_target_versions_are_refused(tmp_path, option, value):
    """A version that is not plain stops the build before pip or any file is touched."""
    args = dict(GOOD, **{option: value})
    command = [item for pair in args.items() for item in pair]
    done = run(command + ["--lock", str(tmp_path / "lock.txt"), "--tar", str(tmp_path / "w.tar"),
                          "--cache-dir", str(tmp_path)])
    assert done.returncode == 2
    assert "not a plain" in done.stderr
    assert list(tmp_path.iterdir()) == []


def make_wheel(directory, name, version, entry_points=None):
    """A minimal, valid pure-Python wheel (with console scripts {name: "module:function"}); returns its path."""
    path = directory / ("%s-%s-py3-none-any.whl" % (name, version))
    info = "%s-%s.dist-info" % (name, version)
    files = {
        "%s.py" % name: b"VALUE = 1\n\ndef main():\n    print(VALUE)\n",
        info + "/METADATA": ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)).encode(),
        info + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if entry_points:
        files[info + "/entry_points.txt"] = ("[console_scripts]\n" + "".join(
            "%s = %s\n" % item for item in entry_points.items())).encode()
    record = []
    with zipfile.ZipFile(path, "w") as wheel:
        for member, content in files.items():
            wheel.writestr(member, content)
            digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (member, digest, len(content)))
        record.append(info + "/RECORD,,")
        wheel.writestr(info + "/RECORD", "\n".join(record) + "\n")
    return path


def test_built_tar_has_its_sha256_recorded_next_to_it(tmp_path):
    """Real pip downloads a hash-locked wheel (from a local directory); the tar holds it and its
    list, TAR.sha256 holds the tar's sha256 in sha256sum's format, and no work files remain."""
    links = tmp_path / "links"
    links.mkdir()
    wheel = make_wheel(links, "tinypkg", "0.1")
    lock = tmp_path / "lock.txt"
    lock.write_text("tinypkg==0.1 \\\n    --hash=sha256:%s\n" % hashlib.sha256(wheel.read_bytes()).hexdigest())
    cache = tmp_path / "cache"
    tar = cache / "wheelhouse-test.tar"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(links),
           "PIP_CONFIG_FILE": "/dev/null"}
    command = [item for pair in GOOD.items() for item in pair]
    done = run(command + ["--lock", str(lock), "--tar", str(tar), "--cache-dir", str(cache)], env=env)
    assert done.returncode == 0, done.stderr
    # The cache is private to the controller's user: it holds what every host runs as root.
    assert cache.stat().st_mode & 0o777 == 0o700
    with tarfile.open(tar) as packed:
        assert sorted(packed.getnames()) == [wheel.name, "wheelhouse.txt"]
        assert packed.extractfile("wheelhouse.txt").read().decode() == wheel.name + "\n"
    recorded = (cache / "wheelhouse-test.tar.sha256").read_text()
    assert recorded == "%s  wheelhouse-test.tar\n" % hashlib.sha256(tar.read_bytes()).hexdigest()
    assert sorted(p.name for p in cache.iterdir()) == ["wheelhouse-test.tar", "wheelhouse-test.tar.sha256"]


def test_a_wheel_the_lock_does_not_hash_builds_nothing(tmp_path):
    """A wheel whose hash is not the locked one fails the build, and no tar or sidecar appears."""
    links = tmp_path / "links"
    links.mkdir()
    make_wheel(links, "tinypkg", "0.1")
    lock = tmp_path / "lock.txt"
    lock.write_text("tinypkg==0.1 \\\n    --hash=sha256:%s\n" % ("0" * 64))
    cache = tmp_path / "cache"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(links),
           "PIP_CONFIG_FILE": "/dev/null"}
    command = [item for pair in GOOD.items() for item in pair]
    done = run(command + ["--lock", str(lock), "--tar", str(cache / "w.tar"), "--cache-dir", str(cache)], env=env)
    assert done.returncode != 0
    assert "DO NOT MATCH THE HASHES" in done.stderr + done.stdout
    assert list(cache.iterdir()) == []


def sealed_tar(*args):
    return subprocess.run([sys.executable, str(SEAL), *map(str, args)], capture_output=True, text=True, timeout=60)


@pytest.fixture
def sealed(tmp_path):
    """A tar sealed into a cache: moved into place from its work file, its sha256 next to it."""
    part = tmp_path / ".venv-test.tar.host-1"
    with tarfile.open(part, "w") as tar:
        info = tarfile.TarInfo("venv/bin/python")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"\x7fELF"))
    digest = hashlib.sha256(part.read_bytes()).hexdigest()
    done = sealed_tar("seal", part, tmp_path / "venv-test.tar")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {str(tmp_path / "venv-test.tar"): digest}
    assert not part.exists()
    assert (tmp_path / "venv-test.tar.sha256").read_text() == "%s  venv-test.tar\n" % digest
    return tmp_path / "venv-test.tar", digest


def test_a_sealed_tar_passes_the_check_with_its_sha256(sealed):
    tar, digest = sealed
    done = sealed_tar("check", tar.parent, tar)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {str(tar): digest}


def test_a_tar_changed_after_its_seal_is_refused_by_name(sealed):
    """A file added to the cached tar after it was sealed: the check fails, names the tar and the
    sha256, and prints no sha256 a host could use."""
    tar, _ = sealed
    with tarfile.open(tar, "a") as packed:
        info = tarfile.TarInfo("venv/planted.pth")
        info.size = 6
        packed.addfile(info, io.BytesIO(b"import"))
    done = sealed_tar("check", tar.parent, tar)
    assert done.returncode != 0
    assert str(tar) in done.stderr and "sha256" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("missing", ["tar", "sidecar"])
def test_a_tar_without_its_seal_or_a_seal_without_its_tar_is_refused(sealed, missing):
    tar, _ = sealed
    (tar if missing == "tar" else tar.with_name(tar.name + ".sha256")).unlink()
    done = sealed_tar("check", tar.parent, tar)
    assert done.returncode != 0
    assert str(tar) in done.stderr and "sha256" in done.stderr


@pytest.mark.parametrize("tar", ["/root/.vault_pass", "{cache}/../w.tar", "{cache}/sub/w.tar", "{cache}/w.txt",
                                 "{cache}/.hidden.tar", "w.tar"])
def test_a_tar_outside_the_cache_is_refused_before_anything_is_written(tmp_path, tar):
    """A controller path a host could have chosen (a vault password file, a way out of the cache)
    is refused before pip runs or any file or directory is made."""
    cache = tmp_path / "cache"
    command = [item for pair in GOOD.items() for item in pair]
    done = run(command + ["--lock", str(tmp_path / "lock.txt"), "--tar", tar.format(cache=cache),
                          "--cache-dir", str(cache)])
    assert done.returncode == 1
    assert "refused" in done.stderr or "absolute" in done.stderr
    assert list(tmp_path.iterdir()) == []


def unsafe_part(tmp_path, member, zstd=False):
    """A finished tar, not sealed yet, holding one ordinary file and `member` (a TarInfo); zstd-
    compressed (as a packed venv) when asked."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        ok = tarfile.TarInfo("lib/ok.py")
        ok.size = 1
        tar.addfile(ok, io.BytesIO(b"x"))
        tar.addfile(member, io.BytesIO(b"x" * member.size) if member.isreg() else None)
    part = tmp_path / ".part"
    part.write_bytes(subprocess.run(["zstd", "--quiet", "--stdout"], input=data.getvalue(), capture_output=True,
                                    check=True).stdout if zstd else data.getvalue())
    return part


def member(name, kind=tarfile.REGTYPE, mode=0o644, linkname=""):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.linkname = kind, mode, linkname
    info.size = 1 if kind == tarfile.REGTYPE else 0
    return info


@pytest.mark.parametrize("zstd", [False, True], ids=["wheelhouse", "packed venv"])
@pytest.mark.parametrize("bad", [
    member("bin/su", mode=0o4755), member("bin/sg", mode=0o2755), member("lib/w.py", mode=0o666),
    member("dev/sda", kind=tarfile.BLKTYPE), member("dev/null", kind=tarfile.CHRTYPE), member("p", kind=tarfile.FIFOTYPE),
    member("bin/python", kind=tarfile.SYMTYPE, linkname="/tmp/evil"),
    member("lib/up", kind=tarfile.SYMTYPE, linkname="../../etc/shadow"),
    member("lib/hard", kind=tarfile.LNKTYPE, linkname="etc/shadow"),
    member("../outside.py"), member("/etc/cron.d/x"),
], ids=lambda info: getattr(info, "name", None))
def test_a_tar_with_members_unsafe_to_unpack_as_root_is_never_sealed(tmp_path, bad, zstd):
    """The hosts unpack as root: a tar holding setuid files, devices, links leaving the tree or
    paths outside it gets no seal (so no run ever copies it), says which member, and is removed."""
    tar = tmp_path / ("venv-unsafe.tar.zst" if zstd else "venv-unsafe.tar")
    done = sealed_tar("seal", unsafe_part(tmp_path, bad, zstd), tar)
    assert done.returncode != 0 and done.stdout == ""
    assert repr(bad.name[:100]) in done.stderr and "not sealed" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("zstd", [False, True], ids=["wheelhouse", "packed venv"])
def test_links_that_stay_inside_the_tree_are_sealed(tmp_path, zstd):
    tar = tmp_path / ("venv-ok.tar.zst" if zstd else "venv-ok.tar")
    done = sealed_tar("seal", unsafe_part(tmp_path, member("lib/alias.py", kind=tarfile.SYMTYPE, linkname="ok.py"), zstd), tar)
    assert done.returncode == 0, done.stderr
    assert sealed_tar("check", tmp_path, tar).returncode == 0


@pytest.mark.parametrize("whose", ["cache directory", "cached tar", "seal"])
def test_a_cache_someone_else_may_write_is_refused(sealed, whose):
    """A seal vouches for the members only while no one but this user can write the cache: a
    cache directory, tar or seal another user owns or may write is refused, and no sha256 printed."""
    tar, _ = sealed
    path = {"cache directory": tar.parent, "cached tar": tar, "seal": tar.with_name(tar.name + ".sha256")}[whose]
    mode = os.stat(path).st_mode
    os.chmod(path, mode | 0o022)
    done = sealed_tar("check", tar.parent, tar)
    assert done.returncode != 0 and done.stdout == ""
    assert str(path) in done.stderr and "not this user's alone" in done.stderr
    os.chmod(path, mode)
    os.chown(path, 4242, -1)
    done = sealed_tar("check", tar.parent, tar)
    assert done.returncode != 0 and done.stdout == "" and "uid 4242" in done.stderr


@pytest.mark.parametrize("where", ["/etc/passwd", "{cache}/../venv-unsafe.tar"])
def test_the_check_refuses_a_tar_outside_the_cache(tmp_path, where):
    cache = tmp_path / "cache"
    cache.mkdir()
    done = sealed_tar("check", cache, where.format(cache=cache))
    assert done.returncode != 0 and done.stdout == "" and "refused" in done.stderr
