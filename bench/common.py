"""What the benchmarks in this folder share: the project's environment, subprocess and lab-host
helpers, the proxy options, and the deployed lab host whose developer runs Claude Code (`Lab`, used by
premium.py and credits.py). Not a benchmark itself (scripts run from the repository root import it as
`common`, since bench/ is their own folder on sys.path)."""
import contextlib
import json
import os
import pathlib
import subprocess
import sys
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[1]
# The lab-host helpers the integration tests use too (tests/labkit.py).
sys.path.insert(0, str(REPO / "tests"))
import labkit  # noqa: E402


def log(message):
    print("==> " + message, file=sys.stderr, flush=True)


ENV = labkit.environment()


def run(argv, check=True, **kwargs):
    return subprocess.run(argv, env=ENV, check=check, text=True, capture_output=True, **kwargs)


def on_host(container, *command, check=True):
    """A command's stdout on a lab host (podman exec), stripped."""
    return labkit.podman_exec(container, *command, check=check).stdout.strip()


serving = labkit.serving


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


def fmt(number):
    """A number for a table cell: at most two decimals, no trailing zeros."""
    return ("%.2f" % number).rstrip("0").rstrip(".")


class Lab:
    """The deployed lab host: its inventory variables, commands as its developer, its simulator account."""

    def __init__(self, inventory, host):
        self.inventory, self.host = inventory, host
        self.vars = labkit.host_vars(inventory, host, env=ENV)
        self.user = self.vars.get("litellm_copilot_client_user") or ""
        if not (self.user and self.vars.get("litellm_copilot_claude_code_settings")):
            raise SystemExit("%s: the inventory configures no developer with Claude Code settings "
                             "(litellm_copilot_client_user, litellm_copilot_claude_code_settings)" % host)
        self.sim = self.vars["litellm_copilot_github_api_url"].rstrip("/")
        self.home = "/home/" + self.user
        self.proxy = "http://127.0.0.1:%s" % self.vars.get("litellm_copilot_port", 4000)

    def exec(self, *command, user=None, workdir=None, timeout=300, check=True):
        """A command on the host (as `user`, in their home or in `workdir`); its CompletedProcess."""
        podman = ["podman", "exec"] + (["--user", user, "--workdir", workdir or "/home/" + user] if user else [])
        return run(podman + [self.host, *command], timeout=timeout, check=check)

    def settings(self):
        return json.loads(self.exec("cat", self.home + "/.claude/settings.json").stdout)["env"]

    def premium_remaining(self):
        token = self.vars["litellm_copilot_github_token"]
        request = urllib.request.Request(self.sim + "/copilot_internal/user",
                                         headers={"Authorization": "token " + token})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)["quota_snapshots"]["premium_interactions"]["remaining"]

    def sim_requests(self, clear=False):
        request = urllib.request.Request(self.sim + "/_sim/requests", method="DELETE" if clear else "GET")
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)["requests"]

    def claude(self, prompt, *options, env=(), cwd=None):
        """`claude -p PROMPT --output-format json` as the developer (with `env`, NAME=VALUE strings), in
        their home or in `cwd`; its JSON result. --max-turns bounds a task whose answers went wrong."""
        done = self.exec("env", *env, "claude", "-p", prompt, "--output-format", "json", "--max-turns", "20",
                         *options, user=self.user, workdir=cwd, timeout=600, check=False)
        try:  # a refused request still prints a result, with is_error set, and exits 1
            return json.loads(done.stdout)
        except ValueError:
            return {"is_error": True, "num_turns": 0, "result": (done.stdout + done.stderr)[-500:]}

    def configure(self, shaper, extra=None):
        """The role's configure step with the shaper on or off (and `extra` role variables, a dict);
        waits until the proxy answers again."""
        extra_vars = ["-e", "litellm_copilot_request_shaper=%s" % str(shaper).lower()]
        if extra:  # as JSON, so that a number stays a number
            extra_vars += ["-e", json.dumps(extra)]
        what = "shaper %s%s" % (shaper, "".join(", %s=%s" % item for item in (extra or {}).items()))
        done = run(["ansible-playbook", "-i", self.inventory, "--limit", self.host, "--tags", "configure",
                    *extra_vars, "site.yml"], check=False, cwd=REPO, timeout=1800)
        if done.returncode:
            raise SystemExit("configure (%s) failed:\n%s" % (what, done.stdout[-3000:]))
        for _ in range(120):
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.proxy + "/health/readiness", timeout=5):
                    return
            time.sleep(1)
        raise SystemExit("the proxy did not come back after configure (%s)" % what)


def install_claude(lab):
    """The pinned Claude Code CLI (scripts/install-clients.sh) copied onto the lab host; its version."""
    binary = run([str(REPO / "scripts" / "install-clients.sh")]).stdout.strip().splitlines()[-1]
    run(["podman", "cp", binary, lab.host + ":/usr/local/bin/claude"])
    return lab.exec("claude", "--version").stdout.strip()


def inference(requests):
    """The recorded requests to Copilot's three inference endpoints."""
    return [r for r in requests if r["path"].endswith(("/v1/messages", "/chat/completions", "/responses"))]


def claude_task(lab, tool_calls, word="step", cwd=None):
    """The scripted two-prompt Claude Code task: one prompt whose agent loop makes `tool_calls` Bash
    calls (`echo WORD N`; the simulator's `SIM:TOOLS` script answers tool_use until that many tool
    results came back), then a second prompt in the same session (`--continue`). Whether both
    answers are the script's."""
    first = lab.claude('SIM:TOOLS %d Bash {"command": "echo %s {call}", "description": "Print a step"}'
                       % (tool_calls, word), "--allowedTools", "Bash(echo:*)", cwd=cwd)
    second = lab.claude("Now sum it up", "--continue", cwd=cwd)
    return (not first["is_error"] and first["num_turns"] == tool_calls + 1
            and first["result"].startswith("Scripted task done after %d tool calls." % tool_calls)
            and not second["is_error"] and "You said: Now sum it up" in second["result"])
