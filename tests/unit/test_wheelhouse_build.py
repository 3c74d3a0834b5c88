"""The controller's wheelhouse build (roles/litellm_copilot/files/download_wheels.py): it takes the
target's versions only as plain versions, and records the sha256 of every tar it builds."""
import base64
import hashlib
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles/litellm_copilot/files/download_wheels.py"
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
    done = run(command + ["--lock", str(tmp_path / "lock.txt"), "--tar", str(tmp_path / "w.tar")])
    assert done.returncode == 2
    assert "not a plain" in done.stderr
    assert list(tmp_path.iterdir()) == []


def make_wheel(directory, name, version):
    """A minimal, valid pure-Python wheel; returns its path."""
    path = directory / ("%s-%s-py3-none-any.whl" % (name, version))
    info = "%s-%s.dist-info" % (name, version)
    files = {
        "%s.py" % name: b"VALUE = 1\n",
        info + "/METADATA": ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)).encode(),
        info + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
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
    done = run(command + ["--lock", str(lock), "--tar", str(tar)], env=env)
    assert done.returncode == 0, done.stderr
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
    done = run(command + ["--lock", str(lock), "--tar", str(cache / "w.tar")], env=env)
    assert done.returncode != 0
    assert "DO NOT MATCH THE HASHES" in done.stderr + done.stdout
    assert list(cache.iterdir()) == []
