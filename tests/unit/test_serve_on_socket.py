"""The launcher's half of socket activation (roles/litellm_copilot/files/serve_on_socket.py): it
takes only the one listening TCP socket systemd passed to this very process, as what it is (TCP,
not the AF_UNIX uvicorn's --fd assumes), and refuses anything else with one clear line. Run in a
child process that gets a real socket as descriptor 3, the way systemd passes it."""
import socket
import subprocess
import sys

import pytest
from constants import ROLE_FILES as LAUNCHER_DIR

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
