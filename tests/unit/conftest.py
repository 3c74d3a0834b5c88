"""Shared pytest fixtures for the unit tests."""

import json
import pathlib
import sys
import urllib.request

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # tests/: `copilot_sim`

from copilot_sim import Simulator  # noqa: E402


# ---------------------------------------------------------------------------
# Copilot simulator
# ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def sim():
    """One Copilot simulator for the whole session (see tests/copilot_sim)."""
    simulator = Simulator(port=0, device_interval=1)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def _reset_sim(request):
    """Every test starts from the simulator's initial state (only when the
    session's simulator is in use)."""
    if "sim" in request.fixturenames:
        simulator = request.getfixturevalue("sim")
        reset = urllib.request.Request(simulator.url + "/_sim/reset", data=b"{}", method="POST",
                                       headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(reset, timeout=10) as answer:
            json.load(answer)
