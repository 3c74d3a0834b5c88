"""The api.githubcopilot.com side, served under `/copilot/<plan>/…`.

Every request passes the same gate as on the real service: a live Copilot
token issued for this plan, an `editor-version` header, a known model that
the endpoint serves and the policy allows, the vision header when images are
sent, valid tool schemas, what the API module checks of its own (betas and
thinking signatures on /v1/messages), a prompt within the model's
`max_prompt_tokens`, and quota left.  Then the prompt cache tells what part of
the prompt was seen before, the seat is billed (`billing.py`), and one of the
API modules renders the answer, which carries the seat's quota snapshot headers.
"""

from . import anthropic_messages, billing, embeddings, openai_chat, openai_responses, thinking
from .answers import answer, estimate_prompt_tokens, estimate_tokens
from .state import parse_editor_version
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
# Copilot's answer to an editor it no longer supports (HTTP 466, plain text), as users of
# VS Code and of other proxies quoted it when Copilot retired old editor versions.
UNSUPPORTED_CLIENT = ("bad request: the specified API version is no longer supported. "
                      "You may need to update your client to a newer version.\n")
# Copilot's answer to a premium request once the premium allowance (or a credit seat's
# credits) is spent (HTTP 402), as VS Code's and Copilot CLI's logs quote it; included
# models are still served.
QUOTA_EXCEEDED = {"error": {"message": "You have no quota", "code": "quota_exceeded"}}
# Copilot's answer (HTTP 400) to a prompt longer than the model's
# `capabilities.limits.max_prompt_tokens`; N counted as the usage would report it.
PROMPT_TOO_LONG = "prompt token count of {count} exceeds the limit of {limit}"
PROMPT_TOO_LONG_CODE = "model_max_prompt_tokens_exceeded"


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
    if _editor_too_old(state.config.min_editor_version, request.header("editor-version")):
        return None, text_response(466, UNSUPPORTED_CLIENT)
    return account, None


def _editor_too_old(minimum, editor_version):
    """Whether an editor-version header names the minimum's editor at an older version.
    Other editors (and unparsable values) pass: only the minimum's editor is checked."""
    floor = parse_editor_version(minimum) if minimum else None
    sent = parse_editor_version(editor_version)
    return bool(floor and sent and sent[0] == floor[0] and sent[1] < floor[1])


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


def _schema_without_properties(schema, context=()):
    """The context (path of property names) of the first object schema that has no
    `properties`, or None.  Copilot refuses such tools, even a tool that takes no arguments."""
    kind = schema.get("type")
    if (kind == "object" or (isinstance(kind, list) and "object" in kind)) \
            and not isinstance(schema.get("properties"), dict):
        return context
    for name, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, dict):
            found = _schema_without_properties(sub, context + ("properties", name))
            if found is not None:
                return found
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found = _schema_without_properties(schema[key], context + (key,))
            if found is not None:
                return found
    for key in ("anyOf", "oneOf", "allOf"):
        for index, sub in enumerate(schema.get(key) or []):
            if isinstance(sub, dict):
                found = _schema_without_properties(sub, context + (key, str(index)))
                if found is not None:
                    return found
    return None


def _check_tools(module, body):
    """None, or the 400 Copilot gives for a tool whose object schema lacks `properties`."""
    for name, schema, where in module.tool_schemas(body):
        context = _schema_without_properties(schema)
        if context is not None:
            return _error(400, f"Invalid schema for function '{name}': In context={context!r}, "
                               "object schema missing properties.", "invalid_function_parameters",
                          param=where, type="invalid_request_error")
    return None


def prompt_limit(model):
    """The model's `max_prompt_tokens`, or None when its entry lists none."""
    limit = ((model.get("capabilities") or {}).get("limits") or {}).get("max_prompt_tokens")
    return limit if isinstance(limit, int) and not isinstance(limit, bool) else None


def _check_prompt_limit(model, prompt_tokens):
    """None, or Copilot's 400 for a prompt over the model's limit."""
    limit = prompt_limit(model)
    if limit is not None and prompt_tokens > limit:
        return _error(400, PROMPT_TOO_LONG.format(count=prompt_tokens, limit=limit), PROMPT_TOO_LONG_CODE)
    return None


def _json_body(request):
    body = request.json()
    if not isinstance(body, dict):
        return None, _error(400, "Invalid request body: expected a JSON object", "invalid_request_body")
    return body, None


def _model_request(state, request, plan, endpoint):
    """What every model endpoint checks first, in Copilot's order: the token, the JSON body, the
    model. Returns (account, body, model, rejection); rejection is None when all passed."""
    account, rejection = _authorize(state, request, plan)
    if rejection:
        return None, None, None, rejection
    body, rejection = _json_body(request)
    if rejection:
        return account, None, None, rejection
    model, rejection = _check_model(state, body.get("model"), endpoint)
    return account, body, model, rejection


def models(state, request, plan):
    """GET /models: the catalog."""
    _, rejection = _authorize(state, request, plan)
    return rejection or json_response(200, state.catalog.listing())


def inference(state, request, plan, api):
    """POST /chat/completions, /responses or /v1/messages."""
    endpoint, module, required_field = INFERENCE_APIS[api]
    account, body, model, rejection = _model_request(state, request, plan, endpoint)
    if rejection:
        return rejection
    if not body.get(required_field):
        return _error(400, f"Invalid request body: '{required_field}' is required", "invalid_request_body")
    conversation_input = [body.get("messages"), body.get("input"), body.get("system")]
    if _contains_image(conversation_input) and request.header("copilot-vision-request", "").lower() != "true":
        return _error(400, "missing required Copilot-Vision-Request header for vision requests", "")
    rejection = _check_tools(module, body) or module.check_request(request, body, state.thinking_secret)
    if rejection:
        return rejection
    # The prompt as the usage will count it (one pass over the body), against the model's limit.
    prompt_tokens = estimate_prompt_tokens(body)
    rejection = _check_prompt_limit(model, prompt_tokens)
    if rejection:
        return rejection

    # Annual seats pay premium requests (agent turns free), credit seats their tokens' credits.
    rates = state.catalog.rates(model["id"])
    initiator = request.header("x-initiator", "")
    if billing.refused(account, model, rates, initiator):
        return json_response(402, QUOTA_EXCEEDED)

    conversation = module.conversation(body, model["id"])
    reply = answer(conversation)
    if reply.thinking is not None:
        reply.signature = thinking.sign(state.thinking_secret, reply.thinking)
    usage = _usage(state, account, model, module, body, reply, prompt_tokens)
    billing.charge(account, model, rates, usage, initiator)
    response = module.render(body, model["id"], reply, usage)
    response.headers.update(billing.quota_headers(account))  # sent before a stream's first byte
    return response


def _usage(state, account, model, module, body, reply, prompt_tokens):
    """The answer's tokens: the prompt's (`estimate_prompt_tokens`) and the reply's by the
    estimator (its thinking included), and what the account's earlier requests to this model
    left in the prompt cache."""
    completion_tokens = estimate_tokens(reply.text if reply.text is not None else reply.tool_arguments)
    if reply.thinking is not None:
        completion_tokens += estimate_tokens(reply.thinking)
    read, creation = module.CACHING(state.prompt_cache, (account.github_token, model["id"]),
                                    module.cache_elements(body), prompt_tokens)
    return billing.Usage(prompt_tokens, completion_tokens, cache_read=read, cache_creation=creation)


def embed(state, request, plan):
    """POST /embeddings."""
    _, body, model, rejection = _model_request(state, request, plan, "/embeddings")
    return rejection or embeddings.render(body, model["id"])
