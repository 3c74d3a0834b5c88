"""The names of the wheelhouse and the packed venv built for a target's reported platform."""

import hashlib

import pytest
from ansible.errors import AnsibleFilterError
from constants import ROLE
from module_harness import load_source

platform = load_source(ROLE / "filter_plugins" / "copilot_platform.py", "copilot_platform")

VENV = "/opt/litellm-copilot/venvs/1.106.2-0123456789ab"
LOCK = "0123456789abcdef" * 4


def test_a_plain_report_names_the_wheelhouse_and_the_packed_venv():
    named = platform.copilot_platform("3.11.2 2.36 x86_64", VENV, "1.106.2", LOCK, "/cache")
    at = hashlib.sha256(VENV.encode()).hexdigest()[:8]
    assert named == {
        "python": "3.11.2", "glibc": "2.36", "arch": "x86_64",
        "wheelhouse": {"python": "3.11.2", "glibc": "2.36", "arch": "x86_64",
                       "id": "litellm-1.106.2-py3.11.2-x86_64-glibc2.36-lock0123456789ab",
                       "tar": "/cache/litellm-1.106.2-py3.11.2-x86_64-glibc2.36-lock0123456789ab.tar"},
        "venv_pack": {"python": "3.11.2", "glibc": "2.36", "arch": "x86_64",
                      "id": "venv-1.106.2-0123456789ab-py3.11.2-x86_64-glibc2.36-at" + at,
                      "wheelhouse": "/cache/litellm-1.106.2-py3.11.2-x86_64-glibc2.36-lock0123456789ab.tar",
                      "venv": VENV,
                      "tar": "/cache/venv-1.106.2-0123456789ab-py3.11.2-x86_64-glibc2.36-at%s.tar.zst" % at},
    }


def test_the_venv_path_is_part_of_the_packed_venv_name():
    # Its scripts and bytecode name the path it was built for.
    one = platform.copilot_platform("3.11.2 2.36 x86_64", VENV, "1.106.2", LOCK, "/cache")
    two = platform.copilot_platform("3.11.2 2.36 x86_64", VENV + ".2", "1.106.2", LOCK, "/cache")
    assert one["venv_pack"] != two["venv_pack"] and one["wheelhouse"] == two["wheelhouse"]


@pytest.mark.parametrize("report", [
    "3.11.2 2.36 x86_64\n", "3.11.2 2.36 $(touch /tmp/x)", "3.11.2; id 2.36 x86_64", "3.11.2 2.36", "",
    "3.11.2 2.36 x86`id`", None,
])
def test_anything_but_a_plain_report_names_nothing(report):
    with pytest.raises(AnsibleFilterError):
        platform.copilot_platform(report, VENV, "1.106.2", LOCK, "/cache")


def test_each_build_the_batch_needs_once():
    """Hosts of one platform share a wheelhouse and a pack: the controller builds each once; a host
    that needs no build (its venv is complete) adds nothing."""
    wheelhouse = {"id": "litellm-1.108.7-py3.11.2-x86_64-glibc2.36-lock0", "tar": "/c/w.tar"}
    pack = {"id": "venv-1", "tar": "/c/v.tar.zst"}
    hostvars = {
        "a": {"_litellm_copilot_wheelhouse": wheelhouse, "_litellm_copilot_venv_pack": pack},
        "b": {"_litellm_copilot_wheelhouse": dict(wheelhouse), "_litellm_copilot_venv_pack": dict(pack)},
        "c": {"_litellm_copilot_wheelhouse": {"id": "other", "tar": "/c/o.tar"}},
        "d": {},
    }
    assert platform.copilot_batch_builds(["a", "b", "c", "d"], hostvars) == {
        "wheelhouses": [wheelhouse, {"id": "other", "tar": "/c/o.tar"}], "venv_packs": [pack]}


def test_missing_packages_are_the_wanted_ones_dpkg_did_not_report_installed():
    wanted = ["python3-venv", "tar", "acl"]
    # dpkg-query's lines are the host's: only "<package> installed" counts, in any order.
    reported = ["acl installed", "python3-venv config-files", "tar installed extra", "", 7, "tar"]
    assert platform.copilot_missing_packages(wanted, reported) == ["python3-venv", "tar"]
    assert platform.copilot_missing_packages(wanted, ["tar installed", "python3-venv installed", "acl installed"]) == []
    assert platform.copilot_missing_packages(wanted, None) == wanted
