# -*- coding: utf-8 -*-
#
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Lenient readers for the fields of GitHub's JSON answers.

GitHub's answers are not trusted to have the documented shape: a field of the wrong type reads as
missing (``None``, ``{}``, ``[]``, ``False``) instead of raising, so one odd field never costs the
whole answer.
"""

from __future__ import annotations

import math

from ansible.module_utils.common.text.converters import to_text


def as_dict(value):
    return value if isinstance(value, dict) else {}


def as_str(value):
    if value is None or isinstance(value, (dict, list)):
        return None
    value = to_text(value)
    return value if value else None


def as_int(value):
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return None


def as_float(value):
    if isinstance(value, bool) or value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    # "inf" or "1e400" as a string: no figure (int() of it would raise)
    return value if math.isfinite(value) else None


def as_bool(value):
    if isinstance(value, str):
        return value.strip().lower() in ('1', 'true', 'yes', 'on')
    return bool(value)


def as_str_list(value):
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, (list, tuple)):
        return [to_text(v) for v in value if isinstance(v, str) and v]
    return []
