#!/usr/bin/env bash
# Starts one lab host: a podman container of the lab image with systemd as PID 1.
# Host networking: the host reaches the simulator, and this machine reaches its proxy, on loopback.
# SYS_ADMIN lets systemd set up the sandboxing namespaces of hardened units.
#
#   lab-host.sh NAME                   reached with the podman connection (podman exec)
#   lab-host.sh NAME --ssh-port PORT   also runs sshd on 127.0.0.1:PORT for root, with the key
#                                      .cache/lab/ssh_key (made on first use): reached like a fleet VM
set -euo pipefail
. "$(dirname "$0")/lib.sh"
name=${1:?usage: lab-host.sh NAME [--ssh-port PORT]}
ssh_port=
if [ "${2:-}" = --ssh-port ]; then ssh_port=${3:?--ssh-port needs a port}; fi

podman run --detach --name "$name" --hostname "$name" --network host --cap-add SYS_ADMIN \
  --systemd always --tmpfs /run --tmpfs /tmp "${LAB_IMAGE:-localhost/litellm-copilot-lab:bookworm}" >/dev/null
for _ in $(seq 50); do
  state=$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
  sleep 0.2
done
case "$state" in running|degraded) ;; *) die "lab host $name did not boot (systemctl is-system-running: $state)" ;; esac
[ -n "$ssh_port" ] || exit 0

key=$(lab_ssh_key)
podman exec -i "$name" sh -c "umask 077 && mkdir -p /root/.ssh && cat > /root/.ssh/authorized_keys" < "$key.pub"
podman exec -i "$name" sh -c "cat > /etc/ssh/sshd_config.d/lab.conf" <<CONF
Port $ssh_port
ListenAddress 127.0.0.1
PasswordAuthentication no
CONF
podman exec "$name" systemctl enable --now --quiet ssh.service
for _ in $(seq 50); do
  ssh -q -i "$key" -p "$ssh_port" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    root@127.0.0.1 true && exit 0
  sleep 0.2
done
die "lab host $name: sshd does not answer on 127.0.0.1:$ssh_port"
