#!/usr/bin/env python3
"""Prints what the demo deployed: the proxy's model table and one answer through it."""
import argparse
import json
import pathlib
import subprocess
import sys
import urllib.request

import openai

# The one table formatter of every report (the status report and the rollout summary use it too).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "roles" / "litellm_copilot" / "filter_plugins"))
from copilot_report import format_table  # noqa: E402  pylint: disable=wrong-import-position


def master_key(host):
    """The key the role generated on the lab host (root-only file, read through podman)."""
    return subprocess.run(["podman", "exec", host, "cat", "/var/lib/litellm-copilot/master-key"],
                          check=True, capture_output=True, text=True).stdout.strip()


def model_info(url, key):
    request = urllib.request.Request(url + "/v1/model/info", headers={"Authorization": "Bearer " + key})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--model", default="claude-sonnet-4.5")
    args = parser.parse_args()
    key = master_key(args.host)

    rows = []
    for entry in sorted(model_info(args.url, key), key=lambda entry: entry["model_name"]):
        info = entry["model_info"]
        premium = "x%g" % info["copilot_multiplier"] if info.get("copilot_premium") else "no"
        rows.append([entry["model_name"], info.get("copilot_vendor", ""), info.get("mode", ""),
                     info.get("max_input_tokens") or "", info.get("max_output_tokens") or "",
                     "yes" if info.get("supports_function_calling") else "no",
                     "yes" if info.get("supports_vision") else "no", premium])
    print("\nModels served by %s on %s:\n" % (args.url, args.host))
    print(format_table(["model", "vendor", "mode", "max in", "max out", "tools", "vision", "premium"], rows), end="")

    client = openai.OpenAI(base_url=args.url + "/v1", api_key=key)
    reply = client.chat.completions.create(
        model=args.model, messages=[{"role": "user", "content": "Say hello to the fleet."}])
    print("\n%s answers through the proxy:\n  %s\n" % (args.model, reply.choices[0].message.content))


if __name__ == "__main__":
    main()
