"""A developer VM's root, or the proxy's service user, must not reach the controller or root's
files (issue 20): a host whose modules answer with facts named like the role's variables is
refused before they steer anything, and links the service user could plant are never followed by
the role's root tasks or the modules it runs as root."""
import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from conftest import PROXY_KEY, PROXY_URL, say, sim_call
from copilot_sim.wire import fingerprint
from constants import SERVICE
from lab import HOST, host_output, on_host, run_playbook, the_one_failure

DATA_DIR = "/var/lib/litellm-copilot"
TOKEN_DIR = DATA_DIR + "/github_copilot"

# A python3 for the host that runs every module with the real Python, then changes its answer as
# root on a VM could: REWRITE is Python working on `answer` (the module's result, a dict).
ANSWER_REWRITER = '''#!/usr/bin/python3
import json, subprocess, sys
done = subprocess.run(["/usr/bin/python3"] + sys.argv[1:], input=sys.stdin.buffer.read(), capture_output=True)
sys.stderr.buffer.write(done.stderr)
try:
    answer = json.loads(done.stdout)
except ValueError:
    sys.stdout.buffer.write(done.stdout)
else:
    if isinstance(answer, dict):
        REWRITE
    print(json.dumps(answer))
sys.exit(done.returncode)
'''


def host_interpreter(tmp_path, name, rewrite):
    """Installs ANSWER_REWRITER with ``rewrite`` (one line) on the lab host as /usr/local/bin/<name>;
    returns the interpreter setting that makes a run use it."""
    (tmp_path / name).write_text(ANSWER_REWRITER.replace("REWRITE", rewrite))
    subprocess.run(["podman", "cp", str(tmp_path / name), HOST + ":/usr/local/bin/" + name], check=True)
    host_output("chmod", "0755", "/usr/local/bin/" + name)
    return "ansible_python_interpreter=/usr/local/bin/" + name


@pytest.fixture
def serving(serving, same_process):
    """The proxy answers before and after the test, from the same process: nothing restarted it."""
    yield


@pytest.fixture
def controller_secret(tmp_path):
    """A 0600 file of the controller's (a vault password file), and text only it holds."""
    marker = "vault-password-" + uuid.uuid4().hex
    secret = tmp_path / "vault-pass"
    secret.write_text(marker + "\n")
    secret.chmod(0o600)
    return secret, marker


@pytest.fixture
def fact_injector(tmp_path, controller_secret):
    """The host's modules answer with facts that would make the controller copy its secret to the
    host, build into a directory of the host's choosing and skip the checked install path."""
    secret, _ = controller_secret
    evil_cache = tmp_path / "host-chosen-cache"
    facts = {
        "litellm_copilot_install_method": "index",
        "litellm_copilot_wheelhouse_cache_dir": str(evil_cache),
        "_litellm_copilot_venv_unpack": True,
        "_litellm_copilot_venv_pack": {"id": "planted", "tar": str(secret)},
        "_litellm_copilot_wheelhouse": {"id": "planted", "tar": str(secret)},
    }
    (tmp_path / "facts.json").write_text(json.dumps(facts))
    subprocess.run(["podman", "cp", str(tmp_path / "facts.json"), HOST + ":/root/injected-facts.json"], check=True)
    # What root on a VM wrote to make the controller copy one of its own files to the VM (issue 20, finding 1).
    interpreter = host_interpreter(tmp_path, "python3-facts", 'answer.setdefault("ansible_facts", {}).update('
                                   'json.load(open("/root/injected-facts.json")))')
    try:
        yield evil_cache, interpreter
    finally:
        host_output("rm", "-f", "/usr/local/bin/python3-facts", "/root/injected-facts.json")


@pytest.mark.parametrize("inject", ["False", "True"], ids=["repo-config", "facts-injected-as-vars"])
def test_facts_a_host_answers_with_steer_nothing_on_the_controller(serving, reinstall, controller_secret,
                                                                   fact_injector, inject):
    """With the repo's ansible.cfg and with a user's own that injects facts as variables: the run
    stops for the host, named, before anything is copied or built; the controller's secret never
    reaches the host and nothing is written where the host said."""
    _, marker = controller_secret
    evil_cache, interpreter = fact_injector
    code, output = run_playbook("site.yml", interpreter,
                                env={"ANSIBLE_INJECT_FACT_VARS": inject})
    assert code != 0
    failure = the_one_failure(output)
    assert "answered with facts named like this role's variables" in failure
    assert not evil_cache.exists()
    leaked = on_host("grep", "-rlsF", marker, "/opt", "/var/lib", "/etc", "/root", "/tmp", check=False)
    assert leaked.returncode == 1 and leaked.stdout == "", leaked.stdout


@pytest.fixture
def venv_namer(tmp_path):
    """The host's modules answer the venv read (library/copilot_venv.py) with a name of the host's
    choosing for the venv to build, instead of the one the version and lock give."""
    yield host_interpreter(tmp_path, "python3-venv-namer", 'answer.update(next="../../../tmp/planted", '
                           'next_complete=False) if "next_complete" in answer else None')
    host_output("rm", "-f", "/usr/local/bin/python3-venv-namer")


def test_a_venv_name_the_host_chooses_names_nothing_on_the_controller(serving, reinstall, venv_namer):
    """The venv to build is named by the host's answer, which becomes part of a pack's name in the
    controller's cache and the path the pack is built for: a name this version and lock do not give
    stops the host, named, before the controller builds anything for it."""
    cache = Path.home() / ".cache/litellm-copilot/wheelhouse"
    try:
        code, output = run_playbook("site.yml", venv_namer)
        assert code != 0
        failure = the_one_failure(output)
        assert HOST + " named the virtualenv to build" in failure and "../../../tmp/planted" in failure
        assert not list(cache.glob("venv-planted-*"))
    finally:
        for planted in cache.glob("venv-planted-*"):
            planted.unlink()


def as_service_user(*command):
    """Runs a command on the lab host as the proxy's service user."""
    return subprocess.run(["podman", "exec", "--user", "litellm", "--workdir", "/", HOST, *command],
                          capture_output=True, text=True, timeout=60)


def test_the_service_user_can_write_only_its_token_directory():
    """Root keeps the data directory: the service user can plant nothing next to the master key or
    the last good model list, nor swap its token directory for a link."""
    for command in (["ln", "-s", "/etc/shadow", DATA_DIR + "/planted"],
                    ["ln", "-sf", "/etc/shadow", DATA_DIR + "/master-key"],
                    ["mv", TOKEN_DIR, DATA_DIR + "/moved"]):
        done = as_service_user(*command)
        assert done.returncode != 0 and "Permission denied" in done.stderr, command
    assert as_service_user("touch", TOKEN_DIR + "/probe").returncode == 0
    host_output("rm", "-f", TOKEN_DIR + "/probe")


@pytest.fixture
def linked(request):
    """Replaces `path` by a link to `target` (as the service user could under the earlier layout,
    when it owned the data directory); puts the original back afterwards."""
    path, target = request.param
    host_output("mv", path, path + ".kept")
    host_output("ln", "-s", target, path)
    yield path
    host_output("sh", "-c", 'rm -f "$1" && mv "$1.kept" "$1"', "sh", path)


def ownership(path):
    return host_output("stat", "--format", "%U:%G %a", path).strip()


@pytest.mark.parametrize("linked", [(TOKEN_DIR, "/etc/ssh")], indirect=True, ids=["token-dir"])
def test_root_does_not_chown_through_a_planted_directory_link(serving, linked):
    before = ownership("/etc/ssh/")
    code, output = run_playbook("site.yml")
    assert code != 0
    failure = the_one_failure(output)
    assert linked in failure and "link" in failure
    assert ownership("/etc/ssh/") == before


@pytest.mark.parametrize("linked", [(DATA_DIR + "/master-key", "/etc/shadow")], indirect=True, ids=["master-key"])
def test_root_does_not_read_a_planted_master_key_link(serving, linked):
    shadow = host_output("cat", "/etc/shadow")
    env_before = host_output("sha256sum", "/etc/litellm-copilot/litellm.env")
    code, output = run_playbook("site.yml")
    assert code != 0
    failure = the_one_failure(output)
    assert linked in failure and "not a regular file" in failure
    assert host_output("sha256sum", "/etc/litellm-copilot/litellm.env") == env_before
    assert shadow.splitlines()[0] not in output


@pytest.fixture
def root_only_file():
    """A root-only file on the host, and text only it holds."""
    marker = "gho_rootonly" + uuid.uuid4().hex
    host_output("sh", "-c", 'umask 077 && printf "%s\\n" "$1" > /root/root-only', "sh", marker)
    yield "/root/root-only", marker
    host_output("rm", "-f", "/root/root-only")


def test_the_stored_token_is_not_read_through_a_link(serving, root_only_file, sim_requests):
    """The service user owns its token directory and may link the token file to a root-only file:
    the status run reads the stored token as root, and sends nothing of that file to GitHub."""
    path, marker = root_only_file
    token_file = TOKEN_DIR + "/access-token"
    host_output("cp", "-p", token_file, "/root/access-token.kept")
    assert as_service_user("ln", "-sf", path, token_file).returncode == 0
    try:
        code, output = run_playbook("playbooks/status.yml")
    finally:
        host_output("sh", "-c", 'rm -f "$1" && cp -p /root/access-token.kept "$1" && rm /root/access-token.kept',
                    "sh", token_file)
    assert code == 0, output
    # The simulator records a credential as its fingerprint.
    sent = json.dumps(sim_call("GET", "/_sim/requests"))
    assert fingerprint(marker) not in sent and marker not in sent
    assert "no usable token stored (missing, empty or a link)" in output


# Listens on the proxy's port as an unprivileged user and keeps whatever it is sent.
IMPOSTOR = r'''
import socket, sys
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
while True:
    client, _ = server.accept()
    with open("/tmp/impostor.log", "ab") as log:
        log.write(client.recv(65536))
    client.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
    client.close()
'''


@pytest.fixture
def impostor_on_the_port(openai_client):
    """The gateway stopped (socket unit too) and another user's process on its port, answering
    every request with 200; the gateway is started again afterwards and must answer."""
    port = PROXY_URL.rsplit(":", 1)[1]
    host_output("systemctl", "stop", SERVICE + ".socket", SERVICE)
    impostor = subprocess.Popen(["podman", "exec", "--user", "nobody", HOST, "python3", "-c", IMPOSTOR, port])
    try:
        for _ in range(50):
            if on_host("python3", "-c", "import socket; socket.create_connection(('127.0.0.1', %s), 1)" % port,
                       check=False).returncode == 0:
                break
            time.sleep(0.2)
        yield "/tmp/impostor.log"
    finally:
        impostor.kill()
        on_host("pkill", "-u", "nobody", check=False)
        host_output("rm", "-f", "/tmp/impostor.log")
        host_output("systemctl", "start", SERVICE + ".socket", SERVICE)
    assert "You said: after" in say(openai_client, "after")


def test_status_sends_the_master_key_only_to_the_gateways_socket(impostor_on_the_port):
    """A local user who binds the port while the gateway is down answers the readiness probe, but
    gets no request carrying the master key: the socket unit does not hold the port."""
    code, output = run_playbook("playbooks/status.yml")
    assert code == 0, output
    received = on_host("cat", impostor_on_the_port, check=False).stdout
    assert "GET /health/readiness" in received
    assert PROXY_KEY not in received and "Authorization" not in received
