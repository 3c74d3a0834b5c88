"""Let LiteLLM's router fall back from a premium model only when Copilot says the allowance is spent.

The role's config.yaml sends every premium model to an included one through
``router_settings.fallbacks``. LiteLLM takes such a fallback after ANY failure: a per-model rpm cap
(429), an outage, a bad request. Those must reach the client as they are, so this callback
(``litellm_settings.callbacks: [copilot_quota.quota_gate]``, loaded from the config directory)
refuses a fallback hop unless the failure that caused it was Copilot's refusal of a premium
request: HTTP 402 ``{"error": {"message": "You have no quota", "code": "quota_exceeded"}}``. The
router then answers with the original error and its status.

``fallback_allowed`` is pure (no LiteLLM import) so unit tests read it without a proxy.
"""
import re

# What is left of Copilot's 402 in LiteLLM 1.106.2's record of a failed attempt: the whole body on
# /v1/messages, only the message on chat completions and Responses ("Github_copilotException -
# You have no quota"). Both are anchored to Copilot's own wording, never to the request's text.
_QUOTA_REFUSAL = re.compile(r'"code"\s*:\s*"quota_exceeded"|Github_copilotException - You have no quota$')


def fallback_allowed(request_kwargs):
    """Whether a router call may go ahead: always for a first attempt, and for a fallback hop
    only when the failure that caused it was Copilot's quota refusal.

    ``request_kwargs`` is what LiteLLM's router passes its callbacks: ``fallback_depth`` is set
    (1, 2, ...) on fallback hops, ``model`` names the group being tried, and the router's
    breadcrumbs of failed attempts are in ``metadata`` or ``litellm_metadata`` as
    ``previous_models`` (dicts with ``model_group``, ``exception_type`` and ``exception_string``).
    """
    if not isinstance(request_kwargs, dict):
        return True
    depth = request_kwargs.get("fallback_depth")
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        return True
    return is_quota_refusal(cause_of_hop(request_kwargs))


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


def is_quota_refusal(failure):
    """Whether a failed attempt (a router breadcrumb) was Copilot's 402 quota refusal."""
    if not isinstance(failure, dict):
        return False
    return bool(_QUOTA_REFUSAL.search(str(failure.get("exception_string") or "").strip()))


try:  # the LiteLLM side; absent when unit tests import this file on their own
    import litellm
    from litellm.integrations.custom_logger import CustomLogger
except ImportError:  # pragma: no cover - exercised only without LiteLLM
    CustomLogger = None

if CustomLogger is not None:
    class QuotaFallbackGate(CustomLogger):
        """Refuses a fallback hop unless the premium allowance was spent."""

        async def async_filter_deployments(self, model, healthy_deployments, messages,
                                           request_kwargs=None, parent_otel_span=None):
            if fallback_allowed(request_kwargs):
                return healthy_deployments
            # Raised, not an empty list: the router then answers with the original error and its
            # status (an empty list becomes a 429 "no deployments available" of its own).
            raise litellm.BadRequestError(
                message="not tried: the quota fallback answers only Copilot's quota refusal (402 quota_exceeded)",
                model=model, llm_provider="github_copilot")

    quota_gate = QuotaFallbackGate()
