"""The install path trusts nothing it did not check: what the host reports about itself, the
controller's cached wheelhouse, the wheels on the host. An upgrade switches to a new venv in one
step and goes back to the previous one when the new proxy fails its health gate."""
import hashlib
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from lab import HOST, INVENTORY, fatal_lines, run_playbook, the_one_failure
from lab import host_output as on_host

INSTALL_DIR = "/opt/litellm-copilot"
VENV = INSTALL_DIR + "/venv"
# The record of the lock the live venv was installed from: anything else there reinstalls.
INSTALLED_LOCK = VENV + "/.requirements.lock.sha256"
REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "roles/litellm_copilot/files/locks/litellm-1.106.2.txt"
DEFAULT_CACHE = Path.home() / ".cache/litellm-copilot/wheelhouse"

pytestmark = pytest.mark.skipif(not (HOST and INVENTORY), reason="needs the Molecule lab host")


@pytest.fixture
def serving(openai_client):
    """The proxy answers before and after the test, from the same process."""
    pid = on_host("systemctl", "show", "--property", "MainPID", "--value", "litellm-copilot")
    assert openai_client.chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "before"}]).choices
    yield
    reply = openai_client.chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "after"}])
    assert "You said: after" in reply.choices[0].message.content
    assert on_host("systemctl", "show", "--property", "MainPID", "--value", "litellm-copilot") == pid


@pytest.fixture
def reinstall():
    """Makes the next run reinstall the venv (its lock record no longer matches), as after a
    changed lock, without touching the venv the proxy runs; puts the record back afterwards."""
    record = on_host("cat", INSTALLED_LOCK)
    on_host("sh", "-c", 'echo stale > "$1"', "sh", INSTALLED_LOCK)
    yield
    on_host("sh", "-c", 'printf %s "$2" > "$1"', "sh", INSTALLED_LOCK, record)


def host_wheelhouse():
    """The path of the wheelhouse directory on the host (one after a completed install)."""
    names = on_host("ls", INSTALL_DIR + "/wheelhouse").split()
    assert len(names) == 1, names
    return INSTALL_DIR + "/wheelhouse/" + names[0]


@pytest.fixture
def hostile_python(tmp_path):
    """The host's /usr/bin/python3 answers any `-c` program with text of the host's choosing:
    shell and Jinja meant for the controller, over two lines. Everything else (Ansible's modules)
    still runs the real Python. Yields the controller paths the shell would create if it ran."""
    markers = [tmp_path / ("ran-%d" % n) for n in range(4)]
    answer = tmp_path / "answer"
    answer.write_text(
        "3.11.2$(touch${IFS}%s) 2.36`touch${IFS}%s`;touch${IFS}%s x86_64\n"
        "3.11.2 2.36 x86_64;touch %s {{ lookup('pipe', 'id') }}\n" % tuple(markers))
    real = on_host("readlink", "/usr/bin/python3").strip()
    assert real, "expected /usr/bin/python3 to be a link to the real interpreter"
    wrapper = tmp_path / "python3"
    wrapper.write_text('#!/bin/sh\n[ "$1" = -c ] && exec cat /root/probe-answer\nexec /usr/bin/%s "$@"\n' % real)
    wrapper.chmod(0o755)
    subprocess.run(["podman", "cp", str(answer), HOST + ":/root/probe-answer"], check=True)
    subprocess.run(["podman", "cp", str(wrapper), HOST + ":/usr/bin/python3.hostile"], check=True)
    on_host("mv", "-f", "/usr/bin/python3.hostile", "/usr/bin/python3")
    try:
        assert on_host("/usr/bin/python3", "-c", "print(1)").startswith("3.11.2$(touch")
        yield markers
    finally:
        on_host("ln", "-sfn", real, "/usr/bin/python3")
        on_host("rm", "-f", "/root/probe-answer")


def test_hostile_target_versions_run_nothing_on_the_controller(serving, reinstall, hostile_python):
    """Issue 12 #1: a host whose Python reports $(...), backticks, `;`, Jinja and a newline as
    its versions: nothing runs on the controller, and the host fails with one clear message."""
    code, output = run_playbook("site.yml")
    ran = [str(marker) for marker in hostile_python if marker.exists()]
    assert not ran, "the controller ran the host's shell: " + ", ".join(ran)
    assert code != 0
    failure = the_one_failure(output)
    assert "not plain versions" in failure


@pytest.fixture
def private_cache(tmp_path):
    """A wheelhouse cache of this test's own, holding a copy of the lab host's wheelhouse as the
    role built and recorded it (the shared cache stays untouched)."""
    name = Path(host_wheelhouse()).name + ".tar"
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copyfile(DEFAULT_CACHE / name, cache / name)
    digest = hashlib.sha256((cache / name).read_bytes()).hexdigest()
    (cache / (name + ".sha256")).write_text("%s  %s\n" % (digest, name))
    return cache / name


@pytest.fixture
def host_without_wheelhouse():
    """The host's wheelhouse moved aside, so the run copies the controller's again."""
    path = host_wheelhouse()
    on_host("mv", path, path + ".kept")
    yield path
    on_host("sh", "-c", '[ ! -d "$1.kept" ] || { rm -rf "$1" && mv "$1.kept" "$1"; }', "sh", path)


def test_tampered_cached_wheelhouse_is_refused(serving, reinstall, private_cache, host_without_wheelhouse):
    """Issue 12 #6: the cached tar changed after it was built (a wheel added): the run stops
    before any host unpacks it, and says which tar and why."""
    planted = private_cache.parent / "planted-0.1-py3-none-any.whl"
    planted.write_bytes(b"not what the lock hashed")
    with tarfile.open(private_cache, "a") as tar:
        tar.add(planted, arcname=planted.name)
    code, output = run_playbook(
        "site.yml", "litellm_copilot_wheelhouse_cache_dir=%s" % private_cache.parent)
    assert code != 0
    failure = the_one_failure(output)
    assert private_cache.name in failure and "sha256" in failure
    assert on_host("ls", INSTALL_DIR + "/wheelhouse").split() == [Path(host_without_wheelhouse).name + ".kept"]


@pytest.fixture
def tampered_uv_wheel():
    """The uv wheel in the host's wheelhouse, changed after the copy (still a readable wheel)."""
    wheel = on_host("sh", "-c", 'ls "$1"/uv-*.whl', "sh", host_wheelhouse()).split()
    assert len(wheel) == 1, wheel
    size = on_host("stat", "--format", "%s", wheel[0]).strip()
    on_host("sh", "-c", 'printf "appended by the test" >> "$1"', "sh", wheel[0])
    yield wheel[0]
    on_host("truncate", "--size", size, wheel[0])


def test_uv_is_installed_only_with_the_locked_hash(serving, reinstall, tampered_uv_wheel):
    """Issue 12 #6: uv goes into the venv only when its wheel has a hash the lock lists."""
    code, output = run_playbook("site.yml")
    assert code != 0
    failure = the_one_failure(output)
    assert "Put uv into the virtualenv" in output.split(failure)[0].rsplit("TASK [", 1)[-1]
    assert "DO NOT MATCH THE HASHES" in failure


@pytest.fixture
def broken_lock(tmp_path):
    """A lock of the same LiteLLM without uvicorn: it installs, hash-checked, but the proxy
    cannot start from it (a broken upgrade)."""
    text = LOCK.read_text()
    broken, count = re.subn(r"^uvicorn==.*?(?=^\S)", "", text, flags=re.M | re.S)
    assert count == 1
    path = tmp_path / "broken.txt"
    path.write_text(broken)
    return path


def venv_target():
    return on_host("readlink", "--canonicalize", VENV).strip()


def test_broken_upgrade_rolls_back_to_the_previous_venv(openai_client, broken_lock, tmp_path):
    """Issue 12 #7: an upgrade to a venv the proxy cannot start from fails the health gate; the
    role switches back to the previous venv, restarts it, and the proxy serves again."""
    before = venv_target()
    code, output = run_playbook(
        "site.yml", "_litellm_copilot_lock_file=%s" % broken_lock,
        "litellm_copilot_wheelhouse_cache_dir=%s" % (tmp_path / "cache"), '{"litellm_copilot_health_timeout": 60}')
    assert code != 0
    fatal = fatal_lines(output)
    assert fatal and "[%s]" % HOST in fatal[-1], output[-3000:]
    assert "Rolled back to the last good config, environment, unit and virtualenv" in fatal[-1]
    assert "healthy again" in fatal[-1]
    assert "uvicorn" in fatal[-1]  # the journal excerpt shows why
    assert venv_target() == before
    reply = openai_client.chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "after the rollback"}])
    assert "You said: after the rollback" in reply.choices[0].message.content
    # The next run with the real lock changes nothing: the rolled-back venv is the locked one.
    code, output = run_playbook("site.yml")
    assert code == 0, output[-3000:]
    assert venv_target() == before
