"""What this VM spends on Copilot: meter every answer, keep the seat's quota, cap the spend.

LiteLLM loads this file from the config directory (``litellm_settings.callbacks:
[copilot_meter.meter]``); the role writes its settings next to it (``copilot_meter.json``: how the
seat is billed, each served model's credit rates, the budgets, where the ledger lives).

- **Meter.** Each answered request adds its tokens (input, cached input, output) and its credits
  (tokens x the model's rates, credits per million tokens; 1 credit = USD 0.01) to a ledger: a
  SQLite file in the service's state directory, shared by every worker and kept across restarts,
  one row per local day, model and initiator.
- **Quota.** Copilot sends the seat's quota on every successful answer (``x-quota-snapshot-<id>``
  headers); the last one seen is kept in the ledger, with no extra call to GitHub.
- **Budgets.** Once this VM's daily or monthly credit budget is spent, a request for a model that
  costs credits is refused with a 429 naming the budget before anything reaches Copilot; with the
  quota fallback on, LiteLLM's router answers it from the included fallback model instead, the same
  way it answers Copilot's own 402 (allowance spent). Included models are never refused.
- **Fallback gate.** LiteLLM's router takes a configured fallback after ANY failure; this gate
  lets a fallback hop through only when the failure was Copilot's 402 ``quota_exceeded`` or a spent
  budget, so rpm caps, outages and bad requests reach the client as they are. The answer of a
  fallback carries ``x-litellm-copilot-fallback: quota`` or ``budget``.
- **Metrics.** ``exposition`` renders the ledger in Prometheus text format; the launcher
  (serve_on_socket.py) serves it at ``/metrics``.

Everything a request brings is a client's or Copilot's, and may be odd: every hook catches what it
did not expect and lets the request go on unmetered rather than fail it, and nothing here is more
than linear in a request's size. The pure functions (no LiteLLM import) are what the unit tests
read; the LiteLLM class at the bottom only applies them.
"""
import asyncio
import calendar
import contextvars
import datetime
import fnmatch
import importlib.util
import json
import logging
import math
import os
import re
import sqlite3
import threading
import time
import urllib.parse

# The metrics the proxy exports at /metrics (Prometheus text format 0.0.4): name -> (type, labels,
# help). The Grafana dashboard (docs/grafana/litellm-copilot.json) and the status report read only
# these names; a unit test checks the dashboard against this table.
METRICS = {
    "litellm_copilot_credits_total": (
        "counter", ("model",), "AI credits spent through this proxy, by Copilot model (1 credit = USD 0.01)"),
    "litellm_copilot_tokens_total": (
        "counter", ("model", "kind"), "Tokens through this proxy by Copilot model and kind (input, cached_input, output)"),
    "litellm_copilot_requests_total": (
        "counter", ("model", "initiator"), "Answered requests by Copilot model and X-Initiator (user, agent)"),
    "litellm_copilot_fallbacks_total": (
        "counter", ("reason",), "Requests answered by the included fallback model, by reason (budget, quota)"),
    "litellm_copilot_quota_remaining_ratio": (
        "gauge", ("quota",), "Share of the seat's quota left (0..1), from Copilot's last x-quota-snapshot header"),
    "litellm_copilot_quota_reset_timestamp_seconds": (
        "gauge", ("quota",), "When the seat's quota resets (Unix time), from Copilot's last x-quota-snapshot header"),
    "litellm_copilot_spend_credits": (
        "gauge", ("period",), "Credits this VM spent today (period=day, local time) and this quota month (period=month)"),
    "litellm_copilot_budget_credits": (
        "gauge", ("period",), "This VM's credit budget in force (daily: fixed or paced; monthly); absent without one"),
    "litellm_copilot_budget_remaining_credits": (
        "gauge", ("period",), "Credits left in this VM's budget (0 once spent); absent without a budget"),
    "litellm_copilot_billing_info": (
        "gauge", ("billing",), "Always 1; the label says how the seat is billed (credits, premium_requests)"),
}

SETTINGS_FILE = "copilot_meter.json"
FALLBACK_HEADER = "x-litellm-copilot-fallback"
KINDS = ("input", "cached_input", "output")
PERIODS = ("day", "month")
# Copilot's quota headers count credit allowances in millionths of a dollar: a Pro seat's USD 10 is
# ent=10000000 (section 9 of the reference's example), so 10000 units make one credit.
SNAPSHOT_UNITS_PER_CREDIT = 10000.0
SNAPSHOT_PREFIX = "x-quota-snapshot-"
PREMIUM_QUOTA = "premium_interactions"
# A header value longer than this is not Copilot's (its are ~100 characters): not parsed.
SNAPSHOT_MAX_CHARS = 1024
# How long a writer waits for another worker's transaction before giving up on one record.
LEDGER_TIMEOUT_SECONDS = 5.0
_LOG = logging.getLogger("LiteLLM.copilot_meter")

# --- Rates and usage -----------------------------------------------------------------------------


def rates_for(model_id, rates):
    """The credit rates of a Copilot model id from ``rates`` ({id or glob: {input, cached_input,
    output}}): the exact id first, then the first glob that matches; all zero when none does."""
    if not isinstance(rates, dict):
        return {kind: 0.0 for kind in KINDS}
    found = rates.get(model_id)
    if not isinstance(found, dict):
        found = next((rate for pattern, rate in rates.items()
                      if isinstance(pattern, str) and isinstance(rate, dict) and fnmatch.fnmatchcase(model_id, pattern)),
                     None)
    found = found if isinstance(found, dict) else {}
    return {kind: _number(found.get(kind)) for kind in KINDS}


def _number(value):
    """value as a finite, non-negative float; 0 for anything else (a bool, a string, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    value = float(value)
    return value if math.isfinite(value) and value > 0 else 0.0


def _field(obj, name):
    """obj[name] or obj.name: LiteLLM hands usage over as pydantic objects or dicts."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def tokens_of(usage):
    """{input, cached_input, output} token counts of one answer's usage, in any of the shapes
    LiteLLM reports it: OpenAI's (``prompt_tokens`` counts the cached part too, which
    ``prompt_tokens_details.cached_tokens`` names), the Responses API's (``input_tokens`` with
    ``input_tokens_details``) and Anthropic's (``input_tokens`` leaves out ``cache_read_input_tokens``
    and ``cache_creation_input_tokens``). Cache writes count as input: Copilot bills them at the
    input rate. Missing or odd figures count 0."""
    if usage is None:
        return {kind: 0 for kind in KINDS}
    output = _count(_field(usage, "completion_tokens")) or _count(_field(usage, "output_tokens"))
    prompt = _field(usage, "prompt_tokens")
    if prompt is not None:
        total = _count(prompt)
        cached = _count(_field(_field(usage, "prompt_tokens_details"), "cached_tokens")) \
            or _count(_field(usage, "cache_read_input_tokens"))
    elif _field(usage, "input_tokens_details") is not None:
        total = _count(_field(usage, "input_tokens"))
        cached = _count(_field(_field(usage, "input_tokens_details"), "cached_tokens"))
    else:
        cached = _count(_field(usage, "cache_read_input_tokens"))
        total = (_count(_field(usage, "input_tokens")) + cached
                 + _count(_field(usage, "cache_creation_input_tokens")))
    cached = min(cached, total)
    return {"input": total - cached, "cached_input": cached, "output": output}


def _count(value):
    """A token count: a non-negative int, 0 for anything else."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def credits_for(tokens, rates):
    """What tokens cost in credits at rates (credits per million tokens of each kind)."""
    return sum(tokens[kind] * rates[kind] for kind in KINDS) / 1e6


def costs_credits(rates):
    """Whether a model with these rates spends credits (the included models do not)."""
    return any(rates[kind] > 0 for kind in KINDS)


# --- Copilot's quota snapshot --------------------------------------------------------------------


def parse_snapshot(value):
    """One ``x-quota-snapshot-<id>`` header value as a dict (entitlement, overage, overage_permitted,
    percent, reset as Unix time, remaining), or None when it is not one. Unknown keys are ignored;
    a snapshot needs at least the percentage left."""
    if not isinstance(value, str) or len(value) > SNAPSHOT_MAX_CHARS:
        return None
    fields = {}
    for pair in value.split("&"):
        key, sep, raw = pair.partition("=")
        if sep:
            fields[key.strip()] = urllib.parse.unquote(raw.strip())
    snapshot = {"entitlement": _float(fields.get("ent")), "overage": _float(fields.get("ov")),
                "overage_permitted": fields.get("ovPerm", "").lower() == "true",
                "percent": _float(fields.get("rem")), "remaining": _float(fields.get("totRem")),
                "reset": _timestamp(fields.get("rst"))}
    if snapshot["percent"] is None:
        return None
    return snapshot


def _float(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _timestamp(text):
    """An ISO 8601 date or date-time (Copilot's reset) as Unix time; None when it is not one."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def snapshots_in(headers):
    """{quota id: snapshot} from a response's headers as LiteLLM keeps them (``llm_provider-``
    prefixed, or not)."""
    found = {}
    if not isinstance(headers, dict):
        return found
    for name, value in headers.items():
        if not isinstance(name, str):
            continue
        lowered = name.lower()
        if lowered.startswith("llm_provider-"):
            lowered = lowered[len("llm_provider-"):]
        if lowered.startswith(SNAPSHOT_PREFIX):
            quota = lowered[len(SNAPSHOT_PREFIX):]
            snapshot = parse_snapshot(value)
            if snapshot is not None and 0 < len(quota) <= 64 and quota.replace("_", "").isalnum():
                found[quota] = snapshot
    return found


def remaining_ratio(snapshot):
    """The share of a quota left, 0..1 (an unlimited quota, ent=-1, is all left)."""
    if snapshot.get("entitlement") == -1:
        return 1.0
    return min(max(snapshot["percent"] / 100.0, 0.0), 1.0)


# --- Budgets -------------------------------------------------------------------------------------


def month_start(now, reset):
    """Local date the current quota month began: a month before the seat's next reset (from the
    last snapshot), or the first of this month without one."""
    today = datetime.date.fromtimestamp(now)
    if reset is None:
        return today.replace(day=1)
    upcoming = datetime.date.fromtimestamp(reset)
    year, month = (upcoming.year, upcoming.month - 1) if upcoming.month > 1 else (upcoming.year - 1, 12)
    start = upcoming.replace(year=year, month=month, day=min(upcoming.day, calendar.monthrange(year, month)[1]))
    return start if start <= today else today.replace(day=1)


def paced_daily_budget(snapshot, spent_today, now):
    """The seat's remaining credit allowance spread evenly over the days until it resets, as
    today's budget: what is left now plus what this VM spent today, over the days left (today
    counts). None without a snapshot of the credit allowance to pace by."""
    if not snapshot or snapshot.get("remaining") is None or snapshot.get("reset") is None \
            or snapshot.get("entitlement") in (None, -1):
        return None
    days = max(1, math.ceil((snapshot["reset"] - now) / 86400.0))
    return (max(snapshot["remaining"], 0.0) / SNAPSHOT_UNITS_PER_CREDIT + spent_today) / days


def budgets_in_force(settings, spent, snapshot, now):
    """[(period, budget, remaining)] of the budgets set: ``spent`` is {day, month} credits,
    ``snapshot`` the seat's last premium_interactions one (for the paced daily budget)."""
    configured = settings.get("budgets") or {}
    found = []
    for period in PERIODS:
        value = configured.get(period)
        if value == "pace":
            budget = paced_daily_budget(snapshot, spent["day"], now)
        else:
            budget = _number(value) or None
        if budget is not None:
            found.append((period, budget, max(budget - spent[period], 0.0)))
    return found


def spent_budget(budgets):
    """The first budget that is spent, (period, budget, remaining), or None."""
    return next((entry for entry in budgets if entry[2] <= 0), None)


def budget_message(period, budget):
    """The one message a request refused for a spent budget carries (its 429 without a fallback)."""
    variable = "litellm_copilot_credit_budget_daily" if period == "day" else "litellm_copilot_credit_budget_monthly"
    resets = "at local midnight" if period == "day" else "when the seat's quota resets"
    return ("%s is spent: this VM used its %.2f credits for this %s; models that cost credits answer again %s, "
            "included models answer meanwhile" % (variable, budget, period, resets))


# --- The fallback gate ---------------------------------------------------------------------------
# What is left of Copilot's 402 in LiteLLM 1.106.2's record of a failed attempt: the whole body on
# /v1/messages, only the message on chat completions and Responses ("Github_copilotException -
# You have no quota"). Both are anchored to Copilot's own wording, never to the request's text.
_QUOTA_REFUSAL = re.compile(r'"code"\s*:\s*"quota_exceeded"|Github_copilotException - You have no quota$')


def fallback_reason(request_kwargs, budget_refused=False):
    """Why a router call is a fallback hop that may go ahead: ``"quota"`` or ``"budget"``; None
    for a first attempt (always allowed); False for a hop that must not be taken.
    ``budget_refused``: this request's first attempt was refused here for a spent budget (known
    from the request's own state, never from an error's text).

    ``request_kwargs`` is what LiteLLM's router passes its callbacks: ``fallback_depth`` is set
    (1, 2, ...) on fallback hops, ``model`` names the group being tried, and the router's
    breadcrumbs of failed attempts are in ``metadata`` or ``litellm_metadata`` as
    ``previous_models`` (dicts with ``model_group``, ``exception_type`` and ``exception_string``).
    """
    if not isinstance(request_kwargs, dict):
        return None
    depth = request_kwargs.get("fallback_depth")
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        return None
    if budget_refused:
        return "budget"
    failure = cause_of_hop(request_kwargs)
    text = str(failure.get("exception_string") or "").strip() if isinstance(failure, dict) else ""
    return "quota" if _QUOTA_REFUSAL.search(text) else False


def cause_of_hop(request_kwargs):
    """The router's record of the failure this fallback hop answers: the latest failed attempt
    of another model group than the one now tried (retries within the hop do not count). None
    when there is no record."""
    current = request_kwargs.get("model")
    for key in ("litellm_metadata", "metadata"):
        metadata = request_kwargs.get(key)
        previous = metadata.get("previous_models") if isinstance(metadata, dict) else None
        if isinstance(previous, (list, tuple)):
            for failure in reversed(previous):
                if isinstance(failure, dict) and failure.get("model_group") != current:
                    return failure
    return None


# --- The ledger ----------------------------------------------------------------------------------
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS usage (day TEXT NOT NULL, model TEXT NOT NULL, initiator TEXT NOT NULL,"
    " requests INTEGER NOT NULL DEFAULT 0, input INTEGER NOT NULL DEFAULT 0,"
    " cached_input INTEGER NOT NULL DEFAULT 0, output INTEGER NOT NULL DEFAULT 0,"
    " credits REAL NOT NULL DEFAULT 0, PRIMARY KEY (day, model, initiator))",
    "CREATE TABLE IF NOT EXISTS fallbacks (reason TEXT PRIMARY KEY, count INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS quota (quota TEXT PRIMARY KEY, entitlement REAL, overage REAL,"
    " overage_permitted INTEGER, percent REAL, remaining REAL, reset REAL, seen REAL)",
)
# Labels come from the role's config (model ids) and from Copilot (quota ids): bounded anyway.
_LABEL_MAX = 128


class Ledger:
    """The SQLite ledger: one connection per thread (SQLite's rule), WAL so that readers never
    wait for a writer, a busy timeout for writers of other workers."""

    def __init__(self, path):
        self.path = path
        self._local = threading.local()

    def _db(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=LEDGER_TIMEOUT_SECONDS, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            for statement in _SCHEMA:
                connection.execute(statement)
            self._local.connection = connection
        return connection

    def record(self, day, model, initiator, tokens, credits, snapshots=None, fallback=None, seen=None):
        """Add one answered request (and the quota it came with, and its fallback) in one transaction."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "INSERT INTO usage (day, model, initiator, requests, input, cached_input, output, credits)"
                " VALUES (?, ?, ?, 1, ?, ?, ?, ?) ON CONFLICT (day, model, initiator) DO UPDATE SET"
                " requests = requests + 1, input = input + excluded.input,"
                " cached_input = cached_input + excluded.cached_input, output = output + excluded.output,"
                " credits = credits + excluded.credits",
                (day, model[:_LABEL_MAX], initiator, tokens["input"], tokens["cached_input"], tokens["output"], credits))
            for quota, snap in (snapshots or {}).items():
                db.execute(
                    "INSERT OR REPLACE INTO quota VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (quota[:_LABEL_MAX], snap["entitlement"], snap["overage"], int(snap["overage_permitted"]),
                     snap["percent"], snap["remaining"], snap["reset"], seen))
            if fallback:
                db.execute("INSERT INTO fallbacks VALUES (?, 1) ON CONFLICT (reason) DO UPDATE SET count = count + 1",
                           (fallback,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def spent(self, today, since):
        """{day, month}: credits spent on ``today`` and since the local date ``since``."""
        db = self._db()
        day = db.execute("SELECT COALESCE(SUM(credits), 0) FROM usage WHERE day = ?", (today,)).fetchone()[0]
        month = db.execute("SELECT COALESCE(SUM(credits), 0) FROM usage WHERE day >= ?", (since,)).fetchone()[0]
        return {"day": float(day), "month": float(month)}

    def snapshot(self, quota=PREMIUM_QUOTA):
        """The last snapshot of one quota, or None."""
        row = self._db().execute(
            "SELECT entitlement, overage, overage_permitted, percent, remaining, reset FROM quota WHERE quota = ?",
            (quota,)).fetchone()
        if row is None:
            return None
        keys = ("entitlement", "overage", "overage_permitted", "percent", "remaining", "reset")
        return dict(zip(keys, row))

    def totals(self):
        """Everything /metrics shows, summed over all days."""
        db = self._db()
        usage = db.execute("SELECT model, initiator, SUM(requests), SUM(input), SUM(cached_input), SUM(output),"
                           " SUM(credits) FROM usage GROUP BY model, initiator").fetchall()
        fallbacks = db.execute("SELECT reason, count FROM fallbacks").fetchall()
        quotas = db.execute("SELECT quota, entitlement, percent, reset FROM quota").fetchall()
        return usage, fallbacks, quotas


def local_day(now):
    return datetime.date.fromtimestamp(now).isoformat()


def budget_state(ledger, settings, now):
    """(spent {day, month}, budgets in force, the premium snapshot) read from the ledger now."""
    snapshot = ledger.snapshot()
    since = month_start(now, snapshot.get("reset") if snapshot else None)
    spent = ledger.spent(local_day(now), since.isoformat())
    return spent, budgets_in_force(settings, spent, snapshot, now), snapshot


# --- /metrics ------------------------------------------------------------------------------------


def _label(value):
    text = str(value)[:_LABEL_MAX]
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _sample(name, labels, value):
    inner = ",".join('%s="%s"' % (key, _label(val)) for key, val in labels)
    return "%s{%s} %s" % (name, inner, repr(float(value)))


def exposition(ledger, settings, now=None):
    """The ledger as Prometheus text (format 0.0.4), every metric of METRICS that has a value."""
    now = time.time() if now is None else now
    usage, fallbacks, quotas = ledger.totals()
    spent, budgets, _ = budget_state(ledger, settings, now)
    samples = {name: [] for name in METRICS}
    by_model = {}
    for model, initiator, requests, inputs, cached, output, credits in usage:
        samples["litellm_copilot_requests_total"].append(((("model", model), ("initiator", initiator)), requests))
        totals = by_model.setdefault(model, [0, 0, 0, 0.0])
        for index, amount in enumerate((inputs, cached, output, credits)):
            totals[index] += amount
    for model, (inputs, cached, output, credits) in sorted(by_model.items()):
        samples["litellm_copilot_credits_total"].append(((("model", model),), credits))
        for kind, amount in zip(KINDS, (inputs, cached, output)):
            samples["litellm_copilot_tokens_total"].append(((("model", model), ("kind", kind)), amount))
    for reason, count in fallbacks:
        samples["litellm_copilot_fallbacks_total"].append(((("reason", reason),), count))
    for quota, entitlement, percent, reset in quotas:
        snap = {"entitlement": entitlement, "percent": percent if percent is not None else 0.0}
        samples["litellm_copilot_quota_remaining_ratio"].append(((("quota", quota),), remaining_ratio(snap)))
        if reset is not None:
            samples["litellm_copilot_quota_reset_timestamp_seconds"].append(((("quota", quota),), reset))
    for period in PERIODS:
        samples["litellm_copilot_spend_credits"].append(((("period", period),), spent[period]))
    for period, budget, remaining in budgets:
        samples["litellm_copilot_budget_credits"].append(((("period", period),), budget))
        samples["litellm_copilot_budget_remaining_credits"].append(((("period", period),), remaining))
    samples["litellm_copilot_billing_info"].append(((("billing", settings.get("billing", "credits")),), 1))
    lines = []
    for name, (kind, _, text) in METRICS.items():
        if samples[name]:
            lines += ["# HELP %s %s" % (name, text), "# TYPE %s %s" % (name, kind)]
            lines += [_sample(name, labels, value) for labels, value in samples[name]]
    return "\n".join(lines) + "\n"


def load_settings(directory):
    """The role's settings for the meter (copilot_meter.json in the config directory)."""
    with open(os.path.join(directory, SETTINGS_FILE), encoding="utf-8") as handle:
        settings = json.load(handle)
    if not isinstance(settings, dict) or not isinstance(settings.get("ledger"), str):
        raise ValueError("%s: not the role's meter settings" % SETTINGS_FILE)
    return settings


def _initiator_rule(directory):
    """The request shaper's rule of who started a request (``initiator(body)``), loaded from its
    file next to this one; without the shaper every request counts as a person's."""
    path = os.path.join(directory, "copilot_shaper.py")
    if not os.path.isfile(path):
        return lambda body: "user"
    spec = importlib.util.spec_from_file_location("copilot_meter_shaper_rule", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.initiator


# --- The LiteLLM hooks ---------------------------------------------------------------------------
# One dict per proxy request, made by the first hook; the router, the header hook and the success
# logging of that request run in copies of the request's context and share it.
_REQUEST = contextvars.ContextVar("copilot_meter_request", default=None)

try:  # the LiteLLM side; absent when unit tests import this file on their own
    import litellm
    from litellm.integrations.custom_logger import CustomLogger
except ImportError:  # pragma: no cover - exercised only without LiteLLM
    CustomLogger = None

if CustomLogger is not None:

    class CopilotMeter(CustomLogger):
        """Meters answers, keeps the quota, refuses spent budgets and gates the fallback."""

        def __init__(self, directory):
            super().__init__()
            self.settings = load_settings(directory)
            self.ledger = Ledger(self.settings["ledger"])
            self.rates = self.settings.get("models") or {}
            self.initiator = _initiator_rule(directory)

        async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):
            try:
                _REQUEST.set({"initiator": self.initiator(data)})
            except Exception as error:  # pylint: disable=broad-except
                _LOG.warning("copilot_meter: initiator not read (%s)", type(error).__name__)
                _REQUEST.set({"initiator": "user"})
            return data

        async def async_filter_deployments(self, model, healthy_deployments, messages,
                                           request_kwargs=None, parent_otel_span=None):
            request = _REQUEST.get()
            request = request if isinstance(request, dict) else {}
            reason = fallback_reason(request_kwargs, budget_refused=request.get("budget_refused", False))
            if reason is False:
                # Raised, not an empty list: the router then answers with the original error and
                # its status (an empty list becomes a 429 "no deployments available" of its own).
                raise litellm.BadRequestError(
                    message="not tried: the fallback answers only a spent allowance or budget",
                    model=model, llm_provider="github_copilot")
            if reason:
                request["fallback"] = reason
            if reason is None and self.settings.get("budgets"):
                await self._refuse_when_spent(model, healthy_deployments, request)
            return healthy_deployments

        async def _refuse_when_spent(self, model, deployments, request):
            copilot_id = _copilot_id(deployments)
            if copilot_id is None or not costs_credits(rates_for(copilot_id, self.rates)):
                return
            try:
                _, budgets, _ = await asyncio.to_thread(budget_state, self.ledger, self.settings, time.time())
            except Exception as error:  # pylint: disable=broad-except
                _LOG.warning("copilot_meter: budget not read (%s); request let through", type(error).__name__)
                return
            spent = spent_budget(budgets)
            if spent is not None:
                # A 429 the router does not retry (the role sets RateLimitErrorRetries: 0 with a
                # budget): the fallback, when there is one, answers at once.
                request["budget_refused"] = True
                raise litellm.RateLimitError(message=budget_message(spent[0], spent[1]),
                                             model=model, llm_provider="github_copilot")

        async def async_post_call_response_headers_hook(self, data, user_api_key_dict, response,
                                                        request_headers=None, litellm_call_info=None):
            request = _REQUEST.get()
            if not isinstance(request, dict):
                return None
            # A stream's headers reach only this hook (its success logging has none): keep them.
            hidden = getattr(response, "_hidden_params", None)
            if isinstance(hidden, dict):
                found = snapshots_in(hidden.get("additional_headers"))
                if found:
                    request["snapshots"] = found
            reason = request.get("fallback")
            return {FALLBACK_HEADER: reason} if reason else None

        async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
            try:
                await asyncio.to_thread(self._record, kwargs, response_obj)
            except Exception as error:  # pylint: disable=broad-except
                _LOG.warning("copilot_meter: answer not metered (%s)", type(error).__name__)

        def _record(self, kwargs, response_obj):
            logged = kwargs.get("standard_logging_object") or {}
            model = str(logged.get("model") or kwargs.get("model") or "")
            model = model.split("/", 1)[1] if model.startswith("github_copilot/") else model
            if not model:
                return
            tokens = tokens_of(_field(response_obj, "usage"))
            request = _REQUEST.get() if isinstance(_REQUEST.get(), dict) else {}
            headers = (logged.get("hidden_params") or {}).get("additional_headers")
            snapshots = snapshots_in(headers) or request.get("snapshots") or {}
            fallback = request.pop("fallback", None)  # counted once per request
            now = time.time()
            self.ledger.record(local_day(now), model, request.get("initiator", "user"), tokens,
                               credits_for(tokens, rates_for(model, self.rates)),
                               snapshots=snapshots, fallback=fallback, seen=now)

    def _copilot_id(deployments):
        """The Copilot model id the router is about to call (all deployments of a group are one model)."""
        for deployment in deployments or ():
            model = ((deployment or {}).get("litellm_params") or {}).get("model")
            if isinstance(model, str):
                return model.split("/", 1)[1] if model.startswith("github_copilot/") else model
        return None

    meter = CopilotMeter(os.path.dirname(os.path.abspath(__file__)))
