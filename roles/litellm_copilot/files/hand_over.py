"""Keeps the proxy serving while it is replaced: the service's main process, between systemd and
the proxy (serve_on_socket.py).

systemd passes the listening socket (the .socket unit) to this process, which runs the proxy as
its child on that socket. A hand-over (`systemctl reload`, which runs this file with --reload)
starts a new proxy on the same socket, with the config, environment file, token and virtualenv as
they are now, while the old one goes on serving; once every worker of the new one has finished
its start-up, the old one is told to stop (it stops accepting at once and finishes the requests
in flight). Both accept from the one socket meanwhile, so no connection is refused and none waits
for the old proxy's streams to end. A new proxy that exits or is not ready in time is killed and
never takes traffic: the old one keeps serving, and the reload fails with the reason.

A proxy that exits on its own ends this process with its status, so systemd restarts the service
(Restart=always) and counts it, as it would the proxy itself. A stop (SIGTERM) is passed on to
every proxy, which finish their requests; systemd's TimeoutStopSec still bounds it.

Standard library only, run by the system's python3: it outlives any one virtualenv.

    python3 hand_over.py --runtime-dir DIR --env-file FILE --workers N --ready-timeout S -- PROXY...
    python3 hand_over.py --runtime-dir DIR --reload      # ExecReload: one hand-over, its outcome
"""
import argparse
import ctypes
import json
import os
import selectors
import signal
import socket
import sys
import time

# sd_listen_fds(3): the first descriptor systemd passes; the proxy gets the socket there too.
LISTEN_FD = 3
# The datagram socket every proxy worker reports "ready <generation> <pid>" to, once its start-up
# is complete (serve_on_socket.py reads this variable), and the one a reload asks through.
READY_VARIABLE = "LITELLM_COPILOT_READY_SOCKET"
GENERATION_VARIABLE = "LITELLM_COPILOT_GENERATION"
READY_SOCKET = "ready"
CONTROL_SOCKET = "control"
# "<generation> <pid>" of the proxy that takes new connections: what tests and the status read.
SERVING_FILE = "serving"
HAND_OVER = b"hand-over\n"
# prctl(2): the signal a proxy gets when this process dies (kill -9 included), so that it does not
# outlive it: it stops, finishes its requests and exits, and systemd restarts the service.
PR_SET_PDEATHSIG = 1
# The environment file is read only up to this size: the role writes it, but it belongs to the
# service user, who could have grown it.
MAX_ENV_BYTES = 1 << 20


def log(message):
    print("hand-over: " + message, file=sys.stderr, flush=True)


def read_environment(path):
    """The variables of the role's environment file (litellm.env.j2): KEY=value lines, the value a
    JSON string when quoted (the template writes them with to_json), comments and blank lines."""
    with open(path, "rb") as handle:
        text = handle.read(MAX_ENV_BYTES + 1)
    if len(text) > MAX_ENV_BYTES:
        raise ValueError("%s is larger than %d bytes" % (path, MAX_ENV_BYTES))
    variables = {}
    for number, line in enumerate(text.decode("utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.replace("_", "").isalnum() or not name.isascii() or name[0].isdigit():
            raise ValueError("%s line %d is not NAME=value" % (path, number))
        # A quoted value is one JSON string (to_json of a string); json.loads raises on anything after it.
        variables[name] = json.loads(value) if value.startswith('"') else value
    return variables


def exit_status(status):
    """A child's wait status as a process exit code (128 + signal, as a shell reports it)."""
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


class Proxy:
    """One generation of the proxy: a child process on the listening socket."""

    def __init__(self, generation, pid):
        self.generation = generation
        self.pid = pid
        self.ready = set()  # pids of its workers that reported their start-up complete

    def __repr__(self):
        return "generation %d (pid %d)" % (self.generation, self.pid)


class Supervisor:
    def __init__(self, options):
        self.options = options
        self.selector = selectors.DefaultSelector()
        self.generation = 0
        self.serving = None  # the proxy new connections go to
        self.incoming = None  # a proxy starting for a hand-over, with its deadline
        self.deadline = None
        self.draining = {}  # pid -> Proxy, told to stop, finishing its requests
        self.waiting = []  # control connections waiting for the hand-over in progress
        self.queued = []  # control connections asking for a hand-over after it
        self.again = False  # a SIGHUP asked for a hand-over after the one in progress
        self.stopping = False
        self.exit_code = None  # set when the serving proxy exited on its own

    # ----- set-up

    def listen(self):
        os.makedirs(self.options.runtime_dir, mode=0o700, exist_ok=True)
        self.ready_socket = self._bound(socket.SOCK_DGRAM, READY_SOCKET)
        self.control = self._bound(socket.SOCK_STREAM, CONTROL_SOCKET)
        self.control.listen(8)
        self.control.setblocking(False)
        self.ready_socket.setblocking(False)
        self.selector.register(self.ready_socket, selectors.EVENT_READ, self._on_ready)
        self.selector.register(self.control, selectors.EVENT_READ, self._on_control)
        self.wakeup_read, wakeup_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wakeup_write)
        for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(number, lambda *_: None)
        self.selector.register(self.wakeup_read, selectors.EVENT_READ, self._on_signal)

    def _bound(self, kind, name):
        path = os.path.join(self.options.runtime_dir, name)
        if os.path.lexists(path):
            os.unlink(path)
        sock = socket.socket(socket.AF_UNIX, kind)
        sock.bind(path)
        return sock

    def spawn(self):
        """A new proxy generation on the listening socket, with the environment file as it is now."""
        self.generation += 1
        environment = {name: value for name, value in os.environ.items() if not name.startswith("LISTEN_")}
        environment.update(read_environment(self.options.env_file))
        environment[READY_VARIABLE] = os.path.join(self.options.runtime_dir, READY_SOCKET)
        environment[GENERATION_VARIABLE] = str(self.generation)
        environment["LISTEN_FDS"] = "1"
        pid = os.fork()
        if pid == 0:  # the child: the socket at fd 3 as systemd passes it, LISTEN_PID its own
            try:
                os.set_inheritable(LISTEN_FD, True)
                ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
                environment["LISTEN_PID"] = str(os.getpid())
                signal.set_wakeup_fd(-1)
                for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    signal.signal(number, signal.SIG_DFL)
                os.execve(self.options.command[0], self.options.command, environment)
            finally:
                os._exit(127)
        return Proxy(self.generation, pid)

    # ----- the loop

    def run(self):
        self.listen()
        try:
            self.serving = self.spawn()
        except (OSError, ValueError) as error:
            log("the proxy could not start: %s" % error)
            return 1
        self._write_serving()
        log("%r serves" % self.serving)
        while True:
            timeout = None if self.deadline is None else max(0.0, self.deadline - time.monotonic())
            for key, _ in self.selector.select(timeout):
                key.data(key.fileobj)
            if self.incoming is not None and time.monotonic() >= self.deadline:
                self._give_up("it was not ready within %d s" % self.options.ready_timeout)
            if self.exit_code is not None:
                return self.exit_code
            if self.stopping and self.serving is None and self.incoming is None and not self.draining:
                return 0

    def _on_signal(self, _):
        for number in os.read(self.wakeup_read, 64):
            if number == signal.SIGCHLD:
                self._reap()
            elif number in (signal.SIGTERM, signal.SIGINT):
                self._stop()
            elif number == signal.SIGHUP:
                self._request_hand_over(None)

    def _stop(self):
        if not self.stopping:
            log("stopping: every proxy finishes its requests")
        self.stopping = True
        for proxy in self._proxies():
            self._signal(proxy, signal.SIGTERM)

    def _proxies(self):
        return [p for p in (self.serving, self.incoming) if p is not None] + list(self.draining.values())

    @staticmethod
    def _signal(proxy, number):
        try:
            os.kill(proxy.pid, number)
        except ProcessLookupError:
            pass

    def _reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            code = exit_status(status)
            if self.draining.pop(pid, None) is not None:
                log("generation of pid %d finished its requests and exited (%d)" % (pid, code))
            elif self.incoming is not None and pid == self.incoming.pid:
                self.incoming = None
                self._give_up("it exited with status %d before it was ready" % code)
            elif self.serving is not None and pid == self.serving.pid:
                proxy, self.serving = self.serving, None
                if not self.stopping:
                    # systemd restarts the service and counts it, as for the proxy itself.
                    log("%r exited with status %d: the service ends with it" % (proxy, code))
                    self.stopping = True
                    for other in self._proxies():
                        self._signal(other, signal.SIGKILL)
                    self.exit_code = code or 1

    # ----- hand-overs

    def _on_control(self, _):
        try:
            connection, _ = self.control.accept()
        except (BlockingIOError, InterruptedError):
            return
        connection.settimeout(1.0)
        try:
            asked = connection.recv(len(HAND_OVER))
        except OSError:
            asked = b""
        if asked != HAND_OVER:
            connection.close()
            return
        self._request_hand_over(connection)

    def _request_hand_over(self, connection):
        if self.stopping:
            self._answer([connection], "failed: the service is stopping")
        elif self.incoming is not None:
            # The files may have changed after the proxy starting now read them: one more after it.
            if connection is not None:
                self.queued.append(connection)
            self.again = True
        else:
            self._start_hand_over([connection] if connection is not None else [])

    def _start_hand_over(self, waiting):
        self.waiting = waiting
        try:
            self.incoming = self.spawn()
        except (OSError, ValueError) as error:
            self.incoming = None
            self._finish("failed: the new proxy could not start: %s" % error)
            return
        self.deadline = time.monotonic() + self.options.ready_timeout
        log("%r starts beside %r" % (self.incoming, self.serving))

    def _on_ready(self, _):
        try:
            message = self.ready_socket.recv(64).decode("ascii", "replace").split()
        except (BlockingIOError, InterruptedError):
            return
        if len(message) != 3 or message[0] != "ready" or not message[1].isdigit() or not message[2].isdigit():
            return
        generation, pid = int(message[1]), int(message[2])
        if self.incoming is None or generation != self.incoming.generation:
            return
        self.incoming.ready.add(pid)
        if len(self.incoming.ready) >= self.options.workers:
            self._take_over()

    def _take_over(self):
        old, self.serving, self.incoming, self.deadline = self.serving, self.incoming, None, None
        self._write_serving()
        if old is not None:
            self.draining[old.pid] = old
            self._signal(old, signal.SIGTERM)
            log("%r is ready and serves; %r finishes its requests" % (self.serving, old))
        self._finish("ok: %r serves" % self.serving)

    def _give_up(self, why):
        if self.incoming is not None:
            self._signal(self.incoming, signal.SIGKILL)
            self.draining[self.incoming.pid] = self.incoming
        failed = "failed: the new proxy never took traffic, %s; %r keeps serving" % (why, self.serving)
        log(failed)
        self.incoming, self.deadline = None, None
        self._finish(failed)

    def _finish(self, outcome):
        self._answer(self.waiting, outcome)
        self.waiting = []
        if self.again and not self.stopping:
            queued, self.queued, self.again = self.queued, [], False
            self._start_hand_over(queued)

    @staticmethod
    def _answer(connections, outcome):
        for connection in connections:
            try:
                connection.sendall(outcome.encode() + b"\n")
            except OSError:
                pass
            connection.close()

    def _write_serving(self):
        path = os.path.join(self.options.runtime_dir, SERVING_FILE)
        with open(path + ".new", "w", encoding="ascii") as handle:
            handle.write("%d %d\n" % (self.serving.generation, self.serving.pid))
        os.replace(path + ".new", path)


def reload(runtime_dir, timeout):
    """Ask the running service for one hand-over and wait for its outcome: exit 0 when the new
    proxy serves, 1 with the reason otherwise (systemctl reload prints it)."""
    control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    control.settimeout(timeout)
    try:
        control.connect(os.path.join(runtime_dir, CONTROL_SOCKET))
        control.sendall(HAND_OVER)
        outcome = control.makefile("r", encoding="utf-8").readline().strip()
    except OSError as error:
        outcome = "failed: no answer from the service (%s)" % error
    print("hand-over: " + (outcome or "failed: the service closed the connection"), file=sys.stderr)
    return 0 if outcome.startswith("ok") else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runtime-dir", required=True)
    parser.add_argument("--reload", action="store_true", help="ask the running service for a hand-over")
    parser.add_argument("--env-file")
    parser.add_argument("--workers", type=int, default=1, help="workers each proxy reports ready")
    parser.add_argument("--ready-timeout", type=int, default=120,
                        help="seconds a new proxy has to be ready before it is killed")
    parser.add_argument("command", nargs="*", help="the proxy's command line, after --")
    options = parser.parse_args()
    if options.reload:
        return reload(options.runtime_dir, options.ready_timeout + 10)
    if not options.command or not options.env_file or options.workers < 1:
        parser.error("--env-file, --workers >= 1 and the proxy's command line are needed")
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
        sys.exit("hand_over: no listening socket from systemd (LISTEN_PID/LISTEN_FDS): "
                 "start the service through its .socket unit")
    return Supervisor(options).run()


if __name__ == "__main__":
    sys.exit(main())
