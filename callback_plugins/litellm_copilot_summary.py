# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prints one table at the end of a rollout: every host the gateway play targeted, its result and
what it serves. A callback rather than a last play because a rollout that stops at a failing
batch (max_fail_percentage) ends the playbook: no later play would run, but this still reports."""

from __future__ import annotations

DOCUMENTATION = r"""
name: litellm_copilot_summary
type: aggregate
short_description: One summary table per litellm_copilot rollout
description:
  - At the end of a playbook that ran the litellm_copilot role, prints one line per host the role's
    plays targeted (after C(--limit)), with the result (ok, failed, unreachable, or not reached for
    hosts a stopped rollout never got to), the LiteLLM version the proxy reports and the number of
    models it serves.
  - A host that passed but kept its last good model list because discovery failed (an outage) shows
    as C(ok, last good models), and a warning at the end names it and the cause.
  - Version and models come from the C(_litellm_copilot_result) fact the role's health gate sets.
    What a host reports is printed with control characters escaped (C(\x1b), C(\r), C(\u202e)) and
    clipped, so that a host cannot rewrite the table on the terminal.
  - Active whenever it is on the callback plugin path; prints nothing for other playbooks, nor for
    playbooks/status.yml (the role's read-only C(status) entry point).
"""

import importlib.util
from pathlib import Path

from ansible.plugins.callback import CallbackBase

# The one table formatter of every report lives with the role (its status report uses it as a
# filter); loaded from its file, since a callback sees no role's plugins.
_REPORT = Path(__file__).resolve().parents[1] / "roles" / "litellm_copilot" / "filter_plugins" / "copilot_report.py"
_SPEC = importlib.util.spec_from_file_location("_litellm_copilot_report", _REPORT)
_report = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_report)

ROLE = "litellm_copilot"
# Entry points (tasks_from) that change nothing: a play running only these is no rollout.
READ_ONLY_ENTRY_POINTS = ("status",)
FACT = "_litellm_copilot_result"
# The result of a host that passed the gate serving its last good model list (an outage).
STALE = "ok, last good models"
# The cause of a stale model list is an error message: as long as the status report lets one be.
_CAUSE_MAX = 200


def summary_rows(targeted, processed, failed, unreachable, results):
    """(host, result, version, models) for each targeted host, in inventory order.

    targeted: host names the role's plays covered; processed: hosts that ran at least one task;
    failed/unreachable: hosts with failures; results: host -> {version, models} from the gate.
    """
    rows = []
    for host in targeted:
        if host in unreachable:
            outcome = "unreachable"
        elif host in failed:
            outcome = "failed"
        elif host in processed:
            outcome = "ok"
        else:
            outcome = "not reached"
        # A failed host may have passed the gate earlier in the run; it does not count now.
        fact = results.get(host, {}) if outcome == "ok" else {}
        if fact.get("stale_models_reason"):
            outcome = STALE
        rows.append((host, outcome, str(fact.get("version", "-")), str(fact.get("models", "-"))))
    return rows


def stale_model_warnings(rows, results):
    """One warning per host in rows that serves its last good model list, naming the cause.

    The cause is the host's own text: escaped and clipped like a table cell, so that it cannot
    rewrite the table above it."""
    return ["%s serves its last good model list: model discovery failed (%s)"
            % (_report.printable(host), _report.printable(results[host]["stale_models_reason"], _CAUSE_MAX))
            for host, outcome, _version, _models in rows if outcome == STALE]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "litellm_copilot_summary"
    CALLBACK_NEEDS_ENABLED = False

    def __init__(self):
        super().__init__()
        self._play = None
        self._targeted = []
        self._results = {}

    def v2_playbook_on_play_start(self, play):
        self._play = play

    def v2_playbook_on_task_start(self, task, is_conditional):
        role = getattr(task, "_role", None)
        if role is None or role.get_name() != ROLE or self._play is None:
            return
        # playbooks/status.yml reads the gateways through the role's status entry point: no rollout.
        if getattr(role, "_from_files", {}).get("tasks", "main").removesuffix(".yml") in READ_ONLY_ENTRY_POINTS:
            return
        # Play start comes once per serial batch with the inventory restricted to that batch, so
        # ask for the play's hosts without that restriction (but still within --limit).
        try:
            inventory = self._play.get_variable_manager()._inventory
            hosts = [host.name for host in inventory.get_hosts(self._play.hosts, ignore_restrictions=True)]
        except Exception:  # pylint: disable=broad-except
            hosts = []
        for host in hosts:
            if host not in self._targeted:
                self._targeted.append(host)

    def v2_runner_on_ok(self, result):
        facts = result._result.get("ansible_facts") or {}
        if FACT in facts:
            self._results[result._host.get_name()] = facts[FACT]

    def v2_playbook_on_stats(self, stats):
        if not self._targeted:
            return
        rows = summary_rows(self._targeted, set(stats.processed), set(stats.failures),
                            set(stats.dark), self._results)
        self._display.banner("LITELLM COPILOT ROLLOUT SUMMARY")
        self._display.display(_report.format_table(("HOST", "RESULT", "LITELLM", "MODELS"), rows).rstrip("\n"))
        for warning in stale_model_warnings(rows, self._results):
            self._display.warning(warning)
