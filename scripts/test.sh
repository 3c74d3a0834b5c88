#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set-up, unit tests, ansible-lint (production
# profile), then the Molecule scenarios on real systemd hosts with real LiteLLM and real SDKs.
#   scripts/test.sh              everything
#   scripts/test.sh unit lint    only some stages (unit, lint, molecule)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$repo_root"

# No test may pass by skipping (tests/conftest.py): a missing tool or lab host fails the run.
export LITELLM_COPILOT_NO_SKIP=1

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(unit lint molecule)

"$here/bootstrap.sh"
log "set-up done in ${SECONDS} s"

# What the Molecule stage needs first - the lab image and the pinned clients (downloads, and a native
# addon built from source) - is made in the background while the unit tests and lint run: they use
# one core, so on a fresh machine this set-up costs the run little extra time.
setup_log="$repo_root/.cache/molecule-setup.log"
if [[ " ${stages[*]} " == *" molecule "* ]]; then
  mkdir -p "$(dirname "$setup_log")"
  ( "$here/build-lab-image.sh" && "$here/install-clients.sh" >/dev/null ) > "$setup_log" 2>&1 &
  setup_pid=$!
fi

for stage in "${stages[@]}"; do
  started=$SECONDS
  case "$stage" in
    unit)
      log "unit tests (module, module_utils, simulator, role interface)"
      python -m pytest -q tests/unit ;;
    lint)
      log "ansible-lint, production profile"
      ansible-lint --profile production ;;
    molecule)
      # The lab image, and Claude Code and Claude-Code-Router for the end-to-end tests (see above).
      wait "$setup_pid" || { cat "$setup_log" >&2; die "the lab image or the test clients could not be made (log above)"; }
      cat "$setup_log" >&2
      log "molecule: default scenario ($((SECONDS - started)) s into the stage)"
      molecule test --scenario-name default
      log "molecule: fleet scenario (3 hosts, batched rollout, a failing batch stops it; $((SECONDS - started)) s into the stage)"
      molecule test --scenario-name fleet ;;
    *) die "unknown stage '$stage' (unit, lint, molecule)" ;;
  esac
  log "stage $stage passed in $((SECONDS - started)) s"
done
log "all stages passed: ${stages[*]} (${SECONDS} s in all)"
