"""Runs LiteLLM's proxy on the listening socket systemd passes in (socket activation).

The socket belongs to the litellm-copilot.socket unit, so it stays open while the proxy restarts:
connections that arrive meanwhile wait in the kernel's backlog for the new process instead of
being refused. LiteLLM's own command line has no option to take an inherited socket, so this
launcher lets that command line do its whole set-up (--skip_server_startup: config path for the
workers, environment) and then serves LiteLLM's app with uvicorn, as the command line would, on
the inherited socket instead of a socket of its own.

    python serve_on_socket.py --config CONFIG --num-workers N --graceful-timeout SECONDS
"""
import argparse
import os
import socket
import sys

# sd_listen_fds(3): the first passed descriptor.
SD_LISTEN_FDS_START = 3


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--num-workers", type=int, default=1)
    parser.add_argument("--graceful-timeout", type=int, required=True,
                        help="seconds a stop waits for requests in flight")
    options = parser.parse_args()
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
    loop = ProxyInitializationHelpers.get_loop_type()
    if loop:
        uvicorn_args["loop"] = loop
    config = uvicorn.Config(**uvicorn_args, workers=options.num_workers,
                            timeout_graceful_shutdown=options.graceful_timeout)
    if options.num_workers > 1:
        Multiprocess(config, sockets=[sock]).run()
        return 0
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    # uvicorn's exit code for a server that never started (e.g. a failed lifespan start-up).
    return 0 if server.started else 3


if __name__ == "__main__":
    sys.exit(main())
