"""The launcher's half of socket activation (roles/litellm_copilot/files/serve_on_socket.py): it
takes only the one listening TCP socket systemd passed to this very process, as what it is (TCP,
not the AF_UNIX uvicorn's --fd assumes), and refuses anything else with one clear line. Run in a
child process that gets a real socket as descriptor 3, the way systemd passes it."""
import asyncio
import json
import socket
import subprocess
import sys

import pytest
from constants import ROLE_FILES as LAUNCHER_DIR
from module_harness import load_source

# In the child: descriptor 3 is the passed socket; LISTEN_PID names the child itself unless told.
CHILD = """
import os, sys
sys.path.insert(0, sys.argv[1])
if sys.argv[2] == "self":
    os.environ["LISTEN_PID"] = str(os.getpid())
from serve_on_socket import inherited_socket
sock = inherited_socket()
left = sorted(name for name in os.environ if name.startswith("LISTEN_"))
print(sock.family.name, sock.getsockname()[1], left)
"""


def run_child(sock, listen_pid="self", listen_fds="1"):
    env = {"PATH": "/usr/bin:/bin", "LISTEN_FDS": listen_fds, "LISTEN_FDNAMES": "litellm-copilot.socket"}
    if listen_pid != "self":
        env["LISTEN_PID"] = listen_pid

    def as_fd_3():
        import os
        os.dup2(sock.fileno(), 3)
    return subprocess.run([sys.executable, "-c", CHILD, str(LAUNCHER_DIR), listen_pid], env=env,
                          preexec_fn=as_fd_3, close_fds=False, capture_output=True, text=True, timeout=60)


@pytest.fixture
def tcp_listener():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock
    sock.close()


def test_takes_the_passed_tcp_socket_as_tcp(tcp_listener):
    done = run_child(tcp_listener)
    assert done.returncode == 0, done.stderr
    # the family read from the descriptor, the same port; the variables are gone for the workers
    assert done.stdout.split() == ["AF_INET", str(tcp_listener.getsockname()[1]), "[]"]


@pytest.mark.parametrize("listen_pid, listen_fds", [("1", "1"), ("self", "2"), ("self", "0")])
def test_refuses_sockets_not_passed_to_this_process_alone(tcp_listener, listen_pid, listen_fds):
    done = run_child(tcp_listener, listen_pid, listen_fds)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "serve_on_socket: no listening socket from systemd (LISTEN_PID/LISTEN_FDS): "
        "start the proxy through its .socket unit"]


def test_refuses_a_socket_that_is_not_tcp(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(tmp_path / "s"))
    sock.listen()
    try:
        done = run_child(sock)
    finally:
        sock.close()
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["serve_on_socket: descriptor 3 is not a TCP socket"]


# --- the cap on request bodies ---------------------------------------------------------------
# LiteLLM reads a whole body before it checks the API key: RequestBodyLimit must refuse an
# oversized body before LiteLLM holds it. Driven at the ASGI level; the app behind it is a double
# of LiteLLM's that reads the whole body, as LiteLLM does, and records what reached it.

def _load_launcher():
    return load_source(LAUNCHER_DIR / "serve_on_socket.py")


launcher = _load_launcher()
CAP = 1024 * 1024
CHUNK = 64 * 1024
REFUSED = b"exceeds the proxy's limit of 1048576 bytes (litellm_copilot_max_request_bytes)"


class BodyReader:
    """The app behind the cap: reads the body to its end (or a disconnect), then answers 200."""

    def __init__(self, fail_on_disconnect=False):
        self.called = False
        self.body = bytearray()
        self.disconnected = False
        self.fail_on_disconnect = fail_on_disconnect

    async def __call__(self, scope, receive, send):
        self.called = True
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                if self.fail_on_disconnect:
                    raise RuntimeError("client disconnected")  # as Starlette's ClientDisconnect
                break
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


class Client:
    """uvicorn's side of one request: the body in chunks, what was sent back, how much was pulled."""

    def __init__(self, size, chunk=CHUNK):
        self.left = size
        self.chunk = chunk
        self.pulled = 0
        self.finished = False
        self.sent = []

    async def receive(self):
        if self.finished:
            return {"type": "http.disconnect"}
        body = b"x" * min(self.chunk, self.left)
        self.left -= len(body)
        self.pulled += len(body)
        self.finished = self.left <= 0
        return {"type": "http.request", "body": body, "more_body": not self.finished}

    async def send(self, message):
        self.sent.append(message)

    def answer(self):
        """(status, parsed JSON body or raw bytes, headers) of the one response sent."""
        assert [m["type"] for m in self.sent] == ["http.response.start", "http.response.body"]
        body = self.sent[1]["body"]
        return self.sent[0]["status"], json.loads(body) if body.startswith(b"{") else body, dict(self.sent[0]["headers"])


def post(cap, size, content_length="actual", app=None, chunk=CHUNK, extra_headers=()):
    """POST a body of size bytes through RequestBodyLimit(app, cap); returns (app, client).

    content_length: "actual" sends the true length, None sends none (chunked), any other value as is."""
    app = app or BodyReader()
    headers = [(b"host", b"127.0.0.1:4000"), (b"content-type", b"application/json")]
    if content_length == "actual":
        headers.append((b"content-length", str(size).encode()))
    elif content_length is not None:
        headers.append((b"content-length", content_length))
    headers.extend(extra_headers)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "path": "/v1/messages", "headers": headers}
    client = Client(size, chunk)
    asyncio.run(launcher.RequestBodyLimit(app, cap)(scope, client.receive, client.send))
    return app, client


def test_a_declared_length_over_the_cap_is_refused_before_the_app_runs():
    app, client = post(CAP, CAP + 1)
    status, body, headers = client.answer()
    assert status == 413 and not app.called and client.pulled == 0
    assert body == {"error": {"message": "request body of 1048577 bytes " + REFUSED.decode(),
                              "type": "request_too_large", "code": 413}}
    # the connection is dropped rather than kept reading the rest of the body
    assert headers[b"connection"] == b"close" and headers[b"content-type"] == b"application/json"


def test_a_body_of_exactly_the_cap_passes():
    for content_length in ("actual", None):
        app, client = post(CAP, CAP, content_length)
        assert client.answer()[:2] == (200, b"ok")
        assert len(app.body) == CAP and not app.disconnected


def test_a_chunked_body_over_the_cap_is_cut_off_as_it_is_read():
    # 400 MB, as in the finding, without a Content-Length: the app sees a disconnect instead.
    app, client = post(CAP, 400 * 1000 * 1000, content_length=None)
    status, body, _ = client.answer()  # the app's own 200 after the disconnect is dropped
    assert status == 413 and body["error"]["message"] == "request body " + REFUSED.decode()
    assert app.called and app.disconnected
    # at most the cap reached the app, and no more than one chunk past it was read from the client
    assert len(app.body) <= CAP
    assert client.pulled <= CAP + CHUNK


def test_a_length_that_lies_is_caught_by_counting():
    # declares 100 bytes, sends 2 MiB (not what uvicorn passes on, but never trusted either)
    app, client = post(CAP, 2 * CAP, content_length=b"100")
    assert client.answer()[0] == 413 and app.disconnected and len(app.body) <= CAP


def test_an_app_failing_over_the_cut_body_does_not_raise():
    app, client = post(CAP, 2 * CAP, content_length=None, app=BodyReader(fail_on_disconnect=True))
    assert client.answer()[0] == 413 and app.disconnected


def test_an_answer_already_started_is_not_answered_over():
    class Echo(BodyReader):
        """Answers first, then reads: the cut can no longer answer 413, only stop the app."""
        async def __call__(self, scope, receive, send):
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await BodyReader.__call__(self, scope, receive, lambda message: asyncio.sleep(0))
            await send({"type": "http.response.body", "body": b"late"})

    app, client = post(CAP, 2 * CAP, content_length=None, app=Echo())
    assert [m.get("status") for m in client.sent] == [200] and app.disconnected


@pytest.mark.parametrize("content_length", [b"-1", b"abc", b"", b"1e3", b"+5", b"\xd9\xa1"])
def test_a_malformed_length_is_a_bad_request(content_length):
    app, client = post(CAP, 10, content_length=content_length)
    status, body, _ = client.answer()
    assert status == 400 and not app.called
    assert body["error"]["code"] == 400


def test_differing_lengths_are_a_bad_request_and_equal_ones_one_length():
    app, client = post(CAP, 10, extra_headers=[(b"content-length", b"11")])
    assert client.answer()[0] == 400 and not app.called
    app, client = post(CAP, 10, extra_headers=[(b"content-length", b"010")])
    assert client.answer()[0] == 200
    app, client = post(CAP, 10, content_length=b"10, 10")
    assert client.answer()[0] == 200


def test_an_absurd_length_is_too_large_not_an_error():
    # int() of 5000 digits would raise ValueError (Python's int_max_str_digits)
    app, client = post(CAP, 10, content_length=b"9" * 5000)
    status, body, _ = client.answer()
    assert status == 413 and not app.called
    assert body["error"]["message"] == "request body " + REFUSED.decode()


def test_a_cap_of_zero_is_no_cap():
    app, client = post(0, 3 * CAP)
    assert client.answer()[:2] == (200, b"ok") and len(app.body) == 3 * CAP
    app, client = post(0, 10, content_length=b"9" * 30)
    assert client.answer()[0] == 200


@pytest.mark.parametrize("kind", ["lifespan", "websocket"])
def test_other_scopes_pass_through_untouched(kind):
    seen = []

    async def app(scope, receive, send):
        seen.append((scope, receive, send))

    async def receive():
        return {}

    async def send(message):
        pass

    scope = {"type": kind, "headers": [(b"content-length", b"9" * 20)]}
    asyncio.run(launcher.RequestBodyLimit(app, 1)(scope, receive, send))
    assert seen == [(scope, receive, send)]


# uvicorn's workers are spawned processes that import the app from a string; the factory must work
# there from what the launcher leaves them (sys.path and the environment), nothing else.
PROBE = '''
import asyncio, importlib, json, os, sys

async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})

def worker(target, queue):
    module, _, name = target.partition(":")
    wrapped = getattr(importlib.import_module(module), name)()
    sent = []
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        sent.append(message)
    scope = {"type": "http", "headers": [(b"content-length", b"2000")]}
    asyncio.run(wrapped(scope, receive, send))
    queue.put((type(wrapped).__name__, wrapped.max_bytes, sent[0]["status"]))
'''

CHILD_LIMITED = """
import importlib.util, multiprocessing, sys
sys.path.insert(0, sys.argv[2])  # asgi_probe, as litellm is in the venv
spec = importlib.util.spec_from_file_location("__launcher__", sys.argv[1] + "/serve_on_socket.py")
launcher = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launcher)
args = launcher.limit_request_bodies({"app": "asgi_probe:app", "host": "127.0.0.1"}, 1000)
import asgi_probe
spawn = multiprocessing.get_context("spawn")  # as uvicorn's Multiprocess
queue = spawn.Queue()
worker = spawn.Process(target=asgi_probe.worker, args=(args["app"], queue))
worker.start()
worker.join(60)
if worker.exitcode != 0:
    sys.exit("the spawned worker failed: exit code %s" % worker.exitcode)
print((sorted(args.items()), queue.get(timeout=10)))
"""


def test_spawned_workers_serve_the_limited_app(tmp_path):
    (tmp_path / "asgi_probe.py").write_text(PROBE)
    done = subprocess.run([sys.executable, "-c", CHILD_LIMITED, str(LAUNCHER_DIR), str(tmp_path)],
                          env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str((
        [("app", "serve_on_socket:limited_app"), ("factory", True), ("host", "127.0.0.1")],
        ("RequestBodyLimit", 1000, 413)))
