# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Copilot endpoints a GitHub token opens: the token exchange, the model list and the user
report, the API base URL an exchange names, and the GitHub token they all start from."""

from __future__ import annotations

import os

from ansible.module_utils.common.text.converters import to_native, to_text

from ansible.module_utils.copilot.errors import CopilotError, safe_url
from ansible.module_utils.copilot.files import read_regular_file
from ansible.module_utils.copilot.http import HttpClient, require_secure_url


DEFAULT_GITHUB_API_URL = 'https://api.github.com'
DEFAULT_COPILOT_API_BASE = 'https://api.githubcopilot.com'
# A GitHub token is some 40 to 100 characters; a token file is never near this size.
TOKEN_FILE_LIMIT = 64 * 1024

TOKEN_EXCHANGE_PATH = '/copilot_internal/v2/token'
USAGE_PATH = '/copilot_internal/user'
MODELS_PATH = '/models'

COPILOT_SEAT_URL = 'https://github.com/settings/copilot'
LOGIN_HINT = 'sign in again (playbooks/login.yml) and update the vaulted token'


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
            raw = read_regular_file(path, TOKEN_FILE_LIMIT)
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
                'cannot read GitHub token file %s: %s; it must be a regular file, not a link; check it, '
                'its permissions and owner'
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
    (see :func:`~ansible.module_utils.copilot.http.require_secure_url`).
    """
    endpoints = exchange.get('endpoints') if isinstance(exchange, dict) else None
    api = endpoints.get('api') if isinstance(endpoints, dict) else None
    if not isinstance(api, str) or not api.strip():
        raise CopilotError(
            'malformed',
            'malformed response from the token exchange: no endpoints.api in it; '
            'set api_base explicitly (for example %s)' % DEFAULT_COPILOT_API_BASE)
    return require_secure_url(api, "the token exchange's endpoints.api", allow_insecure_http).rstrip('/')


class CopilotClient(HttpClient):
    """The Copilot endpoints of one GitHub API (``exchange_token``, ``list_models``, ``get_usage``).

    :param github_api_url: GitHub API root (``https://api.github.com``; a GHE
        data-residency tenant uses ``https://api.<sub>.ghe.com``).

    The other parameters are :class:`~ansible.module_utils.copilot.http.HttpClient`'s.
    """

    def __init__(self, module=None, github_api_url=DEFAULT_GITHUB_API_URL, **kwargs):
        super(CopilotClient, self).__init__(module, **kwargs)
        self.github_api_url = (github_api_url or DEFAULT_GITHUB_API_URL).strip().rstrip('/')

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
