"""Runs LiteLLM's proxy on the listening socket systemd passes in (socket activation).

The socket belongs to the litellm-copilot.socket unit, so it stays open while the proxy restarts:
connections that arrive meanwhile wait in the kernel's backlog for the new process instead of
being refused. LiteLLM's own command line has no option to take an inherited socket, so this
launcher lets that command line do its whole set-up (--skip_server_startup: config path for the
workers, environment) and then serves LiteLLM's app with uvicorn, as the command line would, on
the inherited socket instead of a socket of its own.

LiteLLM reads a request's whole body before it checks the API key, so one large POST without a
key could grow a worker past the unit's MemoryMax and end every stream in flight. The app is
served behind RequestBodyLimit, which refuses bodies over --max-request-bytes before LiteLLM
sees them. GET /metrics is answered here too, from the meter's ledger (copilot_meter.py next to
the config): Prometheus text for every worker's and every earlier process's requests.

    python serve_on_socket.py --config CONFIG --num-workers N --max-request-bytes BYTES \
        --graceful-timeout SECONDS
"""
import argparse
import asyncio
import importlib
import importlib.util
import json
import os
import socket
import sys

# sd_listen_fds(3): the first passed descriptor.
SD_LISTEN_FDS_START = 3
# How the launcher tells uvicorn's workers (spawned processes that import this file anew, see
# limited_app) which app to serve and the body cap: in the environment they inherit. LITELLM_*
# names, so litellm_copilot_environment cannot set them (the role owns that prefix).
APP_VARIABLE = "LITELLM_COPILOT_WRAPPED_APP"
MAX_BYTES_VARIABLE = "LITELLM_COPILOT_MAX_REQUEST_BYTES"
METER_DIR_VARIABLE = "LITELLM_COPILOT_METER_DIR"
# Set by hand_over.py, the service's main process: where a worker reports its start-up complete,
# and the generation of the proxy it belongs to.
READY_VARIABLE = "LITELLM_COPILOT_READY_SOCKET"
GENERATION_VARIABLE = "LITELLM_COPILOT_GENERATION"
METRICS_PATH = "/metrics"
# The role variable a refused client is told about.
SETTING = "litellm_copilot_max_request_bytes"
# A Content-Length with more digits than this exceeds any cap; int() of thousands of digits would
# raise (sys.set_int_max_str_digits), so such a length is never converted: it counts as HUGE.
MAX_LENGTH_DIGITS = 18
HUGE = 10 ** MAX_LENGTH_DIGITS
# What declared_length says of a Content-Length that is no length.
MALFORMED = object()
# How long a stopping proxy, having stopped accepting, still reads the connections it accepted just
# before: uvicorn's graceful stop closes every connection with no request in progress, so a client
# whose request was on its way on a fresh connection saw it closed unanswered (seen in the restart
# test: 3 of 1036 requests). A request arrives within milliseconds of its connection; once read,
# it is drained like any other.
ACCEPTED_GRACE_SECONDS = 1.0


def inherited_socket():
    """The one TCP listening socket systemd passed to this process; exits naming the cause otherwise."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
        sys.exit("serve_on_socket: no listening socket from systemd (LISTEN_PID/LISTEN_FDS): "
                 "start the proxy through its .socket unit")
    # Like sd_listen_fds(unset_environment=1): the workers must not take the variables as theirs.
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)
    # socket(fileno=) reads the family from the descriptor: uvicorn's own --fd would call every
    # inherited socket AF_UNIX, and uvloop then serves TCP connections as pipes.
    sock = socket.socket(fileno=SD_LISTEN_FDS_START)
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
        sys.exit("serve_on_socket: descriptor %d is not a TCP socket" % SD_LISTEN_FDS_START)
    return sock


def declared_length(headers):
    """The body length the Content-Length headers declare: an int, None without the header, or
    MALFORMED (not digits, negative, or several differing values).

    A length of more than MAX_LENGTH_DIGITS digits comes back as HUGE, which every cap is below:
    such a request is refused as too large, not as malformed."""
    values = set()
    for name, value in headers:
        if name.lower() != b"content-length":
            continue
        # RFC 9110 8.6: a list of identical values is the one value.
        for item in value.split(b","):
            item = item.strip(b" \t")
            if not item.isdigit():
                return MALFORMED
            values.add(item.lstrip(b"0") or b"0")
    if len(values) > 1:
        return MALFORMED
    if not values:
        return None
    digits = values.pop()
    return int(digits) if len(digits) <= MAX_LENGTH_DIGITS else HUGE


def error_response(status, kind, message):
    """The two ASGI messages of a complete JSON error answer, in the shape of LiteLLM's own errors.

    Connection: close, so uvicorn drops the connection instead of reading (and discarding) the
    rest of a body the client keeps sending."""
    body = json.dumps({"error": {"message": message, "type": kind, "code": status}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    return ({"type": "http.response.start", "status": status, "headers": headers},
            {"type": "http.response.body", "body": body})


def too_large(max_bytes, size=None):
    """The 413 answer; size is the declared length, None when only the bytes read tell."""
    what = "request body" if size is None or size >= HUGE else "request body of %d bytes" % size
    return error_response(413, "request_too_large", "%s exceeds the proxy's limit of %d bytes (%s)"
                          % (what, max_bytes, SETTING))


class RequestBodyLimit:
    """Pure ASGI middleware: refuses HTTP request bodies larger than max_bytes (0: no cap).

    LiteLLM buffers a request's body before its key check, so the cap must act before LiteLLM:
    a declared Content-Length over the cap is answered 413 without calling the app at all. A body
    without one (chunked) is counted as the app reads it; the read that passes the cap answers 413
    (unless the app already answered) and gives the app http.disconnect instead of the data, so
    at most max_bytes reach the app. Lifespan and websocket scopes pass through untouched."""

    def __init__(self, app, max_bytes):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.max_bytes:
            await self.app(scope, receive, send)
            return
        size = declared_length(scope.get("headers") or ())
        if size is MALFORMED:
            await _send_all(send, error_response(400, "invalid_request_error",
                                                 "malformed Content-Length header"))
        elif size is not None and size > self.max_bytes:
            await _send_all(send, too_large(self.max_bytes, size))
        else:
            await _CountedBody(self.max_bytes, receive, send).run(self.app, scope)


async def _send_all(send, messages):
    for message in messages:
        await send(message)


class _CountedBody:
    """One request's receive and send as the app sees them, cut off once the body passes the cap."""

    def __init__(self, max_bytes, receive, send):
        self.max_bytes = max_bytes
        self._receive = receive
        self._send = send
        self.received = 0
        self.cut = False
        self.started = False

    async def run(self, app, scope):
        try:
            await app(scope, self.receive, self.send)
        except Exception:
            # The app failing over the body taken from it (e.g. Starlette's ClientDisconnect) is
            # no fault of the proxy: the client has its 413. Any other failure is the app's own.
            if not self.cut:
                raise

    async def receive(self):
        if self.cut:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.max_bytes:
                return await self._cut_off()
        return message

    async def _cut_off(self):
        """Answer 413 if the app has not answered yet; from now on the app is talking to no one."""
        self.cut = True
        if not self.started:
            self.started = True
            await _send_all(self._send, too_large(self.max_bytes))
        return {"type": "http.disconnect"}

    async def send(self, message):
        if self.cut:
            return
        if message["type"] == "http.response.start":
            # Set before the await: a concurrent receive must not answer over this response.
            self.started = True
        await self._send(message)


class MetricsEndpoint:
    """Pure ASGI middleware: answers GET /metrics with the meter's exposition (no key, as Prometheus
    scrapes; it says what was spent, never a prompt or a secret), everything else goes to the app.
    The ledger is read in a thread so a slow disk never holds up the event loop."""

    def __init__(self, app, meter_dir):
        self.app = app
        self.meter = None
        path = os.path.join(meter_dir, "copilot_meter.py")
        if os.path.isfile(path):
            spec = importlib.util.spec_from_file_location("copilot_meter_exposition", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            settings = module.load_settings(meter_dir)
            self.meter = (module, module.Ledger(settings["ledger"]), settings)

    async def __call__(self, scope, receive, send):
        if self.meter is None or scope["type"] != "http" or scope.get("path") != METRICS_PATH \
                or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        module, ledger, settings = self.meter
        try:
            status, body = 200, (await asyncio.to_thread(module.exposition, ledger, settings)).encode()
        except Exception as error:  # pylint: disable=broad-except
            status, body = 503, ("# ledger not readable (%s)\n" % type(error).__name__).encode()
        await _send_all(send, (
            {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"text/plain; version=0.0.4; charset=utf-8"),
                         (b"content-length", str(len(body)).encode())]},
            {"type": "http.response.body", "body": body if scope["method"] == "GET" else b""}))


class ReportReady:
    """Pure ASGI middleware: once the app's lifespan start-up is complete (LiteLLM has read its
    config and can serve), sends "ready <generation> <pid>" to hand_over.py's datagram socket, which
    hands new connections over to this proxy once every worker has said so. Everything else, and
    the lifespan itself, passes through untouched."""

    def __init__(self, app, path, generation):
        self.app = app
        self.path = path
        self.message = ("ready %s %d" % (generation, os.getpid())).encode("ascii")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def reporting_send(message):
            await send(message)
            if message["type"] == "lifespan.startup.complete":
                self.report()

        await self.app(scope, receive, reporting_send)

    def report(self):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as ready:
                ready.sendto(self.message, self.path)
        except OSError as error:
            # The old proxy keeps serving and the reload fails with its timeout: say why here.
            print("serve_on_socket: could not report ready to %s: %s" % (self.path, error),
                  file=sys.stderr, flush=True)


def draining_server(uvicorn):
    """uvicorn's Server, stopping as described at ACCEPTED_GRACE_SECONDS."""

    class DrainingServer(uvicorn.Server):
        async def shutdown(self, sockets=None):
            for server in self.servers:
                server.close()  # stop accepting; the socket unit keeps new connections waiting
            await asyncio.sleep(ACCEPTED_GRACE_SECONDS)
            await super().shutdown(sockets)

    return DrainingServer


def import_app(target):
    """The object an import string names, "module:attribute", as uvicorn resolves its app= string."""
    module, _, attribute = target.partition(":")
    found = importlib.import_module(module)
    for name in attribute.split("."):
        found = getattr(found, name)
    return found


def limited_app():
    """uvicorn's app factory (factory=True), run in every worker: the app named in APP_VARIABLE
    behind RequestBodyLimit, with the cap in MAX_BYTES_VARIABLE (see limit_request_bodies), and
    ReportReady when hand_over.py runs this proxy."""
    app = RequestBodyLimit(import_app(os.environ[APP_VARIABLE]), int(os.environ[MAX_BYTES_VARIABLE]))
    if os.environ.get(METER_DIR_VARIABLE):
        app = MetricsEndpoint(app, os.environ[METER_DIR_VARIABLE])
    if os.environ.get(READY_VARIABLE):
        app = ReportReady(app, os.environ[READY_VARIABLE], os.environ.get(GENERATION_VARIABLE, "0"))
    return app


def limit_request_bodies(uvicorn_args, max_bytes, meter_dir=None):
    """uvicorn's arguments, serving limited_app in place of the app they name.

    LiteLLM names its app as an import string ("litellm.proxy.proxy_server:app") because uvicorn's
    workers are spawned processes that import it anew. They import this module the same way: its
    directory goes on sys.path, which spawned processes inherit, and the app it wraps and the cap
    go in the environment, which they inherit too."""
    os.environ[APP_VARIABLE] = uvicorn_args["app"]
    os.environ[MAX_BYTES_VARIABLE] = str(max_bytes)
    if meter_dir:
        os.environ[METER_DIR_VARIABLE] = meter_dir
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    module = os.path.splitext(os.path.basename(__file__))[0]
    return dict(uvicorn_args, app=module + ":limited_app", factory=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--num-workers", type=int, default=1)
    parser.add_argument("--max-request-bytes", type=int, default=0,
                        help="largest request body accepted, in bytes; 0: no cap")
    parser.add_argument("--graceful-timeout", type=int, required=True,
                        help="seconds a stop waits for requests in flight")
    options = parser.parse_args()
    if options.max_request_bytes < 0:
        parser.error("--max-request-bytes must be 0 (no cap) or more")
    sock = inherited_socket()
    host, port = sock.getsockname()[:2]

    import uvicorn
    from litellm.proxy.proxy_cli import ProxyInitializationHelpers, run_server
    from uvicorn.supervisors import Multiprocess

    # Everything LiteLLM's command line does before it starts its server, with the same options
    # the role passed to it before; host and port only name the socket in LiteLLM's messages.
    run_server.main(args=["--config", options.config, "--num_workers", str(options.num_workers),
                          "--host", host, "--port", str(port), "--skip_server_startup"],
                    standalone_mode=False)
    uvicorn_args = ProxyInitializationHelpers.get_default_unvicorn_init_args(host=host, port=port)
    uvicorn_args = limit_request_bodies(uvicorn_args, options.max_request_bytes,
                                        meter_dir=os.path.dirname(os.path.abspath(options.config)))
    loop = ProxyInitializationHelpers.get_loop_type()
    if loop:
        uvicorn_args["loop"] = loop
    # Ours over LiteLLM's: 1.108 sets its own timeout_graceful_shutdown among these arguments.
    config = uvicorn.Config(**dict(uvicorn_args, workers=options.num_workers,
                                   timeout_graceful_shutdown=options.graceful_timeout))
    if options.num_workers > 1:
        Multiprocess(config, sockets=[sock]).run()
        return 0
    # One worker: the server here stops draining. Several: uvicorn's own workers stop as uvicorn does.
    server = draining_server(uvicorn)(config)
    server.run(sockets=[sock])
    # uvicorn's exit code for a server that never started (e.g. a failed lifespan start-up).
    return 0 if server.started else 3


if __name__ == "__main__":
    sys.exit(main())
