"""The role's interface: every default is declared in meta/argument_specs.yml with the same
default value, and every declared option has a default (so the README table stays complete)."""
from pathlib import Path

import pytest
import yaml

ROLE = Path(__file__).resolve().parents[2] / "roles" / "litellm_copilot"
README = Path(__file__).resolve().parents[2] / "README.md"


def load(relative):
    return yaml.safe_load((ROLE / relative).read_text())


DEFAULTS = load("defaults/main.yml")
OPTIONS = load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]


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
