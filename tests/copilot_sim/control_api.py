"""The `/_sim/…` control API: no authentication, JSON in and out.

Tests use it to inject faults, manage accounts and their billing, script the
device flow, change the token lifetime, edit the model catalog, read the
request log and a seat's bill, and reset everything.
"""

from . import billing
from .accounts import BILLING_KINDS, PLANS
from .faults import Fault
from .wire import fingerprint, json_response


def _bad_request(message):
    return json_response(400, {"error": message})


def _object_body(request):
    body = request.json()
    return body if isinstance(body, dict) else None


def health(state, request):
    return json_response(200, {"status": "ok"})


def reset(state, request):
    state.reset()
    return json_response(200, {"status": "reset"})


def list_faults(state, request):
    return json_response(200, {"faults": state.faults.to_json()})


def add_fault(state, request):
    try:
        fault = Fault.from_json(request.json())
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    state.faults.add(fault)
    return json_response(201, {"fault": fault.to_json(), "active": len(state.faults.faults)})


def clear_faults(state, request):
    state.faults.clear()
    return json_response(200, {"faults": []})


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _billing_error(body):
    """What is wrong with the billing fields of a control API body, or None."""
    if "billing" in body and body["billing"] not in BILLING_KINDS:
        return f"billing must be one of {', '.join(BILLING_KINDS)}"
    for name in ("premium_remaining", "credits_remaining"):
        if body.get(name) is not None and not _is_number(body[name]):
            return f"{name} must be a number"
    if body.get("credits_remaining") is not None and body["credits_remaining"] < 0:
        return "credits_remaining must not be negative"
    if "overage_permitted" in body and not isinstance(body["overage_permitted"], bool):
        return "overage_permitted must be true or false"
    return None


def add_account(state, request):
    """A new account pays credits, unless `billing` says otherwise or the body sets
    `premium_remaining` (only annual seats count premium requests)."""
    body = _object_body(request)
    if body is None or not isinstance(body.get("token"), str) or not body["token"]:
        return _bad_request("body must be an object with a non-empty string 'token'")
    plan = body.get("plan", "individual")
    if plan not in PLANS:
        return _bad_request(f"plan must be one of {', '.join(PLANS)}")
    error = _billing_error(body)
    if error:
        return _bad_request(error)
    remaining = body.get("premium_remaining")
    kind = body.get("billing") or ("premium_requests" if remaining is not None else "credits")
    account = state.accounts.add(body["token"], plan, login=body.get("login"),
                                 copilot=bool(body.get("copilot", True)), premium_remaining=remaining,
                                 billing=kind, credits_remaining=body.get("credits_remaining"),
                                 overage_permitted=body.get("overage_permitted", False))
    return json_response(201, {"login": account.login, "plan": account.plan, "copilot": account.copilot,
                               "billing": account.billing, "token": fingerprint(account.github_token)})


def set_billing(state, request):
    """Change an account's billing in place (its bill is kept): kind, credits or premium
    requests left, overage.  Nothing changes if any field is invalid."""
    body = _object_body(request)
    if body is None or not isinstance(body.get("token"), str):
        return _bad_request("body must be an object with a string 'token'")
    account = state.accounts.accounts.get(body["token"])
    if account is None:
        return json_response(404, {"error": "unknown token"})
    error = _billing_error(body)
    if error:
        return _bad_request(error)
    for name in ("billing", "credits_remaining", "overage_permitted", "premium_remaining"):
        if body.get(name) is not None:
            setattr(account, name, float(body[name]) if _is_number(body[name]) else body[name])
    return json_response(200, billing.billing_state(account))


def get_bill(state, request):
    """What a seat (`?token=<GitHub token>`) was charged, and the tokens of its answers."""
    account = state.accounts.accounts.get(request.query.get("token", ""))
    if account is None:
        return json_response(404, {"error": "unknown token"})
    return json_response(200, billing.bill(account))


def revoke(state, request):
    body = _object_body(request)
    if body is None or not isinstance(body.get("token"), str):
        return _bad_request("body must be an object with a string 'token'")
    if not state.accounts.revoke(body["token"]):
        return json_response(404, {"error": "unknown token"})
    return json_response(200, {"revoked": fingerprint(body["token"])})


def device(state, request):
    body = _object_body(request)
    if body is None:
        return _bad_request("body must be a JSON object")
    try:
        if "script" in body:
            if not isinstance(body["script"], list):
                raise ValueError("script must be a list")
            state.device_flow.set_script(body["script"])
        if "enforce_interval" in body:
            state.config.update({"enforce_interval": body["enforce_interval"]})
    except ValueError as exc:
        return _bad_request(str(exc))
    return json_response(200, {"script": state.device_flow.next_script,
                               "enforce_interval": state.config.enforce_interval})


def config(state, request):
    body = _object_body(request)
    if body is None:
        return _bad_request("body must be a JSON object")
    try:
        state.config.update(body)
    except ValueError as exc:
        return _bad_request(str(exc))
    return json_response(200, state.config.to_json())


def get_config(state, request):
    return json_response(200, state.config.to_json())


def models(state, request):
    """Edit the catalog: `reset` first, then `remove`, then `add` (replacing
    entries with the same id)."""
    body = _object_body(request)
    if body is None:
        return _bad_request("body must be a JSON object")
    added = body.get("add") or []
    removed = body.get("remove") or []
    if not all(isinstance(m, dict) and isinstance(m.get("id"), str) for m in added):
        return _bad_request("'add' must be a list of model objects with a string 'id'")
    if not all(isinstance(model_id, str) for model_id in removed):
        return _bad_request("'remove' must be a list of model ids")
    if body.get("reset"):
        state.catalog.reset()
    for model_id in removed:
        state.catalog.remove(model_id)
    for model in added:
        state.catalog.add(model)
    return json_response(200, {"models": state.catalog.ids()})


def list_requests(state, request):
    return json_response(200, {"requests": state.requests.matching(request.query.get("path"))})


def clear_requests(state, request):
    state.requests.clear()
    return json_response(200, {"requests": []})
