"""Prompt caching: how much of a prompt the model had already seen, as the vendors bill it.

A request's prompt is a sequence of *elements* (tools, system blocks, messages or their
content blocks, input items), each `(tag, value, boundary)`: `tag` says where it sits (so a
tool never matches a message with the same JSON), `value` is its JSON as sent, and
`boundary` marks where a cacheable prefix ends.  Two caching styles use them:

* `breakpoints` (Anthropic `/v1/messages`): a boundary is a block carrying `cache_control`.
  The longest breakpoint prefix seen within `CACHE_TTL` is read; every breakpoint prefix is
  written, and what the longest one adds beyond the read part is the cache creation.
* `automatic` (OpenAI `/chat/completions`, `/responses`): every message / input item ends a
  prefix; prompts of `MIN_CACHED_TOKENS` or more store all their prefixes, and the longest
  one sent before is the cached part.

Prefixes shorter than `MIN_CACHED_TOKENS` are never cached (both vendors' minimum).  Work is
linear in the request: each element is serialized and hashed once into a running hash that
is copied at each boundary, and expired entries leave the store oldest first.
"""

import collections
import hashlib
import json
import time

CACHE_TTL = 300  # seconds a prefix stays cached after it was last written or read (both vendors' default)
MIN_CACHED_TOKENS = 1024  # shortest prefix Anthropic and OpenAI cache
CACHE_CAPACITY = 100_000  # prefixes remembered at most: a flood of requests cannot grow memory for ever


class PromptCache:
    """Cached prefixes by (scope, digest), where the scope is (account, model).

    Every entry lives `CACHE_TTL` from its last use, so insertion order is expiry order:
    expired entries are dropped from the front, each at most once."""

    def __init__(self, ttl=CACHE_TTL, capacity=CACHE_CAPACITY):
        self.ttl = ttl
        self.capacity = capacity
        self.entries = collections.OrderedDict()  # key -> expiry (time.monotonic)

    def clear(self):
        self.entries.clear()

    def _expire(self, now):
        while self.entries:
            key, expiry = next(iter(self.entries.items()))
            if expiry > now:
                return
            del self.entries[key]

    def seen(self, key, now):
        self._expire(now)
        return key in self.entries

    def store(self, key, now):
        """Write or refresh a prefix: it lives `ttl` from now."""
        self.entries[key] = now + self.ttl
        self.entries.move_to_end(key)
        while len(self.entries) > self.capacity:
            self.entries.popitem(last=False)


def element_tokens(value):
    """The simulator's estimate (4 characters a token) of one element, without the estimator's
    floor of 1: elements are disjoint parts of the request's JSON, so the tokens of any prefix
    never exceed the count of the whole prompt."""
    return len(json.dumps(value, sort_keys=True)) // 4


def _identity(value):
    """What makes an element the same as before: its content, not where the client put a
    breakpoint this time (Claude Code moves `cache_control` to the newest message each turn)."""
    if isinstance(value, dict) and "cache_control" in value:
        return {key: item for key, item in value.items() if key != "cache_control"}
    return value


def prefixes(elements):
    """(digest, tokens) of the prefix ending at each boundary element, shortest first.

    Incremental: one running hash over length-prefixed elements, copied at each boundary, so a
    request with n messages costs O(size), not O(n * size)."""
    running = hashlib.sha256()
    tokens = 0
    found = []
    for tag, value, boundary in elements:
        piece = json.dumps([tag, _identity(value)], sort_keys=True).encode("utf-8")
        running.update(len(piece).to_bytes(8, "big"))
        running.update(piece)
        tokens += element_tokens(value)
        if boundary:
            found.append((running.copy().hexdigest(), tokens))
    return found


def _longest_seen(cache, scope, found, now):
    """Tokens of the longest prefix in `found` the cache holds for this scope, or 0.  (The
    callers then store every prefix in `found`, which refreshes the one read.)"""
    for digest, tokens in reversed(found):
        if cache.seen((scope, digest), now):
            return tokens
    return 0


def automatic(cache, scope, elements, prompt_tokens):
    """OpenAI-style: (cached tokens, 0).  Only prompts of `MIN_CACHED_TOKENS` or more take part
    (a shorter prompt has no long-enough prefix: skip hashing it), and each of their long-enough
    prefixes is stored for the next request to reuse."""
    if prompt_tokens < MIN_CACHED_TOKENS:
        return 0, 0
    now = time.monotonic()
    found = [(digest, tokens) for digest, tokens in prefixes(elements) if tokens >= MIN_CACHED_TOKENS]
    cached = _longest_seen(cache, scope, found, now)
    for digest, _ in found:
        cache.store((scope, digest), now)
    return cached, 0


def breakpoints(cache, scope, elements, prompt_tokens):
    """Anthropic-style: (cache read tokens, cache creation tokens).  The creation is what the
    longest breakpoint prefix adds beyond the part read; all breakpoint prefixes are written.
    (`prompt_tokens` is unused: it is there to share `automatic`'s signature.)"""
    now = time.monotonic()
    found = [(digest, tokens) for digest, tokens in prefixes(elements) if tokens >= MIN_CACHED_TOKENS]
    read = _longest_seen(cache, scope, found, now)
    for digest, _ in found:
        cache.store((scope, digest), now)
    longest = found[-1][1] if found else 0
    return read, max(0, longest - read)
