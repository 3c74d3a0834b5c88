#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh Debian 12 machine (run as root or
# with sudo available): podman/runc/debootstrap for the lab hosts, an ssh client to reach them the
# way fleet VMs are reached, openssl for the TLS tests, and the pinned Python tooling in .venv.
# Safe to re-run: each step is skipped when already done.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ensure_packages podman runc debootstrap uidmap python3-venv curl openssh-client openssl zstd

# requirements-dev.txt is a hash lock (generated from requirements-dev.in): pip installs exactly those
# files, dependencies included, and refuses anything unpinned or whose hash differs.
stamp="$venv/.requirements.sha256"
wanted=$(sha256sum "$repo_root/requirements-dev.txt" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  log "installing the Python tooling into .venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes \
    -r "$repo_root/requirements-dev.txt"
  echo "$wanted" > "$stamp"
fi
