"""The role's interface: every default is declared in meta/argument_specs.yml with the same
default value, and every declared option has a default (so the README table stays complete).
Each entry point (tasks_from) has its own spec, declaring the main entry point's options it reads."""
import re
from pathlib import Path

import pytest
import yaml

ROLE = Path(__file__).resolve().parents[2] / "roles" / "litellm_copilot"
README = Path(__file__).resolve().parents[2] / "README.md"


def load(relative):
    return yaml.safe_load((ROLE / relative).read_text())


DEFAULTS = load("defaults/main.yml")
SPECS = load("meta/argument_specs.yml")["argument_specs"]
OPTIONS = SPECS["main"]["options"]
ENTRY_POINTS = ("main", "refresh", "status")


def test_defaults_and_argument_specs_name_the_same_variables():
    assert sorted(DEFAULTS) == sorted(OPTIONS)


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_argument_spec_default_matches(name):
    assert OPTIONS[name].get("default") == DEFAULTS[name]


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_variable_is_prefixed_and_described(name):
    assert name.startswith("litellm_copilot_")
    assert OPTIONS[name].get("description")


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_variable_is_in_the_readme_table(name):
    assert "| `%s`" % name in README.read_text()


def test_every_entry_point_has_a_spec_and_a_task_list():
    assert sorted(SPECS) == sorted(ENTRY_POINTS)
    for entry in ENTRY_POINTS:
        assert (ROLE / "tasks" / (entry + ".yml")).is_file()
        assert SPECS[entry].get("short_description") and SPECS[entry].get("options")


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_entry_point_options_are_the_main_ones(entry):
    # the same definition (default, type, description) wherever a variable is validated
    for name, option in SPECS[entry]["options"].items():
        assert option == OPTIONS[name], name


def test_refresh_validates_every_variable_a_full_run_does():
    # a refresh renders the same unit, environment file and config
    assert SPECS["refresh"]["options"] == OPTIONS


def _names_read(text, internal, seen):
    """The role variables an expression reads, following the internal ones through vars/main.yml."""
    names = set()
    for name in re.findall(r"\b_?litellm_copilot_\w+", text):
        if name in DEFAULTS:
            names.add(name)
        elif name in internal and name not in seen:
            seen.add(name)
            names |= _names_read(str(internal[name]), internal, seen)
    return names


def test_status_declares_exactly_the_variables_it_reads():
    internal = load("vars/main.yml")
    read = _names_read((ROLE / "tasks" / "status.yml").read_text(), internal, set())
    assert read and read == set(SPECS["status"]["options"])
