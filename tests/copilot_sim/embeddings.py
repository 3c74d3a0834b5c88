"""`POST /embeddings`: OpenAI embeddings with deterministic vectors."""

import base64
import hashlib
import json
import math
import struct

from .answers import estimate_tokens
from .wire import json_response

DIMENSIONS = 16


def vector(text):
    """A unit vector derived from a hash of the text: same text, same vector."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()  # 32 bytes = 16 x 2 bytes
    raw = [int.from_bytes(digest[i:i + 2], "big") / 32767.5 - 1.0 for i in range(0, 2 * DIMENSIONS, 2)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [round(x / norm, 6) for x in raw]


def _inputs(body):
    """`input` as a list of strings (token arrays are hashed as their JSON)."""
    value = body.get("input")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(x, int) for x in value):
        return [json.dumps(value)]  # one pre-tokenized input
    if isinstance(value, list):
        return [x if isinstance(x, str) else json.dumps(x) for x in value]
    return None


def render(body, model_id):
    texts = _inputs(body)
    if not texts:
        return json_response(400, {"error": {"message": "'input' must be a string or a non-empty list",
                                             "code": "invalid_request_body"}})
    as_base64 = body.get("encoding_format") == "base64"  # the OpenAI SDK asks for this by default
    data = []
    for index, text in enumerate(texts):
        values = vector(text)
        embedding = base64.b64encode(struct.pack(f"<{DIMENSIONS}f", *values)).decode() if as_base64 else values
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    tokens = sum(estimate_tokens(text) for text in texts)
    return json_response(200, {"object": "list", "data": data, "model": model_id,
                               "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
