"""A new config is handed over, not restarted into: while refresh-models adds a model, a new
proxy starts beside the old one on systemd's socket and takes new connections once it is ready,
while the old one finishes its requests (files/hand_over.py). Clients keep sending requests and
none fails (those on new connections with retries turned off) or waits more than
MAX_WAIT_SECONDS; a stream already in flight when the hand-over began still completes; the
service itself never restarted."""
import json
import subprocess
import threading
import time

import anthropic
import openai
import pytest
from conftest import PROXY_KEY, PROXY_URL, sim_call
from copilot_sim.catalog import OPENAI_ENDPOINTS, OPENAI_TERMS, chat_model
from constants import SERVICE
from lab import BIN, HOST, INVENTORY, REPO, ansible_env, host_output, plain, proxy_pid, run_playbook, service_pid


NEW_MODEL = "sim-restart-model"
CLIENTS = 4
# The in-flight stream's answer is held this long by the simulator, so the stream is still open
# when the restart begins (the next task and the handlers take seconds to tens of seconds on a
# loaded machine), and it ends inside the role's default stop timeout (60 s).
IN_FLIGHT_SECONDS = 45
# The longest a request may take while the proxy is handed over (each is a short stream that
# takes tens of milliseconds): before hand-overs, requests waited for the old proxy's streams.
MAX_WAIT_SECONDS = 2.0
# Printed by Ansible just before the handlers that restart the proxy.
BEFORE_RESTART = "TASK [litellm_copilot : Install the systemd unit]"


def shutdown_began(pid):
    """When the proxy process `pid` began its graceful shutdown (epoch seconds), from its journal."""
    lines = host_output("journalctl", "--unit", SERVICE, "_PID=%d" % pid, "--output", "json", "--no-pager")
    times = [int(entry["__REALTIME_TIMESTAMP"]) / 1e6 for entry in map(json.loads, lines.splitlines())
             if "Shutting down" in str(entry.get("MESSAGE", ""))]
    return times[0] if times else None


@pytest.fixture
def added_model():
    """The simulator's catalog gains a model; afterwards it loses it and the proxy is refreshed back."""
    model = chat_model(NEW_MODEL, "Restart test", "Azure OpenAI", NEW_MODEL, NEW_MODEL, context=128000,
                       prompt=128000, output=4096, endpoints=OPENAI_ENDPOINTS, terms=OPENAI_TERMS)
    sim_call("POST", "/_sim/models", {"add": [model]})
    try:
        yield NEW_MODEL
    finally:
        sim_call("DELETE", "/_sim/faults")
        sim_call("POST", "/_sim/models", {"remove": [NEW_MODEL]})
        code, output = run_playbook("playbooks/refresh-models.yml")
        assert code == 0, output[-3000:]


class Load:
    """Clients sending requests one after another until stopped; every outcome and duration kept."""

    def __init__(self):
        self.stop = threading.Event()
        self.failures, self.durations = [], []
        self.threads = [threading.Thread(target=self.client, args=(number,)) for number in range(CLIENTS)]

    def client(self, number):
        # Even clients open a new connection per request with retries off: none may be refused or
        # dropped (what socket activation guarantees). Odd clients keep one keep-alive connection,
        # as SDK users do, with the SDK's default retries: a stopping server closes its idle
        # keep-alive connections, and a request sent on one at that instant sees the close (any
        # HTTP/1.1 server's graceful stop; clients retry it, RFC 9112 section 9.3.1).
        def new_client(retries=0):
            return openai.OpenAI(base_url=PROXY_URL + "/v1", api_key=PROXY_KEY, max_retries=retries, timeout=300)
        shared = new_client(retries=2)
        sent = 0
        while not self.stop.is_set():
            sent += 1
            text = "client %d request %d" % (number, sent)
            client = shared if number % 2 else new_client()
            started = time.monotonic()
            try:
                stream = client.chat.completions.create(
                    model="gpt-4.1", stream=True, messages=[{"role": "user", "content": text}])
                answer = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
                if not answer.endswith("You said: " + text):
                    self.failures.append("%s: unexpected answer %r" % (text, answer[:200]))
            except Exception as exc:  # every failure counts, whatever its kind
                self.failures.append("%s: %s: %s" % (text, type(exc).__name__, str(exc)[:300]))
            self.durations.append(time.monotonic() - started)
            if client is not shared:
                client.close()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join()


def in_flight_stream(result):
    """One streamed Anthropic request (upstream: /v1/messages, held by the simulator)."""
    client = anthropic.Anthropic(base_url=PROXY_URL, api_key=PROXY_KEY, max_retries=0, timeout=300)
    result["sent"] = time.time()
    try:
        with client.messages.stream(model="claude-sonnet-4-5", max_tokens=200,
                                    messages=[{"role": "user", "content": "in flight"}]) as stream:
            result["text"] = "".join(stream.text_stream)
    except Exception as exc:  # reported by the test
        result["error"] = "%s: %s" % (type(exc).__name__, str(exc)[:300])
    result["done"] = time.time()


def test_refresh_hands_over_with_no_wait_and_no_refusal(added_model):
    service = service_pid()
    before = proxy_pid()
    command = [str(BIN / "ansible-playbook"), "-i", INVENTORY, "--limit", HOST,
               str(REPO / "playbooks/refresh-models.yml")]
    stream_result, output = {}, []
    stream_thread = threading.Thread(target=in_flight_stream, args=(stream_result,))
    with Load() as load:
        time.sleep(2)  # the clients are sending before the playbook starts
        with subprocess.Popen(command, cwd=REPO, env=ansible_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) as playbook:
            for line in playbook.stdout:
                output.append(line)
                if BEFORE_RESTART in plain(line) and not stream_thread.is_alive():
                    sim_call("POST", "/_sim/faults", {"path": "/v1/messages", "delay": IN_FLIGHT_SECONDS,
                                                      "times": 1})
                    stream_thread.start()
        stream_thread.join()
        time.sleep(2)  # and still after the proxy is back
    output = plain("".join(output))
    assert playbook.returncode == 0, output[-3000:]
    assert NEW_MODEL in {model.id for model in openai.OpenAI(
        base_url=PROXY_URL + "/v1", api_key=PROXY_KEY, max_retries=0).models.list()}
    assert proxy_pid() not in (0, before), "no new proxy took over"
    assert service_pid() == service, "the service restarted instead of handing over"

    requests = len(load.durations)
    assert load.failures == [], "%d of %d requests failed during the restart, first: %s" % (
        len(load.failures), requests, load.failures[:3])
    assert requests > CLIENTS

    stop_began = shutdown_began(before)
    assert stop_began is not None, "the old proxy logged no shutdown"
    print("%d requests during the hand-over, none failed; longest wait %.1f s; the stream sent %.1f s "
          "before the stop began ended %.1f s after it" % (
              requests, max(load.durations), stop_began - stream_result["sent"],
              stream_result.get("done", 0) - stop_began))
    assert max(load.durations) <= MAX_WAIT_SECONDS, "requests waited up to %s s during the hand-over" % (
        ", ".join("%.1f" % seconds for seconds in sorted(load.durations)[-5:]))
    assert "error" not in stream_result, "the stream in flight failed: %s" % stream_result.get("error")
    assert stream_result["text"].endswith("You said: in flight")
    assert stream_result["sent"] < stop_began < stream_result["done"], (
        "the stream was not in flight when the restart began (sent %.1f, stop %.1f, done %.1f)"
        % (stream_result["sent"], stop_began, stream_result["done"]))
