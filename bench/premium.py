#!/usr/bin/env python3
"""Premium requests per Claude Code task: the real Claude Code CLI runs a scripted task through a
deployed proxy against the Copilot simulator, with the role's request shaper on (this project) and off
(stock LiteLLM behaviour), side by side with the ideal. Prints markdown table rows.

  bench/premium.py --inventory hosts.yml --host lab1 --runs 3

The task, as the developer on the lab host, in their home: one prompt whose agent loop makes
--tool-calls Bash calls (the simulator's `SIM:TOOLS` script answers tool_use until that many tool
results came back), then a second prompt in the same session (`claude -p … --continue`). Spent is the
simulator account's premium allowance before minus after (Copilot bills the model's multiplier per
request not marked `X-Initiator: agent`); the ideal is one multiplier per prompt the person typed.
Then two one-prompt tasks whose requests Copilot refuses unless a proxy fixes them: Claude Code's Read
tool returns an image (needs `Copilot-Vision-Request`), and an MCP server's tool takes no arguments
(`{"type": "object"}` without `properties`); the rows count refused upstream requests.

Needs a lab host deployed with the Molecule default scenario's variables (a developer account with
the role's Claude Code settings: litellm_copilot_client_user, litellm_copilot_claude_code_settings)
and its simulator running. Each case re-applies the role's configure step with
`-e litellm_copilot_request_shaper=true|false` (restarting the proxy when that changes it); the host is
left with the shaper on. Run from the repository root after scripts/bootstrap.sh.
"""
import argparse
import json
import pathlib
import statistics
import struct
import sys
import tempfile
import urllib.request
import zlib

from common import REPO, Lab, claude_task, fmt, inference, install_claude, log, run  # noqa: E402  (bench/ is on sys.path)
HOME_FILES = {"png": "bench-pixel.png", "mcp": "bench-mcp.py"}


def one_pixel_png():
    """A valid 1x1 PNG, built here so the bench needs no image file."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def place_home_files(lab, workdir):
    """The image and the MCP server in the developer's home, owned by the developer."""
    png = pathlib.Path(workdir) / HOME_FILES["png"]
    png.write_bytes(one_pixel_png())
    sources = {HOME_FILES["png"]: png, HOME_FILES["mcp"]: REPO / "tests" / "integration" / "mcp_parameterless.py"}
    for name, source in sources.items():
        run(["podman", "cp", str(source), "%s:%s/%s" % (lab.host, lab.home, name)])
        lab.exec("chown", "%s:" % lab.user, "%s/%s" % (lab.home, name))


def refused(requests):
    """Inference requests Copilot (the simulator) refused."""
    return [r for r in inference(requests) if (r["status"] or 0) >= 400]


def task(lab, tool_calls):
    """The scripted two-prompt task: (premium spent, upstream requests, refused, results ok)."""
    lab.sim_requests(clear=True)
    before = lab.premium_remaining()
    ok = claude_task(lab, tool_calls)
    spent = before - lab.premium_remaining()
    requests = lab.sim_requests()
    return spent, len(inference(requests)), len(refused(requests)), ok


def refusal_tasks(lab):
    """{task: (refused upstream requests, answered)} for the image and the parameterless tool."""
    results = {}
    lab.sim_requests(clear=True)
    image = lab.claude('call Read {"file_path": "%s/%s"}' % (lab.home, HOME_FILES["png"]))
    results["image (Read of a PNG)"] = (len(refused(lab.sim_requests())),
                                        not image["is_error"] and image["result"].startswith("Tool Read returned"))
    lab.sim_requests(clear=True)
    config = {"mcpServers": {"sim": {"command": "python3", "args": ["%s/%s" % (lab.home, HOME_FILES["mcp"])]}}}
    # Claude Code defers MCP tools behind its ToolSearch tool by default; this sends their schemas at once.
    tool = lab.claude("call mcp__sim__ping {}", "--mcp-config", json.dumps(config),
                      "--allowedTools", "mcp__sim__ping", env=["ENABLE_TOOL_SEARCH=false"])
    answered = not tool["is_error"] and tool["result"].startswith("Tool mcp__sim__ping returned: pong")
    results["parameterless MCP tool"] = (len(refused(lab.sim_requests())), answered)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inventory", required=True, help="inventory of the deployed lab host")
    parser.add_argument("--host", required=True, help="the lab host (a podman container) in it")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tool-calls", type=int, default=5, help="tool calls the first prompt's agent loop makes")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of table rows")
    args = parser.parse_args()

    lab = Lab(args.inventory, args.host)
    log("Claude Code on %s: %s" % (lab.host, install_claude(lab)))
    with tempfile.TemporaryDirectory() as workdir:
        place_home_files(lab, workdir)
    model = lab.settings()["ANTHROPIC_MODEL"]
    results = {}
    shaper_off = False
    try:
        for case, shaper in (("this project (shaper on)", True), ("stock LiteLLM (shaper off)", False)):
            log("%s: configuring" % case)
            shaper_off = not shaper
            lab.configure(shaper)
            runs = []
            for number in range(args.runs):
                runs.append(task(lab, args.tool_calls))
                log("%s: run %d/%d: spent %s, %d upstream requests, %d refused, answers %s"
                    % ((case, number + 1, args.runs) + runs[-1][:3] + ("ok" if runs[-1][3] else "WRONG",)))
            results[case] = {"runs": runs, "refusals": refusal_tasks(lab)}
    finally:
        if shaper_off:
            log("restoring the shaper")
            lab.configure(True)

    multiplier = lab_multiplier(lab, model)
    ideal = 2 * multiplier
    if args.json:
        print(json.dumps({"model": model, "multiplier": multiplier, "ideal": ideal, "results": results}, indent=2))
        return 0
    print("Model %s (multiplier %s), %d tool calls then a second prompt, %d runs per case."
          % (model, multiplier, args.tool_calls, args.runs))
    print()
    print("| case | runs | premium requests spent (median) | min | max | upstream requests (median) | refused |")
    print("|---|---|---|---|---|---|---|")
    for case, result in results.items():
        spent = [r[0] for r in result["runs"]]
        upstream = [r[1] for r in result["runs"]]
        print("| %s | %d | %s | %s | %s | %s | %d |" % (
            case, len(spent), fmt(statistics.median(spent)), fmt(min(spent)), fmt(max(spent)),
            fmt(statistics.median(upstream)), sum(r[2] for r in result["runs"])))
    print("| ideal: 1 x multiplier per prompt typed | - | %s | %s | %s | - | 0 |" % ((fmt(ideal),) * 3))
    print()
    print("| task | case | refused upstream requests | answered |")
    print("|---|---|---|---|")
    for case, result in results.items():
        for name, (count, answered) in result["refusals"].items():
            print("| %s | %s | %d | %s |" % (name, case, count, "yes" if answered else "no"))
    wrong = [case for case, result in results.items() if not all(r[3] for r in result["runs"])]
    if wrong:
        log("answers differed from the script in: " + ", ".join(wrong))
    return 1 if wrong else 0


def lab_multiplier(lab, model):
    """The model's premium multiplier as the proxy reports it (`/v1/model/info`)."""
    # The inventory's key, or the one the role generated on the host.
    key = lab.vars.get("litellm_copilot_master_key") or lab.exec("cat", "/var/lib/litellm-copilot/master-key").stdout.strip()
    request = urllib.request.Request("http://127.0.0.1:%s/v1/model/info" % lab.vars.get("litellm_copilot_port", 4000),
                                     headers={"Authorization": "Bearer " + key})
    with urllib.request.urlopen(request, timeout=30) as answer:
        info = {entry["model_name"]: entry["model_info"] for entry in json.load(answer)["data"]}
    return info[model]["copilot_multiplier"]


if __name__ == "__main__":
    sys.exit(main())
