"""The service's supervisor (roles/litellm_copilot/files/hand_over.py), run as systemd runs it: a
real listening socket as descriptor 3 and LISTEN_PID naming it. The proxy it runs is a small HTTP
server (CHILD) that reports ready as serve_on_socket.py's workers do and answers with its
generation; LiteLLM itself is exercised by the integration tests (test_restart_no_refusal.py)."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from constants import ROLE_FILES
from module_harness import load_source

SUPERVISOR = ROLE_FILES / "hand_over.py"
hand_over = load_source(SUPERVISOR, "hand_over")

# The stand-in proxy: refuses to start when its environment says FAIL, reports ready after
# START_SECONDS (LiteLLM's start-up), answers "<generation> <pid>", finishes a request in flight
# (SLOW_SECONDS long) when told to stop.
CHILD = r"""
import os, signal, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
assert os.environ["LISTEN_PID"] == str(os.getpid()) and os.environ["LISTEN_FDS"] == "1"
if os.environ.get("FAIL"):
    sys.exit("configured to fail")
time.sleep(float(os.environ.get("START_SECONDS", "0")))
generation = os.environ["LITELLM_COPILOT_GENERATION"]

class Answer(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            time.sleep(float(os.environ.get("SLOW_SECONDS", "2")))
        body = ("%s %d %s" % (generation, os.getpid(), os.environ.get("MARK", ""))).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

class Inherited(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    def server_bind(self):
        pass
    def server_activate(self):
        pass

server = Inherited(("127.0.0.1", 0), Answer, bind_and_activate=False)
server.socket = socket.socket(fileno=3)
with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as ready:
    ready.sendto(("ready %s %d" % (generation, os.getpid())).encode(), os.environ["LITELLM_COPILOT_READY_SOCKET"])
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
server.serve_forever(poll_interval=0.05)
server.server_close()
"""


class Service:
    """hand_over.py started the way systemd starts it, with its runtime dir and environment file."""

    def __init__(self, tmp_path, ready_timeout=20):
        self.runtime = tmp_path / "run"
        self.env_file = tmp_path / "litellm.env"
        self.child = tmp_path / "child.py"
        self.child.write_text(CHILD)
        self.write_env()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self.listener.getsockname()[1]
        listener = self.listener
        command = [sys.executable, str(SUPERVISOR), "--runtime-dir", str(self.runtime), "--env-file",
                   str(self.env_file), "--workers", "1", "--ready-timeout", str(ready_timeout), "--",
                   sys.executable, str(self.child)]
        # The socket at descriptor 3 and LISTEN_PID naming the supervisor itself, as systemd passes them.
        self.process = subprocess.Popen(
            ["/bin/sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"', "sh", *command],
            preexec_fn=lambda: os.dup2(listener.fileno(), 3), close_fds=False,
            env={"PATH": "/usr/bin:/bin"}, stderr=subprocess.PIPE, text=True)
        self.wait_for(lambda: self.get().split()[0] == "1")

    def write_env(self, **variables):
        lines = ["# written like litellm.env.j2", 'MARK="first"']
        lines += ['%s="%s"' % item for item in variables.items()]
        self.env_file.write_text("\n".join(lines) + "\n")

    def get(self, path="/"):
        return urllib.request.urlopen(self.url + path, timeout=30).read().decode()

    def reload(self):
        return subprocess.run([sys.executable, str(SUPERVISOR), "--runtime-dir", str(self.runtime), "--reload"],
                              capture_output=True, text=True, timeout=60)

    def serving(self):
        return (self.runtime / "serving").read_text().split()

    @staticmethod
    def wait_for(condition, seconds=20):
        deadline = time.monotonic() + seconds
        while True:
            try:
                if condition():
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, "not within %d s" % seconds
            time.sleep(0.05)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        finally:
            self.listener.close()


@pytest.fixture
def service(tmp_path):
    running = Service(tmp_path)
    yield running
    running.stop()


def test_a_reload_hands_new_connections_to_a_new_proxy_while_the_old_finishes(service):
    generation, old_pid = service.serving()
    assert generation == "1" and service.get().split()[:2] == ["1", old_pid]
    service.write_env(MARK="second")
    slow = {}
    in_flight = threading.Thread(target=lambda: slow.update(answer=service.get("/slow")))
    in_flight.start()
    time.sleep(0.3)
    done = service.reload()
    assert done.returncode == 0, done.stderr
    assert "hand-over: ok: generation 2" in done.stderr
    # The new proxy answers at once, with the environment file as it is now.
    started = time.monotonic()
    generation, pid, mark = service.get().split()
    assert time.monotonic() - started < 1.0
    assert (generation, mark) == ("2", "second") and service.serving() == ["2", pid]
    # The old proxy finished the request it had, then exited.
    in_flight.join(timeout=30)
    assert slow["answer"].split()[:2] == ["1", old_pid]
    Service.wait_for(lambda: not os.path.exists("/proc/%s" % old_pid))
    assert service.process.poll() is None


def test_a_new_proxy_that_fails_never_takes_traffic(service):
    service.write_env(FAIL="yes")
    done = service.reload()
    assert done.returncode == 1
    assert "failed: the new proxy never took traffic, it exited with status 1 before it was ready; " \
           "generation 1" in done.stderr
    assert service.get().split()[0] == "1" and service.serving()[0] == "1"
    # The next good change is handed over as usual.
    service.write_env()
    assert service.reload().returncode == 0 and service.get().split()[0] == "3"


def test_a_new_proxy_not_ready_in_time_is_killed(tmp_path):
    running = Service(tmp_path, ready_timeout=1)
    try:
        running.write_env(START_SECONDS="30")
        done = running.reload()
        assert done.returncode == 1 and "it was not ready within 1 s" in done.stderr
        assert running.get().split()[0] == "1"
    finally:
        running.stop()


def test_a_proxy_that_dies_ends_the_service_for_systemd_to_restart(service):
    _, pid = service.serving()
    os.kill(int(pid), signal.SIGKILL)
    assert service.process.wait(timeout=30) == 128 + signal.SIGKILL


def test_a_supervisor_that_dies_takes_its_proxy_with_it(service):
    _, pid = service.serving()
    service.process.kill()
    service.process.wait(timeout=30)
    Service.wait_for(lambda: not os.path.exists("/proc/%s" % pid) or "Z" in open("/proc/%s/stat" % pid).read().split(")")[1][:3])


def test_a_stop_lets_every_proxy_finish(service):
    slow = {}
    in_flight = threading.Thread(target=lambda: slow.update(answer=service.get("/slow")))
    in_flight.start()
    time.sleep(0.3)
    assert service.stop() == 0
    in_flight.join(timeout=30)
    assert slow["answer"].startswith("1 ")


def test_a_reload_without_a_service_fails_naming_the_cause(tmp_path):
    done = subprocess.run([sys.executable, str(SUPERVISOR), "--runtime-dir", str(tmp_path), "--reload"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "failed: no answer from the service" in done.stderr


@pytest.mark.parametrize("text, expected", [
    ('# comment\n\nA="x y"\nB=1\nC="quote \\" and \\\\ back"\n', {"A": "x y", "B": "1", "C": 'quote " and \\ back'}),
    ('A=""\n', {"A": ""}),
])
def test_the_environment_file_reads_as_the_template_writes_it(tmp_path, text, expected):
    path = tmp_path / "litellm.env"
    path.write_text(text)
    assert hand_over.read_environment(str(path)) == expected


@pytest.mark.parametrize("text", ["no equals sign\n", "1A=x\n", "A-B=x\n", '=x\n', 'A="unterminated\n',
                                  'A=1\nB="x" trailing\n'])
def test_a_malformed_environment_file_is_refused(tmp_path, text):
    path = tmp_path / "litellm.env"
    path.write_text(text)
    with pytest.raises(ValueError):
        hand_over.read_environment(str(path))
