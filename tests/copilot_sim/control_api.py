"""The `/_sim/…` control API: no authentication, JSON in and out.

Tests use it to inject faults, manage accounts, script the device flow,
change the token lifetime, edit the model catalog, read the request log and
reset everything.
"""

from .accounts import PLANS
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


def add_account(state, request):
    body = _object_body(request)
    if body is None or not isinstance(body.get("token"), str) or not body["token"]:
        return _bad_request("body must be an object with a non-empty string 'token'")
    plan = body.get("plan", "individual")
    if plan not in PLANS:
        return _bad_request(f"plan must be one of {', '.join(PLANS)}")
    remaining = body.get("premium_remaining")
    if remaining is not None and not isinstance(remaining, (int, float)):
        return _bad_request("premium_remaining must be a number")
    account = state.accounts.add(body["token"], plan, login=body.get("login"),
                                 copilot=bool(body.get("copilot", True)), premium_remaining=remaining)
    return json_response(201, {"login": account.login, "plan": account.plan, "copilot": account.copilot,
                               "token": fingerprint(account.github_token)})


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
