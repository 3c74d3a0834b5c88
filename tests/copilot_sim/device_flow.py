"""GitHub's OAuth device flow, driven by scripts instead of a human.

Each device code carries a *script*: the outcomes its successive polls get,
one per poll (the last outcome repeats once the script runs out).  The control
API sets the script given to the next device codes.  Independently of the
script, polling faster than the code's interval earns `slow_down`, as on
GitHub, unless interval enforcement is off.
"""

import secrets
import time
from dataclasses import dataclass

OUTCOMES = ("authorization_pending", "slow_down", "expired_token", "access_denied", "success")
DEFAULT_SCRIPT = ("authorization_pending", "success")
EXPIRES_IN = 899
SLOW_DOWN_STEP = 5  # seconds GitHub adds to the interval on each slow_down
ERROR_URI = "https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow"

ERROR_DESCRIPTIONS = {
    "authorization_pending": "The authorization request is still pending.",
    "slow_down": "Too many requests have been made in the same timeframe.",
    "expired_token": "The device_code has expired.",
    "access_denied": "The authorization request was denied.",
    "incorrect_device_code": "The device_code provided is not valid.",
    "incorrect_client_credentials": "The client_id and/or client_secret passed are incorrect.",
    "unsupported_grant_type": "The grant type is not supported.",
}

# Letters and digits GitHub uses in user codes (no look-alike characters).
_USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ0123456789"


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    interval: int
    script: list
    expires_at: float
    last_poll: float = None
    finished: str = None  # the terminal outcome once reached


class DeviceFlow:
    """Device codes in flight, and the script the next codes will get."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.codes = {}
        self.next_script = list(DEFAULT_SCRIPT)

    def set_script(self, script):
        unknown = [step for step in script if step not in OUTCOMES]
        if not script or unknown:
            raise ValueError(f"script must be a non-empty list of {', '.join(OUTCOMES)}")
        self.next_script = list(script)

    def start(self, interval):
        """Issue a new device code carrying a copy of the current script."""
        user_code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(8))
        code = DeviceCode(
            device_code=secrets.token_hex(20),
            user_code=f"{user_code[:4]}-{user_code[4:]}",
            interval=interval,
            script=list(self.next_script),
            expires_at=time.time() + EXPIRES_IN,
        )
        self.codes[code.device_code] = code
        return code

    def poll(self, device_code, enforce_interval):
        """The outcome of one poll: an error name or "success".

        Success and the terminal errors end the code: after success it is
        forgotten (later polls: incorrect_device_code), a denied or expired
        code keeps answering the same error.
        """
        code = self.codes.get(device_code)
        if code is None:
            return "incorrect_device_code"
        if code.finished:
            return code.finished
        now = time.time()
        too_fast = code.last_poll is not None and now - code.last_poll < code.interval
        code.last_poll = now
        if now >= code.expires_at:
            code.finished = "expired_token"
            return code.finished
        if enforce_interval and too_fast:
            code.interval += SLOW_DOWN_STEP
            return "slow_down"
        outcome = code.script.pop(0) if len(code.script) > 1 else code.script[0]
        if outcome == "slow_down":
            code.interval += SLOW_DOWN_STEP
        elif outcome == "success":
            del self.codes[device_code]
        elif outcome in ("expired_token", "access_denied"):
            code.finished = outcome
        return outcome

    def interval_of(self, device_code):
        code = self.codes.get(device_code)
        return code.interval if code else None
