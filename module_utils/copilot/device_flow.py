# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The OAuth device flow sign-in on github.com (RFC 8628): a user code to enter in a browser, then
polling until GitHub hands out the user's GitHub token."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from ansible.module_utils.common.text.converters import to_text

from ansible.module_utils.copilot.coerce import as_int, as_str
from ansible.module_utils.copilot.errors import CopilotError, body_snippet, safe_url
from ansible.module_utils.copilot.http import HttpClient, require_secure_url


# The sign-in happens on github.com, not on the API host.
DEFAULT_GITHUB_URL = 'https://github.com'
DEFAULT_CLIENT_ID = 'Iv1.b507a08c87ecfe98'  # the OAuth app of the editors' Copilot plugins
DEFAULT_SCOPE = 'read:user'
DEVICE_CODE_PATH = '/login/device/code'
ACCESS_TOKEN_PATH = '/login/oauth/access_token'
DEVICE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code'
SLOW_DOWN_STEP = 5  # seconds added to the polling interval on each slow_down (RFC 8628, 3.5)
DEFAULT_INTERVAL = 5  # seconds between polls when GitHub names none usable (RFC 8628, 3.2)
# The longest wait between two polls, however large an interval GitHub (or whatever answers in its
# place) asks for, or slow_down storms add up to: GitHub asks for 5 s, so a minute is already far
# past any honest answer, and the sign-in never sits in one sleep the user cannot see the end of.
MAX_INTERVAL = 60
# The longest a code is polled for: GitHub's device codes last 15 minutes. A longer expires_in
# (say 10**9) would keep the login polling long after any user gave up; a code that is still good
# after this is simply started over.
MAX_EXPIRES_IN = 900


def _base(url, default):
    return (to_text(url or '') or default).strip().rstrip('/')


def _interval(value, default=DEFAULT_INTERVAL):
    """value (GitHub's or the caller's) as whole seconds to wait between polls, at most
    MAX_INTERVAL; default when it is no number (a string, NaN, infinity) or negative."""
    seconds = as_int(value)
    if seconds is None or seconds < 0:
        return default
    return min(seconds, MAX_INTERVAL)


def _expires_in(value):
    """value as the seconds a device code stays valid: at least 1, at most MAX_EXPIRES_IN, and
    MAX_EXPIRES_IN (GitHub's own lifetime) when it is no positive number."""
    seconds = as_int(value)
    if seconds is None or seconds <= 0:
        return MAX_EXPIRES_IN
    return min(seconds, MAX_EXPIRES_IN)


def _expired(url, error='expired_token'):
    shown = safe_url(url)
    return CopilotError('expired_token', 'the sign-in code expired before it was authorized (%s from %s); '
                                         'start over with a new code' % (error, shown), url=shown)


class DeviceFlowClient(HttpClient):
    """The device flow sign-in (``start_device_flow``, then ``poll_device_flow``).

    The device code and the access token are redacted from messages but, unlike the tokens of
    :class:`~ansible.module_utils.copilot.endpoints.CopilotClient`, never registered with the module:
    the caller needs them back in its result.  The parameters are
    :class:`~ansible.module_utils.copilot.http.HttpClient`'s.
    """

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
        messages (it is a credential until the sign-in ends).
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
        answer['expires_in'] = _expires_in(result.get('expires_in'))
        answer['interval'] = _interval(result.get('interval'))
        return answer

    def poll_device_flow(self, device_code, github_url=DEFAULT_GITHUB_URL, client_id=DEFAULT_CLIENT_ID,
                         interval=DEFAULT_INTERVAL, expires_in=MAX_EXPIRES_IN, clock=time.monotonic):
        """Poll ``POST {github_url}/login/oauth/access_token`` until the user
        has signed in, honouring ``interval`` and ``slow_down``.

        The interval, GitHub's included, is kept within 0..MAX_INTERVAL seconds
        and ``expires_in`` within 1..MAX_EXPIRES_IN; no wait runs past the
        code's expiry, so a hostile or broken answer cannot hang the login.

        Returns ``access_token``, ``token_type``, ``scope`` and how the wait
        went (``polls``, ``slow_downs``, ``interval``).  Run the task with ``no_log``.

        :raises CopilotError: ``expired_token`` (the code expired: start
            over), ``access_denied`` (the user cancelled), ``bad_client_id``,
            or any transport kind.
        """
        if not device_code:
            raise CopilotError('expired_token', 'no device code to poll with; start the sign-in first')
        self._secrets.add(device_code)
        require_secure_url(_base(github_url, DEFAULT_GITHUB_URL), 'github_url', self.allow_insecure_http)
        url = _base(github_url, DEFAULT_GITHUB_URL) + ACCESS_TOKEN_PATH
        interval = _interval(interval)
        deadline = clock() + _expires_in(expires_in)
        fields = {'client_id': client_id, 'device_code': device_code, 'grant_type': DEVICE_GRANT_TYPE}
        polls = slow_downs = 0
        while True:
            # RFC 8628: wait the interval before every poll, the first one included; but not past
            # the code's expiry: there is nothing left to poll for then
            self._sleep(max(0, min(interval, deadline - clock())))
            if clock() >= deadline:
                raise _expired(url)
            polls += 1
            result = self._oauth_post(url, fields)
            token = result.get('access_token')
            if isinstance(token, str) and token.strip():
                token = token.strip()
                self._secrets.add(token)
                return {'access_token': token, 'token_type': as_str(result.get('token_type')) or 'bearer',
                        'scope': as_str(result.get('scope')) or '', 'polls': polls, 'slow_downs': slow_downs,
                        'interval': interval}
            error = result.get('error')
            if error == 'authorization_pending':
                continue
            if error == 'slow_down':
                slow_downs += 1
                interval = min(MAX_INTERVAL, max(_interval(result.get('interval'), 0), interval + SLOW_DOWN_STEP))
                continue
            raise self._oauth_error(result, url, client_id)

    def _oauth_error(self, result, url, client_id):
        error = as_str(result.get('error')) or ''
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
        description = body_snippet(as_str(result.get('error_description')) or '', self._secrets)
        if not error:
            return CopilotError('malformed', 'malformed response from %s: neither access_token nor error in it'
                                % shown, url=shown, status=200)
        return CopilotError('http_error', 'GitHub answered %s from %s%s' % (
            body_snippet(error, self._secrets), shown, ': %s' % description if description else ''), url=shown)
