# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""GitHub Copilot support for the modules in ``library/``, one concern per module.

* :mod:`.errors` -- :class:`CopilotError` and the redaction that keeps tokens out of every message.
* :mod:`.coerce` -- lenient readers for fields of GitHub's JSON answers.
* :mod:`.http` -- :class:`HttpClient`: requests, retries, IDE headers, the https-only rule.
* :mod:`.endpoints` -- :class:`CopilotClient`: token exchange, model list, user report, API base.
* :mod:`.device_flow` -- :class:`DeviceFlowClient`: the OAuth device flow sign-in.
* :mod:`.usage` -- :func:`parse_usage`: plan, quotas and reset date of a user report.
* :mod:`.catalogue` -- :func:`normalize_model` / :func:`filter_models`: the ``/models`` catalogue.
* :mod:`.modules` -- the options and the run loop the modules share.

Nothing is re-exported here: import each name from the module that defines it.
"""
