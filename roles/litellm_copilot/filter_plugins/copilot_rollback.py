# -*- coding: utf-8 -*-
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What tasks/rollback.yml did, from its tasks' results: whether anything was put back (and the
socket unit among it, which takes the stop-first restart), and the sentence the failed health
gate's message ends with."""

OUTCOMES = {
    "none": "There is no last good state to roll back to.",
    "unchanged": "The live config, environment, unit and virtualenv are the last good ones: nothing to roll back.",
    "healthy": "Rolled back to the last good config, environment, unit and virtualenv; the proxy is healthy again "
               "with them.",
    "unhealthy": "Rolled back to the last good config, environment, unit and virtualenv, but the proxy did not come "
                 "back healthy either (%s).",
}


def _changed(result):
    return isinstance(result, dict) and bool(result.get("changed"))


def copilot_rolled_back(files, venv, socket_file):
    """{any, socket}: whether the file restore (copilot_last_good's result) or the venv restore
    changed anything, and whether the socket unit ``socket_file`` was among the files put back."""
    written = (files or {}).get("written") or []
    return {"any": bool(written) or _changed(venv), "socket": socket_file in written}


def copilot_rollback_outcome(files, venv, health):
    """The rollback in one sentence: nothing to go back to, nothing changed, or back and healthy or not."""
    if not (files or {}).get("complete") and not (venv or {}).get("restored"):
        return OUTCOMES["none"]
    if not copilot_rolled_back(files, venv, None)["any"]:
        return OUTCOMES["unchanged"]
    if (health or {}).get("liveliness") == 200:
        return OUTCOMES["healthy"]
    return OUTCOMES["unhealthy"] % ((health or {}).get("msg") or "no answer")


class FilterModule(object):
    def filters(self):
        return {"copilot_rolled_back": copilot_rolled_back, "copilot_rollback_outcome": copilot_rollback_outcome}
