#!/usr/bin/env bash
# Builds the lab test-host image: Debian 12 with systemd as PID 1, from Debian's archive
# with debootstrap (no image registry is needed). The image is labelled with a hash of
# this recipe and rebuilt only when the recipe changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

image=${LAB_IMAGE:-localhost/litellm-copilot-lab:bookworm}
suite=bookworm
# openssh-server: a lab host can also be reached the way a fleet VM is (lab-host.sh --ssh-port).
packages=systemd,systemd-sysv,dbus,sudo,python3,python3-venv,python3-apt,ca-certificates,procps,openssh-server

recipe_hash=$(cat "$0" <(echo "$packages $suite") | sha256sum | cut -c1-16)
current=$(podman image inspect --format '{{ index .Labels "litellm-copilot.recipe" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$recipe_hash" ]; then
  log "lab image $image is up to date ($recipe_hash)"
  exit 0
fi

rootfs=$(mktemp -d /var/tmp/lab-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
log "building lab image $image from Debian $suite ($(debian_mirror)) ..."
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$(debian_mirror)" >/dev/null
# A container has no consoles to log in on, and nothing should renumber its machine id.
rm -f "$rootfs/etc/machine-id" && touch "$rootfs/etc/machine-id"
chroot "$rootfs" systemctl mask console-getty.service getty@tty1.service systemd-logind.service >/dev/null 2>&1 || true
# Lab hosts share this machine's network: sshd stays off unless lab-host.sh gives it a loopback port.
chroot "$rootfs" systemctl disable ssh.service >/dev/null 2>&1 || true
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

tar -C "$rootfs" -c . | podman import \
  --change 'CMD ["/sbin/init"]' \
  --change 'ENV container=podman' \
  --change "LABEL litellm-copilot.recipe=$recipe_hash" \
  - "$image" >/dev/null
log "lab image $image built ($recipe_hash)"
