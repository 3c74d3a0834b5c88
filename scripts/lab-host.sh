#!/usr/bin/env bash
# Starts one lab host: a podman container of the lab image with systemd as PID 1.
# Host networking: the host reaches the simulator, and this machine reaches its proxy, on loopback.
# SYS_ADMIN lets systemd set up the sandboxing namespaces of hardened units.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
name=${1:?usage: lab-host.sh NAME}
podman run --detach --name "$name" --hostname "$name" --network host --cap-add SYS_ADMIN \
  --systemd always --tmpfs /run --tmpfs /tmp "${LAB_IMAGE:-localhost/litellm-copilot-lab:bookworm}" >/dev/null
for _ in $(seq 50); do
  state=$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) exit 0 ;; esac
  sleep 0.2
done
die "lab host $name did not boot (systemctl is-system-running: $state)"
