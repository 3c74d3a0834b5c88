# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Copilot user report (``/copilot_internal/user``) as plan, quotas and reset date."""

from __future__ import annotations

from ansible.module_utils.copilot.coerce import as_bool, as_dict, as_float, as_str, as_str_list


def _whole(value):
    """A figure as people read it: whole numbers as ints, else 2 decimals."""
    if value is None:
        return None
    value = round(value, 2)
    return int(value) if value == int(value) else value


def _quota(raw):
    raw = as_dict(raw)
    unlimited = as_bool(raw.get('unlimited', False))
    entitlement = as_float(raw.get('entitlement'))
    remaining = as_float(raw.get('remaining'))
    if remaining is None:
        remaining = as_float(raw.get('quota_remaining'))
    percent_remaining = as_float(raw.get('percent_remaining'))
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
        'overage_count': _whole(as_float(raw.get('overage_count'))) or 0,
        'overage_permitted': as_bool(raw.get('overage_permitted', False)),
    }


def parse_usage(raw):
    """Flatten a ``/copilot_internal/user`` answer: plan, reset date and quotas.

    ``quotas`` maps each snapshot (``premium_interactions``, ``chat``,
    ``completions``) to ``unlimited``, ``entitlement``, ``used``,
    ``remaining``, ``percent_used``, ``percent_remaining``,
    ``overage_count`` and ``overage_permitted``.  Missing fields are None.
    Older answers without ``quota_snapshots`` give no quotas.
    """
    raw = as_dict(raw)
    snapshots = as_dict(raw.get('quota_snapshots'))
    quotas = dict((name, _quota(value)) for name, value in snapshots.items() if isinstance(value, dict))
    reset = as_str(raw.get('quota_reset_date')) or as_str(raw.get('limited_user_reset_date'))
    return {
        'login': as_str(raw.get('login')),
        'plan': as_str(raw.get('copilot_plan')),
        'access_type_sku': as_str(raw.get('access_type_sku')),
        'chat_enabled': as_bool(raw.get('chat_enabled', False)),
        'organizations': as_str_list(raw.get('organization_login_list')),
        'quota_reset_date': reset[:10] if reset else None,
        'quotas': quotas,
        'premium_interactions': quotas.get('premium_interactions'),
    }
