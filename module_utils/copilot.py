# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one HTTP client for GitHub's Copilot endpoints.

Shared by the project's modules (``copilot_models_info`` and the modules that
report usage or run the device login).  Everything here talks HTTP through
:mod:`ansible.module_utils.urls` and reports every failure as a
:class:`CopilotError` whose message names the cause, the URL and what to do
about it -- and never contains a token or an ``Authorization`` header.

The client:

* :class:`CopilotClient` -- ``exchange_token``, ``list_models``,
  ``get_usage``, the OAuth device flow (``start_device_flow``,
  ``poll_device_flow``) and the generic ``request_json`` other modules can reuse.
* :func:`parse_usage` -- plan, quotas and reset date of a ``/copilot_internal/user`` answer.
* :func:`api_base` -- the Copilot API base URL from a token exchange.
* :func:`read_github_token` -- a GitHub token from a value or a file.
* :func:`normalize_model` / :func:`filter_models` -- pure helpers for the
  ``/models`` catalogue.
"""

from __future__ import annotations

import fnmatch
import http.client
import json
import math
import os
import re
import socket
import ssl
import time
import urllib.error
from urllib.parse import urlencode, urlsplit

from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.urls import Request


DEFAULT_GITHUB_API_URL = 'https://api.github.com'
DEFAULT_COPILOT_API_BASE = 'https://api.githubcopilot.com'

TOKEN_EXCHANGE_PATH = '/copilot_internal/v2/token'
USAGE_PATH = '/copilot_internal/user'
MODELS_PATH = '/models'

# OAuth device flow sign-in (on github.com, not the API host).
DEFAULT_GITHUB_URL = 'https://github.com'
DEFAULT_CLIENT_ID = 'Iv1.b507a08c87ecfe98'  # the OAuth app of the editors' Copilot plugins
DEFAULT_SCOPE = 'read:user'
DEVICE_CODE_PATH = '/login/device/code'
ACCESS_TOKEN_PATH = '/login/oauth/access_token'
DEVICE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code'
SLOW_DOWN_STEP = 5  # seconds added to the polling interval on each slow_down (RFC 8628, 3.5)

COPILOT_SEAT_URL = 'https://github.com/settings/copilot'
LOGIN_HINT = 'sign in again (playbooks/login.yml) and update the vaulted token'

# Headers the Copilot endpoints expect from an IDE plugin.  They are the ones
# LiteLLM's github_copilot provider sends; callers override them through
# ``CopilotClient(headers=...)`` (keys are case-insensitive).
DEFAULT_HEADERS = {
    'accept': 'application/json',
    'editor-version': 'vscode/1.95.0',
    'editor-plugin-version': 'copilot-chat/0.26.7',
    'user-agent': 'GitHubCopilotChat/0.26.7',
    'copilot-integration-id': 'vscode-chat',
}

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

# Copilot's status for "the specified API version is no longer supported": the editor-version
# (and plugin version) of the IDE headers is older than Copilot still serves.
UNSUPPORTED_CLIENT_STATUS = 466

# Longest piece of a response body quoted in an error message.
BODY_SNIPPET_LEN = 200
# Upper bound for one pause between two attempts, in seconds.
MAX_BACKOFF = 10.0
# Largest response body read: the model list is some 100 kB today. A bigger answer is refused
# (as malformed) before it is parsed, so a hostile or broken server cannot exhaust the host's memory.
MAX_BODY_BYTES = 4 * 1024 * 1024

# Model ids as Copilot names them (claude-sonnet-4.5, gpt-5-mini, o3-mini, text-embedding-3-small). Ids
# become LiteLLM route names, config keys and parts of URLs: anything else, a glob such as '*' above
# all (a catch-all route), is skipped. fullmatch, so no trailing newline slips through.
MODEL_ID_PATTERN = re.compile(r'[A-Za-z0-9][A-Za-z0-9._-]{0,99}')

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

    :ivar kind: one of :data:`ERROR_KINDS`.
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


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

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


def read_github_token(token=None, path=None):
    """Return the GitHub token from ``token`` or from the file at ``path``.

    Surrounding whitespace is stripped.  Raises :class:`CopilotError` of
    kind ``empty_token`` if there is no usable token: neither argument given,
    an empty/whitespace-only value or file, or a file that cannot be read.
    """
    if token is not None:
        value = to_text(token).strip()
        if not value:
            raise CopilotError(
                'empty_token',
                'the GitHub token is empty; pass a token (github_token) or a file holding one '
                '(github_token_path), e.g. after signing in with playbooks/login.yml')
        return value
    if path:
        path = os.path.expanduser(to_text(path))
        try:
            with open(path, 'rb') as handle:
                raw = handle.read()
        except FileNotFoundError:
            raise CopilotError(
                'empty_token',
                'GitHub token file %s does not exist; sign in (playbooks/login.yml) or fix the path' % path)
        except IsADirectoryError:
            raise CopilotError(
                'empty_token',
                'GitHub token file %s is a directory, not a file; point the path at the token file' % path)
        except (IOError, OSError) as exc:
            raise CopilotError(
                'empty_token',
                'cannot read GitHub token file %s: %s; check its permissions and owner'
                % (path, exc.strerror or to_native(exc)))
        value = to_text(raw, errors='surrogate_or_replace').strip()
        if not value:
            raise CopilotError(
                'empty_token',
                'GitHub token file %s is empty; sign in again (playbooks/login.yml) to write a token' % path)
        return value
    raise CopilotError(
        'empty_token',
        'no GitHub token given; pass github_token or github_token_path')


def api_base(exchange, allow_insecure_http=False):
    """The Copilot API base URL (``endpoints.api``, no trailing slash) of a token exchange.

    GitHub's answer is not trusted: the Copilot token goes to this URL, so it must be https
    (see :func:`require_secure_url`).
    """
    endpoints = exchange.get('endpoints') if isinstance(exchange, dict) else None
    api = endpoints.get('api') if isinstance(endpoints, dict) else None
    if not isinstance(api, str) or not api.strip():
        raise CopilotError(
            'malformed',
            'malformed response from the token exchange: no endpoints.api in it; '
            'set api_base explicitly (for example %s)' % DEFAULT_COPILOT_API_BASE)
    return require_secure_url(api, "the token exchange's endpoints.api", allow_insecure_http).rstrip('/')


# --------------------------------------------------------------------------
# the client
# --------------------------------------------------------------------------

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


class CopilotClient(object):
    """HTTP client for the GitHub Copilot endpoints.

    :param module: the ``AnsibleModule`` (optional).  When given, every
        secret the client handles is added to ``module.no_log_values`` so
        Ansible masks it should it ever reach a result.
    :param github_api_url: GitHub API root (``https://api.github.com``; a GHE
        data-residency tenant uses ``https://api.<sub>.ghe.com``).
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

    def __init__(self, module=None, github_api_url=DEFAULT_GITHUB_API_URL, headers=None,
                 timeout=30, validate_certs=True, retries=2, backoff=1.0, ca_path=None,
                 sleep=time.sleep, allow_insecure_http=False):
        self.module = module
        self.allow_insecure_http = bool(allow_insecure_http)
        self.github_api_url = (github_api_url or DEFAULT_GITHUB_API_URL).strip().rstrip('/')
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

    # -- endpoints -------------------------------------------------------

    def exchange_token(self, github_token):
        """Exchange a GitHub token for a Copilot token.

        ``GET {github_api_url}/copilot_internal/v2/token``.  Returns the parsed
        JSON (``token``, ``expires_at``, ``endpoints``, ``sku`` ...).  The
        Copilot token is registered as a secret.
        """
        github_token = read_github_token(github_token)
        require_secure_url(self.github_api_url, 'github_api_url', self.allow_insecure_http)
        url = self.github_api_url + TOKEN_EXCHANGE_PATH
        no_copilot = ('no_copilot', 'this GitHub account has no Copilot access (HTTP {status} from {url}); '
                      'check the seat at ' + COPILOT_SEAT_URL + ' or the client id')
        result = self.request_json(
            'GET', url, token=github_token, auth_scheme='token',
            status_errors={
                401: ('invalid_token', 'GitHub token is invalid or revoked (HTTP 401 from {url}); ' + LOGIN_HINT),
                403: no_copilot,
                404: no_copilot,
            })
        token = result.get('token')
        if not isinstance(token, str) or not token.strip():
            raise CopilotError('malformed', 'malformed response from %s: no Copilot token in it' % safe_url(url),
                               url=safe_url(url), status=200)
        self.add_secret(token)
        return result

    def list_models(self, copilot_token, api_base_url):
        """The raw model list: ``GET {api_base}/models`` with the Copilot token.

        Accepts ``{"data": [...]}`` or a bare list; entries that are not
        objects with a string ``id`` are dropped.
        """
        if not copilot_token:
            raise CopilotError('empty_token', 'no Copilot token to list the models with; exchange a GitHub token first')
        base = to_text(api_base_url or '').strip().rstrip('/')
        if not base:
            raise CopilotError('malformed', 'no Copilot API base URL to list the models from; set api_base')
        require_secure_url(base, 'api_base', self.allow_insecure_http)
        url = base + MODELS_PATH
        result = self.request_json(
            'GET', url, token=copilot_token, auth_scheme='Bearer', expect=None,
            status_errors={
                401: ('invalid_token', 'the Copilot token was rejected (HTTP 401 from {url}); it may have expired '
                                       'or belong to another endpoint: run again, and check api_base'),
                403: ('no_copilot', 'Copilot refused to list the models (HTTP 403 from {url}); check the seat at '
                                    + COPILOT_SEAT_URL + ' and the organisation\'s Copilot policies'),
            })
        if isinstance(result, dict):
            data = result.get('data')
        else:
            data = result
        if not isinstance(data, list):
            raise CopilotError('malformed', 'malformed response from %s: expected {"data": [...]} with the models'
                               % safe_url(url), url=safe_url(url), status=200)
        return [item for item in data if isinstance(item, dict) and isinstance(item.get('id'), str) and item['id']]

    def get_usage(self, github_token):
        """Copilot plan and quotas: ``GET {github_api_url}/copilot_internal/user``."""
        github_token = read_github_token(github_token)
        require_secure_url(self.github_api_url, 'github_api_url', self.allow_insecure_http)
        url = self.github_api_url + USAGE_PATH
        no_copilot = ('no_copilot', 'this GitHub account has no Copilot access (HTTP {status} from {url}); '
                      'check the seat at ' + COPILOT_SEAT_URL)
        return self.request_json(
            'GET', url, token=github_token, auth_scheme='token',
            status_errors={
                401: ('invalid_token', 'GitHub token is invalid or revoked (HTTP 401 from {url}); ' + LOGIN_HINT),
                403: no_copilot,
                404: no_copilot,
            })

    # -- OAuth device flow -------------------------------------------------

    def _oauth_post(self, url, fields, status_errors=None):
        """POST form fields to a GitHub OAuth endpoint, asking for a JSON answer."""
        return self.request_json(
            'POST', url, data=urlencode(fields),
            headers={'accept': 'application/json', 'content-type': 'application/x-www-form-urlencoded'},
            status_errors=status_errors)

    def start_device_flow(self, github_url=DEFAULT_GITHUB_URL, client_id=DEFAULT_CLIENT_ID, scope=DEFAULT_SCOPE):
        """Request a device code: ``POST {github_url}/login/device/code``.

        Returns ``device_code``, ``user_code``, ``verification_uri``,
        ``expires_in`` and ``interval``.  The device code is redacted from
        messages (it is a credential until the sign-in ends) but, unlike the
        tokens, not registered with the module: the caller needs it back.
        """
        require_secure_url(_base(github_url, DEFAULT_GITHUB_URL), 'github_url', self.allow_insecure_http)
        url = _base(github_url, DEFAULT_GITHUB_URL) + DEVICE_CODE_PATH
        bad_client = ('bad_client_id', 'GitHub does not know the OAuth client id %s (HTTP {status} from {url}); '
                                       'use the Copilot client id %s unless you know better'
                                       % (client_id, DEFAULT_CLIENT_ID))
        result = self._oauth_post(url, {'client_id': client_id, 'scope': scope},
                                  status_errors={404: bad_client, 401: bad_client})
        if result.get('error'):
            raise self._oauth_error(result, url, client_id)
        answer = {}
        for field in ('device_code', 'user_code', 'verification_uri'):
            value = result.get(field)
            if not isinstance(value, str) or not value.strip():
                raise CopilotError('malformed', 'malformed response from %s: no %s in it' % (safe_url(url), field),
                                   url=safe_url(url), status=200)
            answer[field] = value.strip()
        self._secrets.add(answer['device_code'])
        answer['expires_in'] = _int(result.get('expires_in')) or 900
        interval = _int(result.get('interval'))
        answer['interval'] = interval if interval is not None and interval >= 0 else SLOW_DOWN_STEP
        return answer

    def poll_device_flow(self, device_code, github_url=DEFAULT_GITHUB_URL, client_id=DEFAULT_CLIENT_ID,
                         interval=SLOW_DOWN_STEP, expires_in=900, clock=time.monotonic):
        """Poll ``POST {github_url}/login/oauth/access_token`` until the user
        has signed in, honouring ``interval`` and ``slow_down``.

        Returns ``access_token``, ``token_type``, ``scope`` and how the wait
        went (``polls``, ``slow_downs``, ``interval``).  The access token is
        redacted from messages but not registered with the module (the
        caller needs it); run the task with ``no_log``.

        :raises CopilotError: ``expired_token`` (the code expired: start
            over), ``access_denied`` (the user cancelled), ``bad_client_id``,
            or any transport kind.
        """
        if not device_code:
            raise CopilotError('expired_token', 'no device code to poll with; start the sign-in first')
        self._secrets.add(device_code)
        require_secure_url(_base(github_url, DEFAULT_GITHUB_URL), 'github_url', self.allow_insecure_http)
        url = _base(github_url, DEFAULT_GITHUB_URL) + ACCESS_TOKEN_PATH
        interval = max(0, _int(interval) or 0)
        deadline = clock() + max(1, _int(expires_in) or 900)
        fields = {'client_id': client_id, 'device_code': device_code, 'grant_type': DEVICE_GRANT_TYPE}
        polls = slow_downs = 0
        while True:
            # RFC 8628: wait the interval before every poll, the first one included
            self._sleep(interval)
            if clock() >= deadline:
                raise _expired(url)
            polls += 1
            result = self._oauth_post(url, fields)
            token = result.get('access_token')
            if isinstance(token, str) and token.strip():
                token = token.strip()
                self._secrets.add(token)
                return {'access_token': token, 'token_type': _str(result.get('token_type')) or 'bearer',
                        'scope': _str(result.get('scope')) or '', 'polls': polls, 'slow_downs': slow_downs,
                        'interval': interval}
            error = result.get('error')
            if error == 'authorization_pending':
                continue
            if error == 'slow_down':
                slow_downs += 1
                interval = max(_int(result.get('interval')) or 0, interval + SLOW_DOWN_STEP)
                continue
            raise self._oauth_error(result, url, client_id)

    def _oauth_error(self, result, url, client_id):
        error = _str(result.get('error')) or ''
        shown = safe_url(url)
        if error in ('expired_token', 'incorrect_device_code'):
            return _expired(url, error)
        if error == 'access_denied':
            return CopilotError('access_denied', 'the sign-in was cancelled (GitHub answered access_denied from %s); '
                                                 'run the login again and authorize the code' % shown, url=shown)
        if error in ('incorrect_client_credentials', 'device_flow_disabled', 'unsupported_grant_type'):
            return CopilotError('bad_client_id', 'GitHub refused the OAuth client id %s (%s from %s); use the '
                                                 'Copilot client id %s unless you know better'
                                                 % (client_id, error, shown, DEFAULT_CLIENT_ID), url=shown)
        description = body_snippet(_str(result.get('error_description')) or '', self._secrets)
        if not error:
            return CopilotError('malformed', 'malformed response from %s: neither access_token nor error in it'
                                % shown, url=shown, status=200)
        return CopilotError('http_error', 'GitHub answered %s from %s%s' % (
            body_snippet(error, self._secrets), shown, ': %s' % description if description else ''), url=shown)


class _BadNumber(ValueError):
    pass


def _reject_constant(name):
    raise _BadNumber('%s is not a JSON number' % name)


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise _BadNumber('the number %s is out of range' % body_snippet(text, limit=40))
    return value


def _base(url, default):
    return (to_text(url or '') or default).strip().rstrip('/')


def _expired(url, error='expired_token'):
    shown = safe_url(url)
    return CopilotError('expired_token', 'the sign-in code expired before it was authorized (%s from %s); '
                                         'start over with a new code' % (error, shown), url=shown)


# --------------------------------------------------------------------------
# the Copilot user report (pure functions)
# --------------------------------------------------------------------------

def _quota(raw):
    raw = _dict(raw)
    unlimited = _bool(raw.get('unlimited', False))
    entitlement = _float(raw.get('entitlement'))
    remaining = _float(raw.get('remaining'))
    if remaining is None:
        remaining = _float(raw.get('quota_remaining'))
    percent_remaining = _float(raw.get('percent_remaining'))
    used = None
    if entitlement is not None and remaining is not None and not unlimited:
        used = max(entitlement - remaining, 0.0)
    if percent_remaining is None and entitlement and remaining is not None and not unlimited:
        percent_remaining = 100.0 * remaining / entitlement
    percent_used = None
    if percent_remaining is not None and not unlimited:
        percent_used = round(max(0.0, min(100.0, 100.0 - percent_remaining)), 1)
        percent_remaining = round(percent_remaining, 1)
    return {
        'unlimited': unlimited,
        'entitlement': _whole(entitlement),
        'used': _whole(used),
        'remaining': _whole(remaining),
        'percent_used': percent_used,
        'percent_remaining': percent_remaining,
        'overage_count': _whole(_float(raw.get('overage_count'))) or 0,
        'overage_permitted': _bool(raw.get('overage_permitted', False)),
    }


def _whole(value):
    """A figure as people read it: whole numbers as ints, else 2 decimals."""
    if value is None:
        return None
    value = round(value, 2)
    return int(value) if value == int(value) else value


def parse_usage(raw):
    """Flatten a ``/copilot_internal/user`` answer: plan, reset date and quotas.

    ``quotas`` maps each snapshot (``premium_interactions``, ``chat``,
    ``completions``) to ``unlimited``, ``entitlement``, ``used``,
    ``remaining``, ``percent_used``, ``percent_remaining``,
    ``overage_count`` and ``overage_permitted``.  Missing fields are None.
    Older answers without ``quota_snapshots`` give no quotas.
    """
    raw = _dict(raw)
    snapshots = _dict(raw.get('quota_snapshots'))
    quotas = dict((name, _quota(value)) for name, value in snapshots.items() if isinstance(value, dict))
    reset = _str(raw.get('quota_reset_date')) or _str(raw.get('limited_user_reset_date'))
    return {
        'login': _str(raw.get('login')),
        'plan': _str(raw.get('copilot_plan')),
        'access_type_sku': _str(raw.get('access_type_sku')),
        'chat_enabled': _bool(raw.get('chat_enabled', False)),
        'organizations': _str_list(raw.get('organization_login_list')),
        'quota_reset_date': reset[:10] if reset else None,
        'quotas': quotas,
        'premium_interactions': quotas.get('premium_interactions'),
    }


# --------------------------------------------------------------------------
# the model catalogue (pure functions)
# --------------------------------------------------------------------------

def _dict(value):
    return value if isinstance(value, dict) else {}


def _str(value):
    if value is None or isinstance(value, (dict, list)):
        return None
    value = to_text(value)
    return value if value else None


def _int(value):
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return None


def _float(value):
    if isinstance(value, bool) or value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    # "inf" or "1e400" as a string: no figure (int() of it would raise)
    return value if math.isfinite(value) else None


def _bool(value):
    if isinstance(value, str):
        return value.strip().lower() in ('1', 'true', 'yes', 'on')
    return bool(value)


def _str_list(value):
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, (list, tuple)):
        return [to_text(v) for v in value if isinstance(v, str) and v]
    return []


def normalize_model(raw):
    """Flatten one ``/models`` entry into a stable dict (missing fields tolerated)."""
    raw = _dict(raw)
    caps = _dict(raw.get('capabilities'))
    limits = _dict(caps.get('limits'))
    supports = _dict(caps.get('supports'))
    billing = _dict(raw.get('billing'))
    policy = raw.get('policy')

    model_id = to_text(raw.get('id') or '')
    model_type = (_str(caps.get('type')) or 'chat').lower()
    endpoints = _str_list(raw.get('supported_endpoints'))
    if model_type in ('embeddings', 'embedding'):
        mode = 'embedding'
    elif endpoints and '/chat/completions' not in endpoints:
        mode = 'responses'
    else:
        mode = 'chat'

    if isinstance(policy, dict):
        policy_state = (_str(policy.get('state')) or 'enabled').lower()
    else:
        policy_state = 'enabled'

    return {
        'id': model_id,
        'name': _str(raw.get('name')) or model_id,
        'vendor': _str(raw.get('vendor')),
        'version': _str(raw.get('version')),
        'type': model_type,
        'family': _str(caps.get('family')),
        'preview': _bool(raw.get('preview', False)),
        'picker_enabled': _bool(raw.get('model_picker_enabled', False)),
        'policy_state': policy_state,
        'premium': _bool(billing.get('is_premium', False)),
        'multiplier': _float(billing.get('multiplier')),
        'max_context_tokens': _int(limits.get('max_context_window_tokens')),
        'max_prompt_tokens': _int(limits.get('max_prompt_tokens')),
        'max_output_tokens': _int(limits.get('max_output_tokens')),
        'supports_tools': _bool(supports.get('tool_calls', False)),
        'supports_parallel_tool_calls': _bool(supports.get('parallel_tool_calls', False)),
        'supports_vision': _bool(supports.get('vision', False)),
        'supports_streaming': _bool(supports.get('streaming', False)),
        'supports_structured_outputs': _bool(supports.get('structured_outputs', False)),
        'reasoning_efforts': _str_list(supports.get('reasoning_effort')),
        'supported_endpoints': endpoints,
        'mode': mode,
    }


def _globs(patterns, default):
    if patterns is None:
        return list(default)
    if isinstance(patterns, str):
        patterns = [patterns]
    patterns = [to_text(p).strip().lower() for p in patterns if p is not None and to_text(p).strip()]
    return patterns if patterns else list(default)


def _matches(model_id, patterns):
    model_id = model_id.lower()
    return any(fnmatch.fnmatchcase(model_id, pattern) for pattern in patterns)


def split_model_ids(models):
    """Split raw ``/models`` entries into those with a valid id and the ids skipped.

    Returns ``(kept, skipped)``: the entries whose id matches :data:`MODEL_ID_PATTERN`, and
    the others' ids quoted as JSON strings (cut to 60 characters), fit to name in a warning.
    """
    kept, skipped = [], []
    for model in models or []:
        model_id = model.get('id') if isinstance(model, dict) else None
        if isinstance(model_id, str) and MODEL_ID_PATTERN.fullmatch(model_id):
            kept.append(model)
        else:
            shown = json.dumps(model_id if isinstance(model_id, str) else to_text(model_id))
            skipped.append(shown if len(shown) <= 60 else shown[:56] + '..."')
    return kept, skipped


def unique_ids(models):
    """Model ids in order, each once."""
    seen = set()
    ids = []
    for model in models:
        model_id = model.get('id') if isinstance(model, dict) else None
        if model_id and model_id not in seen:
            seen.add(model_id)
            ids.append(model_id)
    return ids


def filter_models(models, include=None, exclude=None, types=None, enabled_only=True, picker_only=True):
    """Select normalized models.

    :param include: globs on the id (case-insensitive); empty/None means ``["*"]``.
    :param exclude: globs on the id; a model matching any of them is dropped.
    :param types: model types to keep (``chat``, ``embeddings`` ...); empty/None keeps all.
    :param enabled_only: keep only models whose policy state is ``enabled``.
    :param picker_only: keep only models shown in the IDE model picker.

    The API order is kept; when an id occurs more than once the first entry
    that passes the filters wins.
    """
    include = _globs(include, ['*'])
    exclude = _globs(exclude, [])
    wanted_types = set(t.lower() for t in _globs(types, []))
    selected = []
    seen = set()
    for model in models or []:
        if not isinstance(model, dict) or not model.get('id'):
            continue
        model_id = model['id']
        if model_id in seen:
            continue
        if not _matches(model_id, include):
            continue
        if exclude and _matches(model_id, exclude):
            continue
        if wanted_types and (model.get('type') or '').lower() not in wanted_types:
            continue
        if enabled_only and model.get('policy_state', 'enabled') != 'enabled':
            continue
        if picker_only and not model.get('picker_enabled'):
            continue
        seen.add(model_id)
        selected.append(model)
    return selected


# --- Module plumbing shared by the modules in library/ --------------------------------------

def token_argument_spec(**extra):
    """The options of every module that calls GitHub with a user's token, plus ``extra``."""
    spec = dict(
        github_token=dict(type='str', no_log=True),
        github_token_path=dict(type='path'),
        github_api_url=dict(type='str', default=DEFAULT_GITHUB_API_URL),
        headers=dict(type='dict', default={}),
        timeout=dict(type='int', default=30),
        retries=dict(type='int', default=2),
        validate_certs=dict(type='bool', default=True),
        allow_insecure_http=dict(type='bool', default=False),
    )
    spec.update(extra)
    return spec


# Keyword arguments for AnsibleModule that go with token_argument_spec().
TOKEN_OPTION_RULES = dict(
    mutually_exclusive=[('github_token', 'github_token_path')],
    required_one_of=[('github_token', 'github_token_path')],
)


def require_positive(module, name):
    """Fails the module when the integer option ``name`` is not above zero."""
    if module.params[name] <= 0:
        module.fail_json(msg='%s must be a positive number of seconds, got %d' % (name, module.params[name]))


def token_client(module):
    """Checks the options of token_argument_spec() and returns a client built from them."""
    require_positive(module, 'timeout')
    if module.params['retries'] < 0:
        module.fail_json(msg='retries must be 0 or more, got %d' % module.params['retries'])
    return CopilotClient(
        module,
        github_api_url=module.params['github_api_url'],
        headers=module.params['headers'],
        timeout=module.params['timeout'],
        validate_certs=module.params['validate_certs'],
        retries=module.params['retries'],
        allow_insecure_http=module.params['allow_insecure_http'],
    )


def run_module(module, client, run):
    """Exits the module with ``run(module, client)``'s result, or fails it with a CopilotError's."""
    try:
        result = run(module, client)
    except CopilotError as exc:
        module.fail_json(changed=False, **exc.to_result())
    module.exit_json(**result)
