"""Runs the modules in library/ the way Ansible does (arguments in, one JSON result out), for the
unit tests. Importing this puts the repo's module_utils/ and tests/ on the import paths."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

import ansible.module_utils
from ansible.module_utils.testing import patch_module_args

REPO = Path(__file__).resolve().parents[2]
if str(REPO / 'module_utils') not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(REPO / 'module_utils'))
if str(REPO / 'tests') not in sys.path:
    sys.path.insert(0, str(REPO / 'tests'))


def load_library_module(name):
    """Imports library/<name>.py (not a package, so by path)."""
    spec = importlib.util.spec_from_file_location(name, str(REPO / 'library' / (name + '.py')))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def invoke(module, capsys, check_mode=False, **args):
    """Runs module.main() with args; returns (result, failed, raw stdout)."""
    if check_mode:
        args['_ansible_check_mode'] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            module.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    failed = bool(result.get('failed'))
    assert (exit_info.value.code != 0) == failed, 'exit code and result disagree'
    return result, failed, out
