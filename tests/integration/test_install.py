"""The install path trusts nothing it did not check: what the host reports about itself, the
controller's cached wheelhouse, the wheels on the host, the venv the controller packed. (An upgrade
that fails its health gate and goes back to the previous venv is the fleet scenario's: molecule/fleet.)"""
import io
import hashlib
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from constants import INSTALL_DIR, REPO, default_version
from conftest import INSTALLED_LOCK
from lab import HOST, run_playbook, the_one_failure
from lab import host_output as on_host

VENV = INSTALL_DIR + "/venv"
LOCK = REPO / ("roles/litellm_copilot/files/locks/litellm-%s.txt" % default_version())
DEFAULT_CACHE = Path.home() / ".cache/litellm-copilot/wheelhouse"
# The role's lock sha256: of the lock's text as Ansible's file lookup reads it (trailing space stripped).
LOCK_SHA = hashlib.sha256(LOCK.read_text().rstrip().encode()).hexdigest()



@pytest.fixture
def serving(serving, same_process):
    """The proxy answers before and after the test (conftest.py), from the same process."""
    yield


def cached_wheelhouse():
    """The controller's cached wheelhouse tar for the lock (the lab has one platform)."""
    tars = sorted(DEFAULT_CACHE.glob("litellm-*-lock%s.tar" % LOCK_SHA[:12]))
    assert len(tars) == 1, tars
    return tars[0]


def host_wheelhouse():
    """The path of the wheelhouse directory on the host. A host that unpacked the venv packed for
    its platform has none: it gets the controller's, where an install would have put it."""
    names = on_host("sh", "-c", 'ls "$1" 2>/dev/null || true', "sh", INSTALL_DIR + "/wheelhouse").split()
    if not names:
        tar = cached_wheelhouse()
        subprocess.run(["podman", "cp", str(tar), HOST + ":/root/wheelhouse.tar"], check=True)
        on_host("sh", "-c", 'mkdir -p "$1" && tar -xf /root/wheelhouse.tar -C "$1" && rm /root/wheelhouse.tar',
                "sh", INSTALL_DIR + "/wheelhouse/" + tar.stem)
        names = [tar.stem]
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
    """A wheelhouse cache of this test's own (cache_with_wheelhouse)."""
    return cache_with_wheelhouse(tmp_path / "cache")


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
    """Issue 12 #6: uv goes into the venv only when its wheel has a hash the lock lists (a host
    that installs the venv itself)."""
    code, output = run_playbook("site.yml", "litellm_copilot_venv_build=host")
    assert code != 0
    failure = the_one_failure(output)
    assert "Put uv into the virtualenv" in output.split(failure)[0].rsplit("TASK [", 1)[-1]
    assert "DO NOT MATCH THE HASHES" in failure


def cache_with_wheelhouse(cache):
    """A controller cache of a test's own, holding a copy of the lab host's wheelhouse as the role
    built and recorded it (the shared cache stays untouched); returns the tar's path."""
    name = cached_wheelhouse().name
    cache.mkdir()
    shutil.copyfile(DEFAULT_CACHE / name, cache / name)
    digest = hashlib.sha256((cache / name).read_bytes()).hexdigest()
    (cache / (name + ".sha256")).write_text("%s  %s\n" % (digest, name))
    return cache / name


def task_results(output, task):
    """The result lines of one task of the role in a run's output."""
    block = output.split("TASK [litellm_copilot : %s]" % task, 1)
    assert len(block) == 2, "the run did not reach the task %r:\n%s" % (task, output[-3000:])
    return [line for line in block[1].split("TASK [", 1)[0].splitlines()[1:] if line.strip()]


def venv_target():
    return on_host("readlink", "--canonicalize", VENV).strip()


@pytest.fixture(scope="module")
def built_on_controller(tmp_path_factory):
    """A reinstall (the live venv's lock record made stale) with a controller cache of this test's
    own that holds the wheelhouse but no packed venv, install tasks only (the proxy keeps serving
    from its venv): the controller builds the venv and the host unpacks it, beside the live one.
    Yields (the cache, the run's exit code and output, the new venv's path on the host)."""
    cache = tmp_path_factory.mktemp("built") / "cache"
    cache_with_wheelhouse(cache)
    record = on_host("cat", INSTALLED_LOCK)
    next_venv = venv_target() + ".2"
    on_host("sh", "-c", 'echo stale > "$1"', "sh", INSTALLED_LOCK)
    try:
        code, output = run_playbook("site.yml", "litellm_copilot_wheelhouse_cache_dir=%s" % cache,
                                    options=["--tags", "install"])
    finally:
        on_host("sh", "-c", 'printf %s "$2" > "$1"', "sh", INSTALLED_LOCK, record)
    yield cache, code, output, next_venv
    on_host("rm", "-rf", next_venv)


def test_host_unpacks_the_venv_the_controller_built_without_installing(serving, built_on_controller):
    """Issue 14 #1: the controller builds the venv for the host's platform once, from the
    wheelhouse, seals it in its cache; the host unpacks it, checked, at the path it was built for,
    and runs neither pip nor uv; the venv works there and names its own path."""
    cache, code, output, next_venv = built_on_controller
    assert code == 0, output[-3000:]
    packs = sorted(path.name for path in cache.glob("venv-*.tar.zst*"))
    assert len(packs) == 2 and packs[1] == packs[0] + ".sha256", packs
    assert task_results(output, "Build the virtualenv once per platform on the controller") == [
        "changed: [%s -> localhost] => (item=%s)" % (HOST, packs[0][:-len(".tar.zst")])]
    assert task_results(output, "Unpack the virtualenv") == ["changed: [%s]" % HOST]
    for task in ("Put uv into the virtualenv", "Install the locked LiteLLM into the virtualenv"):
        assert task_results(output, task) == ["skipping: [%s]" % HOST], task
    assert on_host("cat", next_venv + "/.requirements.lock.sha256").strip() == "%s %s" % (LOCK_SHA, Path(next_venv).name)
    assert on_host(next_venv + "/bin/python", "-c", "import litellm, sys; print(sys.prefix)").strip() == next_venv
    assert on_host("head", "-n1", next_venv + "/bin/litellm").strip() == "#!%s/bin/python" % next_venv
    # Tracebacks on the host name the host's files: the bytecode was compiled for this path.
    origin = on_host(next_venv + "/bin/python", "-c", "import litellm; print(litellm.__spec__.loader.get_code('litellm').co_filename)")
    assert origin.strip().startswith(next_venv + "/lib/python3.11/site-packages/litellm/")
    assert on_host("find", INSTALL_DIR, "-maxdepth", "2", "-name", "*.tar*").strip() == ""


@pytest.fixture
def tampered_pack(built_on_controller, reinstall, tmp_path):
    """A cache of this test's own with the wheelhouse and the pack the controller built, the pack
    changed after its seal (a .pth file added, which Python would run at start-up)."""
    built, code, output, next_venv = built_on_controller
    assert code == 0, output[-3000:]
    on_host("rm", "-rf", next_venv)
    cache = cache_with_wheelhouse(tmp_path / "cache").parent
    for path in built.glob("venv-*.tar.zst*"):
        shutil.copyfile(path, cache / path.name)
    pack = sorted(cache.glob("venv-*.tar.zst"))[0]
    planted = io.BytesIO()
    with tarfile.open(fileobj=planted, mode="w") as extra:
        info = tarfile.TarInfo("lib/python3.11/site-packages/planted.pth")
        info.size = len(b"import os\n")
        extra.addfile(info, io.BytesIO(b"import os\n"))
    # Appended as a second zstd frame (zstd reads the frames as one stream): the pack holds the
    # planted file after its seal, without re-compressing its 170 MB.
    frame = subprocess.run(["zstd", "--quiet", "--stdout"], input=planted.getvalue(), capture_output=True, check=True)
    with open(pack, "ab") as tail:
        tail.write(frame.stdout)
    return pack, next_venv


def test_tampered_packed_venv_is_refused(serving, tampered_pack):
    """Issue 14 #1: the run stops before the host gets a pack changed after its seal, says which
    and why, and nothing is unpacked."""
    pack, next_venv = tampered_pack
    code, output = run_playbook("site.yml", "litellm_copilot_wheelhouse_cache_dir=%s" % pack.parent,
                                options=["--tags", "install"])
    assert code != 0
    failure = the_one_failure(output)
    assert pack.name in failure and "sha256" in failure
    assert on_host("sh", "-c", '[ ! -e "$1" ] && echo absent', "sh", next_venv).strip() == "absent"
    assert on_host("find", INSTALL_DIR, "-maxdepth", "2", "-name", "*.tar*").strip() == ""
