"""Fixtures for tests that drive a deployed proxy (Molecule's verify step sets the environment)."""
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import copilot_sim  # noqa: E402  (tests/ on the path above)

PROXY_URL = os.environ.get("PROXY_URL", "")
PROXY_KEY = os.environ.get("PROXY_KEY", "")
COPILOT_SIM_URL = os.environ.get("COPILOT_SIM_URL", "")

if not (PROXY_URL and PROXY_KEY and COPILOT_SIM_URL):
    pytest.skip("needs a deployed proxy: run through Molecule (scripts/test.sh molecule)",
                allow_module_level=True)


def sim_call(method, path, body=None):
    """Call the Copilot simulator's control API."""
    return copilot_sim.control(COPILOT_SIM_URL, method, path, body)


@pytest.fixture
def sim_requests():
    """Returns a function listing what reached the simulator at a path, newest last."""
    sim_call("DELETE", "/_sim/requests")
    def requests_at(path):
        found = sim_call("GET", "/_sim/requests?path=" + path)
        return found["requests"] if isinstance(found, dict) else found
    return requests_at


@pytest.fixture(scope="session")
def openai_client():
    import openai
    return openai.OpenAI(base_url=PROXY_URL + "/v1", api_key=PROXY_KEY, max_retries=0, timeout=60)


@pytest.fixture(scope="session")
def anthropic_client():
    import anthropic
    return anthropic.Anthropic(base_url=PROXY_URL, api_key=PROXY_KEY, max_retries=0, timeout=60)
