"""The github.com / api.github.com side: device flow sign-in, the Copilot
token exchange, and the Copilot user/quota report.

Every handler takes `(state, request)` and returns a `wire.Response`.
"""

import html

from . import accounts
from .device_flow import ERROR_DESCRIPTIONS, ERROR_URI, EXPIRES_IN
from .wire import form_response, html_response, json_response

DOCS_URL = "https://docs.github.com/rest"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def copilot_endpoints(base_url, plan):
    """The `endpoints` block of a token: per-plan hosts on the real service,
    per-plan path prefixes here."""
    return {
        "api": f"{base_url}/copilot/{plan}",
        "origin-tracker": f"{base_url}/origin-tracker/{plan}",
        "proxy": f"{base_url}/proxy/{plan}",
        "telemetry": f"{base_url}/telemetry/{plan}",
    }


def _github_error(status, message, **extra):
    return json_response(status, {"message": message, "documentation_url": DOCS_URL,
                                  "status": str(status), **extra})


def _github_token(request):
    """The token from `Authorization: token <t>` (or `Bearer <t>`), or None."""
    scheme, _, credential = request.header("authorization", "").partition(" ")
    if scheme.lower() in ("token", "bearer") and credential.strip():
        return credential.strip()
    return None


def _authenticate(state, request):
    """(account, None) for a live GitHub token, else (None, 401 response)."""
    token = _github_token(request)
    if token is None:
        return None, _github_error(401, "Requires authentication")
    account = state.accounts.github_account(token)
    if account is None:
        return None, _github_error(401, "Bad credentials")
    return account, None


def _oauth_answer(request, fields):
    """OAuth endpoints answer JSON only when asked to, form-encoded otherwise."""
    if request.wants_json():
        return json_response(200, fields)
    return form_response(200, fields)


def _oauth_error(request, error, **extra):
    return _oauth_answer(request, {"error": error, "error_description": ERROR_DESCRIPTIONS[error],
                                   "error_uri": ERROR_URI, **extra})


def device_code(state, request):
    """POST /login/device/code: start a device flow sign-in."""
    params = request.params()
    if params.get("client_id") != state.config.client_id:
        return json_response(404, {"error": "Not Found"})
    code = state.device_flow.start(state.config.device_interval)
    return _oauth_answer(request, {
        "device_code": code.device_code,
        "user_code": code.user_code,
        "verification_uri": f"{state.base_url(request)}/login/device",
        "expires_in": EXPIRES_IN,
        "interval": code.interval,
    })


def device_page(state, request):
    """GET /login/device: where a human would type the user code."""
    codes = "".join(f"<li><code>{html.escape(c.user_code)}</code></li>"
                    for c in state.device_flow.codes.values())
    return html_response(200, (
        "<!DOCTYPE html><html><head><title>Device Activation - Copilot simulator</title></head>"
        "<body><h1>Device Activation</h1>"
        "<p>Enter the code displayed on your device. In the simulator, sign-in follows the "
        "script set with <code>POST /_sim/device</code>; nothing needs to be typed here.</p>"
        f"<p>Pending codes:</p><ul>{codes}</ul></body></html>"))


def access_token(state, request):
    """POST /login/oauth/access_token: one poll of a device flow sign-in."""
    params = request.params()
    if params.get("client_id") != state.config.client_id:
        return _oauth_error(request, "incorrect_client_credentials")
    if params.get("grant_type") != DEVICE_GRANT:
        return _oauth_error(request, "unsupported_grant_type")
    device_code_value = params.get("device_code", "")
    outcome = state.device_flow.poll(device_code_value, state.config.enforce_interval)
    if outcome == "success":
        account = state.accounts.add_device_user()
        return _oauth_answer(request, {"access_token": account.github_token,
                                       "token_type": "bearer", "scope": "read:user"})
    if outcome == "slow_down":
        return _oauth_error(request, "slow_down",
                            interval=state.device_flow.interval_of(device_code_value))
    return _oauth_error(request, outcome)


def copilot_token(state, request):
    """GET /copilot_internal/v2/token: exchange a GitHub token for a Copilot token."""
    account, error = _authenticate(state, request)
    if error:
        return error
    if not account.copilot:
        return _github_error(403, "Resource not accessible by integration", error_details={
            "url": "https://github.com/features/copilot",
            "message": f"No access to GitHub Copilot found. You are currently logged in as {account.login}.",
            "title": "Upgrade to GitHub Copilot",
            "notification_id": "no_copilot_access",
        })
    ttl = state.config.token_ttl
    token, expires_at = state.accounts.issue_copilot_token(account, ttl)
    return json_response(200, {
        "token": token,
        "expires_at": int(expires_at),
        "refresh_in": max(ttl - 300, ttl // 2),
        "endpoints": copilot_endpoints(state.base_url(request), account.plan),
        "sku": account.sku,
        "individual": account.individual,
        "chat_enabled": True,
        "chat_jetbrains_enabled": True,
        "code_quote_enabled": True,
        "code_review_enabled": False,
        "codesearch": True,
        "copilotignore_enabled": not account.individual,
        "annotations_enabled": True,
        "blackbird_clientside_indexing": False,
        "limited_user_quotas": None,
        "limited_user_reset_date": None,
        "prompt_8k": True,
        "public_suggestions": "disabled" if account.individual else "enabled",
        "telemetry": "disabled" if account.individual else "enabled",
        "tracking_id": account.tracking_id,
        "vsc_electron_fetcher_v2": False,
        "xcode": True,
        "xcode_chat": False,
    })


def copilot_user(state, request):
    """GET /copilot_internal/user: plan and quota report for a GitHub token."""
    account, error = _authenticate(state, request)
    if error:
        return error
    if not account.copilot:
        return _github_error(404, "Not Found")
    endpoints = copilot_endpoints(state.base_url(request), account.plan)
    return json_response(200, accounts.user_info(account, endpoints))
