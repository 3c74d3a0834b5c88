"""tests/labkit.py's write_inventory: a lab inventory may carry a token, so it is the writer's
alone (0600) even where a readable file was there before, and Ansible reads it as written."""
import json
import os
import stat

# module_harness first: it puts the repo's module_utils/ and tests/ on the import paths.
import module_harness  # noqa: F401
import labkit


def test_an_inventory_is_private_even_over_a_readable_file(tmp_path):
    path = tmp_path / "hosts.yml"
    path.write_text("old\n")
    os.chmod(path, 0o644)
    written = labkit.write_inventory(path, {"devvm-1": {"litellm_copilot_port": 4000}}, {"litellm_copilot_github_token": "gho_x"})
    assert written == str(path) and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert json.loads(path.read_text()) == {labkit.GROUP: {"hosts": {"devvm-1": {"litellm_copilot_port": 4000}},
                                                            "vars": {"litellm_copilot_github_token": "gho_x"}}}
    hosts = labkit.inventory_hosts(written)
    assert list(hosts) == ["devvm-1"] and hosts["devvm-1"]["litellm_copilot_port"] == 4000
    assert hosts["devvm-1"]["litellm_copilot_github_token"] == "gho_x"
