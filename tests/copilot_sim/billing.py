"""What an answered request costs the seat, its bill, and the quota snapshot headers.

Two kinds of seats (`Account.billing`, see accounts.py):

* `"premium_requests"` (annual seats bought before 2026-06-01): a premium model's request
  costs its multiplier, a turn marked `X-Initiator: agent` is free, and a request costing
  more than is left is refused with 402.
* `"credits"` (monthly plans since 2026-06-01): a request costs AI credits by its tokens at
  the model's rates (`catalog.RATES`, credits per million tokens); `X-Initiator` does not
  matter.  Once the allowance is spent, models with a price get 402 unless overage is
  permitted; included models, free at any balance, keep answering.

Both kinds record every answered request's tokens in the account's bill.
"""

import urllib.parse
from dataclasses import dataclass

from .accounts import PLAN_CREDITS, premium_snapshot, quota_reset_date


@dataclass
class Usage:
    """The tokens of one answer, as the vendor APIs report them."""

    input: int  # every prompt token, cached or not
    output: int
    cache_read: int = 0  # read from the prompt cache (billed at the cached-input rate)
    cache_creation: int = 0  # written to it (Anthropic; billed as input)

    @property
    def uncached_input(self):
        """Input billed at the full input rate, cache writes included."""
        return self.input - self.cache_read


def credits(rates, usage):
    """The cost of an answer in credits: its tokens at the rates (credits per million tokens)."""
    return (usage.uncached_input * rates["input"] + usage.cache_read * rates["cached_input"]
            + usage.output * rates["output"]) / 1e6


def premium_cost(model, initiator):
    """Premium requests an annual seat pays: the multiplier of a premium model, nothing for an
    agent-initiated turn (no header counts as a person's)."""
    billing = model.get("billing") or {}
    cost = billing.get("multiplier", 0) if billing.get("is_premium") else 0
    return 0 if initiator.lower() == "agent" else cost


def refused(account, model, rates, initiator):
    """Whether Copilot refuses the request with 402 before answering it.

    A credit seat is refused only once nothing is left (the cost of an answer is not known
    before it is written); an annual seat when the multiplier exceeds what is left."""
    if account.billing == "credits":
        return any(rates.values()) and account.credits_remaining <= 0 and not account.overage_permitted
    cost = premium_cost(model, initiator)
    return bool(cost) and account.premium_remaining < cost


def charge(account, model, rates, usage, initiator):
    """Bill an answered request to its seat and record its tokens in the bill."""
    charged = 0.0
    if account.billing == "credits":
        charged = _spend_credits(account, credits(rates, usage))
    else:
        account.premium_remaining -= premium_cost(model, initiator)
    account.credits_spent += charged
    line = account.bill.setdefault(model["id"], {"requests": 0, "input": 0, "cached_input": 0,
                                                 "output": 0, "credits": 0.0})
    line["requests"] += 1
    line["input"] += usage.uncached_input
    line["cached_input"] += usage.cache_read
    line["output"] += usage.output
    line["credits"] += charged


def _spend_credits(account, cost):
    """Deduct a cost from the allowance; returns the credits charged.  Beyond the allowance the
    rest is overage when permitted, else it is simply not charged (the answer was already given)."""
    if cost <= account.credits_remaining:
        account.credits_remaining -= cost
        return cost
    left = max(account.credits_remaining, 0.0)
    account.credits_remaining = 0.0
    if account.overage_permitted:
        account.overage += cost - left
        return cost
    return left


def _credits(value):
    """Credits as the control API shows them: rounded far below any price (a token of the
    cheapest model costs 2e-6 credits) so that float noise such as 997.9690850000001 goes."""
    return round(value, 9)


def billing_state(account):
    """The account's balances, as the control API shows them."""
    return {
        "billing": account.billing,
        "credits_allowance": PLAN_CREDITS[account.plan],
        "credits_remaining": _credits(account.credits_remaining),
        "overage": _credits(account.overage),
        "overage_permitted": account.overage_permitted,
        "premium_remaining": account.premium_remaining,
    }


def bill(account):
    """`GET /_sim/bill`: what the seat was charged, and the tokens of every answered request."""
    return {**billing_state(account), "credits_spent": _credits(account.credits_spent),
            "models": {model_id: {**line, "credits": _credits(line["credits"])}
                       for model_id, line in account.bill.items()}}


def _snapshot_header(entitlement, overage, overage_permitted, percent_remaining, reset, remaining):
    """One `x-quota-snapshot-*` value, form-encoded like Copilot's (the reset date's colons
    become %3A)."""
    return urllib.parse.urlencode([
        ("ent", entitlement), ("ov", float(overage)), ("ovPerm", "true" if overage_permitted else "false"),
        ("rem", float(percent_remaining)), ("rst", reset), ("totRem", remaining)])


def quota_headers(account):
    """The quota snapshot headers of a successful answer, the state after it was billed:
    `premium_interactions` as `premium_snapshot` counts it, `chat` unlimited (-1)."""
    premium = premium_snapshot(account)
    reset = quota_reset_date().isoformat() + "T00:00:00Z"
    return {
        "x-quota-snapshot-premium_interactions": _snapshot_header(
            premium["entitlement"], premium["overage_count"], premium["overage_permitted"],
            premium["percent_remaining"], reset, float(premium["remaining"])),
        "x-quota-snapshot-chat": _snapshot_header(-1, 0.0, False, 100.0, reset, -1),
    }
