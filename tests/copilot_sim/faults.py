"""Fault injection: make chosen requests fail, hang or return garbage.

A fault matches a request when the request path *ends with* the fault's
`path` (so `/models` hits `/copilot/individual/models`) and, if set, the
method matches.  The first matching fault (in the order they were added)
applies and uses up one of its `times`.  Control API paths (`/_sim/…`) are
never faulted.
"""

import json
from dataclasses import dataclass

from .wire import JSON_TYPE, TEXT_TYPE, Response

# Deliberately cut-off JSON for `malformed` faults.
MALFORMED_BODY = b'{"data": [{"id": "gpt-4.1", "object": "model", "capabilities": {'


def _is_json(text):
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@dataclass
class Fault:
    path: str = ""
    status: int = None  # None: answer normally (after `delay`) unless malformed
    body: object = None  # str or JSON value; None: a JSON error naming the status
    delay: float = 0.0  # seconds to wait before answering
    malformed: bool = False  # 200 with a body that is not valid JSON
    times: int = None  # requests left to fault; None: until cleared
    method: str = None  # None: any method
    headers: dict = None  # extra response headers, e.g. Retry-After

    @classmethod
    def from_json(cls, spec):
        """Build a fault from a control API body, validating it."""
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        unknown = set(spec) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        fault = cls(**spec)
        if not isinstance(fault.path, str):
            raise ValueError("path must be a string")
        if fault.status is not None and not (isinstance(fault.status, int) and 100 <= fault.status <= 599):
            raise ValueError("status must be an HTTP status code")
        if not isinstance(fault.delay, (int, float)) or fault.delay < 0:
            raise ValueError("delay must be a non-negative number of seconds")
        if fault.times is not None and (not isinstance(fault.times, int) or fault.times < 1):
            raise ValueError("times must be a positive integer or null")
        if fault.method:
            fault.method = fault.method.upper()
        return fault

    def to_json(self):
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def matches(self, method, path):
        return path.endswith(self.path) and (self.method is None or self.method == method)

    def response(self):
        """The response this fault substitutes, or None to answer normally."""
        headers = dict(self.headers or {})
        if self.malformed:
            return Response(200, JSON_TYPE, MALFORMED_BODY, headers=headers)
        if self.status is None:
            return None
        if self.body is None:
            payload = {"error": {"message": f"Simulated fault (HTTP {self.status})", "code": "sim_fault"}}
            body = json.dumps(payload).encode()
            content_type = JSON_TYPE
        elif isinstance(self.body, str):
            body = self.body.encode()
            content_type = JSON_TYPE if _is_json(self.body) else TEXT_TYPE
        else:
            body = json.dumps(self.body).encode()
            content_type = JSON_TYPE
        return Response(self.status, content_type, body, headers=headers)


class FaultSet:
    """The active faults."""

    def __init__(self):
        self.faults = []

    def clear(self):
        self.faults = []

    def add(self, fault):
        self.faults.append(fault)

    def take(self, method, path):
        """The fault applying to this request (consuming one use), or None."""
        if path.startswith("/_sim/"):
            return None
        for fault in self.faults:
            if fault.matches(method, path):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                return fault
        return None

    def to_json(self):
        return [fault.to_json() for fault in self.faults]
