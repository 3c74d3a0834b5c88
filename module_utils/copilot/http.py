# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The HTTP transport of the Copilot client: one JSON request with retries, the IDE headers, and
the rule that a credential only ever travels over https.

Everything goes through :mod:`ansible.module_utils.urls`; every failure becomes a
:class:`~ansible.module_utils.copilot.errors.CopilotError`.  The endpoint calls build on
:class:`HttpClient` (:mod:`.endpoints`, :mod:`.device_flow`).
"""

from __future__ import annotations

import http.client
import json
import math
import socket
import ssl
import time
import urllib.error
from urllib.parse import urlsplit

from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.urls import Request

from ansible.module_utils.copilot.errors import CopilotError, body_snippet, redact, safe_url


# Headers the Copilot endpoints expect from an IDE plugin: the role's default
# litellm_copilot_ide_headers (a unit test keeps the two equal) plus accept. Copilot answers HTTP 466
# to an editor version it no longer serves, so they move with the role's; callers override them
# through ``HttpClient(headers=...)`` (keys are case-insensitive), as the role does.
DEFAULT_HEADERS = {
    'accept': 'application/json',
    'editor-version': 'vscode/1.140.0',
    'editor-plugin-version': 'copilot-chat/0.68.0',
    'user-agent': 'GitHubCopilotChat/0.68.0',
    'copilot-integration-id': 'vscode-chat',
}

# Copilot's status for "the specified API version is no longer supported": the editor-version
# (and plugin version) of the IDE headers is older than Copilot still serves.
UNSUPPORTED_CLIENT_STATUS = 466

# Upper bound for one pause between two attempts, in seconds.
MAX_BACKOFF = 10.0
# Largest response body read: the model list is some 100 kB today. A bigger answer is refused
# (as malformed) before it is parsed, so a hostile or broken server cannot exhaust the host's memory.
MAX_BODY_BYTES = 4 * 1024 * 1024


def require_secure_url(url, what, allow_insecure_http=False):
    """Returns ``url`` when a credential may be sent to it, else raises ``insecure_url``.

    Every request of the client carries a GitHub token, a Copilot token or a device code, so
    only ``https://`` URLs with a host qualify; ``http://`` only with ``allow_insecure_http``
    (a test server such as the Copilot simulator).  ``what`` names the URL's origin in the message.
    """
    text = to_text(url or '').strip()
    shown = safe_url(text)
    try:
        parts = urlsplit(text)
        scheme, host = parts.scheme.lower(), parts.hostname
    except ValueError:
        scheme, host = '', None
    if scheme == 'http' and host and not allow_insecure_http:
        raise CopilotError(
            'insecure_url',
            'refusing plain http for %s (%s): the token would travel in clear text; use https, or allow '
            'plain http for a test server only (allow_insecure_http, the role\'s '
            'litellm_copilot_allow_insecure_http: true)' % (what, shown), url=shown)
    if scheme not in ('http', 'https') or not host:
        raise CopilotError('insecure_url', '%s must be an https:// URL with a host name, got %r' % (what, shown),
                           url=shown)
    return text


def merge_headers(base, overrides=None):
    """Merge header dicts case-insensitively; keys come back lower-case.

    A value of ``None`` in ``overrides`` removes that header.
    """
    merged = {}
    for source in (base or {}), (overrides or {}):
        for key, value in source.items():
            key = to_text(key).strip().lower()
            if not key:
                continue
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = to_text(value)
    return merged


def _is_timeout(exc):
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return True
    reason = getattr(exc, 'reason', None)
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return True
    return 'timed out' in to_native(reason if reason is not None else exc).lower()


def _reason(exc):
    reason = getattr(exc, 'reason', None)
    if reason is None or isinstance(reason, str) and not reason:
        reason = exc
    if isinstance(reason, OSError) and reason.strerror:
        return to_native(reason.strerror)
    text = to_native(reason)
    return text or exc.__class__.__name__


class _BadNumber(ValueError):
    pass


def _reject_constant(name):
    raise _BadNumber('%s is not a JSON number' % name)


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise _BadNumber('the number %s is out of range' % body_snippet(text, limit=40))
    return value


class HttpClient(object):
    """JSON over HTTP to GitHub and Copilot, with retries, IDE headers and redacted errors.

    :param module: the ``AnsibleModule`` (optional).  When given, every
        secret the client handles is added to ``module.no_log_values`` so
        Ansible masks it should it ever reach a result.
    :param headers: IDE header overrides (case-insensitive; ``None`` drops one).
    :param timeout: seconds to wait for each request.
    :param validate_certs: verify TLS certificates.
    :param retries: extra attempts after a transient failure (connection
        error, timeout, HTTP 5xx or 429).  401/403/404 are never retried.
    :param backoff: first pause between attempts in seconds, doubled each time.
    :param ca_path: optional CA bundle for TLS verification.
    :param allow_insecure_http: also send credentials to ``http://`` URLs (test servers only);
        without it every request to one fails with ``insecure_url`` before anything is sent.
    """

    def __init__(self, module=None, headers=None, timeout=30, validate_certs=True, retries=2, backoff=1.0,
                 ca_path=None, sleep=time.sleep, allow_insecure_http=False):
        self.module = module
        self.allow_insecure_http = bool(allow_insecure_http)
        self.headers = merge_headers(DEFAULT_HEADERS, headers)
        # credentials come only from the token arguments
        self.headers.pop('authorization', None)
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.retries = max(0, int(retries or 0))
        self.backoff = max(0.0, float(backoff or 0))
        self.ca_path = ca_path
        self._sleep = sleep
        self._secrets = set()
        # number of attempts the last request_json made
        self.last_attempts = 0

    # -- secrets ---------------------------------------------------------

    def add_secret(self, value):
        """Remember ``value`` as a secret: redacted from messages, masked by Ansible."""
        if not value:
            return
        value = to_text(value)
        self._secrets.add(value)
        if self.module is not None:
            no_log_values = getattr(self.module, 'no_log_values', None)
            if no_log_values is not None:
                no_log_values.add(value)

    # -- transport -------------------------------------------------------

    def _open(self, method, url, headers, data):
        """One HTTP exchange.  Returns ``(status, body_bytes, response_headers)``;
        HTTP error statuses are returned, transport failures raised."""
        request = Request(
            headers=headers,
            timeout=self.timeout,
            validate_certs=self.validate_certs,
            ca_path=self.ca_path,
            use_netrc=False,
            follow_redirects='urllib2',
            # never carry credentials to another host on a redirect
            unredirected_headers=['authorization'],
        )
        try:
            response = request.open(method, url, data=data)
        except urllib.error.HTTPError as exc:
            try:
                # only a snippet of an error body is ever shown
                body = exc.read(MAX_BODY_BYTES) if exc.fp is not None else b''
            except Exception:
                body = b''
            finally:
                try:
                    exc.close()
                except Exception:
                    pass
            return exc.code, body, dict((k.lower(), v) for k, v in (exc.headers or {}).items())
        try:
            body = response.read(MAX_BODY_BYTES + 1)
        finally:
            response.close()
        return response.status, body, dict((k.lower(), v) for k, v in response.headers.items())

    def _retry_pause(self, attempt, response_headers=None):
        pause = self.backoff * (2 ** attempt)
        retry_after = (response_headers or {}).get('retry-after')
        if retry_after:
            try:
                pause = max(pause, float(retry_after))
            except ValueError:
                pass
        return min(pause, MAX_BACKOFF)

    def request_json(self, method, url, token=None, auth_scheme='token', data=None,
                     headers=None, status_errors=None, expect=dict):
        """Send one request (with retries) and return the parsed JSON body.

        :param token: credential for ``Authorization: <auth_scheme> <token>``.
        :param data: a dict (sent as JSON), or str/bytes sent as is.
        :param headers: extra headers for this request (over the IDE headers).
        :param status_errors: ``{status: (kind, message_template)}`` for
            specific HTTP errors; the template may use ``{url}`` and ``{status}``.
        :param expect: ``dict``/``list``/``None``: the JSON type required.
        :raises CopilotError: on any failure.
        """
        if token:
            self.add_secret(token)
        # Checked before anything is sent: every request carries a token or a device code.
        url = require_secure_url(url, 'the request to %s' % safe_url(url), self.allow_insecure_http)
        shown = safe_url(url)
        req_headers = merge_headers(self.headers, headers)
        if token:
            req_headers['authorization'] = '%s %s' % (auth_scheme, token)
        if isinstance(data, (dict, list)):
            data = json.dumps(data)
            req_headers.setdefault('content-type', 'application/json')
        attempts = self.retries + 1
        status_errors = status_errors or {}

        status = body = None
        error = None
        for attempt in range(attempts):
            self.last_attempts = attempt + 1
            error = None
            retry = False
            response_headers = {}
            try:
                status, body, response_headers = self._open(method, url, req_headers, data)
            except ValueError as exc:
                # malformed URL, bad header value ...: not transient
                raise CopilotError('unreachable', 'cannot reach %s: %s; check the URL'
                                   % (shown, redact(to_native(exc), self._secrets)), url=shown)
            except (urllib.error.URLError, socket.timeout, http.client.HTTPException, OSError) as exc:
                if _is_timeout(exc):
                    error = CopilotError(
                        'timeout', 'timed out after %s s waiting for %s%s; raise timeout or check the network'
                        % (self.timeout, shown, self._attempts_note(attempt + 1)), url=shown)
                    retry = True
                else:
                    reason = redact(_reason(exc), self._secrets)
                    tls = isinstance(getattr(exc, 'reason', None), ssl.SSLError) or isinstance(exc, ssl.SSLError)
                    hint = ('; install the right CA certificates (validate_certs=false only for testing)'
                            if tls else '; check the URL, DNS, proxy settings and firewall')
                    error = CopilotError('unreachable', 'cannot reach %s: %s%s%s'
                                         % (shown, reason, self._attempts_note(attempt + 1), hint), url=shown)
                    retry = not tls
            else:
                if 200 <= status < 300:
                    return self._parse(body, shown, status, expect)
                error = self._http_error(status, body, shown, status_errors, attempt + 1)
                retry = status >= 500 or status == 429
            if not retry or attempt + 1 >= attempts:
                raise error
            self._sleep(self._retry_pause(attempt, response_headers))
        raise error  # pragma: no cover -- the loop always returns or raises

    def _attempts_note(self, attempts):
        return ' (after %d attempts)' % attempts if attempts > 1 else ''

    def _http_error(self, status, body, shown, status_errors, attempts):
        if status in status_errors:
            kind, template = status_errors[status]
            return CopilotError(kind, template.format(url=shown, status=status), url=shown, status=status)
        snippet = body_snippet(body, self._secrets)
        detail = ': %s' % snippet if snippet else ''
        if status >= 500:
            return CopilotError('server_error', '%s answered HTTP %d (server error)%s%s; try again later'
                                % (shown, status, self._attempts_note(attempts), detail), url=shown, status=status)
        if status == 429:
            return CopilotError('http_error', '%s answered HTTP 429 (rate limited)%s%s; wait and try again'
                                % (shown, self._attempts_note(attempts), detail), url=shown, status=status)
        if status == 401:
            return CopilotError('invalid_token', 'credentials rejected (HTTP 401 from %s)%s' % (shown, detail),
                                url=shown, status=status)
        if status == UNSUPPORTED_CLIENT_STATUS:
            # Copilot retires old editor versions without notice; what fixes it is newer IDE headers,
            # so the message names them and the role variable that sets them.
            return CopilotError(
                'unsupported_client',
                'Copilot no longer supports the editor these requests claim to be (HTTP 466 from %s: %s); '
                'the IDE headers sent are editor-version %s, editor-plugin-version %s: set a current VS Code '
                'and Copilot Chat version in litellm_copilot_ide_headers (the headers option of the module)'
                % (shown, snippet or 'no reason given', self.headers.get('editor-version', '(none)'),
                   self.headers.get('editor-plugin-version', '(none)')), url=shown, status=status)
        return CopilotError('http_error', '%s answered HTTP %d%s' % (shown, status, detail), url=shown, status=status)

    def _parse(self, body, shown, status, expect):
        if len(body or b'') > MAX_BODY_BYTES:
            raise CopilotError('malformed', 'malformed response from %s: larger than %d bytes, not read further'
                               % (shown, MAX_BODY_BYTES), url=shown, status=status)
        try:
            # No Infinity/NaN, no number that overflows a float (1e400): they crash int() later on.
            parsed = json.loads(to_text(body or b'', errors='surrogate_or_strict'),
                                parse_constant=_reject_constant, parse_float=_finite_float)
        except _BadNumber as exc:
            raise CopilotError('malformed', 'malformed response from %s: %s' % (shown, exc), url=shown, status=status)
        except (ValueError, UnicodeError):
            snippet = body_snippet(body, self._secrets)
            raise CopilotError('malformed', 'malformed response from %s: not JSON (%s)'
                               % (shown, snippet or 'empty body'), url=shown, status=status)
        if expect is not None and not isinstance(parsed, expect):
            raise CopilotError('malformed', 'malformed response from %s: expected a JSON %s, got %s'
                               % (shown, 'object' if expect is dict else 'array', type(parsed).__name__),
                               url=shown, status=status)
        return parsed
