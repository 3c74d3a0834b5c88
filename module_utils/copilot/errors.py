# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one error type of the Copilot client, and the redaction every message goes through.

Every failure is a :class:`CopilotError` whose message names the cause, the URL and what to do
about it -- and never contains a token or an ``Authorization`` header, even one a server echoes.
"""

from __future__ import annotations

import re

from ansible.module_utils.common.text.converters import to_text


ERROR_KINDS = (
    'invalid_token',   # GitHub token (or Copilot token) rejected: HTTP 401
    'no_copilot',      # the account has no Copilot seat (or wrong client id): 403/404
    'unreachable',     # DNS, refused connection, TLS failure, connection reset
    'timeout',         # no answer within the timeout
    'server_error',    # HTTP 5xx
    'malformed',       # not JSON, or JSON of the wrong shape
    'http_error',      # any other HTTP error status (400, 429, ...)
    'empty_token',     # no usable GitHub token (empty value, empty/missing file)
    'insecure_url',    # a URL that would carry a credential over plain http (or is not http(s) at all)
    'unsupported_client',  # Copilot no longer serves the editor the IDE headers name: HTTP 466
)

# Outcomes of the OAuth device flow sign-in that end it without a token.
DEVICE_FLOW_ERROR_KINDS = (
    'bad_client_id',   # GitHub does not know the OAuth app (404 on /login/device/code)
    'expired_token',   # the user code expired (or GitHub forgot the device code): start over
    'access_denied',   # the user cancelled the sign-in
)

# Longest piece of a response body quoted in an error message.
BODY_SNIPPET_LEN = 200

_REDACTED = '********'
# Token shapes that must never reach a message even if a server echoes them.
_SECRET_PATTERNS = (
    # GitHub tokens: gho_, ghu_, ghp_, ghs_, ghr_ and fine-grained PATs
    (re.compile(r'\b(?:gh[opusr]_[A-Za-z0-9_]{8,}|github_pat_[A-Za-z0-9_]{8,})'), _REDACTED),
    # Copilot tokens: "tid=...;exp=...;sku=...;proxy-ep=...:signature"
    (re.compile(r'\btid=[^\s"\'<>,]+'), _REDACTED),
    # an Authorization (or similar) header quoted back: drop scheme and value
    (re.compile(r'(?i)\b(authorization|proxy-authorization|x-api-key|cookie)(["\']?\s*[:=]\s*["\']?)'
                r'(?:(?:token|bearer|basic)\s+)?[^\s"\',;}]+'), r'\1\2' + _REDACTED),
    # "Bearer <x>" / "token <x>" where <x> looks like a credential (has a digit)
    (re.compile(r'(?i)\b(bearer|token)(\s+)(?=[^\s"\']*\d)[A-Za-z0-9._~+/=:;-]{8,}'), r'\1\2' + _REDACTED),
)


class CopilotError(Exception):
    """A failure talking to GitHub or Copilot.

    :ivar kind: one of :data:`ERROR_KINDS` or :data:`DEVICE_FLOW_ERROR_KINDS`.
    :ivar url: the URL concerned (credentials masked), or ``None``.
    :ivar status: the HTTP status, or ``None`` when there was no HTTP answer.
    :ivar message: a human message: cause, URL, and what to do.
    """

    def __init__(self, kind, message, url=None, status=None):
        if kind not in ERROR_KINDS + DEVICE_FLOW_ERROR_KINDS:
            raise ValueError('unknown CopilotError kind %r' % (kind,))
        super(CopilotError, self).__init__(message)
        self.kind = kind
        self.message = message
        self.url = url
        self.status = status

    def __str__(self):
        return self.message

    def to_result(self):
        """Keyword arguments for ``module.fail_json(**err.to_result())``."""
        result = dict(msg=self.message, error_kind=self.kind, url=self.url)
        if self.status is not None:
            result['status'] = self.status
        return result


def redact(text, secrets=()):
    """Remove ``secrets`` and anything shaped like a token from ``text``."""
    text = to_text(text, errors='surrogate_or_replace')
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def body_snippet(body, secrets=(), limit=BODY_SNIPPET_LEN):
    """A short, single-line, redacted excerpt of a response body."""
    text = to_text(body or b'', errors='surrogate_or_replace')
    text = ' '.join(text.split())
    text = redact(text, secrets)
    if len(text) > limit:
        text = text[:limit].rstrip() + '...'
    return text


def safe_url(url):
    """``url`` without any user:password part."""
    url = to_text(url)
    match = re.match(r'^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/@]*@)(.*)$', url)
    if match:
        return match.group(1) + '****@' + match.group(3)
    return url
