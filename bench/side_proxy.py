#!/usr/bin/env python3
"""A second proxy on the same lab host, for side-by-side measurements (bench/load.py --baseline).

    .venv/bin/python bench/side_proxy.py --container lab1 start --port 14000 --without-tuning
    .venv/bin/python bench/side_proxy.py --container lab1 stop

`start` runs a copy of the deployed service, with the same unit (sandbox, limits, user, venv,
launcher) and the same master key, as `<service>-side` on its own socket unit listening on --port.
Its config and environment file are copies of the deployed ones in /run (the config's callback
modules are copied next to it: LiteLLM looks them up beside the config). --without-tuning
removes from the config copy what the role sets for speed (vars/main.yml:
`_litellm_copilot_general_settings`, `_litellm_copilot_litellm_settings_base`), which gives the
proxy as it was without them. Edit the deployed config by hand and restart the service to try
another setting against the side proxy.
`stop` removes the side proxy and its files.
"""
import argparse
import subprocess
import sys
import time

import yaml

from common import answers, log, on_host, role_data

SIDE_DIR = "/run/{service}-side"
UNIT_DIR = "/run/systemd/system"


def put(container, path, text, owner, mode):
    subprocess.run(["podman", "exec", "-i", container, "sh", "-c", 'umask 077 && cat > "$1"', "put", path],
                   input=text, text=True, check=True, capture_output=True)
    on_host(container, "chown", owner, path)
    on_host(container, "chmod", mode, path)


def without_tuning(config):
    """The config (a dict) without the role's speed settings."""
    tuning = role_data("vars")
    for section, names in (("general_settings", tuning["_litellm_copilot_general_settings"]),
                           ("litellm_settings", tuning["_litellm_copilot_litellm_settings_base"])):
        for name in names:
            config.get(section, {}).pop(name, None)
    return config


def start(args):
    side = "%s-side" % args.service
    directory = SIDE_DIR.format(service=args.service)
    unit = on_host(args.container, "cat", "/etc/systemd/system/%s.service" % args.service)
    user = next(line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("User="))
    config_file = next(line.split()[1] for line in unit.splitlines() if line.strip().startswith("--config "))
    env_file = next(line.split()[1] for line in unit.splitlines() if line.strip().startswith("--env-file "))
    runtime = next(line.split()[1] for line in unit.splitlines() if line.strip().startswith("--runtime-dir "))
    config = yaml.safe_load(on_host(args.container, "cat", config_file))
    environment = on_host(args.container, "cat", env_file) + "\n"
    if args.without_tuning:
        config = without_tuning(config)
    on_host(args.container, "install", "-d", "-m", "0750", "-o", "root", "-g", user, directory)
    # Callback modules resolve next to the config.
    on_host(args.container, "sh", "-c", 'cp "$1"/*.py "$2"/ && chmod 0644 "$2"/*.py', "cp",
            config_file.rsplit("/", 1)[0], directory)
    put(args.container, directory + "/config.yaml", yaml.safe_dump(config, sort_keys=False), "root:" + user, "0640")
    put(args.container, directory + "/litellm.env", environment, user + ":" + user, "0600")
    # Its own runtime directory (the hand-over supervisor's sockets), not the one SIDE_DIR names:
    # systemd empties a runtime directory when its service stops.
    side_runtime = runtime + "-side-run"
    unit = (unit.replace("--runtime-dir " + runtime, "--runtime-dir " + side_runtime)
            .replace("RuntimeDirectory=" + runtime.rsplit("/", 1)[1], "RuntimeDirectory=" + side_runtime.rsplit("/", 1)[1])
            .replace(config_file, directory + "/config.yaml")
            .replace("--env-file " + env_file, "--env-file %s/litellm.env" % directory)
            .replace("%s.socket" % args.service, "%s.socket" % side))
    socket = on_host(args.container, "cat", "/etc/systemd/system/%s.socket" % args.service)
    socket = "\n".join("ListenStream=%d" % args.port if line.startswith("ListenStream=")
                       else "Service=%s.service" % side if line.startswith("Service=") else line
                       for line in socket.splitlines()) + "\n"
    put(args.container, "%s/%s.service" % (UNIT_DIR, side), unit, "root:root", "0644")
    put(args.container, "%s/%s.socket" % (UNIT_DIR, side), socket, "root:root", "0644")
    on_host(args.container, "systemctl", "daemon-reload")
    on_host(args.container, "systemctl", "start", side + ".socket", side + ".service")
    url = "http://127.0.0.1:%d" % args.port
    deadline = time.monotonic() + 300
    while not answers(url, "/health/readiness", timeout=5):
        if time.monotonic() > deadline:
            sys.exit("the side proxy did not become ready in 300 s: journalctl -u %s" % side)
        time.sleep(1)
    log("side proxy ready at %s (%s)" % (url, "without the role's speed settings" if args.without_tuning
                                         else "the deployed config"))
    return 0


def stop(args):
    side = "%s-side" % args.service
    on_host(args.container, "systemctl", "stop", side + ".service", side + ".socket", check=False)
    on_host(args.container, "rm", "-rf", SIDE_DIR.format(service=args.service),
            "%s/%s.service" % (UNIT_DIR, side), "%s/%s.socket" % (UNIT_DIR, side), check=False)
    on_host(args.container, "systemctl", "daemon-reload", check=False)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--container", required=True)
    parser.add_argument("--service", default="litellm-copilot")
    commands = parser.add_subparsers(dest="command", required=True)
    started = commands.add_parser("start", help="start the side proxy")
    started.add_argument("--port", type=int, required=True)
    started.add_argument("--without-tuning", action="store_true",
                         help="without the settings the role turns off for speed")
    commands.add_parser("stop", help="remove the side proxy")
    args = parser.parse_args()
    return start(args) if args.command == "start" else stop(args)


if __name__ == "__main__":
    sys.exit(main())
