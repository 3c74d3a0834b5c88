"""Command line: `python3 -m copilot_sim --host 127.0.0.1 --port 8765`.

Prints `copilot-sim listening on http://HOST:PORT`, then serves until
SIGTERM or SIGINT and exits cleanly.
"""

import argparse
import signal
import sys
import threading

from .server import Simulator
from .state import DEFAULT_CLIENT_ID


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="copilot_sim", description="GitHub Copilot simulator")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8765, help="port, 0 for any free one (default: %(default)s)")
    parser.add_argument("--token-ttl", type=int, default=1800,
                        help="lifetime of Copilot tokens in seconds (default: %(default)s)")
    parser.add_argument("--device-interval", type=int, default=5,
                        help="device flow polling interval in seconds (default: %(default)s)")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID,
                        help="the OAuth client id the device flow accepts (default: %(default)s)")
    parser.add_argument("--public-url", default=None,
                        help="base URL handed out to clients (default: the URL each client used)")
    parser.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    sim = Simulator(host=args.host, port=args.port, token_ttl=args.token_ttl,
                    device_interval=args.device_interval, client_id=args.client_id,
                    public_url=args.public_url, quiet=args.quiet)
    try:
        sim.start()
    except OSError as exc:
        print(f"copilot-sim: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"copilot-sim listening on {sim.url}", flush=True)
    stop.wait()
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
