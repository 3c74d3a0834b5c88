#!/usr/bin/env bash
# Installs the pinned real clients the end-to-end tests drive, Claude Code and Claude-Code-Router,
# into .cache/clients (git-ignored) and prints the path of the native `claude` binary. That binary
# ships inside npm's platform package, so it runs on a lab host without node. Claude-Code-Router
# runs on the controller with its node. Safe to re-run.
#   scripts/install-clients.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"

claude_code_version=2.1.330
# 2.x and later require node >= 22; 1.0.73 runs on the node 20 the CI machine has.
ccr_version=1.0.73
dest="$repo_root/.cache/clients"

if ! command -v npm >/dev/null 2>&1; then
  log "installing node and npm from Debian"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

binary="$dest/node_modules/@anthropic-ai/claude-code-linux-x64/claude"
stamp="$dest/.claude-code-version"
if [ "$(cat "$stamp" 2>/dev/null)" != "$claude_code_version" ] || [ ! -x "$binary" ]; then
  log "installing Claude Code $claude_code_version into .cache/clients"
  mkdir -p "$dest"
  # The platform package is named explicitly: npm may skip optional dependencies, and no
  # install script is needed to take the binary from it.
  npm install --prefix "$dest" --no-save --no-audit --no-fund --loglevel=error \
    "@anthropic-ai/claude-code@$claude_code_version" \
    "@anthropic-ai/claude-code-linux-x64@$claude_code_version" >&2
  [ -x "$binary" ] || chmod +x "$binary"
  echo "$claude_code_version" > "$stamp"
fi
router="$dest/node_modules/@musistudio/claude-code-router/dist/cli.js"
stamp="$dest/.claude-code-router-version"
if [ "$(cat "$stamp" 2>/dev/null)" != "$ccr_version" ] || [ ! -f "$router" ]; then
  log "installing Claude-Code-Router $ccr_version into .cache/clients"
  npm install --prefix "$dest" --no-save --no-audit --no-fund --loglevel=error \
    "@anthropic-ai/claude-code@$claude_code_version" \
    "@anthropic-ai/claude-code-linux-x64@$claude_code_version" \
    "@musistudio/claude-code-router@$ccr_version" >&2
  echo "$ccr_version" > "$stamp"
fi
echo "$binary"
