"""GitHub accounts, the Copilot tokens exchanged for them, and their quota.

A GitHub token (`gho_…`) identifies an `Account`.  Exchanging it at
`/copilot_internal/v2/token` issues a short-lived Copilot token that is bound
to the account's plan; the Copilot API accepts only such tokens.

Since 2026-06-01 Copilot bills monthly plans in AI credits by the token
(`billing == "credits"`); annual seats bought before keep premium requests
(`"premium_requests"`).  The built-in accounts are such annual seats, so the
premium-request behaviour stays what it was; new accounts get credits.  What a
request costs is `billing.py`'s business; this module holds the balances and
reports them (`premium_snapshot`).
"""

import datetime
import hashlib
import hmac
import secrets
import string
import time
from dataclasses import dataclass, field

from .wire import fingerprint

# Built-in GitHub tokens, one per kind of account.
INDIVIDUAL_TOKEN = "gho_0upwQmFbMbl2HhFQ8qgPIfQU8M21Yg4B1AG9"
BUSINESS_TOKEN = "gho_LOPqseFsQ0nBhb9OnUa3oHR55Dm40EQDxDi2"
ENTERPRISE_TOKEN = "gho_gZDds4ALMuqApJb7OQvBeZJzRNAgFYRCHl4U"
NO_COPILOT_TOKEN = "gho_fCqCmWFKa04hiQiQWNXEAtYyPExG1Bj70tvJ"
# Well-formed, but never issued: the simulator answers it with 401 Bad credentials.
UNKNOWN_TOKEN = "gho_ThisTokenIsNotKnownToTheSimulator0001"

PLANS = ("individual", "business", "enterprise")

# Per plan: token `sku`, `access_type_sku` of /copilot_internal/user, and the
# monthly premium request entitlement.
PLAN_SKU = {
    "individual": "monthly_subscriber_quota",
    "business": "copilot_for_business_seat_quota",
    "enterprise": "copilot_enterprise_seat_quota",
}
PLAN_ACCESS_SKU = {
    "individual": "monthly_subscriber",
    "business": "copilot_for_business_seat",
    "enterprise": "copilot_enterprise_seat",
}
PLAN_ENTITLEMENT = {"individual": 300, "business": 300, "enterprise": 1000}
# Monthly allowance of a credit seat, in AI credits (1 credit = USD 0.01): the plan's price.
PLAN_CREDITS = {"individual": 1000, "business": 1900, "enterprise": 3900}
# Copilot reports credit quotas (headers, /copilot_internal/user) in 1/10000 credit, a micro-dollar.
CREDIT_UNITS = 10000
BILLING_KINDS = ("credits", "premium_requests")

_TOKEN_ALPHABET = string.ascii_letters + string.digits


def new_github_token():
    return "gho_" + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(36))


@dataclass
class Account:
    github_token: str
    login: str
    plan: str
    copilot: bool = True  # False: a GitHub user without a Copilot seat
    revoked: bool = False
    premium_remaining: float = None  # None: the full entitlement
    billing: str = "credits"  # or "premium_requests" (annual seats)
    credits_remaining: float = None  # credit seats; None: the plan's monthly allowance
    overage_permitted: bool = False  # credit seats: keep serving, billed as overage, once spent
    overage: float = 0.0  # credits billed beyond the allowance
    credits_spent: float = 0.0  # credits charged this month (allowance and overage)
    bill: dict = field(default_factory=dict)  # model id -> requests, token counts, credits

    def __post_init__(self):
        if self.premium_remaining is None:
            self.premium_remaining = float(PLAN_ENTITLEMENT[self.plan])
        if self.credits_remaining is None:
            self.credits_remaining = float(PLAN_CREDITS[self.plan])

    @property
    def sku(self):
        return PLAN_SKU[self.plan]

    @property
    def individual(self):
        return self.plan == "individual"

    @property
    def tracking_id(self):
        """Stable per-user analytics id, as GitHub hands out."""
        return hashlib.sha256(self.login.encode()).hexdigest()[:32]


@dataclass
class CopilotToken:
    github_token: str  # the token it was exchanged for
    plan: str
    expires_at: float  # unix seconds (float, exact)


class AccountStore:
    """Accounts by GitHub token, and issued Copilot tokens."""

    def __init__(self):
        self._signing_key = secrets.token_bytes(32)
        self.reset()

    def reset(self):
        """Only the built-in accounts; no Copilot token issued yet."""
        self.accounts = {}
        self.copilot_tokens = {}
        self._device_users = 0
        # Annual seats bought before credits: premium requests, as the existing tests count them.
        annual = {"billing": "premium_requests"}
        self.add(INDIVIDUAL_TOKEN, "individual", login="sim-individual", **annual)
        self.add(BUSINESS_TOKEN, "business", login="sim-business", **annual)
        self.add(ENTERPRISE_TOKEN, "enterprise", login="sim-enterprise", **annual)
        self.add(NO_COPILOT_TOKEN, "individual", login="sim-no-copilot", copilot=False, **annual)

    def add(self, github_token, plan, login=None, copilot=True, premium_remaining=None,
            billing="credits", credits_remaining=None, overage_permitted=False):
        """Add or replace an account (replacing also lifts a revocation and starts a new bill)."""
        account = Account(github_token, login or "sim-user-" + fingerprint(github_token)[7:15],
                          plan, copilot, premium_remaining=premium_remaining, billing=billing,
                          credits_remaining=credits_remaining, overage_permitted=overage_permitted)
        self.accounts[github_token] = account
        return account

    def add_device_user(self):
        """A new individual account for a completed device-flow sign-in."""
        self._device_users += 1
        return self.add(new_github_token(), "individual", login=f"sim-device-user-{self._device_users}")

    def revoke(self, github_token):
        """Revoke a GitHub token; its Copilot tokens die with it.  False if unknown."""
        account = self.accounts.get(github_token)
        if account is None:
            return False
        account.revoked = True
        self.copilot_tokens = {token: issued for token, issued in self.copilot_tokens.items()
                               if issued.github_token != github_token}
        return True

    def github_account(self, github_token):
        """The live account for a GitHub token, or None (bad credentials)."""
        account = self.accounts.get(github_token)
        if account is None or account.revoked:
            return None
        return account

    def issue_copilot_token(self, account, ttl):
        """A new, unique Copilot token in the real `tid=…;exp=…:sig` format."""
        expires_at = time.time() + ttl
        fields = (f"tid={secrets.token_hex(16)};exp={int(expires_at)};sku={account.sku};"
                  f"proxy-ep=proxy.{account.plan}.githubcopilot.com;st=dotcom;chat=1")
        signature = hmac.new(self._signing_key, fields.encode(), "sha256").hexdigest()
        token = f"{fields}:{signature}"
        self.copilot_tokens[token] = CopilotToken(account.github_token, account.plan, expires_at)
        return token, expires_at

    def check_copilot_token(self, token):
        """(account, plan, None) for a usable Copilot token, else
        (None, None, reason) with reason "invalid token" or "token expired"."""
        issued = self.copilot_tokens.get(token)
        account = self.github_account(issued.github_token) if issued else None
        if account is None or not account.copilot:
            return None, None, "invalid token"
        if time.time() >= issued.expires_at:
            return None, None, "token expired"
        return account, issued.plan, None


def quota_reset_date(today=None):
    """First day of next month: when premium quotas reset."""
    today = today or datetime.date.today()
    if today.month == 12:
        return datetime.date(today.year + 1, 1, 1)
    return datetime.date(today.year, today.month + 1, 1)


def _number(value):
    """A quota figure as JSON would show it: whole numbers as ints."""
    value = round(value, 2)
    return int(value) if value == int(value) else value


def _unlimited_snapshot(quota_id):
    return {
        "entitlement": 0,
        "overage_count": 0,
        "overage_permitted": False,
        "percent_remaining": 100.0,
        "quota_id": quota_id,
        "quota_remaining": 0,
        "remaining": 0,
        "unlimited": True,
    }


def premium_snapshot(account):
    """The `premium_interactions` figures Copilot reports, in the response headers and the user
    report alike: premium requests on annual seats; on credit seats 1/10000-credit units
    (`CREDIT_UNITS`), so a Pro seat's 1000 credits read 10000000."""
    if account.billing == "credits":
        entitlement = PLAN_CREDITS[account.plan] * CREDIT_UNITS
        remaining = round(max(account.credits_remaining, 0.0) * CREDIT_UNITS, 1)
        return {"entitlement": entitlement, "remaining": remaining,
                "overage_count": round(account.overage * CREDIT_UNITS, 1),
                "overage_permitted": account.overage_permitted,
                "percent_remaining": round(100.0 * remaining / entitlement, 1)}
    entitlement = PLAN_ENTITLEMENT[account.plan]
    remaining = max(account.premium_remaining, 0.0)
    return {"entitlement": entitlement, "remaining": round(remaining, 2), "overage_count": 0,
            "overage_permitted": False, "percent_remaining": round(100.0 * remaining / entitlement, 1)}


def user_info(account, endpoints):
    """Body of `GET /copilot_internal/user` for an account."""
    premium = premium_snapshot(account)
    reset = quota_reset_date()
    return {
        "login": account.login,
        "access_type_sku": PLAN_ACCESS_SKU[account.plan],
        "analytics_tracking_id": account.tracking_id,
        "assigned_date": "2025-01-15T10:00:00Z",
        "can_signup_for_limited": False,
        "chat_enabled": True,
        "copilot_plan": account.plan,
        "organization_login_list": [] if account.individual else ["sim-org"],
        "endpoints": endpoints,
        "quota_reset_date": reset.isoformat(),
        "quota_reset_date_utc": reset.isoformat() + "T00:00:00.000Z",
        "quota_snapshots": {
            "chat": _unlimited_snapshot("chat"),
            "completions": _unlimited_snapshot("completions"),
            "premium_interactions": {
                "entitlement": premium["entitlement"],
                "overage_count": _number(premium["overage_count"]),
                "overage_permitted": premium["overage_permitted"],
                "percent_remaining": premium["percent_remaining"],
                "quota_id": "premium_interactions",
                "quota_remaining": _number(premium["remaining"]),
                "remaining": _number(premium["remaining"]),
                "unlimited": False,
            },
        },
    }
