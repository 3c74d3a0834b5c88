"""The names of the wheelhouse and the packed venv built for a target's reported platform."""

import hashlib
import importlib.util

import pytest
from ansible.errors import AnsibleFilterError
from constants import ROLE

_spec = importlib.util.spec_from_file_location("copilot_platform", ROLE / "filter_plugins" / "copilot_platform.py")
platform = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(platform)

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
                      "tar": "/cache/venv-1.106.2-0123456789ab-py3.11.2-x86_64-glibc2.36-at%s.tar.gz" % at},
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


SHA = "841ee2e96b1fee824b04e82696a6877db32c6ee31195b533cb922b7af5ec83ad"
MARKERS = {"live": "/opt/x/venv/.requirements.lock.sha256", "good": "/opt/x/venv.last-good/.requirements.lock.sha256"}


def test_venv_records_are_read_from_greps_lines():
    lines = ["%s:%s 1.108.7-841ee2e96b1f" % (MARKERS["live"], SHA), "%s:%s 1.106.2-0123456789ab.2" % (MARKERS["good"], SHA)]
    assert platform.copilot_venv_records(lines, MARKERS) == {
        "live": {"lock": SHA, "name": "1.108.7-841ee2e96b1f"}, "good": {"lock": SHA, "name": "1.106.2-0123456789ab.2"}}


@pytest.mark.parametrize("record, expected", [
    ("", {"lock": "", "name": ""}),                                   # an empty marker
    (SHA, {"lock": SHA, "name": ""}),                                 # a lock without a name
    ("%s ../../etc" % SHA, {"lock": SHA, "name": ""}),                # the host's word never names a path
    ("%s .hidden" % SHA, {"lock": SHA, "name": ""}),
    ("%s a b" % SHA, {"lock": "", "name": ""}),                       # not "<sha> <name>"
    ("not-a-sha 1.108.7-841ee2e96b1f", {"lock": "", "name": "1.108.7-841ee2e96b1f"}),
])
def test_a_venv_record_the_role_did_not_write_counts_as_none(record, expected):
    assert platform.copilot_venv_records(["%s:%s" % (MARKERS["live"], record)], MARKERS)["live"] == expected


def test_a_missing_marker_is_no_record():
    assert platform.copilot_venv_records([], MARKERS) == {"live": {"lock": "", "name": ""}, "good": {"lock": "", "name": ""}}
    assert platform.copilot_venv_records(None, MARKERS)["good"] == {"lock": "", "name": ""}


def test_a_marker_of_several_lines_is_no_record():
    lines = ["%s:%s 1.108.7-841ee2e96b1f" % (MARKERS["live"], SHA), "%s:%s other" % (MARKERS["live"], SHA)]
    assert platform.copilot_venv_records(lines, MARKERS)["live"] == {"lock": "", "name": ""}
