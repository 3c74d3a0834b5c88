"""What the benchmarks in this folder share: the project's environment, subprocess and lab-host
helpers, and the proxy options. Not a benchmark itself (scripts run from the repository root
import it as `common`, since bench/ is their own folder on sys.path)."""
import os
import pathlib
import subprocess
import sys
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[1]


def log(message):
    print("==> " + message, file=sys.stderr, flush=True)


def environment():
    """The environment scripts/lib.sh sets up: the project's venv first on PATH, its Ansible and podman config."""
    env = dict(os.environ)
    env["PATH"] = "%s:%s" % (REPO / ".venv" / "bin", env.get("PATH", ""))
    env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    env["CONTAINERS_CONF"] = str(REPO / "tests" / "lab" / "containers.conf")
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


ENV = environment()


def run(argv, check=True, **kwargs):
    return subprocess.run(argv, env=ENV, check=check, text=True, capture_output=True, **kwargs)


def on_host(container, *command, check=True):
    """A command's stdout on a lab host (podman exec), stripped."""
    return subprocess.run(["podman", "exec", container, *command], check=check,
                          capture_output=True, text=True).stdout.strip()


def answers(url, path="/health/liveliness", timeout=2):
    """Whether the proxy at url answers a health path with 200."""
    try:
        with urllib.request.urlopen(url + path, timeout=timeout) as answer:
            return answer.status == 200
    except OSError:
        return False


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def add_proxy_arguments(parser, model="gpt-4.1"):
    """The options of the benchmarks that drive one deployed lab host's proxy."""
    parser.add_argument("--container", required=True)
    parser.add_argument("--proxy", default=os.environ.get("PROXY_URL", "http://127.0.0.1:4000"))
    parser.add_argument("--key", default=os.environ.get("PROXY_KEY", ""), help="master key (default $PROXY_KEY)")
    parser.add_argument("--service", default="litellm-copilot")
    parser.add_argument("--model", default=model)


def role_data(name):
    """A file of the role's data (e.g. "defaults", "vars") as the role ships it, parsed."""
    import yaml
    return yaml.safe_load((REPO / "roles" / "litellm_copilot" / name / "main.yml").read_text())


def ide_headers():
    """The IDE headers the role sends Copilot (its defaults), for clients that talk to Copilot directly."""
    return dict(role_data("defaults")["litellm_copilot_ide_headers"])
