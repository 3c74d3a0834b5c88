"""Shared pytest fixtures for the unit tests."""

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # tests/: `copilot_sim`

from copilot_sim import Simulator, control  # noqa: E402


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
        control(request.getfixturevalue("sim").url, "POST", "/_sim/reset", {})
