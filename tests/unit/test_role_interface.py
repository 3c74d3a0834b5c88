"""The role's interface: every default is declared in meta/argument_specs.yml with the same
default value, and every declared option has a default (so the README table stays complete).
Each entry point (tasks_from) has its own spec, declaring the main entry point's options it reads."""
import json
import os
import re
import subprocess
import sys
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


def _plain(value):
    """A copy sharing nothing with the loaded YAML (an alias loads as its anchor's very object)."""
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_entry_point_options_are_the_main_ones(entry):
    # The same definition (default, type, description) wherever a variable is validated: an option
    # written out by hand instead of aliasing the main one's anchor must not drift from it.
    options = SPECS[entry]["options"]
    assert set(options) <= set(OPTIONS), "not options of the main entry point: %s" % sorted(set(options) - set(OPTIONS))
    for name, option in options.items():
        assert option.get("description") and option.get("type"), "%s: %s lacks a description or a type" % (entry, name)
        assert _plain(option) == _plain(OPTIONS[name]), "%s: %s differs from the main entry point's" % (entry, name)


def _files_run_by(entry):
    """The files an entry point evaluates: its task file and every task file it imports or includes
    (followed), the templates they render, and the handlers they notify."""
    files, todo = [], [ROLE / "tasks" / (entry + ".yml")]
    while todo:
        path = todo.pop()
        assert path.is_file(), path
        if path in files:
            continue
        files.append(path)
        text = path.read_text()
        todo += [ROLE / "tasks" / name
                 for name in re.findall(r"\b(?:import|include)_tasks:\s+(?:file:\s+)?([\w.-]+\.yml)\b", text)]
        todo += [ROLE / "templates" / name for name in re.findall(r"\bsrc:\s+([\w.-]+\.j2)\b", text)]
    return files + [ROLE / "handlers" / "main.yml"]


def test_refresh_declares_every_variable_it_reads():
    # a refresh renders the same unit, environment file and config as a full run: every variable
    # these read must be validated before its first task
    internal = load("vars/main.yml")
    files = _files_run_by("refresh")
    names = {path.relative_to(ROLE).as_posix() for path in files}
    assert {"tasks/check_settings.yml", "tasks/converge.yml", "tasks/plan.yml", "tasks/configure.yml", "tasks/service.yml",
            "templates/config.yaml.j2", "templates/litellm-copilot.service.j2"} <= names, sorted(names)
    read = set()
    for path in files:
        read |= _names_read(path.read_text(), internal, set())
    assert len(read) > 30
    assert not read - set(SPECS["refresh"]["options"]), sorted(read - set(SPECS["refresh"]["options"]))


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


def tasks_run_with(tag):
    """The role's tasks a `site.yml --tags <tag>` run has, as Ansible itself resolves them (--list-tasks)."""
    repo = ROLE.parents[1]
    listed = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "site.yml", "--tags", tag,
                             "--list-tasks"], cwd=repo, capture_output=True, text=True, check=True,
                            env=dict(os.environ, ANSIBLE_CONFIG=str(repo / "ansible.cfg")))
    return [line.split(":", 1)[1].split("\t")[0].strip() for line in listed.stdout.splitlines()
            if line.strip().startswith("litellm_copilot :")]


def test_a_run_limited_to_configure_also_writes_the_socket_unit():
    """The listen address and port are configuration: `--tags configure` with a new port writes the
    socket unit too, or the gate that run passes would look where nothing listens."""
    tasks = tasks_run_with("configure")
    assert "Install the systemd socket unit" in tasks and "Check the gateway's health" in tasks, tasks
    assert "Install the systemd unit" not in tasks, tasks


@pytest.mark.parametrize("tag", ["configure", "token", "service", "verify", "clients"])
def test_a_run_limited_to_one_step_has_what_its_gate_and_clients_need(tag):
    """A step the README lists may run alone (`--tags service`): discovery, the plan and the master
    key run with it, before the gate or the clients that need them."""
    tasks = tasks_run_with(tag)
    needed = ["Discover the models this Copilot seat allows", "Plan what the host serves from the discovered models",
              "Read or generate the master key"]
    last = "Merge the proxy into the Claude Code settings" if tag == "clients" else "Check the gateway's health"
    assert all(name in tasks for name in needed + [last]), tasks
    assert max(tasks.index(name) for name in needed) < tasks.index(last), tasks
