"""The cache hits one application served: how many since its last token request, and the last
ones, to serve them again at once.

Layering: per-application state of the flows (held by the
:class:`~msal._flows.context.AppContext`); :mod:`msal._flows.cache_first` counts and serves
hits, :mod:`msal._flows.redeem` reports the count in the next request's telemetry.

A hit is served again while its cache has not changed (the cache's read stamp is the one it
had then) and the token is not about to expire: the cache's own lookup would find that very
token, since it serves the matching token that expires last and none was added or removed.
At the first call after a change, everything remembered is forgotten (none of it would be
served again, and no copy of a token that left the cache stays behind).

The count and the last hit are slots of this one object, so that the usual repeated call (a
daemon asking for its one scope) reads it and the token alone: with a thousand applications
in a process, each call reaches few places in memory.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

# What a cached access token answers with: (secret, token type, expires_on, refresh_on or None)
Served = Tuple[str, str, int, Optional[int]]
# An application remembers this many calls (account, authority and scopes) at most
MAX_CALLS = 256
_NO_CALL = object()  # The key of the last call when there is none


class Hits(object):
    """One application's cache hits. ``serve_again`` is False for an application whose every
    call must take the long way (its authority names no tenant, so each call warns)."""

    __slots__ = (
        "count",  # since the application's last token request
        "key",  # the last call remembered, and what it was served:
        "secret",
        "token_type",
        "expires_on",
        "refresh_on",
        "cache",  # the cache it came from, and the cache's read stamp then
        "stamp",
        "calls",  # every call remembered (the last one too)
        "serve_again",
    )
    count: int
    key: Any
    secret: str
    token_type: str
    expires_on: int
    refresh_on: Optional[int]
    cache: Any
    stamp: Any
    calls: Dict[Any, Served]
    serve_again: bool

    def __init__(self, serve_again: bool = True) -> None:
        self.count = 0
        self.serve_again = serve_again
        self.calls = {}
        self.forget()

    def __len__(self) -> int:
        return len(self.calls)

    def get(self, key: Any, cache: Any, stamp: Any, usable_after: float) -> Optional[Served]:
        """What the call ``key`` was served from this ``cache`` at this read ``stamp``, if its
        token expires after ``usable_after``. Everything is forgotten when the cache changed."""
        if stamp != self.stamp or cache is not self.cache:
            if self.calls:
                self.forget()
            return None
        if key is self.key or key == self.key:
            if self.expires_on > usable_after:
                return self.secret, self.token_type, self.expires_on, self.refresh_on
            return None
        found = self.calls.get(key)
        if found is None or found[2] <= usable_after:
            return None
        return found

    def put(self, key: Any, found: Served, cache: Any, stamp: Any) -> None:
        """Remember what the call ``key`` was served from ``cache`` at read ``stamp``."""
        if not self.serve_again:
            return
        if stamp != self.stamp or cache is not self.cache or len(self.calls) >= MAX_CALLS:
            self.forget()
            self.cache, self.stamp = cache, stamp
        self.calls[key] = found
        self.key = key
        self.secret, self.token_type, self.expires_on, self.refresh_on = found

    def forget(self) -> None:
        """Forget every hit remembered (the count stays)."""
        self.calls.clear()
        self.key = _NO_CALL
        self.secret = self.token_type = ""
        self.expires_on = 0
        self.refresh_on = self.cache = self.stamp = None
