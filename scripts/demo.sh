#!/usr/bin/env bash
# The demo: no VM and no Copilot account needed. Sets everything up, starts the Copilot
# simulator and a lab host (a podman container with systemd), deploys site.yml to it, then
# prints the deployed model table and one answer through the proxy.
#   scripts/demo.sh          run the demo (re-runs are idempotent)
#   scripts/demo.sh down     remove the lab host and stop the simulator
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$repo_root"

host=lab1
sim_port=${COPILOT_SIM_PORT:-18080}
state="$repo_root/.cache/demo"
mkdir -p "$state"
export COPILOT_SIM_URL="http://127.0.0.1:$sim_port"

if [ "${1:-}" = "down" ]; then
  podman rm -f "$host" >/dev/null 2>&1 || true
  [ -f "$state/copilot-sim.pid" ] && kill "$(cat "$state/copilot-sim.pid")" 2>/dev/null || true
  rm -f "$state/copilot-sim.pid"
  log "demo removed"
  exit 0
fi

"$here/bootstrap.sh"
"$here/build-lab-image.sh"

if ! curl -fsS "$COPILOT_SIM_URL/_sim/health" >/dev/null 2>&1; then
  log "starting the Copilot simulator on $COPILOT_SIM_URL"
  # Only the simulator itself in the background (not "cd && ..."), so $! is its pid for "down".
  (cd tests || exit 1
   nohup python -m copilot_sim --port "$sim_port" --quiet >"$state/copilot-sim.log" 2>&1 &
   echo $! >"$state/copilot-sim.pid")
  for _ in $(seq 50); do curl -fsS "$COPILOT_SIM_URL/_sim/health" >/dev/null 2>&1 && break; sleep 0.2; done
fi

if [ "$(podman container inspect -f '{{.State.Running}}' "$host" 2>/dev/null)" != "true" ]; then
  log "starting lab host $host (Debian 12, systemd as PID 1)"
  podman rm -f "$host" >/dev/null 2>&1 || true
  "$here/lab-host.sh" "$host"
fi

log "deploying site.yml to the lab"
ansible-playbook -i inventories/lab site.yml

python "$here/demo_report.py" --host "$host" --url "http://127.0.0.1:4000"
