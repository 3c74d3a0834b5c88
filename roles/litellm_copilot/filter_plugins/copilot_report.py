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

The status row also carries what the proxy's credit meter serves at ``/metrics`` (Prometheus text,
read by ``parse_meter``): the host writes that text, so it is parsed as hostile input, within fixed
bounds and without ever raising.

Standard library only: the callback and the demo script load this file directly.
"""

import datetime
import math
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
# plan: the seat's plan and, from the meter, how it is billed (individual/credits). today, month:
# credits this VM spent today and this quota month; budget: what is left of its tightest budget.
# left, resets: the seat's quota from Copilot's last answer through the proxy (the meter), else
# from GitHub's usage report. premium used: GitHub's count of premium requests, the figure of a
# seat billed by premium requests (annual seats; "-" on a credit seat); left shows what remains.
STATUS_HEADER = ("host", "proxy", "litellm", "models", "plan", "today", "month", "budget", "premium used", "left",
                 "resets", "problem")
_BILLING = {"credits": "credits", "premium_requests": "premium requests"}

# What parse_meter reads of the meter's text, whatever the host sends: the first 256 KiB, the first
# 4096 lines of that (the meter prints a few dozen), label values up to 128 characters, a few
# labels per line, up to 16 quotas, and numbers up to 40 characters long.
METER_MAX_CHARS = 256 * 1024
METER_MAX_LINES = 4096
_LABEL_VALUE_MAX = 128
_LABELS_MAX = 8
_QUOTAS_MAX = 16
_NUMBER_MAX = 40
_NUMBER_CHARS = frozenset("0123456789+-.eE")
_PERIODS = ("day", "month")
# Reset timestamps a date can be printed for (1970 to the year 9999).
_TIMESTAMP_MAX = 253402300799.0
# metric name -> (key in parse_meter's answer, the label that keys it, which values it accepts)
_METER_FIELDS = {
    "litellm_copilot_spend_credits": ("spend", "period", "credits"),
    "litellm_copilot_budget_credits": ("budget", "period", "credits"),
    "litellm_copilot_budget_remaining_credits": ("budget_remaining", "period", "credits"),
    "litellm_copilot_quota_remaining_ratio": ("quota_remaining", "quota", "ratio"),
    "litellm_copilot_quota_reset_timestamp_seconds": ("quota_reset", "quota", "timestamp"),
    "litellm_copilot_billing_info": ("billing", "billing", "one"),
}


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


def journal_excerpt(lines, secret="", count=30, limit=400):
    """The last ``count`` lines of a failed proxy's journal for the play's failure message: traceback
    frames (indented lines) left out, ``secret`` (the master key) masked, and each line through
    ``printable`` - the proxy runs as the service user, who decides what it logs."""
    kept = [str(line) for line in (lines if isinstance(lines, list) else []) if not str(line)[:1].isspace()][-count:]
    if secret:
        kept = [line.replace(secret, "********") for line in kept]
    return "\n".join(printable(line, limit) for line in kept)


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


# --------------------------------------------------------------------------- the meter's text

def _is_label_name(name):
    return bool(name) and name.isascii() and not name[0].isdigit() and name.replace("_", "").isalnum()


def _skip_blanks(line, index):
    while index < len(line) and line[index] in " \t":
        index += 1
    return index


def _label_value(line, index):
    """(value, index after its closing quote) of the quoted label value starting at line[index],
    unescaped (backslash, double quote, newline); None for a malformed or over-long value."""
    if line[index:index + 1] != '"':
        return None
    chars = []
    index += 1
    while index < len(line):
        char = line[index]
        if char == '"':
            return "".join(chars), index + 1
        if char == "\\":
            escaped = {"\\": "\\", '"': '"', "n": "\n"}.get(line[index + 1:index + 2])
            if escaped is None:
                return None
            chars.append(escaped)
            index += 2
        else:
            chars.append(char)
            index += 1
        if len(chars) > _LABEL_VALUE_MAX:
            return None
    return None


def _labels(line, index):
    """(labels, index after the closing brace) of the label set opening at line[index] ("{"), or
    None. One pass: every character is looked at a bounded number of times."""
    labels = {}
    index += 1
    while True:
        index = _skip_blanks(line, index)
        if line[index:index + 1] == "}":
            return labels, index + 1
        equals = line.find("=", index)
        name = line[index:equals].strip(" \t") if equals >= 0 else ""
        if not _is_label_name(name) or name in labels or len(labels) >= _LABELS_MAX:
            return None
        value = _label_value(line, _skip_blanks(line, equals + 1))
        if value is None:
            return None
        labels[name], index = value
        index = _skip_blanks(line, index)
        if line[index:index + 1] == ",":
            index += 1
        elif line[index:index + 1] != "}":
            return None


def _is_integer(text):
    digits = text[1:] if text[:1] == "-" else text
    return digits.isascii() and digits.isdigit()


def _number(text):
    """text as a finite float, or None: only the characters of a decimal number, briefly."""
    if not text or len(text) > _NUMBER_MAX or not set(text) <= _NUMBER_CHARS:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _sample(line):
    """(metric name, labels, value) of one of the meter's sample lines, or None for anything else."""
    line = line.strip(" \t\r")
    if not line.startswith("litellm_copilot_"):
        return None
    ends = [position for position in (line.find("{"), line.find(" "), line.find("\t")) if position >= 0]
    end = min(ends) if ends else len(line)
    name = line[:end]
    if name not in _METER_FIELDS:
        return None
    index = _skip_blanks(line, end)
    labels = {}
    if line[index:index + 1] == "{":
        parsed = _labels(line, index)
        if parsed is None:
            return None
        labels, index = parsed
    # value and an optional timestamp (ignored), apart by blanks only
    rest = [token for token in line[index:].replace("\t", " ").split(" ") if token]
    if not 1 <= len(rest) <= 2 or (len(rest) == 2 and not _is_integer(rest[1])):
        return None
    value = _number(rest[0])
    return None if value is None else (name, labels, value)


def _accepts(kind, value):
    if kind == "credits":
        return value >= 0
    if kind == "ratio":
        return 0 <= value <= 1
    if kind == "timestamp":
        return 0 <= value <= _TIMESTAMP_MAX
    return value == 1


def parse_meter(text):
    """What the status report shows of the meter's /metrics text, as a small dict: ``spend``,
    ``budget`` and ``budget_remaining`` (credits by period: day, month), ``quota_remaining`` (ratio
    0..1) and ``quota_reset`` (Unix time) by quota name, and ``billing`` (credits,
    premium_requests). A field the text does not hold, or holds in a form not understood, is absent.

    The host writes this text: only its first METER_MAX_CHARS characters and METER_MAX_LINES
    lines are read, in one pass with string methods; a line that is not one of the meter's samples,
    a label value that is malformed or long, a number that is not finite or out of the metric's
    range is skipped. The first sample of a series counts. Never raises."""
    try:
        return _parse_meter(text)
    except Exception:  # pylint: disable=broad-except  # a report never fails on what a host sent
        return {}


def _parse_meter(text):
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text[:METER_MAX_CHARS]).decode("utf-8", "replace")
    if not isinstance(text, str):
        return {}
    lines = text[:METER_MAX_CHARS].split("\n", METER_MAX_LINES)
    meter = {}
    for line in lines[:METER_MAX_LINES]:
        sample = _sample(line)
        if sample is None:
            continue
        name, labels, value = sample
        field, label, kind = _METER_FIELDS[name]
        key = labels.get(label)
        if not key or not _accepts(kind, value):
            continue
        if field == "billing":
            meter.setdefault("billing", key)
            continue
        if label == "period" and key not in _PERIODS:
            continue
        series = meter.setdefault(field, {})
        if key not in series and len(series) < _QUOTAS_MAX:
            series[key] = value
    return meter


def _meter_text(meter):
    """The text of the meter's answer (the uri task's registered result), or None."""
    if meter.get("status") != 200:
        return None
    return meter.get("content")


# --------------------------------------------------------------------------- rows and the table

def status_row(ready, host, url, version=None, models=None, usage=None, meter=None):
    """One host's status from the results tasks/status.yml registered: the proxy's readiness answer,
    the installed LiteLLM version, the proxy's /v1/models answer, copilot_usage_info's result and
    the proxy's /metrics answer (the credit meter)."""
    ready, version, models, usage, meter = (_result(value) for value in (ready, version, models, usage, meter))
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
        "meter": parse_meter(_meter_text(meter)),
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
    """(used, left) of the premium-request allowance GitHub reports."""
    if quota.get("unlimited"):
        return "unlimited", "-"
    if quota.get("entitlement") is not None:
        return "%s / %s" % (quota["used"], quota["entitlement"]), str(quota["remaining"])
    return "-", "-"


def _premium_used(row, meter):
    """GitHub's count of premium requests used, of a seat billed by premium requests. On a credit
    seat the same report counts millionths of a dollar, not requests: the meter's columns say it."""
    if meter.get("billing") == "credits":
        return "-"
    return _premium(row["premium_interactions"] or {})[0]


def _credits(value, trim=False):
    """A number of credits: 2 decimals, or with trim as few as it needs (50, 12.5); an absurd one a
    host sends stays short."""
    if abs(value) >= 1e9:
        return "%.3g" % value
    text = "%.2f" % value
    return text.rstrip("0").rstrip(".") if trim else text


def _plan(row, meter):
    billing = meter.get("billing")
    if not billing:
        return row["plan"] or "-"
    return "%s/%s" % (row["plan"] or "-", _BILLING.get(billing, billing))


def _budget(meter):
    """What is left of the budget that runs out first: "12.50/50 day", "spent (day)" or "-"."""
    budgets, remaining, spend = (meter.get(field) or {} for field in ("budget", "budget_remaining", "spend"))
    # the meter says what is left; should it not, the budget less what was spent is
    left = {period: remaining[period] if period in remaining else max(budgets[period] - spend[period], 0)
            for period in _PERIODS if period in budgets and (period in remaining or period in spend)}
    if not left:
        return "-"
    period = min(left, key=lambda period: (left[period], _PERIODS.index(period)))
    if left[period] <= 0:
        return "spent (%s)" % period
    return "%s/%s %s" % (_credits(left[period]), _credits(budgets[period], trim=True), period)


def _reset_date(timestamp):
    try:
        return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%d")
    except (OverflowError, OSError, ValueError):
        return None


def _quota(row, meter):
    """(left, resets) of the seat's premium quota: from Copilot's last answer through the proxy
    (the meter's snapshot) when there is one, else from GitHub's usage report."""
    _used, left = _premium(row["premium_interactions"] or {})
    resets = row["quota_reset_date"] or "-"
    ratio = (meter.get("quota_remaining") or {}).get("premium_interactions")
    if ratio is not None:
        left = "%.1f%%" % (ratio * 100)
    timestamp = (meter.get("quota_reset") or {}).get("premium_interactions")
    if timestamp is not None:
        resets = _reset_date(timestamp) or resets
    return left, resets


def status_table(rows):
    """The status rows as one aligned table, one line per host sorted by name."""
    lines = []
    for row in sorted(rows, key=lambda row: row["host"]):
        meter = row.get("meter") or {}
        spend = meter.get("spend") or {}
        lines.append([row["host"], row["proxy"], row["litellm_version"] or "-",
                      len(row["models"]) if row["proxy"] == "up" else "-", _plan(row, meter),
                      _credits(spend["day"]) if "day" in spend else "-",
                      _credits(spend["month"]) if "month" in spend else "-", _budget(meter),
                      _premium_used(row, meter), *_quota(row, meter), _problem(row)])
    return format_table(STATUS_HEADER, lines, last_cell_max=_LAST_CELL_MAX)


class FilterModule:
    """Report filters."""

    def filters(self):
        return {
            "copilot_table": format_table,
            "copilot_journal_excerpt": journal_excerpt,
            "copilot_parse_meter": parse_meter,
            "copilot_status_row": status_row,
            "copilot_status_rows": status_rows,
            "copilot_status_table": status_table,
        }
