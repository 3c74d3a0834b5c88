"""A stand-in for github.com, api.github.com and api.githubcopilot.com.

Speaks GitHub Copilot's (undocumented) shapes: the OAuth device flow, the
Copilot token exchange, the quota report, `/models`, `/chat/completions`,
`/responses`, `/v1/messages` and `/embeddings` — with deterministic answers,
the real service's rejections, billing (premium requests or AI credits, with
prompt caching), and a `/_sim/` control API for faults, accounts and their
billing, device flow scripts, catalog edits, request inspection and bills.
Standard library only.

    from copilot_sim import Simulator, INDIVIDUAL_TOKEN
    sim = Simulator(port=0).start()
    ...  # GET {sim.url}/copilot_internal/v2/token with "Authorization: token " + INDIVIDUAL_TOKEN
    sim.stop()
"""

from .accounts import BUSINESS_TOKEN, ENTERPRISE_TOKEN, INDIVIDUAL_TOKEN, NO_COPILOT_TOKEN, UNKNOWN_TOKEN
from .answers import ECHO_SYSTEM_MARKER
from .control_client import bill, control
from .server import Simulator
from .state import DEFAULT_CLIENT_ID
from .wire import fingerprint

__all__ = [
    "Simulator",
    "control",
    "bill",
    "INDIVIDUAL_TOKEN",
    "BUSINESS_TOKEN",
    "ENTERPRISE_TOKEN",
    "NO_COPILOT_TOKEN",
    "UNKNOWN_TOKEN",
    "DEFAULT_CLIENT_ID",
    "ECHO_SYSTEM_MARKER",
    "fingerprint",
]
