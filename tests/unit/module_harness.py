"""Runs the modules in library/ the way Ansible does (arguments in, one JSON result out), for the
unit tests. Importing this puts the repo's module_utils/ and tests/ on the import paths."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

import ansible.module_utils
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.testing import patch_module_args

REPO = Path(__file__).resolve().parents[2]
if str(REPO / 'module_utils') not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(REPO / 'module_utils'))
if str(REPO / 'tests') not in sys.path:
    sys.path.insert(0, str(REPO / 'tests'))

from ansible.module_utils.copilot import http  # noqa: E402  (importable only from here on)


def load_source(path, name=None):
    """Imports a Python file that is not in a package (a filter or action plugin, a module, a
    script of the role's files/) by its path, as a module named ``name`` (default: the file's stem)."""
    path = Path(path)
    spec = importlib.util.spec_from_file_location(name or path.stem, str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_library_module(name):
    """Imports library/<name>.py (not a package, so by path)."""
    return load_source(REPO / 'library' / (name + '.py'))


def invoke(module, capsys, check_mode=False, **args):
    """Runs module.main() with args; returns (result, failed, raw stdout)."""
    if check_mode:
        args['_ansible_check_mode'] = True
    # On a host every module run is a new process; in here the warnings of earlier runs would pile up
    # in Ansible's per-run store and come back in this run's result.
    module_warnings._global_warnings.clear()
    module_warnings._global_deprecations.clear()
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            module.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    failed = bool(result.get('failed'))
    assert (exit_info.value.code != 0) == failed, 'exit code and result disagree'
    return result, failed, out


def simulator_runner(module, sim, capsys, monkeypatch):
    """A runner for a token module against the simulator: ``runner(check_mode=False, **args)`` runs
    ``module.main()`` with the simulator's URL (plain http allowed) and no pauses between retries."""
    monkeypatch.setattr(http, 'MAX_BACKOFF', 0.0)

    def runner(check_mode=False, **args):
        args.setdefault('github_api_url', sim.url)
        args.setdefault('allow_insecure_http', True)  # the simulator speaks plain http
        args.setdefault('timeout', 5)
        return invoke(module, capsys, check_mode, **args)

    return runner
