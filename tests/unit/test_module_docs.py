"""Every module in library/ documents itself as ansible-doc reads it (the README points readers
there): DOCUMENTATION, EXAMPLES and RETURN parse and say what the module is, does and returns."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = sorted(path.stem for path in (REPO / "library").glob("*.py"))


@pytest.fixture(scope="module")
def docs():
    """ansible-doc's JSON for every module, read in one run from the repo root (its ansible.cfg)."""
    done = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "--json", *MODULES],
                          cwd=REPO, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg")))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("module", MODULES)
def test_the_module_documents_itself(docs, module):
    doc = docs[module]
    assert doc["doc"]["short_description"] and doc["doc"]["description"], module
    assert doc["examples"].strip() and doc["return"], module
