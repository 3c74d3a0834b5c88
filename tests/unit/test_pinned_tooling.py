"""The controller's test tooling is installed from locks: the .venv from requirements-dev.txt with pip
--require-hashes, the npm clients from tests/clients/package-lock.json with `npm ci`. The locks must cover
what the readable files ask for, at the same versions, with a hash for every package."""

import json
import re

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


def test_bootstrap_installs_only_with_hashes():
    script = (REPO / "scripts" / "bootstrap.sh").read_text().replace("\\\n", " ")
    installs = [line for line in script.splitlines() if re.search(r"\bpip\"? install\b", line)]
    assert installs and all("--require-hashes" in line and "requirements-dev.txt" in line for line in installs)


def test_the_npm_clients_come_from_the_lock():
    package = json.loads((REPO / "tests" / "clients" / "package.json").read_text())
    lock = json.loads((REPO / "tests" / "clients" / "package-lock.json").read_text())
    assert lock["lockfileVersion"] >= 2
    wanted = package["dependencies"]
    assert {"@anthropic-ai/claude-code", "@anthropic-ai/claude-code-linux-x64",
            "@musistudio/claude-code-router"} <= set(wanted)
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", version) for version in wanted.values()), "exact versions only"
    assert lock["packages"][""]["dependencies"] == wanted
    packages = {path: entry for path, entry in lock["packages"].items() if path}
    for name, version in wanted.items():
        assert packages["node_modules/" + name]["version"] == version
    assert not [path for path, entry in packages.items()
                if not entry.get("link") and not str(entry.get("integrity", "")).startswith("sha512-")]


def test_install_clients_uses_npm_ci_without_install_scripts():
    script = (REPO / "scripts" / "install-clients.sh").read_text()
    npm_runs = [line for line in script.splitlines() if re.search(r"\bnpm (install|i|ci|add|update)\b", line)
                and not line.lstrip().startswith("#")]
    assert npm_runs and all(re.search(r"\bnpm ci\b", line) and "--ignore-scripts" in line for line in npm_runs)
