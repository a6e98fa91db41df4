"""RedisTokenCache: a token cache shared by processes and hosts through Redis.

Each call reads and writes one partition (see :mod:`.partitions`). A partition is served from
this process's memory (L1) when it has what the call needs, else read from Redis (L2) in one
round trip. Writes go to Redis with compare-and-set, then to L1. Processes that miss the same
token at once take a lease in Redis: one asks the identity provider, the others wait for its
write. When Redis is unreachable, calls go on from L1 and the network, and the changes made
meanwhile are written when it is back.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import random
import threading
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, TypeVar

from ..token_cache import EXPIRY_MARGIN, TokenCache, to_int
from ._l1 import LRU, Partition
from ._store import L2, Unavailable
from .partitions import app_partition, obo_partition, partition_of_entry, redis_key, user_partition
from .sealing import BadEntry, Key, Sealer

__all__ = ["RedisTokenCache"]

logger = logging.getLogger("msal.distributed")

T = TypeVar("T")
Change = Callable[[TokenCache], None]

# How often a process waiting for another one's token looks at Redis again.
_POLL_INTERVAL = 0.02
# Compare-and-set attempts before a write is kept in memory for later; between attempts a
# writer backs off a random while, up to _BACKOFF seconds times the attempt number.
_WRITE_ATTEMPTS = 32
_BACKOFF = 0.002
# A partition with nothing left to expire (no tokens) still lives this long in Redis.
_MIN_LIFETIME = 60

_BOUND: "contextvars.ContextVar[Optional[str]]" = contextvars.ContextVar(
    "msal_distributed_partition", default=None
)


class RedisTokenCache(TokenCache):
    """A :class:`~msal.TokenCache` kept in Redis (or Redis Cluster), with an in-process L1.

    Give it to any application as ``token_cache=``. One instance per process is enough; it is
    safe to use from many threads, and any number of processes and hosts can share the Redis.

    :param redis: A ``redis.Redis`` or ``redis.RedisCluster`` client, or a URL
        (``redis://[[user]:password@]host[:port][/db]``, ``rediss://...``, ``unix://...``).
        A client built from a URL gets short socket timeouts and no retries, so an unreachable
        Redis costs a call at most ``socket_timeout``; give your own client to choose otherwise.
    :param namespace: Prefix of every key; applications sharing a Redis may use their own.
    :param encryption_keys: Fernet keys (``cryptography.fernet.Fernet.generate_key()``), newest
        first. With them every value is encrypted and authenticated with the first key, and
        read with any of them; values that are not, are skipped.
    :param l1_max_bytes: Bound of the in-process copy, counted as the partitions' JSON size.
    :param refresh_token_ttl: Seconds a partition holding refresh tokens lives in Redis after
        its last use (refresh tokens carry no expiry; Entra's last 90 days unless revoked).
    :param lock_lease: Seconds a process may take to get a token that others wait for; a
        process that dies meanwhile delays the others at most this long.
    :param lock_wait: Seconds a process waits for another one's token before asking the
        identity provider itself (default: ``lock_lease``).
    :param retry_interval: During an outage, seconds between attempts to reach Redis.
    :param socket_timeout: Socket timeouts of a client built from a URL.
    :raises ValueError: for a URL that cannot be parsed, credentials Redis refuses, or keys
        that are not Fernet keys.
    """

    def __init__(
        self,
        redis: Any,
        *,
        namespace: str = "msal",
        encryption_keys: Optional[Sequence[Key]] = None,
        l1_max_bytes: int = 32 * 1024 * 1024,
        refresh_token_ttl: int = 90 * 86400,
        lock_lease: float = 10.0,
        lock_wait: Optional[float] = None,
        retry_interval: float = 1.0,
        socket_timeout: float = 0.5,
    ) -> None:
        super().__init__()
        if not isinstance(namespace, str) or not namespace or "{" in namespace:
            raise ValueError("namespace must be a non-empty string without braces")
        self._sealer = Sealer(encryption_keys)
        self.namespace = namespace
        self.refresh_token_ttl = int(refresh_token_ttl)
        self.lock_lease = float(lock_lease)
        self.lock_wait = self.lock_lease if lock_wait is None else float(lock_wait)
        self._l1 = LRU(int(l1_max_bytes))
        self._l2 = L2(_client(redis, socket_timeout), retry_interval)
        self._flush_due = False
        self._l2.on_recovery = self._schedule_flush
        self._tls = threading.local()
        _check_reachable(self._l2)

    # ------------------------------------------------------------ partitions in scope

    @contextlib.contextmanager
    def use_partition(self, partition: str) -> Iterator[None]:
        """Within the block, calls that name no partition (``get_accounts()``, ``find()`` with
        a loose query) read this one, e.g. the signed-in user's::

            with cache.use_partition(user_partition(client_id, session["home_account_id"])):
                accounts = app.get_accounts()
        """
        token = _BOUND.set(partition)
        try:
            yield
        finally:
            _BOUND.reset(token)

    def serialize_partition(self, partition: str) -> str:
        """One partition in the unified schema, as every MSAL library reads it."""
        part = self._revalidate(partition, self._l1.get(partition))
        with part.cache._lock:
            return json.dumps(part.cache._cache, separators=(",", ":"))

    def l1_stats(self) -> Dict[str, int]:
        """How many partitions this process holds, and their JSON size in bytes."""
        return self._l1.stats()

    @property
    def redis_outages(self) -> int:
        """How many times Redis became unreachable since this cache was made."""
        return self._l2.outages

    def flush(self) -> bool:
        """Write the changes made while Redis was unreachable; True when none is left."""
        self._flush_due = False
        for part in self._l1.values():
            if part.pending:
                self._write(part.name, _no_change)
        return not any(p.pending for p in self._l1.values())

    def _current(self) -> Optional[str]:
        return _BOUND.get() or getattr(self._tls, "current", None)

    def _enter(self, name: str) -> None:
        """A call for ``name`` begins: a lease this thread took for another partition is over."""
        held = getattr(self._tls, "held", None)
        if held is not None and held[0] != name:
            self._release()
        self._tls.current = name
        if self._flush_due:
            self.flush()

    def _schedule_flush(self) -> None:
        self._flush_due = True

    # ------------------------------------------------------------ reading

    def _revalidate(self, name: str, part: Optional[Partition]) -> Partition:
        """The partition as Redis has it now (one round trip), or what L1 has without Redis."""
        key = redis_key(self.namespace, name)
        try:
            found = self._l2.read(key, part.version if part is not None else -1)
        except Unavailable:
            return part if part is not None else Partition(name, key, {}, 0)
        if part is not None and found is not None and len(found) == 1:
            return part  # Unchanged
        if part is not None and part.pending:
            return part  # Changes of an outage to write first; _write rebases them
        fresh = self._from_redis(name, key, found)
        self._l1.put(fresh)
        return fresh

    def _from_redis(self, name: str, key: str, found: Optional[List[Any]]) -> Partition:
        if not found or len(found) < 2:
            return Partition(name, key, {}, found[0] if found else 0)
        version, value = found[0], found[1]
        try:
            doc = self._sealer.open(name, value)
        except BadEntry as exc:
            logger.warning("Skipped the cached tokens in Redis key %s: %s", key, exc)
            doc = {}
        return Partition(name, key, doc, version, size=len(value or b""))

    def _part(self, name: str) -> Partition:
        """L1's copy of a partition, read from Redis when L1 has none."""
        part = self._l1.get(name)
        return part if part is not None else self._revalidate(name, None)

    def _read_through(self, name: str, lookup: Callable[[Partition], Optional[T]]) -> Optional[T]:
        """L1, then Redis, then (on a miss) the partition's lease: None tells the caller to get
        the token itself; otherwise another process got it while this one waited."""
        self._enter(name)
        part = self._l1.get(name)
        if part is not None:
            hit = lookup(part)
            if hit is not None:
                return hit
        part = self._revalidate(name, part)
        hit = lookup(part)
        if hit is not None or self._holds(name):
            return hit
        return self._lead_or_wait(name, part, lookup)

    def _lead_or_wait(
        self, name: str, part: Partition, lookup: Callable[[Partition], Optional[T]]
    ) -> Optional[T]:
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                owner = self._l2.try_lock(part.key, int(self.lock_lease * 1000))
            except Unavailable:
                return None
            if owner is not None:
                self._tls.held = (name, part.key, owner)
                # The previous holder may have stored the token and let go between this
                # process's miss and its taking the lease: look once more before asking.
                hit = lookup(self._revalidate(name, part))
                if hit is not None:
                    self._release()
                return hit
            if time.monotonic() >= deadline:
                return None
            time.sleep(_POLL_INTERVAL)
            part = self._revalidate(name, part)
            hit = lookup(part)
            if hit is not None:
                return hit

    def _holds(self, name: str) -> bool:
        held = getattr(self._tls, "held", None)
        return held is not None and held[0] == name

    def _release(self) -> None:
        held, self._tls.held = getattr(self._tls, "held", None), None
        if held is not None:
            with contextlib.suppress(Unavailable):
                self._l2.unlock(held[1], held[2])

    # ------------------------------------------------------------ writing

    def _write(self, name: str, change: Change) -> None:
        """Apply ``change`` to the partition in Redis (compare-and-set, rebased on conflicts)
        and in L1; without Redis, to L1 only, remembering it for later."""
        part = self._part(name)
        for attempt in range(_WRITE_ATTEMPTS):
            cache = _applied(part.document(), [change])
            value = self._sealer.seal(name, cache._cache)
            sliding, lifetime = self._lifetimes(cache._cache)
            try:
                written = self._l2.write(part.key, part.version, value, sliding, lifetime)
            except Unavailable:
                break
            if written:
                self._l1.put(Partition(name, part.key, cache._cache, part.version + 1, size=len(value)))
                return
            time.sleep(random.uniform(0, _BACKOFF * attempt))
            part = self._rebase(part)
        else:
            logger.warning("Redis key %s kept changing; this change waits in memory", part.key)
        pending = part.pending + ([] if change is _no_change else [change])
        self._l1.put(Partition(name, part.key, cache._cache, part.version, pending=pending))

    def _rebase(self, part: Partition) -> Partition:
        """Redis's newer version of a partition, with this process's unwritten changes on it."""
        try:
            found = self._l2.read(part.key, -1)
        except Unavailable:
            return part
        if found is None and part.pending:
            # Redis lost the partition (a restart without persistence) while this process was
            # cut off from it: what this process holds is the best account of it.
            return Partition(part.name, part.key, part.document(), 0, pending=part.pending)
        base = self._from_redis(part.name, part.key, found)
        if not part.pending:
            return base
        replayed = _applied(base.document(), part.pending)
        return Partition(part.name, part.key, replayed._cache, base.version, pending=part.pending)

    def _lifetimes(self, doc: Dict[str, Any]) -> Tuple[Optional[int], int]:
        """(sliding ms, lifetime ms): the latest access token's expiry, or the refresh tokens'
        sliding lifetime when longer."""
        expiries = [
            to_int(e.get("expires_on"), 0) or 0
            for e in doc.get(self.CredentialType.ACCESS_TOKEN, {}).values()
            if isinstance(e, dict)
        ]
        lifetime = max(expiries, default=0) - time.time()
        sliding = None
        if doc.get(self.CredentialType.REFRESH_TOKEN):
            sliding = self.refresh_token_ttl * 1000
            lifetime = max(lifetime, self.refresh_token_ttl)
        return sliding, int(max(lifetime, _MIN_LIFETIME) * 1000)

    # ------------------------------------------------------------ TokenCache: writes

    def add(self, event: Dict[str, Any], now: Optional[float] = None) -> None:
        """Store a token event in its partition, then end this thread's lease on it."""
        now = time.time() if now is None else now
        name = self._partition_of_event(event, now)

        def change(cache: TokenCache) -> None:
            cache.add(event, now=now)

        self._write(name, change)
        if self._holds(name):
            self._release()

    def _partition_of_event(self, event: Dict[str, Any], now: float) -> str:
        if event.get("user_assertion_hash"):
            return obo_partition(event.get("client_id"), event["user_assertion_hash"])
        scratch = TokenCache()
        scratch.add(event, now=now)
        for credential_type in (
            self.CredentialType.ACCESS_TOKEN,
            self.CredentialType.REFRESH_TOKEN,
            self.CredentialType.ID_TOKEN,
        ):
            for entry in scratch._cache.get(credential_type, {}).values():
                found = partition_of_entry(credential_type, entry)
                if found:
                    return found
        current = self._current()
        return current if current else app_partition(event.get("environment"), event.get("client_id"), None)

    def modify(
        self,
        credential_type: str,
        old_entry: Dict[str, Any],
        new_key_value_pairs: Optional[Dict[str, Any]] = None,
    ) -> None:
        name = partition_of_entry(credential_type, old_entry) or self._current()
        if name is None:
            logger.debug("No partition for a %s entry; nothing changed", credential_type)
            return

        def change(cache: TokenCache) -> None:
            cache.modify(credential_type, old_entry, new_key_value_pairs)

        self._write(name, change)

    def remove_account_data(
        self, *, home_account_id: str, environments: Iterable[str], client_id: str
    ) -> None:
        envs = list(environments)

        def change(cache: TokenCache) -> None:
            cache.remove_account_data(home_account_id=home_account_id, environments=envs, client_id=client_id)

        self._write(user_partition(client_id, home_account_id), change)

    # ------------------------------------------------------------ TokenCache: lookups

    def find_access_token(
        self,
        *,
        client_id: str,
        environments: Iterable[str],
        realm: Optional[str],
        home_account_id: Optional[str],
        scopes: Iterable[str],
        now: Optional[float] = None,
    ) -> Optional[Dict[str, Any]]:
        envs, wanted = tuple(environments), list(scopes)
        name = (
            user_partition(client_id, home_account_id)
            if home_account_id
            else app_partition(envs[0] if envs else "", client_id, realm)
        )

        def lookup(part: Partition) -> Optional[Dict[str, Any]]:
            return part.cache.find_access_token(
                client_id=client_id,
                environments=envs,
                realm=realm,
                home_account_id=home_account_id,
                scopes=wanted,
                now=now,
            )

        return self._read_through(name, lookup)

    def find_refresh_tokens(
        self,
        *,
        home_account_id: str,
        environments: Iterable[str],
        client_id: str,
        family_id: Optional[str] = None,
    ) -> List[Dict[str, Any]]:
        name = user_partition(client_id, home_account_id)
        self._enter(name)
        found = self._part(name).cache.find_refresh_tokens(
            home_account_id=home_account_id,
            environments=environments,
            client_id=client_id,
            family_id=family_id,
        )
        if not found and self._holds(name):
            self._release()  # Nothing to refresh with: no token is coming from this thread
        return found

    def find_id_token(
        self,
        *,
        home_account_id: str,
        environments: Iterable[str],
        client_id: str,
        realm: Optional[str] = None,
    ) -> Optional[Dict[str, Any]]:
        name = user_partition(client_id, home_account_id)
        self._enter(name)
        return self._part(name).cache.find_id_token(
            home_account_id=home_account_id, environments=environments, client_id=client_id, realm=realm
        )

    def find_app_metadata(self, *, client_id: str, environments: Iterable[str]) -> Optional[Dict[str, Any]]:
        name = self._current()
        if name is None:
            return None
        return self._part(name).cache.find_app_metadata(client_id=client_id, environments=environments)

    def find_accounts(
        self, *, environments: Iterable[str], username: Optional[str] = None
    ) -> List[Dict[str, Any]]:
        """The accounts of the partition in use (see :meth:`use_partition`); outside one,
        those of the partitions this process holds in memory."""
        envs = list(environments)
        bound = _BOUND.get()
        parts = [self._part(bound)] if bound else self._l1.values()
        accounts: Dict[Any, Dict[str, Any]] = {}
        for part in parts:
            for account in part.cache.find_accounts(environments=envs, username=username):
                accounts.setdefault(account.get("home_account_id"), account)
        return list(accounts.values())

    def find(
        self,
        credential_type: str,
        target: Optional[Iterable[str]] = None,
        query: Optional[Dict[str, Any]] = None,
        *,
        now: Optional[float] = None,
    ) -> List[Dict[str, Any]]:
        """Entries of the partition the query names (by ``user_assertion_hash`` or
        ``home_account_id``, with ``client_id``), else of the partition in use, else of the
        partitions in memory. A miss of on-behalf-of access tokens waits, like
        :meth:`find_access_token`, for another process already getting them."""
        query = dict(query or {})
        scopes = target.split() if isinstance(target, str) else list(target or ())
        name = partition_of_entry("", query) or _BOUND.get()  # A query names fields as entries do
        if name is None:
            return [e for p in self._l1.values() for e in p.cache.find(credential_type, scopes, query)]
        if credential_type == self.CredentialType.ACCESS_TOKEN and query.get("user_assertion_hash"):
            deadline = time.time() + EXPIRY_MARGIN

            def usable(part: Partition) -> Optional[List[Dict[str, Any]]]:
                found = part.cache.find(credential_type, scopes, query)
                live = [e for e in found if (to_int(e.get("expires_on"), 0) or 0) > deadline]
                return live or None

            hit = self._read_through(name, usable)
            if hit is not None:
                return hit
        else:
            self._enter(name)
        return self._part(name).cache.find(credential_type, scopes, query)


def _no_change(cache: TokenCache) -> None:
    """The change that writes a partition as it is (to flush what an outage left)."""


def _applied(doc: Dict[str, Any], changes: Sequence[Change]) -> TokenCache:
    cache = TokenCache()
    cache._replace_all(doc)
    for change in changes:
        change(cache)
    return cache


def _client(redis: Any, socket_timeout: float) -> Any:
    """The Redis client to use: the one given, or one made from a URL."""
    if isinstance(redis, str):
        return _client_from_url(redis, socket_timeout)
    if callable(getattr(redis, "register_script", None)) and callable(getattr(redis, "set", None)):
        return redis
    raise TypeError("redis must be a redis.Redis or redis.RedisCluster client, or a Redis URL")


def _client_from_url(url: str, socket_timeout: float) -> Any:
    try:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError:
        raise ImportError("RedisTokenCache needs redis-py: pip install msal[redis]") from None
    try:
        return redis.Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
        )
    except (ValueError, TypeError, IndexError):
        # The URL may hold a password: it is not repeated in the message.
        raise ValueError(
            "The Redis URL cannot be parsed; expected "
            "redis://[[user]:password@]host[:port][/db], rediss://... or "
            "unix://path[?db=N]"
        ) from None


def _check_reachable(l2: L2) -> None:
    """Refuse configuration errors now; an unreachable Redis is only an outage."""
    from redis import exceptions

    try:
        l2.client.ping()
    except exceptions.AuthenticationError:
        raise ValueError("Redis refused the credentials (wrong password or user name)") from None
    except (exceptions.ConnectionError, exceptions.TimeoutError) as exc:
        l2.went_down(exc)
    except exceptions.ResponseError as exc:
        if "NOAUTH" in str(exc) or "WRONGPASS" in str(exc):
            raise ValueError("Redis refused the credentials (wrong password or user name)") from None
        raise ValueError("Redis refused the connection: %s" % exc) from None
