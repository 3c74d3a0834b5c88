# -*- coding: utf-8 -*-
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reports the project prints, as data and as text.

``format_table`` is the one aligned-table formatter: the fleet status (playbooks/status.yml), the
rollout summary (callback_plugins/litellm_copilot_summary.py) and the demo (scripts/demo_report.py)
all print through it. The status report's rows are built here too, from what the role's status
entry point (tasks/status.yml) registered on each host, so the playbook reshapes nothing in Jinja.

Every cell is printed through ``printable``: versions, model counts and error messages come from
the hosts and from GitHub, and a host's root must not be able to rewrite the report on the
operator's terminal (an ANSI escape or a carriage return could erase a "failed" row).

Standard library only: the callback and the demo script load this file directly.
"""

import unicodedata

# A status line stays readable however long GitHub's error message is.
_LAST_CELL_MAX = 200
# Any other cell: a version, a host name or a count is far shorter; a host sending a longer one
# must not stretch every line of the table off the screen.
CELL_MAX = 100
# What a terminal acts on instead of showing, by Unicode category: controls (C0 with ESC, CR, LF,
# TAB; DEL; C1 with CSI U+009B), format characters (the bidi embeddings, overrides and isolates
# U+202A-U+202E and U+2066-U+2069, zero-width characters), lone surrogates (printing one raises)
# and the line and paragraph separators.
_UNPRINTABLE = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))
_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_PROBLEMS = {
    "invalid_token": "GitHub token invalid or revoked: run playbooks/login.yml",
    "no_copilot": "account has no Copilot seat",
    "empty_token": "no usable token stored (missing, empty or a link): deploy site.yml",
}
STATUS_HEADER = ("host", "proxy", "litellm", "models", "plan", "premium used", "left", "used", "resets", "problem")


def _clip(text, limit):
    """text cut at a word boundary to at most limit characters, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[:limit - 3].rsplit(" ", 1)[0] + "..."


def _escape(char):
    """char written out the way Python writes it in a string literal: \\r, \\x1b, \\u202e."""
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    return "\\x%02x" % code if code <= 0xFF else "\\u%04x" % code if code <= 0xFFFF else "\\U%08x" % code


def printable(value, limit=CELL_MAX):
    """value as text safe to print on a terminal: every control, format or separator character
    escaped (shown, not acted on), then clipped to limit characters (escapes count, so the width
    stays bounded)."""
    text = "".join(_escape(char) if unicodedata.category(char) in _UNPRINTABLE else char for char in str(value))
    return _clip(text, limit)


def format_table(header, rows, last_cell_max=None):
    """header and rows (sequences of cells of any type) as aligned text: a header line, a rule of
    dashes under each column, one line per row; columns two spaces apart, no trailing spaces.

    Each cell goes through ``printable`` (at most CELL_MAX characters; the last one at most
    last_cell_max if given): cells come from hosts and from GitHub, so they are not trusted."""
    limits = [CELL_MAX] * (len(header) - 1) + [last_cell_max or CELL_MAX]
    lines = [[printable(cell, limit) for cell, limit in zip(line, limits)]
             for line in [header] + [list(row) for row in rows]]
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
