"""Everything the simulator remembers, in one place, resettable as a whole."""

import collections
import dataclasses
import threading
import time

from .accounts import AccountStore
from .catalog import Catalog
from .device_flow import DeviceFlow
from .faults import FaultSet
from .prompt_cache import PromptCache
from .thinking import new_secret
from .wire import redact_header

DEFAULT_CLIENT_ID = "Iv1.b507a08c87ecfe98"
REQUEST_LOG_SIZE = 500


@dataclasses.dataclass
class Config:
    token_ttl: int = 1800  # lifetime of exchanged Copilot tokens, seconds
    device_interval: int = 5  # polling interval given to new device codes
    client_id: str = DEFAULT_CLIENT_ID  # the only OAuth app the device flow knows
    enforce_interval: bool = True  # answer too-fast polls with slow_down
    public_url: str = None  # base URL to hand out; None: the one the client used
    # Oldest editor Copilot still serves, e.g. "vscode/1.104.0"; older ones get HTTP 466. None: any.
    min_editor_version: str = None

    def update(self, changes):
        """Apply control API changes; nothing changes if any value is invalid."""
        for name, value in changes.items():
            _check_config_value(name, value)
        for name, value in changes.items():
            if name == "public_url" and value:
                value = value.rstrip("/")
            setattr(self, name, value)

    def to_json(self):
        return dataclasses.asdict(self)


def _check_config_value(name, value):
    if name in ("token_ttl", "device_interval"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer")
    elif name == "enforce_interval":
        if not isinstance(value, bool):
            raise ValueError("enforce_interval must be true or false")
    elif name == "public_url":
        if value is not None and not isinstance(value, str):
            raise ValueError("public_url must be a string or null")
    elif name == "min_editor_version":
        if value is not None and parse_editor_version(value) is None:
            raise ValueError("min_editor_version must look like vscode/1.104.0, or be null")
    else:
        raise ValueError(f"unknown config field: {name}")


def parse_editor_version(value):
    """("vscode", (1, 104, 0)) for an editor-version header such as "vscode/1.104.0", else None."""
    if not isinstance(value, str):
        return None
    editor, _, version = value.strip().partition("/")
    parts = version.split("-", 1)[0].split(".")
    if not editor or not all(part.isdigit() for part in parts):
        return None
    return editor.lower(), tuple(int(part) for part in parts)


class RequestLog:
    """The most recent requests (control API excluded), secrets redacted."""

    def __init__(self):
        self.entries = collections.deque(maxlen=REQUEST_LOG_SIZE)

    def clear(self):
        self.entries.clear()

    def record(self, request):
        """Record a request; returns the entry so its status can be filled in."""
        body = request.json()
        if body is None and request.raw_body:
            body = request.params()
        entry = {
            "time": time.time(),
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "headers": {name: redact_header(name, value) for name, value in request.headers.items()},
            "body": body,
            "status": None,
        }
        self.entries.append(entry)
        return entry

    def matching(self, path_suffix=None):
        return [e for e in self.entries if path_suffix is None or e["path"].endswith(path_suffix)]


class SimState:
    """All mutable state.  Handlers run while holding `lock`."""

    def __init__(self, config):
        self.initial_config = dataclasses.replace(config)
        self.lock = threading.RLock()
        self.config = config
        self.accounts = AccountStore()
        self.device_flow = DeviceFlow()
        self.catalog = Catalog()
        self.faults = FaultSet()
        self.requests = RequestLog()
        self.prompt_cache = PromptCache()
        # Signs the thinking blocks answered; per simulator, kept by reset (see thinking.py).
        self.thinking_secret = new_secret()

    def reset(self):
        """Back to the state the simulator started in."""
        self.config = dataclasses.replace(self.initial_config)
        self.accounts.reset()
        self.device_flow.reset()
        self.catalog.reset()
        self.faults.clear()
        self.requests.clear()
        self.prompt_cache.clear()

    def base_url(self, request):
        """The URL clients should use to reach us again (handed out in
        `verification_uri` and the token's `endpoints`)."""
        return self.config.public_url or request.base_url
