#!/usr/bin/env python3
"""A second proxy on the same lab host, for side-by-side measurements (bench/load.py --baseline).

    .venv/bin/python bench/side_proxy.py --container lab1 start --port 14000 --without-tuning
    .venv/bin/python bench/side_proxy.py --container lab1 --name bare start --port 14001 --bare
    .venv/bin/python bench/side_proxy.py --container lab1 stop      # and --name bare stop

`start` runs a copy of the deployed service, with the same unit (sandbox, limits, user, venv,
launcher) and the same master key, as `<service>-side` on its own socket unit listening on --port.
Its config and environment file are copies of the deployed ones in /run (the config's callback
modules and the meter's settings are copied next to it: LiteLLM looks them up beside the config). --without-tuning
removes from the config copy what the role sets for speed (vars/main.yml:
`_litellm_copilot_general_settings`, `_litellm_copilot_litellm_settings_base`), which gives the
proxy as it was without them. Edit the deployed config by hand and restart the service to try
another setting against the side proxy.
--bare runs LiteLLM's own proxy instead, as its documentation starts it (`litellm --config`, its
own HTTP server on its own port, no socket unit, launcher or hand-over), with only what reaching the
seat needs: each model's name and its `litellm_params` (the provider, the seat's API base, the IDE
headers). No role setting, callback, alias, fallback or model info: the floor LiteLLM itself sets,
under the same user, sandbox and venv.
`stop` removes the side proxy and its files. --name (default `side`) names the service
`<service>-<name>`, so several side proxies can run at once.
"""
import argparse
import subprocess
import sys
import time

import yaml

from common import answers, log, on_host, role_data

SIDE_DIR = "/run/{service}-{name}"
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


def bare(config):
    """Only what LiteLLM needs to reach the seat: each model's name and its litellm_params."""
    return {"model_list": [{"model_name": entry["model_name"], "litellm_params": entry["litellm_params"]}
                           for entry in config["model_list"]],
            "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"}}


def unit_lines(unit):
    """A unit file's logical lines (continuation lines joined)."""
    return unit.replace("\\\n", " ").splitlines()


def bare_unit(unit, directory, port):
    """The deployed unit running LiteLLM's own CLI on its own port, without the socket unit."""
    lines = unit_lines(unit)
    start = next(line for line in lines if line.startswith("ExecStart="))
    bin_dir = start.split(" -- ", 1)[1].split()[0].rsplit("/", 1)[0]  # the proxy's <venv>/bin
    kept = []
    for line in lines:
        if line.startswith(("ExecStart=", "ExecReload=", "KillMode=", "Requires=", "RuntimeDirectory")):
            continue
        kept.append(line)
        if line == "[Service]":
            kept += ["EnvironmentFile=%s/litellm.env" % directory,
                     "ExecStart=%s/litellm --config %s/config.yaml --host 127.0.0.1 --port %d --num_workers 1"
                     % (bin_dir, directory, port)]
    return "\n".join(kept) + "\n"


def start(args):
    side = "%s-%s" % (args.service, args.name)
    directory = SIDE_DIR.format(service=args.service, name=args.name)
    unit = on_host(args.container, "cat", "/etc/systemd/system/%s.service" % args.service)
    user = next(line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("User="))
    config_file = next(line.split()[1] for line in unit.splitlines() if line.strip().startswith("--config "))
    env_file = next(line.split()[1] for line in unit.splitlines() if line.strip().startswith("--env-file "))
    runtime = next(line.split()[1] for line in unit.splitlines() if line.strip().startswith("--runtime-dir "))
    config = yaml.safe_load(on_host(args.container, "cat", config_file))
    environment = on_host(args.container, "cat", env_file) + "\n"
    if args.without_tuning:
        config = without_tuning(config)
    if args.bare:
        config = bare(config)
    on_host(args.container, "install", "-d", "-m", "0750", "-o", "root", "-g", user, directory)
    # Callback modules resolve next to the config, and the meter's settings are next to it.
    on_host(args.container, "sh", "-c", 'cp "$1"/*.py "$1"/*.json "$2"/ && chmod 0644 "$2"/*.py "$2"/*.json',
            "cp", config_file.rsplit("/", 1)[0], directory)
    put(args.container, directory + "/config.yaml", yaml.safe_dump(config, sort_keys=False), "root:" + user, "0640")
    put(args.container, directory + "/litellm.env", environment, user + ":" + user, "0600")
    if args.bare:
        put(args.container, "%s/%s.service" % (UNIT_DIR, side), bare_unit(unit, directory, args.port),
            "root:root", "0644")
        units = [side + ".service"]
    else:
        # Its own runtime directory (the hand-over supervisor's sockets), not the one SIDE_DIR names:
        # systemd empties a runtime directory when its service stops.
        side_runtime = "%s-%s-run" % (runtime, args.name)
        unit = (unit.replace("--runtime-dir " + runtime, "--runtime-dir " + side_runtime)
                .replace("RuntimeDirectory=" + runtime.rsplit("/", 1)[1],
                         "RuntimeDirectory=" + side_runtime.rsplit("/", 1)[1])
                .replace(config_file, directory + "/config.yaml")
                .replace("--env-file " + env_file, "--env-file %s/litellm.env" % directory)
                .replace("%s.socket" % args.service, "%s.socket" % side))
        socket = on_host(args.container, "cat", "/etc/systemd/system/%s.socket" % args.service)
        socket = "\n".join("ListenStream=%d" % args.port if line.startswith("ListenStream=")
                           else "Service=%s.service" % side if line.startswith("Service=") else line
                           for line in socket.splitlines()) + "\n"
        put(args.container, "%s/%s.service" % (UNIT_DIR, side), unit, "root:root", "0644")
        put(args.container, "%s/%s.socket" % (UNIT_DIR, side), socket, "root:root", "0644")
        units = [side + ".socket", side + ".service"]
    on_host(args.container, "systemctl", "daemon-reload")
    on_host(args.container, "systemctl", "start", *units)
    url = "http://127.0.0.1:%d" % args.port
    deadline = time.monotonic() + 300
    while not answers(url, "/health/readiness", timeout=5):
        if time.monotonic() > deadline:
            sys.exit("the side proxy did not become ready in 300 s: journalctl -u %s" % side)
        time.sleep(1)
    log("side proxy %s ready at %s (%s)" % (side, url, "LiteLLM's bare proxy" if args.bare
                                            else "without the role's speed settings" if args.without_tuning
                                            else "the deployed config"))
    return 0


def stop(args):
    side = "%s-%s" % (args.service, args.name)
    on_host(args.container, "systemctl", "stop", side + ".service", side + ".socket", check=False)
    on_host(args.container, "rm", "-rf", SIDE_DIR.format(service=args.service, name=args.name),
            "%s/%s.service" % (UNIT_DIR, side), "%s/%s.socket" % (UNIT_DIR, side), check=False)
    on_host(args.container, "systemctl", "daemon-reload", check=False)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--container", required=True)
    parser.add_argument("--service", default="litellm-copilot")
    parser.add_argument("--name", default="side", help="the side proxy's service is <service>-<name>")
    commands = parser.add_subparsers(dest="command", required=True)
    started = commands.add_parser("start", help="start the side proxy")
    started.add_argument("--port", type=int, required=True)
    started.add_argument("--without-tuning", action="store_true",
                         help="without the settings the role turns off for speed")
    started.add_argument("--bare", action="store_true",
                         help="LiteLLM's own proxy with only the models' litellm_params (no role config)")
    commands.add_parser("stop", help="remove the side proxy")
    args = parser.parse_args()
    return start(args) if args.command == "start" else stop(args)


if __name__ == "__main__":
    sys.exit(main())
