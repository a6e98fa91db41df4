"""The Redis side (L2): one hash per partition, compare-and-set writes, leases, outages.

Each partition is a Redis hash: ``v`` its version (a counter), ``d`` its sealed document and
``t`` the sliding lifetime in milliseconds when it holds refresh tokens. Reads and writes are
Lua scripts, so each is one round trip and atomic, and they touch one key (plus the partition's
lock key, in the same hash-tag slot), so they work on Redis Cluster too.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any, Callable, List, Optional, Tuple, Type, TypeVar

logger = logging.getLogger("msal.distributed")

T = TypeVar("T")

# KEYS[1] partition; ARGV[1] the version the caller has. Returns nil when absent, {v} when
# unchanged, {v, d} otherwise; renews a sliding lifetime.
_READ = """
local f = redis.call('HMGET', KEYS[1], 'v', 't')
if not f[1] then return false end
if f[2] then redis.call('PEXPIRE', KEYS[1], f[2]) end
if f[1] == ARGV[1] then return {f[1]} end
return {f[1], redis.call('HGET', KEYS[1], 'd')}
"""

# KEYS[1] partition; ARGV: expected version, new version, document, sliding ms ('' for none),
# lifetime ms. Returns 1 when written, 0 when the version moved on meanwhile.
_WRITE = """
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 't', ARGV[4])
else redis.call('HDEL', KEYS[1], 't') end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""

# KEYS[1] lock; ARGV[1] owner. Deletes the lock only if it is still the owner's.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Unavailable(Exception):
    """Redis cannot be reached now; the caller carries on without it."""


class L2(object):
    """Redis operations of the cache. Connection trouble becomes :class:`Unavailable`, logged as
    one WARNING per outage; during an outage Redis is retried at most every ``retry_interval``
    seconds, so calls do not each wait for a socket timeout."""

    def __init__(self, client: Any, retry_interval: float = 1.0) -> None:
        from redis import exceptions

        self.client = client
        self._transient: Tuple[Type[BaseException], ...] = (
            exceptions.ConnectionError,
            exceptions.TimeoutError,
            exceptions.BusyLoadingError,
        )
        self._read = client.register_script(_READ)
        self._write = client.register_script(_WRITE)
        self._release = client.register_script(_RELEASE)
        self.retry_interval = retry_interval
        self._lock = threading.Lock()
        self._down_since: Optional[float] = None
        self._retry_at = 0.0
        self.outages = 0  # How many outages began, for operators and tests
        self.on_recovery: Callable[[], None] = lambda: None

    @property
    def is_down(self) -> bool:
        return self._down_since is not None

    def call(self, operation: Callable[[], T]) -> T:
        """Run one Redis operation, or raise Unavailable."""
        if self._down_since is not None and time.monotonic() < self._retry_at:
            raise Unavailable()
        try:
            result = operation()
        except self._transient as exc:
            self.went_down(exc)
            raise Unavailable() from None
        if self._down_since is not None:
            self._came_back()
        return result

    def went_down(self, exc: BaseException) -> None:
        with self._lock:
            self._retry_at = time.monotonic() + self.retry_interval
            if self._down_since is not None:
                return
            self._down_since = time.monotonic()
            self.outages += 1
        logger.warning(
            "Redis is unreachable (%s); token calls go on from memory and the "
            "identity provider, and writes resume when it is back",
            type(exc).__name__,
        )

    def _came_back(self) -> None:
        with self._lock:
            if self._down_since is None:
                return
            lasted, self._down_since = time.monotonic() - self._down_since, None
        logger.warning("Redis is reachable again after %.1f s; resuming writes", lasted)
        self.on_recovery()

    # ------------------------------------------------------------ partitions

    def read(self, key: str, known_version: int) -> Optional[List[Any]]:
        """None when absent; [version] when unchanged; [version, value] otherwise."""
        found: Any = self.call(lambda: self._read(keys=[key], args=[str(known_version)]))
        return None if not found else [int(found[0])] + list(found[1:])

    def write(
        self, key: str, expected: int, value: bytes, sliding_ms: Optional[int], lifetime_ms: int
    ) -> bool:
        """Store ``value`` as version expected + 1 if the partition is still at ``expected``."""
        done = self.call(
            lambda: self._write(
                keys=[key],
                args=[
                    str(expected),
                    str(expected + 1),
                    value,
                    "" if sliding_ms is None else str(sliding_ms),
                    str(lifetime_ms),
                ],
            )
        )
        return bool(done)

    # ------------------------------------------------------------ leases

    def try_lock(self, key: str, lease_ms: int) -> Optional[str]:
        """Take the partition's lock for ``lease_ms``: the owner token, or None if it is held."""
        owner = uuid.uuid4().hex
        taken = self.call(lambda: self.client.set(key + ":lock", owner, nx=True, px=lease_ms))
        return owner if taken else None

    def unlock(self, key: str, owner: str) -> None:
        self.call(lambda: self._release(keys=[key + ":lock"], args=[owner]))
