"""The api.githubcopilot.com side, served under `/copilot/<plan>/…`.

Every request passes the same gate as on the real service: a live Copilot
token issued for this plan, an `editor-version` header, a known model that
the endpoint serves and the policy allows, the vision header when images are
sent, and premium quota.  Then one of the API modules renders the answer.
"""

from . import anthropic_messages, embeddings, openai_chat, openai_responses
from .answers import answer, estimate_tokens
from .wire import json_response, text_response

# Inference APIs: path under the plan prefix -> (endpoint name as listed in
# `supported_endpoints`, module, body field that must be present).
INFERENCE_APIS = {
    "chat/completions": ("/chat/completions", openai_chat, "messages"),
    "responses": ("/responses", openai_responses, "input"),
    "v1/messages": ("/v1/messages", anthropic_messages, "messages"),
}
# Where models without `supported_endpoints` (older entries) may be used.
DEFAULT_ENDPOINTS = {"chat": ("/chat/completions", "/responses"), "embeddings": ("/embeddings",)}
IMAGE_PART_TYPES = ("image_url", "image", "input_image")


def _error(status, message, code, **extra):
    return json_response(status, {"error": {"message": message, "code": code, **extra}})


def _authorize(state, request, plan):
    """(the token's account, None), or (None, the rejection)."""
    scheme, _, token = request.header("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, text_response(401, "unauthorized: missing or malformed authorization header\n")
    account, token_plan, reason = state.accounts.check_copilot_token(token.strip())
    if account is None:
        return None, text_response(401, f"unauthorized: {reason}\n")
    if token_plan != plan:
        return None, text_response(401, "unauthorized: token is not valid for this API endpoint\n")
    if not request.header("editor-version"):
        return None, text_response(400, "bad request: missing Editor-Version header for IDE auth\n")
    return account, None


def _check_model(state, model_id, endpoint):
    """(model, None) if the model may serve this endpoint, else (None, rejection)."""
    model = state.catalog.get(model_id) if isinstance(model_id, str) else None
    if model is None:
        return None, _error(400, "The requested model is not supported.", "model_not_supported",
                            param="model", type="invalid_request_error")
    kind = (model.get("capabilities") or {}).get("type", "chat")
    served = model.get("supported_endpoints") or DEFAULT_ENDPOINTS.get(kind, ())
    if endpoint not in served:
        return None, _error(400, f'model "{model_id}" is not accessible via the {endpoint} endpoint',
                            "unsupported_api_for_model")
    policy = (model.get("policy") or {}).get("state", "enabled")
    if policy != "enabled":
        return None, _error(403, f'model "{model_id}" is {policy} by your Copilot policy settings; '
                                 "an administrator (or you, for personal plans) must enable it "
                                 "at https://github.com/settings/copilot/features",
                            f"model_policy_{policy}")
    return model, None


def _contains_image(value):
    """Whether a message tree holds an image part in any of the three shapes."""
    if isinstance(value, dict):
        return value.get("type") in IMAGE_PART_TYPES or any(_contains_image(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_image(v) for v in value)
    return False


def _json_body(request):
    body = request.json()
    if not isinstance(body, dict):
        return None, _error(400, "Invalid request body: expected a JSON object", "invalid_request_body")
    return body, None


def models(state, request, plan):
    """GET /models: the catalog."""
    _, rejection = _authorize(state, request, plan)
    return rejection or json_response(200, state.catalog.listing())


def inference(state, request, plan, api):
    """POST /chat/completions, /responses or /v1/messages."""
    endpoint, module, required_field = INFERENCE_APIS[api]
    account, rejection = _authorize(state, request, plan)
    if rejection:
        return rejection
    body, rejection = _json_body(request)
    if rejection:
        return rejection
    model, rejection = _check_model(state, body.get("model"), endpoint)
    if rejection:
        return rejection
    if not body.get(required_field):
        return _error(400, f"Invalid request body: '{required_field}' is required", "invalid_request_body")
    conversation_input = [body.get("messages"), body.get("input"), body.get("system")]
    if _contains_image(conversation_input) and request.header("copilot-vision-request", "").lower() != "true":
        return _error(400, "missing required Copilot-Vision-Request header for vision requests", "")

    # Premium requests cost `multiplier` from the monthly allowance, unless
    # the client marks the turn as agent-initiated.
    billing = model.get("billing") or {}
    cost = billing.get("multiplier", 0) if billing.get("is_premium") else 0
    if request.header("x-initiator", "").lower() == "agent":
        cost = 0
    if cost and account.premium_remaining < cost:
        return _error(402, "You have exceeded your premium request allowance. "
                           "Upgrade your plan or enable additional premium requests to continue.",
                      "quota_exceeded")

    conversation = module.conversation(body, model["id"])
    reply = answer(conversation)
    prompt_tokens = estimate_tokens({k: v for k, v in body.items() if k not in ("stream", "stream_options")})
    completion_tokens = estimate_tokens(reply.text if reply.text is not None else reply.tool_arguments)
    account.premium_remaining -= cost
    return module.render(body, model["id"], reply, prompt_tokens, completion_tokens)


def embed(state, request, plan):
    """POST /embeddings."""
    _, rejection = _authorize(state, request, plan)
    if rejection:
        return rejection
    body, rejection = _json_body(request)
    if rejection:
        return rejection
    model, rejection = _check_model(state, body.get("model"), "/embeddings")
    return rejection or embeddings.render(body, model["id"])
