# -*- coding: utf-8 -*-
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Strict checks of the variables that reach the systemd unit, the environment file and the
proxy config.

Those files are text formats where a newline starts a new directive (``ExecStartPre=+...`` runs
as root), ``%`` is a systemd specifier and a space splits an argument, so every value is matched
against a pattern of what it may be, not searched for what it must not contain. Pure functions,
unit-tested without Ansible; the preflight fails the host with the messages they return.
"""

import fnmatch
import ipaddress
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

# fullmatch throughout: `$` would also match before a trailing newline.
# Absolute, without whitespace, `%` (systemd specifiers), quotes, backslashes or `..` parts.
_PATH = re.compile(r"(?:/[A-Za-z0-9_.+@-]+)+")
# What useradd on Debian accepts by default (NAME_REGEX), without the trailing `$` of machine accounts.
_ACCOUNT = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_UNIT_NAME = re.compile(r"[A-Za-z0-9_.-]{1,200}")
# Scheme, then only characters a URL needs; no whitespace, quotes, backslash or `%` (systemd specifiers).
_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=-]+")
# LiteLLM's generated keys are sk- and 48 letters and digits; 32 characters of these at least.
_MASTER_KEY = re.compile(r"sk-[A-Za-z0-9_-]{32,512}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
# RFC 9110 token characters.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")
_SETTING = re.compile(r"[a-z_][a-z0-9_]{0,127}")
# A release number: it names the hash lock and the cached builds on the controller.
_VERSION = re.compile(r"[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}")
# systemd sizes (MemoryMax=): bytes with an optional K/M/G/T suffix, a percentage, or infinity.
_SIZE = re.compile(r"[1-9][0-9]{0,15}[KMGT]?|[1-9][0-9]?%|100%|infinity")
_IP_KEYWORDS = ("any", "localhost", "link-local", "multicast")
# Printable text and tabs: no newline, carriage return, NUL or other control character.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _text(value):
    return isinstance(value, str)


def _fits(pattern, value):
    return _text(value) and pattern.fullmatch(value) is not None


def _int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _scalar_text(value):
    """The text a scalar value becomes in a file, or None for lists, dicts and None."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _is_ip(value):
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_loopback(host):
    """Whether a listen address only ever accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _listen_host(value):
    # Empty listens on every address, like 0.0.0.0 and ::. No host names: the listening socket is
    # systemd's (litellm-copilot.socket), and ListenStream= takes addresses only.
    if _text(value) and (value == "" or _is_ip(value)):
        return []
    return ["litellm_copilot_listen_host must be an IP address (or empty for every address)"]


def _path(name, value):
    if _fits(_PATH, value) and not re.search(r"/\.\.?(?:/|\Z)", value):
        return []
    return ["%s must be an absolute path of letters, digits and . _ + @ - (no spaces, %%, quotes "
            "or .. parts)" % name]


def _account(name, value, empty_ok=False):
    if (empty_ok and value == "") or _fits(_ACCOUNT, value):
        return []
    return ["%s must be an account name (lower-case letters, digits, _ and -)" % name]


def _environment(value, owned):
    if not isinstance(value, dict):
        return ["litellm_copilot_environment must be a mapping of names to values"]
    errors = []
    for key in sorted(value, key=str):
        if not _fits(_ENV_NAME, key):
            errors.append("litellm_copilot_environment: a name must be letters, digits and _ "
                          "(not starting with a digit)")
            continue
        claimed = [pattern for pattern in owned if fnmatch.fnmatchcase(key, pattern)]
        if claimed:
            errors.append("litellm_copilot_environment: %s is set by the role itself (%s); it cannot "
                          "be overridden there" % (key, claimed[0]))
        text = _scalar_text(value[key])
        if text is None or _CONTROL.search(text):
            errors.append("litellm_copilot_environment: the value of %s must be a string or number "
                          "without newlines or control characters" % key)
    return errors


def _headers(name, value):
    if not isinstance(value, dict):
        return ["%s must be a mapping of header names to values" % name]
    errors = []
    for header in sorted(value, key=str):
        if not _fits(_HEADER_NAME, header):
            errors.append("%s: a header name must be HTTP token characters (letters, digits, "
                          "!#$%%&'*+.^_`|~-)" % name)
            continue
        text = _scalar_text(value[header])
        if text is None or _CONTROL.search(text):
            errors.append("%s: the value of %s must be a string without newlines or control "
                          "characters" % (name, header))
    return errors


def _settings(value):
    if not isinstance(value, dict):
        return ["litellm_copilot_litellm_settings must be a mapping"]
    if all(_fits(_SETTING, key) for key in value):
        return []
    return ["litellm_copilot_litellm_settings: every key must be a LiteLLM setting name "
            "(lower-case letters, digits and _)"]


def _ip_list(value):
    if not isinstance(value, list):
        return ["litellm_copilot_ip_address_allow must be a list"]
    for item in value:
        if not _text(item):
            break
        if item in _IP_KEYWORDS:
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            break
    else:
        return []
    return ["litellm_copilot_ip_address_allow must list IP addresses or networks (CIDR), or the "
            "systemd words %s" % ", ".join(_IP_KEYWORDS)]


def _positive(name, value, maximum, minimum=1):
    # Extra vars given as key=value arrive as strings.
    if _text(value) and value.isdigit() and value.isascii():
        value = int(value)
    if _int(value) and minimum <= value <= maximum:
        return []
    return ["%s must be a whole number from %d to %d" % (name, minimum, maximum)]


_RATE_KINDS = ("input", "cached_input", "output")
_BETA = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")


def _amount(value):
    """A non-negative, finite number of credits (extra vars given as key=value arrive as strings)."""
    if _text(value):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e12:
        return None
    return value


def _rates(value):
    problem = ["litellm_copilot_credit_rates must map model ids or globs to {input, cached_input, output}: "
               "each a number of credits per million tokens, 0 or more"]
    if not isinstance(value, dict):
        return problem
    for pattern, rate in value.items():
        if not _text(pattern) or not isinstance(rate, dict) or set(rate) != set(_RATE_KINDS) \
                or any(_amount(rate[kind]) is None or _text(rate[kind]) for kind in _RATE_KINDS):
            return problem
    return []


def _budget(name, value, pace=False):
    if pace and value == "pace":
        return []
    if _amount(value) is not None:
        return []
    return ["%s must be a number of credits, 0 or more (0: no budget)%s" % (name, " or 'pace'" if pace else "")]


def _yes_no(name, value):
    try:
        boolean(value, strict=True)
    except TypeError:
        return ["%s must be true or false" % name]
    return []


def _github_token(value):
    # str(): a vaulted value is a str only once decrypted. Empty: the stored token stays.
    token = str(value) if value is not None else ""
    if token.strip() != token:
        return ["litellm_copilot_github_token must have no surrounding whitespace "
                "(a token of only whitespace is no token)"]
    return []


def _together(settings, failed):
    """The problems of variables only wrong together; each rule runs only when its variables
    are set and passed their own checks (``failed`` names those that did not), so one bad value
    gets one message."""
    errors = []

    def _ok(*names):
        return all(name in settings and name not in failed for name in names)

    # Pacing spreads the seat's remaining credits; an annual seat's quota counts requests instead.
    if settings.get("litellm_copilot_credit_budget_daily") == "pace" \
            and settings.get("litellm_copilot_billing", "credits") != "credits":
        errors.append("litellm_copilot_credit_budget_daily 'pace' needs litellm_copilot_billing: credits")
    # The GitHub token goes to the API URL, the Copilot token to the API base: plain http only when
    # asked for (the Copilot simulator). The modules refuse it too, and an http endpoints.api from GitHub.
    urls = ("litellm_copilot_github_api_url", "litellm_copilot_api_base")
    if _ok("litellm_copilot_allow_insecure_http", *urls) \
            and not boolean(settings["litellm_copilot_allow_insecure_http"]) \
            and any(settings[url].lower().startswith("http://") for url in urls):
        errors.append("Plain http for litellm_copilot_github_api_url or litellm_copilot_api_base: the tokens "
                      "would travel in clear text. Use https, or set litellm_copilot_allow_insecure_http: true "
                      "for a local test server only")
    # LiteLLM serves plain HTTP: beyond loopback, the master key and every prompt cross the
    # network in clear text, so that takes an explicit yes.
    if _ok("litellm_copilot_allow_remote", "litellm_copilot_listen_host") \
            and not boolean(settings["litellm_copilot_allow_remote"]) \
            and not is_loopback(settings["litellm_copilot_listen_host"]):
        errors.append("litellm_copilot_listen_host '%s' is not a loopback address: the proxy serves plain "
                      "HTTP, so other machines would see the master key and every prompt in clear text. Set "
                      "litellm_copilot_allow_remote: true to accept that (e.g. behind a TLS-terminating reverse "
                      "proxy or on a trusted network), or listen on 127.0.0.1"
                      % settings["litellm_copilot_listen_host"])
    return errors


def _checks(owned_environment=()):
    """{variable: its check}, each check returning the problems of a value as messages."""
    return {
        "litellm_copilot_listen_host": _listen_host,
        "litellm_copilot_port": lambda v: _positive("litellm_copilot_port", v, 65535),
        "litellm_copilot_num_workers": lambda v: _positive("litellm_copilot_num_workers", v, 64),
        # 0: no cap; the 1 TiB top only keeps the value a plain number.
        "litellm_copilot_max_request_bytes": lambda v: _positive("litellm_copilot_max_request_bytes", v,
                                                                 2 ** 40, minimum=0),
        "litellm_copilot_health_timeout": lambda v: _positive("litellm_copilot_health_timeout", v, 86400),
        "litellm_copilot_http_timeout": lambda v: _positive("litellm_copilot_http_timeout", v, 3600),
        "litellm_copilot_master_key": lambda v: [] if v == "" or (_fits(_MASTER_KEY, v) and v != "sk-1234") else [
            "litellm_copilot_master_key must be 'sk-' and at least 32 letters, digits, _ or - "
            "(or empty, to generate one)"],
        "litellm_copilot_github_token": _github_token,
        "litellm_copilot_allow_insecure_http": lambda v: _yes_no("litellm_copilot_allow_insecure_http", v),
        "litellm_copilot_allow_remote": lambda v: _yes_no("litellm_copilot_allow_remote", v),
        "litellm_copilot_github_api_url": lambda v: [] if _fits(_URL, v) else [
            "litellm_copilot_github_api_url must be an http(s) URL without spaces, quotes or %"],
        "litellm_copilot_api_base": lambda v: [] if v == "" or _fits(_URL, v) else [
            "litellm_copilot_api_base must be empty or an http(s) URL without spaces, quotes or %"],
        "litellm_copilot_install_dir": lambda v: _path("litellm_copilot_install_dir", v),
        "litellm_copilot_config_dir": lambda v: _path("litellm_copilot_config_dir", v),
        "litellm_copilot_data_dir": lambda v: _path("litellm_copilot_data_dir", v),
        "litellm_copilot_user": lambda v: _account("litellm_copilot_user", v),
        "litellm_copilot_group": lambda v: _account("litellm_copilot_group", v),
        "litellm_copilot_client_user": lambda v: _account("litellm_copilot_client_user", v, empty_ok=True),
        "litellm_copilot_service_name": lambda v: [] if _fits(_UNIT_NAME, v) else [
            "litellm_copilot_service_name must be letters, digits, _, . and - (a plain unit name)"],
        "litellm_copilot_environment": lambda v: _environment(v, owned_environment),
        "litellm_copilot_ide_headers": lambda v: _headers("litellm_copilot_ide_headers", v),
        "litellm_copilot_extra_headers": lambda v: _headers("litellm_copilot_extra_headers", v),
        "litellm_copilot_litellm_settings": _settings,
        "litellm_copilot_memory_max": lambda v: [] if _fits(_SIZE, v) else [
            "litellm_copilot_memory_max must be a systemd size (e.g. 1536M, 2G, 50%) or infinity"],
        "litellm_copilot_tasks_max": lambda v: _positive("litellm_copilot_tasks_max", v, 4194304),
        "litellm_copilot_limit_nofile": lambda v: _positive("litellm_copilot_limit_nofile", v, 1048576),
        "litellm_copilot_ip_address_allow": _ip_list,
        # Both name files on the controller (the hash lock, the cache of wheelhouses and venvs).
        "litellm_copilot_version": lambda v: [] if _fits(_VERSION, v) else [
            "litellm_copilot_version must be a release number such as 1.106.2"],
        "litellm_copilot_wheelhouse_cache_dir": lambda v: _path("litellm_copilot_wheelhouse_cache_dir", v),
        # Which store Claude-Code-Router reads: 1.x a config.json, 3.x its config.sqlite (2.x is neither).
        "litellm_copilot_ccr_version": lambda v: [] if _fits(_VERSION, v) and v.split(".")[0] in ("1", "3") else [
            "litellm_copilot_ccr_version must be the release of Claude-Code-Router the developer runs, 1.x or 3.x "
            "(such as 3.1.1 or 1.0.73)"],
        "litellm_copilot_ccr_port": lambda v: _positive("litellm_copilot_ccr_port", v, 65535),
        # Written into the meter's settings (copilot_meter.json), read by the proxy on every request.
        "litellm_copilot_billing": lambda v: [] if v in ("credits", "premium_requests") else [
            "litellm_copilot_billing must be credits or premium_requests"],
        "litellm_copilot_credit_rates": _rates,
        # Written into the environment file, one comma-separated line.
        "litellm_copilot_anthropic_betas": lambda v: [] if isinstance(v, list) and all(
            _fits(_BETA, item) for item in v) else [
            "litellm_copilot_anthropic_betas must list beta names (lower-case letters, digits and -)"],
        "litellm_copilot_credit_budget_daily": lambda v: _budget("litellm_copilot_credit_budget_daily", v, pace=True),
        "litellm_copilot_credit_budget_monthly": lambda v: _budget("litellm_copilot_credit_budget_monthly", v),
    }


def copilot_checked_settings(prefix):
    """The names of the variables :func:`copilot_invalid_settings` checks (they all start with
    ``prefix``, the role's): the one list, which the role's check task looks up by name."""
    names = sorted(_checks())
    if not all(name.startswith(prefix) for name in names):
        raise AnsibleFilterError("copilot_checked_settings: not every checked variable starts with %r" % prefix)
    return names


def copilot_invalid_settings(settings, owned_environment=()):
    """The problems of the role's settings, one message each naming the variable; [] when fine.

    ``settings`` maps variable names (without values in the messages: some are secrets) to their
    values; only the variables present are checked. ``owned_environment`` lists glob patterns of
    the environment names the role sets itself.
    """
    if not isinstance(settings, dict):
        raise AnsibleFilterError("copilot_invalid_settings expects a mapping of variables")
    checks = _checks(owned_environment)
    errors, failed = [], set()
    for name in sorted(settings):
        if name not in checks:
            raise AnsibleFilterError("copilot_invalid_settings has no check for %s" % name)
        problems = checks[name](settings[name])
        if problems:
            errors.extend(problems)
            failed.add(name)
    return errors + _together(settings, failed)


def copilot_is_loopback(host):
    return is_loopback(host)


def copilot_listen_stream(host, port):
    """systemd's ListenStream= for a checked listen address: a bare port listens on every address
    (both IPv4 and IPv6), an IPv6 address goes in brackets."""
    if host in ("", "::"):
        return str(port)
    return ("[%s]:%s" if ":" in host else "%s:%s") % (host, port)


def copilot_local_url(host, port):
    """Where the host's own health checks reach the proxy: a wildcard address through loopback."""
    local = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    return ("http://[%s]:%s" if ":" in local else "http://%s:%s") % (local, port)


def copilot_socket_holds(show, host, port):
    """Whether ``systemctl show --property=ActiveState --property=Listen`` of the gateway's socket
    unit (``show``, its stdout) says the unit is active and holds the listen address: then the port
    is systemd's, and a connection to it reaches the gateway, not a process that bound it first."""
    if not isinstance(show, str):
        return False
    properties = dict(line.partition("=")[::2] for line in show.splitlines())
    stream = copilot_listen_stream(host, port)
    address = "[::]:%s" % port if stream == str(port) else stream
    return properties.get("ActiveState") == "active" and properties.get("Listen") == address + " (Stream)"


class FilterModule(object):
    def filters(self):
        return {
            "copilot_socket_holds": copilot_socket_holds,
            "copilot_invalid_settings": copilot_invalid_settings,
            "copilot_checked_settings": copilot_checked_settings,
            "copilot_is_loopback": copilot_is_loopback,
            "copilot_listen_stream": copilot_listen_stream,
            "copilot_local_url": copilot_local_url,
        }
