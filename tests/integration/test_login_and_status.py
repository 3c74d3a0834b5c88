"""Sign-in, token rotation, revocation and the fleet status, end to end: playbooks/login.yml against the
simulator writes a vaulted token into an inventory built for the lab host, site.yml deploys it, status.yml
reports it. The tests run in file order and share that inventory; at the end the host gets back the token
of LAB_INVENTORY, so later test files see the state they expect."""
import json
import os
import re
import secrets
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from ansible.parsing.vault import VaultLib, VaultSecret

import lab as lab_host
import labkit
from constants import default_version
from conftest import COPILOT_SIM_URL as SIM_URL
from conftest import PROXY_KEY, PROXY_URL, ROTATIONS, copilot_sim, sim_call
from lab import BIN, HOST, INVENTORY, REPO, fatal_lines, plain

DATA_DIR = "/var/lib/litellm-copilot/github_copilot"



# --------------------------------------------------------------------------- small tools

def on_host(*command):
    return lab_host.on_host(*command, check=False, timeout=60)


def host_file(path):
    done = on_host("cat", path)
    return done.stdout if done.returncode == 0 else None


def serving_proxy():
    """The proxy taking connections ("<generation> <pid>"): a restart and a hand-over both change it."""
    return lab_host.proxy_pid()


def chat(model, text):
    """One chat completion through the deployed proxy (OpenAI SDK, real LiteLLM)."""
    import openai
    client = openai.OpenAI(base_url=PROXY_URL + "/v1", api_key=PROXY_KEY, max_retries=0, timeout=60)
    reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}])
    return reply.choices[0].message.content


def served_models():
    import urllib.request
    request = urllib.request.Request(PROXY_URL + "/v1/models", headers={"Authorization": "Bearer " + PROXY_KEY})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return sorted(model["id"] for model in json.load(answer)["data"])


def decrypt(path, password):
    """The token a copilot_token.yml holds, decrypted the way Ansible does it."""
    text = Path(path).read_text()
    assert "$ANSIBLE_VAULT;1.1;AES256" in text
    ciphertext = text.split("!vault |", 1)[1]
    ciphertext = "\n".join(line.strip() for line in ciphertext.strip().splitlines())
    vault = VaultLib([("default", VaultSecret(password.encode()))])
    return vault.decrypt(ciphertext.encode()).decode()


# --------------------------------------------------------------------------- the shared inventory

class Lab:
    """A temporary inventory directory for the lab host, a vault password, and the playbook runner."""

    def __init__(self, root):
        self.root = root
        self.inventory = root / "inventory"
        self.inventory.mkdir()
        self.password = secrets.token_hex(16)
        self.password_file = root / "vault-pass"
        self.password_file.write_text(self.password + "\n")
        self.password_file.chmod(0o600)
        # The host's vars as LAB_INVENTORY gives them, minus the token: that comes from the login.
        host_vars = labkit.host_vars(INVENTORY, HOST, env=self.env())
        self.original_token = host_vars.pop("litellm_copilot_github_token")
        labkit.write_inventory(self.inventory / "hosts.yml", {HOST: None}, host_vars)
        self.token_file = self.inventory / "host_vars" / HOST / "copilot_token.yml"

    def env(self, **extra):
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("ANSIBLE_", "MOLECULE_")) and key not in ("GH_TOKEN", "GITHUB_TOKEN")}
        env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                   ANSIBLE_VAULT_PASSWORD_FILE=str(self.password_file) if hasattr(self, "password_file") else "")
        env.update(extra)
        return env

    def playbook(self, playbook, *extra_vars, inventory=None, verbose=False, env=None):
        command = [str(BIN / "ansible-playbook"), "-i", str(inventory or self.inventory), "--limit",
                   HOST + ",localhost", str(REPO / playbook)]
        if verbose:
            command.append("-vvv")
        for extra in extra_vars:
            command += ["-e", extra]
        done = subprocess.run(command, cwd=REPO, env=self.env(**(env or {})), capture_output=True, text=True,
                              timeout=900)
        return done.returncode, plain(done.stdout + done.stderr)

    def secrets(self):
        """Every secret of this module in play so far, by name (test_secrets.py scans for them)."""
        return dict({"GitHub token (%s)" % name: token for name, token in self.tokens.items()},
                    **{"GitHub token (inventory)": self.original_token, "master key": PROXY_KEY,
                       "vault password": self.password})

    def login(self, *extra_vars, env=None, verbose=False):
        return self.playbook("playbooks/login.yml", "litellm_copilot_login_host=" + HOST,
                             "litellm_copilot_github_url=" + SIM_URL, *extra_vars, env=env, verbose=verbose)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    config = sim_call("GET", "/_sim/config")
    sim_call("POST", "/_sim/config", {"device_interval": 1})
    lab = Lab(tmp_path_factory.mktemp("login"))
    lab.tokens = {}
    yield lab
    # Back to the state the other test files expect: the simulator's device settings, and the host on
    # LAB_INVENTORY's token (a changed token: file replaced, cache dropped, service restarted).
    sim_call("POST", "/_sim/config", {name: config[name] for name in ("device_interval", "enforce_interval")})
    sim_call("POST", "/_sim/device", {"script": ["authorization_pending", "success"]})
    code, output = lab.playbook("site.yml", inventory=INVENTORY, verbose=True)
    assert code == 0, output[-3000:]
    assert host_file(DATA_DIR + "/access-token").strip() == lab.original_token
    ROTATIONS.append({"output": output, "secrets": lab.secrets()})
    assert "You said: restored" in chat("gpt-4.1", "restored")


def assert_no_secrets(output, *secrets_):
    for secret in secrets_:
        assert secret and secret not in output
    assert "tid=" not in output  # no Copilot token


# --------------------------------------------------------------------------- sign-in

def test_device_flow_login_stores_a_vaulted_token(lab):
    sim_call("POST", "/_sim/device", {"script": ["authorization_pending", "success"]})
    code, output = lab.login(verbose=True)
    assert code == 0, output[-3000:]
    shown = re.search(r"open\s+(\S+/login/device)\".*?enter\s+([B-Z0-9]{4}-[B-Z0-9]{4})", output, re.S)
    assert shown, "the verification URL and user code must be shown"
    assert shown.group(1) == SIM_URL + "/login/device"
    assert (lab.token_file.stat().st_mode & 0o777) == 0o600
    text = lab.token_file.read_text()
    assert "gho_" not in text and "litellm_copilot_github_token: !vault |" in text
    token = decrypt(lab.token_file, lab.password)
    assert token.startswith("gho_")
    # A device-flow sign-in is a credit seat: its quota is a share of the month's credits, no count of requests.
    assert re.search(r"Stored the GitHub token of sim-device-user-\d+ \(Copilot individual, 100 % of the month's "
                     r"allowance left\)", output), output[-3000:]
    assert_no_secrets(output, token, lab.password)
    lab.tokens["device"] = token


@pytest.mark.parametrize("outcome, message", [
    ("expired_token", "expired before it was authorized"),
    ("access_denied", "sign-in was cancelled"),
])
def test_failed_device_flow_fails_clearly_and_keeps_the_token(lab, outcome, message):
    before = lab.token_file.read_text()
    sim_call("POST", "/_sim/device", {"script": ["authorization_pending", outcome]})
    try:
        code, output = lab.login()
    finally:
        sim_call("POST", "/_sim/device", {"script": ["authorization_pending", "success"]})
    assert code != 0
    fatal = fatal_lines(output)
    assert len(fatal) == 1 and message in fatal[0] and HOST in fatal[0]
    codes = set(re.findall(r"enter\s+([B-Z0-9]{4}-[B-Z0-9]{4})", output))
    # an expired code is replaced by a fresh one (two by default); a denied sign-in is final
    assert len(codes) == (2 if outcome == "expired_token" else 1)
    assert lab.token_file.read_text() == before


def test_wrong_client_id_fails_before_anyone_signs_in(lab):
    code, output = lab.login("litellm_copilot_client_id=Iv1.0000000000000000")
    assert code != 0
    fatal = fatal_lines(output)
    assert len(fatal) == 1 and "does not know the OAuth client id Iv1.0000000000000000" in fatal[0]
    assert "enter " not in output


# --------------------------------------------------------------------------- rotation

def test_site_deploys_the_signed_in_token(lab):
    token = lab.tokens["device"]
    assert "You said: warm" in chat("gpt-4.1", "warm")  # LiteLLM now caches a Copilot token
    cache_before = host_file(DATA_DIR + "/api-key.json")
    assert cache_before
    started = serving_proxy()
    sim_call("DELETE", "/_sim/requests")
    code, output = lab.playbook("site.yml", verbose=True)
    assert code == 0, output[-3000:]
    assert_no_secrets(output, token, lab.original_token, PROXY_KEY, lab.password)
    ROTATIONS.append({"output": output, "secrets": lab.secrets()})
    assert host_file(DATA_DIR + "/access-token").strip() == token
    assert host_file(DATA_DIR + "/api-key.json") != cache_before, "the cached Copilot token was not dropped"
    assert serving_proxy() not in (0, started), "no new proxy took over with the new token"
    assert "You said: rotated" in chat("claude-sonnet-4.5", "rotated")
    # since the run began, only the new token was exchanged (discovery, then the new proxy); the
    # premium request above is billed to the new account, which the status test checks
    exchanges = sim_call("GET", "/_sim/requests?path=/copilot_internal/v2/token")["requests"]
    assert {r["headers"]["authorization"].split()[-1] for r in exchanges} == {copilot_sim.fingerprint(token)}


def meter_spend():
    """{day, month}: the credits the proxy's meter says this VM spent."""
    with urllib.request.urlopen(PROXY_URL + "/metrics", timeout=30) as answer:
        text = answer.read().decode()
    return {period: float(value) for period, value in
            re.findall(r'^litellm_copilot_spend_credits\{period="(\w+)"\} (\S+)$', text, re.M)}


def sim_usage(token):
    request = urllib.request.Request(SIM_URL + "/copilot_internal/user", headers={"Authorization": "token " + token})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def test_status_shows_the_fleet(lab):
    token = lab.tokens["device"]
    code, output = lab.playbook("playbooks/status.yml", verbose=True)
    assert code == 0, output[-3000:]
    assert_no_secrets(output, token, PROXY_KEY)
    lines = [line.strip().strip('",') for line in output.splitlines()]
    header = next(line for line in lines if line.startswith("host ") and "premium used" in line)
    row = next(line for line in lines if line.startswith(HOST + " "))
    assert header.split()[:5] == ["host", "proxy", "litellm", "models", "plan"]
    cells = re.split(r"\s{2,}", row)
    # The signed-in account is a new one, so a credit seat: the rotation test's premium request cost
    # it credits, which the proxy's meter and Copilot's quota headers both saw.
    assert cells[:5] == [HOST, "up", default_version(), str(len(served_models())), "individual/credits"]
    spent = meter_spend()
    assert cells[5:9] == ["%.2f" % spent["day"], "%.2f" % spent["month"], "-", "-"]  # no budget; no request count
    usage = sim_usage(token)
    premium = usage["quota_snapshots"]["premium_interactions"]
    assert premium["remaining"] < premium["entitlement"]  # a few credits of 1000: the percentage rounds to 100.0
    assert cells[9] == "%.1f%%" % usage["quota_snapshots"]["premium_interactions"]["percent_remaining"]
    assert cells[10] == usage["quota_reset_date"]
    assert header.index("plan") == row.index("individual"), "columns are not aligned"

    report = lab.root / "status.json"
    code, output = lab.playbook("playbooks/status.yml", "status_format=json", "status_file=" + str(report))
    assert code == 0, output[-3000:]
    rows = {row["host"]: row for row in json.loads(report.read_text())}
    mine = rows[HOST]
    assert mine["proxy"] == "up" and mine["token"] == "ok" and mine["plan"] == "individual"
    assert mine["models"] == served_models()
    assert mine["premium_interactions"]["remaining"] == usage["quota_snapshots"]["premium_interactions"]["remaining"]
    assert mine["meter"]["billing"] == "credits" and mine["meter"]["spend"] == spent
    assert re.fullmatch(r"\d{4}-\d{2}-01", mine["quota_reset_date"])


def test_login_from_an_existing_token_replaces_this_hosts_token_only(lab):
    other = lab.inventory / "host_vars" / "devvm-other" / "copilot_token.yml"
    other.parent.mkdir(parents=True)
    other.write_text("---\n# another host's token: login for one host must not touch it\n")
    token = "gho_" + secrets.token_hex(18)
    sim_call("POST", "/_sim/accounts", {"token": token, "plan": "individual", "login": "sim-rotation"})
    code, output = lab.login(env={"GITHUB_TOKEN": token}, verbose=True)
    assert code == 0, output[-3000:]
    assert "enter " not in output, "an existing token needs no device flow"
    assert decrypt(lab.token_file, lab.password) == token
    assert "Stored the GitHub token of sim-rotation" in output
    assert_no_secrets(output, token, lab.password)
    assert other.read_text().startswith("---\n# another host's")
    assert not (lab.inventory / "group_vars").exists()
    lab.tokens["env"] = token

    # a token file works the same; a token without Copilot is refused and stores nothing
    token_file = lab.root / "no-copilot-token"
    token_file.write_text(copilot_sim.NO_COPILOT_TOKEN + "\n")
    code, output = lab.login("litellm_copilot_login_token_file=" + str(token_file))
    assert code != 0
    fatal = fatal_lines(output)
    assert len(fatal) == 1 and "no Copilot access" in fatal[0]
    assert copilot_sim.NO_COPILOT_TOKEN not in output
    assert decrypt(lab.token_file, lab.password) == token
    shutil.rmtree(other.parent)


# --------------------------------------------------------------------------- revocation

def test_revoked_token_fails_the_deploy_and_shows_in_status(lab):
    running, next_token = lab.tokens["device"], lab.tokens["env"]
    sim_call("POST", "/_sim/revoke", {"token": running})
    sim_call("POST", "/_sim/revoke", {"token": next_token})
    models = served_models()
    started = serving_proxy()

    code, output = lab.playbook("site.yml")
    assert code != 0
    fatal = fatal_lines(output)
    assert len(fatal) == 1, "expected exactly one failure, got:\n" + "\n".join(fatal)
    assert "[%s]" % HOST in fatal[0] and "invalid or revoked" in fatal[0]
    assert_no_secrets(output, running, next_token)
    # the running proxy is left alone: same process, same stored token, same models
    assert serving_proxy() == started
    assert host_file(DATA_DIR + "/access-token").strip() == running
    assert served_models() == models

    report = lab.root / "revoked.json"
    code, output = lab.playbook("playbooks/status.yml", "status_file=" + str(report))
    assert code == 0, output[-3000:]
    row = next(line.strip().strip('",') for line in output.splitlines() if line.strip().strip('"').startswith(HOST + " "))
    assert "GitHub token invalid or revoked: run playbooks/login.yml" in row
    assert row.split()[1] == "up"
    assert re.search(r"^%s\s+up\s" % re.escape(HOST), report.read_text(), re.M)
    code, output = lab.playbook("playbooks/status.yml", "status_format=json", "status_file=" + str(report))
    mine = {row["host"]: row for row in json.loads(report.read_text())}[HOST]
    assert mine["token"] == "invalid_token" and mine["plan"] is None
    assert "invalid or revoked" in mine["token_error"]


# --------------------------------------------------------------------------- a group's token

def test_group_login_and_a_token_another_file_would_override(tmp_path):
    """A group's token goes to group_vars/<group>/copilot_token.yml, with the vault password given as a
    playbook variable; a host's own file wins over it; a file that would override the token is refused."""
    inventory = tmp_path / "inventory"
    (inventory / "host_vars" / "devvm-2").mkdir(parents=True)
    labkit.write_inventory(inventory / "hosts.yml", {"devvm-1": None, "devvm-2": None},
                           {"litellm_copilot_github_api_url": SIM_URL, "litellm_copilot_allow_insecure_http": True})
    password_file = tmp_path / "vault-pass"
    password_file.write_text("group-test\n")
    token_file = tmp_path / "token"
    token_file.write_text(copilot_sim.BUSINESS_TOKEN + "\n")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ANSIBLE_", "MOLECULE_")) and key not in ("GH_TOKEN", "GITHUB_TOKEN")}
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")

    def login(*extra_vars):
        command = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(REPO / "playbooks/login.yml"),
                   "-e", "litellm_copilot_login_token_file=" + str(token_file),
                   "-e", "litellm_copilot_login_vault_password_file=" + str(password_file)]
        for extra in extra_vars:
            command += ["-e", extra]
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        return done.returncode, plain(done.stdout + done.stderr)

    code, output = login("litellm_copilot_login_group=litellm_copilot")
    assert code == 0, output[-3000:]
    group_file = inventory / "group_vars" / "litellm_copilot" / "copilot_token.yml"
    assert decrypt(group_file, "group-test") == copilot_sim.BUSINESS_TOKEN
    assert "(Copilot business, 100 % of the month's allowance left) for group litellm_copilot" in output
    assert copilot_sim.BUSINESS_TOKEN not in output

    token_file.write_text(copilot_sim.ENTERPRISE_TOKEN + "\n")
    code, output = login("litellm_copilot_login_host=devvm-1")
    assert code == 0, output[-3000:]
    assert decrypt(group_file, "group-test") == copilot_sim.BUSINESS_TOKEN
    found = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(inventory), "--list",
                            "--vault-password-file", str(password_file)],
                           cwd=REPO, env=env, capture_output=True, text=True, check=True)
    hostvars = json.loads(found.stdout)["_meta"]["hostvars"]
    vault = VaultLib([("default", VaultSecret(b"group-test"))])
    assert {host: vault.decrypt(vars_["litellm_copilot_github_token"]["__ansible_vault"].encode()).decode()
            for host, vars_ in hostvars.items()} == {
        "devvm-1": copilot_sim.ENTERPRISE_TOKEN, "devvm-2": copilot_sim.BUSINESS_TOKEN}

    (inventory / "host_vars" / "devvm-2" / "main.yml").write_text('litellm_copilot_github_token: "{{ x }}"\n')
    code, output = login("litellm_copilot_login_host=devvm-2")
    assert code != 0
    fatal = fatal_lines(output)
    assert len(fatal) == 1 and "main.yml also set litellm_copilot_github_token" in fatal[0]
    assert not (inventory / "host_vars" / "devvm-2" / "copilot_token.yml").exists()
