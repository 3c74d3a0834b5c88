#!/usr/bin/env python3
"""A minimal MCP server over stdio (newline-delimited JSON-RPC 2.0) offering one tool that takes no
arguments, declared the way many MCP servers do: `{"type": "object"}` with no `properties` (a schema
Copilot refuses unless a proxy repairs it). Standard library only: Claude Code starts it on the lab
host with `--mcp-config`. Not a test module."""
import json
import sys

TOOL = {"name": "ping", "description": "Answers pong. Takes no arguments.", "inputSchema": {"type": "object"}}


def handle(message):
    """The JSON-RPC result for a request, or None for a notification."""
    method, params = message.get("method"), message.get("params") or {}
    if method == "initialize":
        return {"protocolVersion": params.get("protocolVersion", "2024-11-05"), "capabilities": {"tools": {}},
                "serverInfo": {"name": "sim", "version": "1.0.0"}}
    if method == "tools/list":
        return {"tools": [TOOL]}
    if method == "tools/call":
        return {"content": [{"type": "text", "text": "pong"}], "isError": False}
    return {}


def main():
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict) or "id" not in message:
            continue  # notifications (e.g. notifications/initialized) get no answer
        reply = {"jsonrpc": "2.0", "id": message["id"], "result": handle(message)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
