#!/usr/bin/env bash
# Installs the pinned real clients the end-to-end tests drive, Claude Code and Claude-Code-Router,
# into .cache/clients (git-ignored) and prints the path of the native `claude` binary. That binary
# ships inside npm's platform package, so it runs on a lab host without node. Claude-Code-Router
# runs on the controller with its node. Safe to re-run.
#   scripts/install-clients.sh
# What gets installed is tests/clients/package-lock.json: `npm ci` takes every package, dependencies
# included, at its locked version and checks its integrity hash. To change a version, edit
# tests/clients/package.json and run `npm install --package-lock-only` in that folder.
# Claude Code 2.1.332; Claude-Code-Router 1.0.73, as its 2.x and later require node >= 22 and the CI
# machine has node 20.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

spec="$repo_root/tests/clients"
cache="$repo_root/.cache"
dest="$cache/clients"
binary=node_modules/@anthropic-ai/claude-code-linux-x64/claude
router=node_modules/@musistudio/claude-code-router/dist/cli.js

if ! command -v npm >/dev/null 2>&1; then
  log "installing node and npm from Debian"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# One directory per lock, and .cache/clients a symlink switched to it in one step: a test still
# running the previous clients keeps its files, and the paths the tests use stay the same.
build="clients-$(cat "$spec/package.json" "$spec/package-lock.json" | sha256sum | cut -c1-16)"
if [ ! -x "$cache/$build/$binary" ] || [ ! -f "$cache/$build/$router" ]; then
  log "installing the locked Claude Code and Claude-Code-Router into .cache/$build"
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/$build.partial.XXXXXX")
  chmod 755 "$work"
  cp "$spec/package.json" "$spec/package-lock.json" "$work/"
  # No install scripts: the binary is taken from the platform package as it is, and nothing a
  # dependency ships runs at install time. The platform package is a direct dependency: npm may
  # skip optional ones.
  (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  [ -x "$work/$binary" ] || chmod +x "$work/$binary"
  # Another run may have finished the same build first: then its copy stays.
  mv -T "$work" "$cache/$build" 2>/dev/null || rm -rf "$work"
  { [ -x "$cache/$build/$binary" ] && [ -f "$cache/$build/$router" ]; } \
    || die "incomplete install in .cache/$build: remove that directory and run again"
fi
if [ "$(readlink "$dest" 2>/dev/null)" != "$build" ]; then
  # A directory from before the lock is set aside, not deleted under a test that may use it.
  if [ -d "$dest" ] && [ ! -L "$dest" ]; then
    rm -rf "$cache/clients.unlocked"
    mv -T "$dest" "$cache/clients.unlocked"
  fi
  ln -sfn "$build" "$dest.link"
  mv -T "$dest.link" "$dest"
fi
echo "$dest/$binary"
