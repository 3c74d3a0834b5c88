#!/usr/bin/env python3
"""Rollout benchmarks on lab hosts (podman containers with systemd, scripts/lab-host.sh) against
the Copilot simulator: what docs/benchmarks.md reports. Prints markdown table rows.

  bench/rollout.py rollout --runs 3 --hosts 1 3 6     cold rollout, no-change re-run, refresh-models
                                                      (no change, then one new model) for N hosts
  bench/rollout.py rollout --runs 1 --hosts 1 --cold-cache
                                                      the same, the controller's cache empty
  bench/rollout.py rollout --runs 1 --hosts 1 6 --cold-only --no-packed-venv
                                                      cold rollouts only, the cache without packed venvs
  bench/rollout.py rollout --runs 1 --hosts 1 6 --cold-only --venv-build host
                                                      the same, every host installing its venv itself
  bench/rollout.py installers --runs 3                pip vs uv installing the wheelhouse into a fresh venv
  bench/rollout.py methods --runs 3                   cold rollout of one host: wheelhouse vs index install

Every run starts fresh lab hosts and removes them afterwards. Run from the repository root after
scripts/bootstrap.sh and scripts/build-lab-image.sh; needs root (podman). The hosts use host
networking, so the simulator port, the proxy ports (--sim-port, --port-base .. +N-1) and the sshd
ports (--ssh-port-base .. +N-1) must be free. Ansible reaches the hosts over SSH like fleet VMs
(--connection podman: podman exec, as Molecule does). Timings include everything ansible-playbook
does; the controller's cache is warm unless --cold-cache (the first cold rollout then also builds the
wheelhouse) or --no-packed-venv (it keeps the wheelhouses: the controller builds the venv of each
platform first, as after a lock change). Warm, every host unpacks the packed venv, unless
--venv-build host (litellm_copilot_venv_build: every host installs from the wheelhouse). Rollout rows also give the CPU time a run cost, controller and hosts together.
"""
import argparse
import contextlib
import json
import os
import pathlib
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from common import ENV, REPO, labkit, log, run, serving  # noqa: E402  (bench/ is on sys.path)
TOKEN = "gho_0upwQmFbMbl2HhFQ8qgPIfQU8M21Yg4B1AG9"  # the simulator's built-in account: not a secret
SERVICE = "litellm-copilot"
VENV = "/opt/litellm-copilot/venv"
WHEELHOUSES = "/opt/litellm-copilot/wheelhouse"
HOST_LOCK = "/opt/litellm-copilot/requirements.lock"
# The role's default controller cache: wheelhouses (litellm-*.tar) and packed venvs (venv-*.tar.zst).
DEFAULT_CACHE = pathlib.Path.home() / ".cache" / "litellm-copilot" / "wheelhouse"


def timed(argv):
    """(seconds, completed process) of one command."""
    start = time.monotonic()
    result = run(argv, check=False, cwd=REPO)
    return time.monotonic() - start, result


def changed_count(output):
    """Sum of changed= over the PLAY RECAP lines."""
    return sum(int(n) for n in re.findall(r"\bchanged=(\d+)", output))


def tasks_per_host(output):
    """The tasks each host ran (ok=, which counts the changed ones too), averaged over the PLAY RECAP lines."""
    counts = [int(n) for n in re.findall(r"\bok=(\d+)", output)]
    return sum(counts) / max(len(counts), 1)


@contextlib.contextmanager
def simulator(port):
    process = subprocess.Popen([sys.executable, "-m", "copilot_sim", "--port", str(port), "--quiet"],
                               cwd=REPO / "tests", env=ENV, stdout=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/_sim/health" % port, timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("the simulator did not start on port %d" % port)
        yield "http://127.0.0.1:%d" % port
    finally:
        process.terminate()
        process.wait()


@contextlib.contextmanager
def lab_hosts(prefix, count, ssh_port_base=None):
    """Fresh lab hosts PREFIX-1..N; with ssh_port_base, host i also runs sshd on 127.0.0.1:BASE+i."""
    names = ["%s-%d" % (prefix, i + 1) for i in range(count)]
    try:
        for i, name in enumerate(names):
            run(["podman", "rm", "--force", name], check=False)
            ssh = ["--ssh-port", str(ssh_port_base + i)] if ssh_port_base else []
            run([str(REPO / "scripts" / "lab-host.sh"), name, *ssh])
        yield names
    finally:
        for name in names:
            run(["podman", "rm", "--force", "--time", "0", name], check=False)


def connection_vars(index, ssh_port_base):
    """How Ansible reaches lab host number index: ssh like a fleet VM, or podman exec."""
    if not ssh_port_base:
        return {"ansible_connection": "containers.podman.podman"}
    return {
        "ansible_connection": "ssh",
        "ansible_host": "127.0.0.1",
        "ansible_port": ssh_port_base + index,
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(REPO / ".cache" / "lab" / "ssh_key"),
        # Throwaway lab hosts get a new host key each run; only they skip the check (ansible.cfg keeps it on).
        "ansible_host_key_checking": False,
        "ansible_ssh_common_args": "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no",
    }


def ssh_base(args):
    return args.ssh_port_base if args.connection == "ssh" else None


def write_inventory(directory, names, sim_url, port_base, extra=None, ssh_port_base=None):
    hosts = {name: dict(connection_vars(i, ssh_port_base), litellm_copilot_port=port_base + i)
             for i, name in enumerate(names)}
    group_vars = {
        "ansible_python_interpreter": "/usr/bin/python3",
        "litellm_copilot_github_api_url": sim_url,
        # the simulator speaks plain http
        "litellm_copilot_allow_insecure_http": True,
        "litellm_copilot_github_token": TOKEN,
    }
    group_vars.update(extra or {})
    return labkit.write_inventory(pathlib.Path(directory) / "hosts.yml", hosts, group_vars)


def cgroup_cpu_file(name):
    """The file that counts a lab host's CPU time: its container's cgroup (v1 cpuacct or v2 cpu.stat)."""
    path = run(["podman", "inspect", "--format", "{{.State.CgroupPath}}", name]).stdout.strip().lstrip("/")
    v1 = pathlib.Path("/sys/fs/cgroup/cpuacct", path, "cpuacct.usage")
    return v1 if v1.exists() else pathlib.Path("/sys/fs/cgroup", path, "cpu.stat")


def host_cpu_seconds(cpu_file):
    """CPU time counted so far in a file from cgroup_cpu_file()."""
    if cpu_file.name == "cpuacct.usage":
        return int(cpu_file.read_text()) / 1e9
    for line in cpu_file.read_text().splitlines():
        if line.startswith("usage_usec "):
            return int(line.split()[1]) / 1e6
    raise SystemExit("no CPU accounting in %s" % cpu_file)


def controller_cpu_seconds():
    """CPU time of this script's finished children: ansible-playbook, its workers and ssh."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def playbook(inventory, name, *args, hosts=()):
    """(seconds, changed tasks, CPU seconds spent by the controller and the hosts, tasks per host) of one run."""
    # Found before counting starts: the podman calls that find them cost controller CPU too.
    cpu_files = [cgroup_cpu_file(host) for host in hosts]

    def cpu_seconds():
        return controller_cpu_seconds() + sum(host_cpu_seconds(cpu_file) for cpu_file in cpu_files)

    cpu_before = cpu_seconds()
    seconds, result = timed(["ansible-playbook", "-i", inventory, name, *args])
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-6000:] + result.stderr[-3000:])
        raise SystemExit("%s failed (rc %d)" % (name, result.returncode))
    cpu = cpu_seconds() - cpu_before
    return seconds, changed_count(result.stdout), cpu, tasks_per_host(result.stdout)


def main_pids(names):
    """Each host's serving proxy (common.serving): a restart and a hand-over both change it."""
    return {name: serving(name, SERVICE) for name in names}


def add_sim_model(sim_url, model_id):
    """A newly released model, with every field Copilot's list carries (the simulator's own shape)."""
    sys.path.insert(0, str(REPO / "tests"))
    from copilot_sim.catalog import chat_model  # pylint: disable=import-outside-toplevel
    model = chat_model(model_id, "Bench " + model_id, "OpenAI", model_id, model_id,
                       context=128000, prompt=128000, output=16384)
    body = json.dumps({"add": [model]})
    request = urllib.request.Request(sim_url + "/_sim/models", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()


def row(scenario, hosts, samples, note=""):
    return "| %s | %s | %d | %.1f | %.1f | %.1f | %s |" % (
        scenario, hosts, len(samples), statistics.median(samples), min(samples), max(samples), note)


HEADER = ["| scenario | hosts | runs | median s | min s | max s | notes |",
          "|---|---|---|---|---|---|---|"]


def after_cold(inventory, names, sim_url, index):
    """The steps after a cold rollout: a no-change re-run, then refresh-models without and with a new model."""
    count = len(names)
    steps = []
    seconds, changed, cpu, _ = playbook(inventory, "site.yml", hosts=names)
    steps.append(("no-change re-run", seconds, cpu, "changed=%d" % changed))
    before = main_pids(names)
    seconds, changed, cpu, _ = playbook(inventory, "playbooks/refresh-models.yml", hosts=names)
    restarted = sum(before[n] != pid for n, pid in main_pids(names).items())
    steps.append(("refresh-models, no upstream change", seconds, cpu,
                  "changed=%d, restarted %d/%d" % (changed, restarted, count)))
    add_sim_model(sim_url, "bench-model-%d" % index)
    before = main_pids(names)
    seconds, changed, cpu, _ = playbook(inventory, "playbooks/refresh-models.yml", hosts=names)
    restarted = sum(before[n] != pid for n, pid in main_pids(names).items())
    steps.append(("refresh-models, one new model", seconds, cpu, "restarted %d/%d" % (restarted, count)))
    return steps


def wheelhouses_only(cache):
    """A controller cache holding copies of the default cache's wheelhouses but no packed venv: what a
    rollout after a lock change starts from (the controller builds each platform's venv first)."""
    os.makedirs(cache)
    for path in DEFAULT_CACHE.glob("litellm-*.tar"):
        if path.with_name(path.name + ".sha256").exists():
            shutil.copyfile(path, os.path.join(cache, path.name))
            shutil.copyfile(path.with_name(path.name + ".sha256"), os.path.join(cache, path.name + ".sha256"))


def bench_rollout(args):
    results = {}
    with simulator(args.sim_port) as sim_url:
        for count in args.hosts:
            for index in range(args.runs):
                run_no = "N=%d run %d/%d" % (count, index + 1, args.runs)
                urllib.request.urlopen(urllib.request.Request(sim_url + "/_sim/reset", data=b"{}", method="POST"))
                with tempfile.TemporaryDirectory(prefix="bench-") as work, lab_hosts(args.prefix, count, ssh_base(args)) as names:
                    extra = {"litellm_copilot_venv_build": args.venv_build}
                    if args.cold_cache or args.no_packed_venv:
                        extra["litellm_copilot_wheelhouse_cache_dir"] = os.path.join(work, "wheelhouse")
                    if args.no_packed_venv:
                        wheelhouses_only(extra["litellm_copilot_wheelhouse_cache_dir"])
                    inventory = write_inventory(work, names, sim_url, args.port_base, extra, ssh_base(args))
                    seconds, _, cpu, tasks = playbook(inventory, "site.yml", hosts=names)
                    cache = " (empty controller cache)" if args.cold_cache else (
                        " (no packed venv in the controller cache)" if args.no_packed_venv else "")
                    built = ", every host installs" if args.venv_build == "host" else ""
                    steps = [("cold rollout" + cache + built, seconds, cpu, "%.0f tasks per host" % tasks)]
                    if not args.cold_only:
                        steps += after_cold(inventory, names, sim_url, index)
                    for scenario, seconds, cpu, note in steps:
                        log("%s: %s %.1f s, CPU %.0f s %s" % (run_no, scenario, seconds, cpu, note))
                        entry = results.setdefault((scenario, count), ([], [], set()))
                        entry[0].append(seconds)
                        entry[1].append(cpu)
                        if note:
                            entry[2].add(note)
    lines = list(HEADER)
    for (scenario, count), (samples, cpus, notes) in results.items():
        cpu_note = "CPU %.0f s (%.0f s on %d cores)" % (statistics.median(cpus), statistics.median(cpus) / CORES, CORES)
        lines.append(row(scenario, count, samples, "; ".join(sorted(notes) + [cpu_note])))
    lines += [""] + target_ratios(results, args.hosts)
    return lines


CORES = os.cpu_count()


def target_ratios(results, counts):
    """The targets as ratios of medians: N-host cold vs 1-host cold, no-change vs cold, CPU per host."""
    def median(scenario, count, column=0):
        samples = results.get((scenario, count), ([], [], None))[column]
        return statistics.median(samples) if samples else None

    cold = [key[0] for key in results if key[0].startswith("cold rollout")][0]
    lines = []
    for count in counts:
        one, many, again = median(cold, 1), median(cold, count), median("no-change re-run", count)
        if count > 1 and one and many:
            lines.append("- %d hosts cold / 1 host cold: %.2f (target for 6: <= 2.0)" % (count, many / one))
        if many and again:
            lines.append("- %d host%s no-change re-run / cold: %.0f %% (target for 6: <= 20 %%)"
                         % (count, "" if count == 1 else "s", 100 * again / many))
        if many:
            lines.append("- %d host%s cold: CPU %.0f s per host" % (count, "" if count == 1 else "s",
                                                                   median(cold, count, 1) / count))
    return lines


def install_command(installer, wheelhouse, venv):
    if installer == "uv":
        return ("{venv}/bin/pip install --quiet --no-index --no-deps --find-links {wh} uv && "
                "{venv}/bin/uv pip install --quiet --offline --no-cache --compile-bytecode --python {venv}/bin/python "
                "--no-index --find-links {wh} --require-hashes --no-deps --requirement {lock}").format(
                    venv=venv, wh=wheelhouse, lock=HOST_LOCK)
    return ("{venv}/bin/pip install --quiet --disable-pip-version-check --no-input --no-index --find-links {wh} "
            "--require-hashes --no-deps --requirement {lock}").format(venv=venv, wh=wheelhouse, lock=HOST_LOCK)


def bench_installers(args):
    """pip vs uv for the install step alone: same wheelhouse, fresh venv each time, bytecode compiled."""
    samples = {"pip": [], "uv": []}
    with simulator(args.sim_port) as sim_url, tempfile.TemporaryDirectory(prefix="bench-") as work, \
            lab_hosts(args.prefix, 1, ssh_base(args)) as names:
        host = names[0]
        inventory = write_inventory(work, names, sim_url, args.port_base, None, ssh_base(args))
        log("deploying %s once to bring the wheelhouse and the lock" % host)
        playbook(inventory, "site.yml")
        wheelhouse = run(["podman", "exec", host, "sh", "-c", "ls -d %s/*/" % WHEELHOUSES]).stdout.split()[0]
        for index in range(args.runs):
            for installer in ("pip", "uv"):  # interleaved, so drifting load hits both alike
                venv = "/opt/bench-venv"
                run(["podman", "exec", host, "sh", "-c", "rm -rf %s && python3 -m venv %s" % (venv, venv)])
                seconds, result = timed(["podman", "exec", host, "sh", "-c", install_command(installer, wheelhouse, venv)])
                if result.returncode != 0:
                    raise SystemExit("%s install failed: %s" % (installer, result.stderr[-2000:]))
                log("run %d/%d: %s %.1f s" % (index + 1, args.runs, installer, seconds))
                samples[installer].append(seconds)
    lines = list(HEADER)
    lines.append(row("install step, pip (--no-index, compiles bytecode)", 1, samples["pip"]))
    lines.append(row("install step, uv (--offline --compile-bytecode, incl. putting uv in the venv)", 1, samples["uv"]))
    return lines


def index_settings(host):
    """Role settings for the index method on a lab host: the controller's CA bundle (a TLS-intercepting
    proxy is common) and its package index when pip is configured for one."""
    ca = "/etc/ssl/certs/ca-certificates.crt"
    extra = "--cert /usr/local/share/bench-ca.crt"
    if os.path.exists(ca):
        run(["podman", "cp", ca, "%s:/usr/local/share/bench-ca.crt" % host])
    index = run([str(REPO / ".venv" / "bin" / "pip"), "config", "get", "global.index-url"], check=False).stdout.strip()
    if index and not index.startswith("file:"):
        extra += " --index-url " + index
    return {"litellm_copilot_install_method": "index", "litellm_copilot_pip_extra_args": extra}


def bench_methods(args):
    samples = {"wheelhouse": [], "index": []}
    with simulator(args.sim_port) as sim_url:
        for index in range(args.runs):
            for method in args.methods:
                with tempfile.TemporaryDirectory(prefix="bench-") as work, lab_hosts(args.prefix, 1, ssh_base(args)) as names:
                    extra = index_settings(names[0]) if method == "index" else {}
                    inventory = write_inventory(work, names, sim_url, args.port_base, extra, ssh_base(args))
                    seconds, _, _, _ = playbook(inventory, "site.yml")
                    log("run %d/%d: %s %.1f s" % (index + 1, args.runs, method, seconds))
                    samples[method].append(seconds)
    lines = list(HEADER)
    if samples["wheelhouse"]:
        lines.append(row("cold rollout, wheelhouse (uv, offline)", 1, samples["wheelhouse"]))
    if samples["index"]:
        lines.append(row("cold rollout, index (pip on the host)", 1, samples["index"]))
    return lines


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["rollout", "installers", "methods"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 3, 6])
    parser.add_argument("--cold-cache", action="store_true", help="empty controller wheelhouse cache per run")
    parser.add_argument("--no-packed-venv", action="store_true",
                        help="a controller cache with the wheelhouses but no packed venv, per run (after a lock change)")
    parser.add_argument("--venv-build", choices=["controller", "host"], default="controller",
                        help="litellm_copilot_venv_build for the rollouts")
    parser.add_argument("--cold-only", action="store_true",
                        help="rollout: only the cold rollout of each run (no re-run, no refresh-models)")
    parser.add_argument("--methods", nargs="+", choices=["wheelhouse", "index"], default=["wheelhouse", "index"],
                        help="methods: which install methods to compare")
    parser.add_argument("--prefix", default="bench", help="lab host names: PREFIX-1, PREFIX-2, ...")
    parser.add_argument("--sim-port", type=int, default=18500)
    parser.add_argument("--port-base", type=int, default=4500, help="first proxy port; host i gets BASE+i")
    parser.add_argument("--connection", choices=["ssh", "podman"], default="ssh",
                        help="reach the hosts over ssh like fleet VMs (default), or with podman exec")
    parser.add_argument("--ssh-port-base", type=int, default=2500, help="first sshd port; host i gets BASE+i")
    args = parser.parse_args(argv)
    if shutil.which("podman", path=ENV["PATH"]) is None:
        raise SystemExit("podman is missing: run scripts/bootstrap.sh")
    lines = {"rollout": bench_rollout, "installers": bench_installers, "methods": bench_methods}[args.what](args)
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
