"""Signatures of thinking blocks.

Anthropic signs every `thinking` block it returns and refuses a request whose history holds
one whose signature does not match its text (so a client cannot put words in the model's
mouth).  The simulator signs with an HMAC-SHA256 of the text under a secret of its own,
base64-encoded: a block handed back unchanged verifies, a changed text or signature does not.
"""

import base64
import hashlib
import hmac
import secrets


def new_secret():
    """A signing key for one simulator (made when it starts, kept across `/_sim/reset`)."""
    return secrets.token_bytes(32)


def _utf8(text):
    return text.encode("utf-8", "surrogatepass")  # JSON may carry lone surrogates: never fail on them


def sign(secret, text):
    """The signature of a thinking text: base64 of HMAC-SHA256(secret, text)."""
    return base64.b64encode(hmac.new(secret, _utf8(text), hashlib.sha256).digest()).decode("ascii")


def verifies(secret, text, signature):
    """Whether `signature` is the signature of `text` (both must be strings)."""
    if not isinstance(text, str) or not isinstance(signature, str):
        return False
    return hmac.compare_digest(sign(secret, text).encode("ascii"), _utf8(signature))
