"""Fixtures for tests that drive a deployed proxy (Molecule's verify step sets the environment)."""
import json
import os
import urllib.request

import pytest

PROXY_URL = os.environ.get("PROXY_URL", "")
PROXY_KEY = os.environ.get("PROXY_KEY", "")
COPILOT_SIM_URL = os.environ.get("COPILOT_SIM_URL", "")

if not (PROXY_URL and PROXY_KEY and COPILOT_SIM_URL):
    pytest.skip("needs a deployed proxy: run through Molecule (scripts/test.sh molecule)",
                allow_module_level=True)


def sim_call(method, path, body=None):
    """Call the Copilot simulator's control API."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(COPILOT_SIM_URL + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


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
