"""HTTP plumbing: the request handler, the routing table and `Simulator`.

The handler parses a request into a `wire.Request`, records it, applies any
matching fault, routes it to an endpoint function under the state lock and
writes the `wire.Response` back: with Content-Length for plain bodies (so
keep-alive works) or as an SSE stream closed at the end.
"""

import re
import socket
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import control_api, copilot_api, github_api
from .state import DEFAULT_CLIENT_ID, Config, SimState
from .wire import Request, json_response

_PLAN = r"/copilot/(?P<plan>[\w-]+)"

# (method, path pattern, handler); handlers get the named groups as kwargs.
ROUTES = [
    # github.com
    ("POST", r"/login/device/code", github_api.device_code),
    ("GET", r"/login/device", github_api.device_page),
    ("POST", r"/login/oauth/access_token", github_api.access_token),
    # api.github.com
    ("GET", r"/copilot_internal/v2/token", github_api.copilot_token),
    ("GET", r"/copilot_internal/user", github_api.copilot_user),
    # api.githubcopilot.com, one prefix per plan
    ("GET", _PLAN + r"/models", copilot_api.models),
    ("POST", _PLAN + r"/(?P<api>chat/completions|responses|v1/messages)", copilot_api.inference),
    ("POST", _PLAN + r"/embeddings", copilot_api.embed),
    # control API
    ("GET", r"/_sim/health", control_api.health),
    ("POST", r"/_sim/reset", control_api.reset),
    ("GET", r"/_sim/faults", control_api.list_faults),
    ("POST", r"/_sim/faults", control_api.add_fault),
    ("DELETE", r"/_sim/faults", control_api.clear_faults),
    ("POST", r"/_sim/accounts", control_api.add_account),
    ("POST", r"/_sim/accounts/billing", control_api.set_billing),
    ("GET", r"/_sim/bill", control_api.get_bill),
    ("POST", r"/_sim/revoke", control_api.revoke),
    ("POST", r"/_sim/device", control_api.device),
    ("GET", r"/_sim/config", control_api.get_config),
    ("POST", r"/_sim/config", control_api.config),
    ("POST", r"/_sim/models", control_api.models),
    ("GET", r"/_sim/requests", control_api.list_requests),
    ("DELETE", r"/_sim/requests", control_api.clear_requests),
]
_COMPILED = [(method, re.compile(pattern), handler) for method, pattern, handler in ROUTES]


def dispatch(state, request):
    for method, pattern, handler in _COMPILED:
        match = pattern.fullmatch(request.path)
        if match and method == request.method:
            return handler(state, request, **match.groupdict())
    return json_response(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "copilot-sim"

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _handle(self):
        simulator = self.server.simulator
        state = simulator.state
        request = self._read_request()
        record = not request.path.startswith("/_sim/")
        with state.lock:
            entry = state.requests.record(request) if record else None
            fault = state.faults.take(request.method, request.path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        response = fault.response() if fault else None
        if response is None:
            try:
                with state.lock:
                    response = dispatch(state, request)
            except Exception:  # a simulator bug: report it, keep serving
                traceback.print_exc(file=sys.stderr)
                response = json_response(500, {"error": {"message": "simulator error", "code": "sim_error"}})
        if entry is not None:
            with state.lock:
                entry["status"] = response.status
        simulator.log(f'{self.client_address[0]} "{request.method} {request.path}" {response.status}')
        try:
            self._send(response)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. timed out)
            self.close_connection = True

    def _read_request(self):
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        headers = {}
        for name, value in self.headers.items():
            # A repeated header reads as its values joined (RFC 9110), so a client sending
            # `X-Initiator` twice is seen doing so, not served whichever copy came last.
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._read_chunked()
        else:
            body = self.rfile.read(int(headers.get("content-length") or 0))
        host = headers.get("host") or "%s:%s" % self.server.server_address[:2]
        return Request(self.command, url.path, query, headers, body, f"http://{host}")

    def _read_chunked(self):
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():  # trailers, up to the blank line
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline()  # CRLF after each chunk

    def _send(self, response):
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("X-Request-Id", str(uuid.uuid4()))
        for name, value in response.headers.items():
            self.send_header(name, str(value))
        if response.events is None:
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
            return
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        for frame in response.events:
            self.wfile.write(frame)
            self.wfile.flush()

    def log_request(self, code="-", size="-"):
        """Silenced: `_handle` logs its own line, without the query string."""

    def log_message(self, format, *args):
        """http.server's own messages (e.g. malformed requests); query strings
        are cut off since they could carry credentials."""
        self.server.simulator.log(re.sub(r"\?\S*", "?...", format % args))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Copilot takes hundreds of connections at once; the standard library's backlog of 5 would
    # refuse a burst of concurrent requests (bench/load.py) before a thread could accept them.
    request_queue_size = 1024

    def __init__(self, address, simulator):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.simulator = simulator
        super().__init__(address, _Handler)


class Simulator:
    """A Copilot simulator serving in a background thread.

        sim = Simulator(port=0, device_interval=1)
        sim.start()       # port 0: an ephemeral port, see sim.url
        ...
        sim.stop()
    """

    def __init__(self, host="127.0.0.1", port=0, token_ttl=1800, device_interval=5,
                 client_id=DEFAULT_CLIENT_ID, enforce_interval=True, public_url=None, quiet=False):
        config = Config(token_ttl=token_ttl, device_interval=device_interval, client_id=client_id,
                        enforce_interval=enforce_interval,
                        public_url=public_url.rstrip("/") if public_url else None)
        self.state = SimState(config)
        self.host = host
        self.port = port
        self.quiet = quiet
        self._server = None
        self._thread = None

    @property
    def url(self):
        """Base URL for clients; a wildcard bind address is reached via loopback."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self):
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,),
                                        name="copilot-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def reset(self):
        """Same as `POST /_sim/reset`."""
        with self.state.lock:
            self.state.reset()

    def log(self, line):
        if not self.quiet:
            sys.stderr.write(f"copilot-sim: {line}\n")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
