# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The options of the modules that call GitHub with a user's token, documented once.

They match ``token_argument_spec()`` in module_utils/copilot/modules.py, which every such module uses.
Those modules only read from GitHub and Copilot, so their attributes are here too.
"""

from __future__ import annotations


class ModuleDocFragment(object):

    # The token, where to send it and how; a read-only module's attributes.
    DOCUMENTATION = r"""
options:
  github_token:
    description:
      - The GitHub OAuth token of the Copilot user (C(gho_...)), as written by the device login.
      - Mutually exclusive with O(github_token_path); one of the two is required.
      - Surrounding whitespace is stripped; an empty value fails.
    type: str
  github_token_path:
    description:
      - Path of a file on the managed host that holds the GitHub token, such as the C(access-token) file
        the role stores for LiteLLM.
      - Mutually exclusive with O(github_token); one of the two is required.
      - Surrounding whitespace is stripped; a missing, unreadable or empty file fails.
    type: path
  github_api_url:
    description:
      - Root of the GitHub API that performs the token exchange.
      - For GitHub Enterprise Cloud with data residency use C(https://api.<subdomain>.ghe.com).
    type: str
    default: https://api.github.com
  headers:
    description:
      - HTTP headers that override the IDE headers sent with every request. Keys are case-insensitive;
        a null value removes a header.
      - The defaults claim a current VS Code with Copilot Chat (C(editor-version), C(editor-plugin-version),
        C(user-agent), C(copilot-integration-id)), the same as the role's C(litellm_copilot_ide_headers),
        plus C(accept=application/json).
      - An C(Authorization) header given here is ignored; the module sets it from the tokens.
    type: dict
    default: {}
  timeout:
    description:
      - Seconds to wait for each HTTP request.
    type: int
    default: 30
  retries:
    description:
      - How many more times to try a request after a transient failure (connection error, timeout,
        HTTP 5xx, HTTP 429), with a short growing pause. HTTP 401, 403 and 404 are never retried.
    type: int
    default: 2
  validate_certs:
    description:
      - Verify the TLS certificates of GitHub and of the Copilot API.
      - Set to V(false) only against a test server; behind a TLS-intercepting proxy install its CA instead.
    type: bool
    default: true
  allow_insecure_http:
    description:
      - Also accept C(http://) URLs for O(github_api_url), for the Copilot API base the module is given and
        for the C(endpoints.api) of the token exchange. Every request carries a credential, so without this
        option a plain C(http://) URL fails with C(error_kind=insecure_url) before anything is sent.
      - Set to V(true) only for a local test server such as the Copilot simulator.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Can run in check mode; the module makes the same read-only requests.
    details: This action does not modify state.
  diff_mode:
    support: N/A
    description: Returns no diff.
    details: This action does not modify state.
"""
