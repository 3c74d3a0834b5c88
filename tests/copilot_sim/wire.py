"""HTTP request/response values shared by every endpoint module.

Handlers never touch sockets: they receive a parsed `Request` and return a
`Response`, which `server.py` writes to the wire.  A response either has a
fixed `body` (sent with Content-Length, so keep-alive works) or a list of
server-sent `events` (sent with `Connection: close`).
"""

import hashlib
import json
import urllib.parse
from dataclasses import dataclass, field

JSON_TYPE = "application/json; charset=utf-8"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
SSE_TYPE = "text/event-stream"

# Headers whose values are credentials: never logged or recorded verbatim.
SECRET_HEADERS = ("authorization", "x-api-key", "cookie")


def fingerprint(secret):
    """A short, stable, non-reversible stand-in for a credential."""
    return "sha256:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12]


def redact_header(name, value):
    """Header value safe to record: credentials become a fingerprint.

    `Authorization: Bearer abc` is recorded as `Bearer sha256:…` so a test can
    still tell which token (and which scheme) a client sent.
    """
    if name.lower() not in SECRET_HEADERS:
        return value
    scheme, _, credential = value.partition(" ")
    if credential:
        return f"{scheme} {fingerprint(credential.strip())}"
    return fingerprint(value)


@dataclass
class Request:
    """One parsed HTTP request."""

    method: str
    path: str  # without the query string
    query: dict  # first value of each query parameter
    headers: dict  # lower-cased names
    raw_body: bytes
    base_url: str  # scheme://host:port the client used to reach us

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        """The body as JSON, or None when it is absent or not JSON."""
        if not self.raw_body:
            return None
        try:
            return json.loads(self.raw_body)
        except ValueError:
            return None

    def params(self):
        """Form fields from a form-encoded or JSON body, plus the query string.

        GitHub's OAuth endpoints accept all three, body fields win.
        """
        fields = dict(self.query)
        body = self.json()
        if isinstance(body, dict):
            fields.update({k: str(v) for k, v in body.items()})
        elif self.raw_body:
            parsed = urllib.parse.parse_qs(self.raw_body.decode("utf-8", "replace"))
            fields.update({k: v[0] for k, v in parsed.items()})
        return fields

    def wants_json(self):
        return "json" in self.header("accept", "")


@dataclass
class Response:
    status: int
    content_type: str = JSON_TYPE
    body: bytes = b""
    events: list = None  # SSE frames (bytes) instead of a body
    headers: dict = field(default_factory=dict)


def json_response(status, payload, headers=None):
    body = json.dumps(payload).encode("utf-8")
    return Response(status, JSON_TYPE, body, headers=headers or {})


def text_response(status, text):
    return Response(status, TEXT_TYPE, text.encode("utf-8"))


def html_response(status, html):
    return Response(status, HTML_TYPE, html.encode("utf-8"))


def form_response(status, fields):
    return Response(status, FORM_TYPE, urllib.parse.urlencode(fields).encode("utf-8"))


def sse_response(frames):
    """A streamed 200 response; `frames` are already-encoded SSE frames."""
    return Response(200, SSE_TYPE, events=frames, headers={"Cache-Control": "no-cache"})


def sse_data(payload):
    """`data:`-only SSE frame (OpenAI chat completions)."""
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return f"data: {data}\n\n".encode("utf-8")


def sse_event(event, payload):
    """SSE frame with an `event:` line (Responses API, Anthropic Messages)."""
    return f"event: {event}\ndata: {json.dumps(payload)}\n\n".encode("utf-8")
