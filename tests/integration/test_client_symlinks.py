"""The developer's home is theirs, not root's: a developer without sudo who points their client
directories or files at system paths gets one clear error naming the host, and no system file
changes owner or mode, no root-only file is copied to them, and the proxy keeps serving."""
import json

import pytest
from constants import DEVELOPER, DEVELOPER_HOME, TOKEN_CACHE
from lab import on_host, run_playbook, the_one_failure

SYSTEM_DIR = "/etc/systemd/system"
# A root-only JSON object, as LiteLLM's cached Copilot token is: its content must never reach the developer.
ROOT_ONLY = "/root/root-only.json"
ROOT_SECRET = "root-only-secret-4b1d"



def as_root(*command, check=True):
    return on_host(*command, check=check).stdout


def as_dev(*command):
    on_host(*command, user=DEVELOPER)


def owner_and_mode(path):
    return as_root("stat", "--format", "%U:%G %a %F", path).strip()


def deploy_fails_once_naming(path):
    """Re-applies the client configs (site.yml's configure and clients steps: the proxy is
    deployed already), which must fail once, naming the developer's path and the developer."""
    code, output = run_playbook("site.yml", options=["--tags", "configure,clients"])
    assert code != 0
    failure = the_one_failure(output)
    assert path in failure and DEVELOPER in failure


@pytest.fixture
def system_dir():
    """/etc/systemd/system as it was; put back whatever a run did to it (the code before the fix
    handed it to the developer)."""
    before = owner_and_mode(SYSTEM_DIR)
    listing = as_root("ls", "-A", SYSTEM_DIR)
    yield before
    owner, mode = before.split()[:2]
    as_root("chown", owner, SYSTEM_DIR)
    as_root("chmod", mode, SYSTEM_DIR)
    for name in set(as_root("ls", "-A", SYSTEM_DIR).split()) - set(listing.split()):
        as_root("rm", "-rf", SYSTEM_DIR + "/" + name)


@pytest.fixture
def moved_aside():
    """Moves a path of the developer aside (as the developer) and puts it back afterwards."""
    moved = []

    def move(path):
        as_dev("mv", "-T", path, path + ".aside")
        moved.append(path)
    yield move
    for path in reversed(moved):
        as_root("rm", "-rf", path)
        as_root("mv", "-T", path + ".aside", path)


@pytest.mark.parametrize("client_dir", [".claude", ".claude-code-router"])
def test_client_dir_linked_to_a_system_dir(serving, system_dir, moved_aside, client_dir):
    link = "%s/%s" % (DEVELOPER_HOME, client_dir)
    moved_aside(link)
    as_dev("ln", "-s", SYSTEM_DIR, link)
    deploy_fails_once_naming(link)
    assert owner_and_mode(SYSTEM_DIR) == system_dir
    assert as_root("ls", "-A", *(SYSTEM_DIR + "/" + name for name in ("settings.json", "config.json", "config.sqlite")),
                   check=False) == ""


def test_ccr_dir_linked_to_the_developers_own_dir_is_refused_with_its_reason(serving, moved_aside):
    """Claude-Code-Router 3's directory holds a SQLite store, written beside it: library/ccr_config.py
    wants a real directory, even where a link leads to the developer's own. Its reason reaches the
    operator although the task is no_log (it carries keys)."""
    link = DEVELOPER_HOME + "/.claude-code-router"
    dotfiles = DEVELOPER_HOME + "/dotfiles-ccr"
    moved_aside(link)
    as_dev("mkdir", "-p", dotfiles)
    as_dev("ln", "-s", dotfiles, link)
    try:
        code, output = run_playbook("site.yml", options=["--tags", "configure,clients"])
        assert code != 0
        failure = the_one_failure(output)
        assert link in failure and DEVELOPER in failure and "not a directory (a link?)" in failure, failure
        assert as_root("ls", "-A", dotfiles) == ""
    finally:
        as_root("rm", "-rf", dotfiles)


@pytest.fixture
def root_only_json():
    as_root("sh", "-c", "umask 077 && printf '%%s' '%s' > %s"
            % (json.dumps({"secret": ROOT_SECRET, "env": {}}), ROOT_ONLY))
    yield ROOT_ONLY
    as_root("rm", "-f", ROOT_ONLY)


@pytest.mark.parametrize("target", [ROOT_ONLY, TOKEN_CACHE],
                         ids=["root-only-json", "copilot-token-cache"])
def test_settings_linked_to_a_root_only_file(serving, moved_aside, root_only_json, target):
    settings = DEVELOPER_HOME + "/.claude/settings.json"
    assert on_host("test", "-f", target, check=False).returncode == 0, target + " is missing"
    before = as_root("sha256sum", target)
    secret = ROOT_SECRET if target == ROOT_ONLY else "tid="
    moved_aside(settings)
    as_dev("ln", "-s", target, settings)
    deploy_fails_once_naming(settings)
    assert as_root("sha256sum", target) == before
    # No file in the developer's home holds it, binary ones (CCR 3's store) included; grep -r does
    # not follow the link itself.
    assert as_root("grep", "-rlF", "--binary-files=text", secret, DEVELOPER_HOME, check=False) == ""
    # Still the developer's link: the role neither replaced it with a copy nor followed it.
    assert as_root("readlink", settings).strip() == target
