"""library/copilot_gateway_health.py reads what the proxy answers as the service user's word: odd,
huge or hostile answers give no models and no version, never an exception. (The gate itself runs
against the real proxy in every Molecule deploy; its failure and rollback in test_bad_input.py.)"""
import json

import pytest

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
from module_harness import load_library_module

health = load_library_module("copilot_gateway_health")


def test_the_served_names_are_the_ids_of_the_list_sorted():
    body = json.dumps({"object": "list", "data": [{"id": "gpt-4.1"}, {"id": "claude-sonnet-4.5"}]}).encode()
    assert health.model_names(body) == ["claude-sonnet-4.5", "gpt-4.1"]


@pytest.mark.parametrize("body", [
    b"", b"not json", b"[]", b'{"data": "x"}', b'{"data": [1, null, "id"]}', b'{"data": [{"id": 7}]}',
    b"\xff\xfe", b'{"data": [{"id": "a"}]' + b" " * health.MAX_ANSWER + b"}",
])
def test_odd_model_lists_name_nothing(body):
    assert health.model_names(body) == []


@pytest.mark.parametrize("version, shown", [
    ("1.108.7", True), ("1.108.7.post1", True), ("", False), ("1.0 $(id)", False), ("{{ lookup('pipe','id') }}", False),
    ("1" * 65, False), ("v1", False),
])
def test_only_a_plain_version_is_shown(version, shown):
    assert bool(health.VERSION.fullmatch(version)) is shown
