# -*- coding: utf-8 -*-
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reports the project prints, as data and as text.

``format_table`` is the one aligned-table formatter: the fleet status (playbooks/status.yml), the
rollout summary (callback_plugins/litellm_copilot_summary.py) and the demo (scripts/demo_report.py)
all print through it. The status report's rows are built here too, from what the role's status
entry point (tasks/status.yml) registered on each host, so the playbook reshapes nothing in Jinja.

Standard library only: the callback and the demo script load this file directly.
"""

# A status line stays readable however long GitHub's error message is.
_LAST_CELL_MAX = 200
_PROBLEMS = {
    "invalid_token": "GitHub token invalid or revoked: run playbooks/login.yml",
    "no_copilot": "account has no Copilot seat",
    "empty_token": "no token stored: deploy site.yml",
}
STATUS_HEADER = ("host", "proxy", "litellm", "models", "plan", "premium used", "left", "used", "resets", "problem")


def _clip(text, limit):
    """text cut at a word boundary to at most limit characters, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[:limit - 3].rsplit(" ", 1)[0] + "..."


def format_table(header, rows, last_cell_max=None):
    """header and rows (sequences of cells of any type) as aligned text: a header line, a rule of
    dashes under each column, one line per row; columns two spaces apart, no trailing spaces."""
    lines = [[str(cell) for cell in line] for line in [header] + [list(row) for row in rows]]
    if last_cell_max:
        for line in lines:
            line[-1] = _clip(line[-1], last_cell_max)
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    lines.insert(1, ["-" * width for width in widths])
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
                     for line in lines) + "\n"


def _result(value):
    """A registered result, or {} for a task that never ran (the host was unreachable)."""
    return value if isinstance(value, dict) else {}


def status_row(ready, host, url, version=None, models=None, usage=None):
    """One host's status from the results tasks/status.yml registered: the proxy's readiness answer,
    the installed LiteLLM version, the proxy's /v1/models answer and copilot_usage_info's result."""
    ready, version, models, usage = (_result(value) for value in (ready, version, models, usage))
    reachable = not ready.get("unreachable", False)
    up = ready.get("status") == 200
    usage_failed = "copilot" not in usage
    served = (models.get("json") or {}) if models.get("status") == 200 else {}
    proxy = "unreachable" if not reachable else "up" if up else "down"
    return {
        "host": host,
        "reachable": reachable,
        "url": url,
        "proxy": proxy,
        "proxy_error": "" if up else ready.get("msg", "no answer"),
        "litellm_version": version.get("stdout") or (ready.get("json") or {}).get("litellm_version"),
        "models": sorted(model["id"] for model in served.get("data") or []),
        "token": usage.get("error_kind", "ok") if reachable else "unknown",
        "token_error": usage.get("msg", "") if usage_failed else "",
        "login": None if usage_failed else usage.get("login"),
        "plan": None if usage_failed else usage.get("plan"),
        "premium_interactions": None if usage_failed else usage.get("premium_interactions"),
        "quota_reset_date": None if usage_failed else usage.get("quota_reset_date"),
    }


def status_rows(hostvars, hosts, fact="_litellm_copilot_status_row"):
    """The status rows of the given hosts that have one, in the order given."""
    return [hostvars[host][fact] for host in hosts if fact in hostvars[host]]


def _problem(row):
    if row["proxy"] == "unreachable":
        return "host unreachable"
    if row["token"] in _PROBLEMS:
        return _PROBLEMS[row["token"]]
    if row["token"] != "ok":
        return "GitHub: " + row["token_error"]
    return "" if row["proxy"] == "up" else "proxy not answering"


def _premium(quota):
    """(used, left, percent used) of the premium-request allowance."""
    if quota.get("unlimited"):
        return "unlimited", "-", "-"
    if quota.get("entitlement") is not None:
        return "%s / %s" % (quota["used"], quota["entitlement"]), str(quota["remaining"]), "%s%%" % quota["percent_used"]
    return "-", "-", "-"


def status_table(rows):
    """The status rows as one aligned table, one line per host sorted by name."""
    lines = []
    for row in sorted(rows, key=lambda row: row["host"]):
        lines.append([row["host"], row["proxy"], row["litellm_version"] or "-",
                      len(row["models"]) if row["proxy"] == "up" else "-", row["plan"] or "-",
                      *_premium(row["premium_interactions"] or {}), row["quota_reset_date"] or "-", _problem(row)])
    return format_table(STATUS_HEADER, lines, last_cell_max=_LAST_CELL_MAX)


class FilterModule:
    """Report filters."""

    def filters(self):
        return {
            "copilot_table": format_table,
            "copilot_status_row": status_row,
            "copilot_status_rows": status_rows,
            "copilot_status_table": status_table,
        }
