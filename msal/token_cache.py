"""Token cache in the unified schema shared by all MSAL libraries.

The cache is a JSON object of sections (``AccessToken``, ``RefreshToken``,
``IdToken``, ``Account``, ``AppMetadata``), each mapping a lower-cased key to
an entry.  Other MSAL libraries read and write the same document, so key
formats and field names follow that schema exactly, and unknown sections and
fields are kept verbatim.

This module imports nothing beyond the standard library.  Tokens are fed in
through :meth:`TokenCache.add`, called with the event the protocol layer
emits after each successful token request.
"""

from __future__ import annotations

import base64
import contextlib
import heapq
import itertools
import json
import threading
import time
from typing import (
    Any, Callable, ContextManager, Dict, FrozenSet, Iterable, Iterator, List, Optional, Set,
    Tuple)
from urllib.parse import urlparse

__all__ = ["TokenCache", "SerializableTokenCache"]

# An access token is treated as expired this many seconds before expires_on.
EXPIRY_MARGIN = 300
# Lifetime assumed when a token response carries no usable expires_in.
_DEFAULT_EXPIRES_IN = 600


# ---------------------------------------------------------------- helpers


def _b64url_decode(text: str) -> bytes:
    """Decode base64url text, tolerating missing padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_client_info(client_info: Any) -> Optional[Dict[str, Any]]:
    """Return the JSON object inside a base64url ``client_info``, or None."""
    if not isinstance(client_info, str) or not client_info:
        return None
    try:
        decoded = json.loads(_b64url_decode(client_info).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, TypeError, RecursionError):  # Deep nesting too
        return None
    return decoded if isinstance(decoded, dict) else None


def decode_id_token_claims(id_token: Any) -> Optional[Dict[str, Any]]:
    """Return the payload of a JWT without verifying it, or None if malformed.

    Verification (signature, issuer, audience, expiry) is the protocol
    layer's job; the cache only needs the identifying claims.
    """
    if not isinstance(id_token, str):
        return None
    parts = id_token.split(".")
    if len(parts) < 2 or not parts[1]:
        return None
    try:
        claims = json.loads(_b64url_decode(parts[1]).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, TypeError, RecursionError):  # Deep nesting too
        return None
    return claims if isinstance(claims, dict) else None


def to_int(value: Any, default: Optional[int] = None) -> Optional[int]:
    """Parse an integer-ish value (int, float or numeric string)."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return default


def _epoch(value: Any) -> Optional[int]:
    """Epoch seconds as the schema stores them (an integer or a string of digits), or None.

    Stricter than to_int: callers turn a cached ``expires_on`` into ``int()`` directly.
    """
    if type(value) is int:
        return value
    if type(value) is str and value.isdecimal() and len(value) <= 20:  # int() refuses huge ones
        return int(value)
    return None


def _text(value: Any) -> bool:
    """Whether a field holds a non-empty string."""
    return type(value) is str and value != ""


def _usable_access_token(entry: Dict[str, Any]) -> bool:
    """Whether an access token can be served: a secret, an expiry, an account or none."""
    home = entry.get("home_account_id")
    token_type = entry.get("token_type")
    return (_text(entry.get("secret")) and _epoch(entry.get("expires_on")) is not None
            and (home is None or _text(home))
            and (token_type is None or type(token_type) is str))


def _usable_account(entry: Dict[str, Any]) -> bool:
    """Whether an account can be listed and then used in silent calls."""
    return (_text(entry.get("home_account_id")) and _text(entry.get("environment"))
            and all(entry.get(f) is None or type(entry.get(f)) is str
                    for f in ("realm", "username", "local_account_id")))


def _usable_credential(entry: Dict[str, Any]) -> bool:
    """Whether a refresh or ID token can be used: a secret, filed under an account."""
    return (_text(entry.get("secret")) and _text(entry.get("home_account_id"))
            and _text(entry.get("environment")) and _text(entry.get("client_id")))


def _hashable(value: Any) -> Any:
    """Make an entry field usable in an index key (JSON may hold lists)."""
    try:
        hash(value)
    except TypeError:
        return ("<unhashable>", json.dumps(value, sort_keys=True, default=str))
    return value


def _scope_set(target: Any) -> FrozenSet[str]:
    """Lower-cased scopes of a space-separated target string."""
    if not isinstance(target, str):
        return frozenset()
    return frozenset(s.lower() for s in target.split())


def _part(value: Any) -> str:
    return "" if value is None else str(value)


def _join_key(*parts: Any) -> str:
    return "-".join(_part(p) for p in parts).lower()


# Key formats of the unified schema.  Each maker takes an entry's fields.
def _access_token_key(**e: Any) -> str:
    return _join_key(e.get("home_account_id"), e.get("environment"), "accesstoken",
                     e.get("client_id"), e.get("realm"), e.get("target"))


def _refresh_token_key(**e: Any) -> str:
    # The refresh token key has an empty realm part, and is keyed by client_id
    # even for family (FOCI) tokens.
    return _join_key(e.get("home_account_id"), e.get("environment"), "refreshtoken",
                     e.get("client_id"), "", e.get("target"))


def _id_token_key(**e: Any) -> str:
    return _join_key(e.get("home_account_id"), e.get("environment"), "idtoken",
                     e.get("client_id"), e.get("realm"), "")


def _account_key(**e: Any) -> str:
    return _join_key(e.get("home_account_id"), e.get("environment"), e.get("realm"))


def _app_metadata_key(**e: Any) -> str:
    # Unlike the other keys, this one keeps its case.
    return "appmetadata-{}-{}".format(_part(e.get("environment")), _part(e.get("client_id")))


# ---------------------------------------------------------------- indexes

_EMPTY: Dict[str, Any] = {}
_NO_INDEX = object()
_RETRY = object()
# An access-token bucket larger than this gets a per-scope sub-index on its first lookup.
_SCOPE_INDEX_THRESHOLD = 4
_MAX_INTERNED_TARGETS = 4096


def _ik(value: Any) -> Any:
    """A field value as part of an index key (strings and None as they are)."""
    if value is None or type(value) is str:
        return value
    return _hashable(value)


def _bucket_insert(index: Dict[Any, Dict[str, Any]], ikey: Any, key: str, payload: Any,
                   seqs: Dict[str, int]) -> bool:
    """Add a key to a bucket, keeping the bucket in document order; True if the bucket is new."""
    bucket = index.get(ikey)
    if bucket is None:
        index[ikey] = {key: payload}
        return True
    in_order = seqs[next(reversed(bucket))] < seqs[key]
    bucket[key] = payload
    if not in_order:  # An older entry moved into this bucket (a modify changed its field)
        index[ikey] = dict(sorted(bucket.items(), key=lambda kv: seqs[kv[0]]))
    return False


def _bucket_remove(index: Dict[Any, Dict[str, Any]], ikey: Any, key: str) -> bool:
    """Remove a key from a bucket; True if the bucket is now gone."""
    bucket = index.get(ikey)
    if bucket is None:
        return False
    bucket.pop(key, None)
    if bucket:
        return False
    del index[ikey]
    return True


class _Index(object):
    """Lookup structures over the cache document, so that each lookup costs what it returns.

    Buckets map cache keys in their section's order (``seq``), so indexed answers come in the
    order a scan would give. Access-token buckets carry each token's parsed (scope set,
    expires_on); big ones also get a per-scope sub-index. A stale section is rebuilt on first use.
    """

    def __init__(self, fields: Dict[str, Tuple[str, ...]]) -> None:
        self.fields = fields
        self.stale: Set[str] = set(fields)
        self.seq: Dict[str, Dict[str, int]] = {}
        self.primary: Dict[str, Dict[Any, Dict[str, Any]]] = {}
        self.accounts_by_env: Dict[Any, Dict[str, None]] = {}
        self.accounts_by_name: Dict[str, Dict[str, None]] = {}
        self.at_buckets_by_home: Dict[Any, Dict[Tuple[Any, ...], None]] = {}
        self.at_by_scope: Dict[Tuple[Any, ...], Dict[str, Dict[str, None]]] = {}
        # find_accounts' answer per set of environments, until the Account section changes.
        self.accounts_memo: Dict[FrozenSet[str], List[Dict[str, Any]]] = {}
        self._targets: Dict[str, FrozenSet[str]] = {}
        self._counter = itertools.count()

    def invalidate_all(self) -> None:
        self.stale = set(self.fields)
        self.seq, self.primary, self.at_by_scope = {}, {}, {}
        self.accounts_by_env, self.accounts_by_name, self.at_buckets_by_home = {}, {}, {}
        self.accounts_memo = {}

    def rebuild(self, credential_type: str, section: Dict[str, Any]) -> None:
        CT = TokenCache.CredentialType
        if credential_type == CT.ACCESS_TOKEN:
            self.at_by_scope, self.at_buckets_by_home = {}, {}
        elif credential_type == CT.ACCOUNT:
            self.accounts_by_env, self.accounts_by_name, self.accounts_memo = {}, {}, {}
        self.seq[credential_type] = {}
        self.primary[credential_type] = {}
        self.stale.discard(credential_type)
        for key, entry in section.items():
            if isinstance(entry, dict):
                self.put(credential_type, key, None, entry)

    def key_of(self, credential_type: str, entry: Dict[str, Any]) -> Any:
        fields = self.fields[credential_type]
        if len(fields) == 1:
            return _ik(entry.get(fields[0]))
        return tuple([_ik(entry.get(f)) for f in fields])

    def bucket(self, credential_type: str, ikey: Any) -> Dict[str, Any]:
        return self.primary[credential_type].get(ikey, _EMPTY)

    def scopes_of(self, target: Any) -> FrozenSet[str]:
        """The lower-cased scope set of a target, shared between entries with the same target."""
        if type(target) is not str:
            return frozenset()
        found = self._targets.get(target)
        if found is None:
            if len(self._targets) >= _MAX_INTERNED_TARGETS:
                self._targets.clear()
            found = self._targets[target] = _scope_set(target)
        return found

    def put(self, credential_type: str, key: str, old: Optional[Dict[str, Any]], new: Dict[str,
            Any]) -> None:
        """Index ``new`` under ``key``, where ``old`` was stored before (None if nothing was)."""
        seqs = self.seq[credential_type]
        if old is None:
            seqs[key] = next(self._counter)
        index = self.primary[credential_type]
        CT = TokenCache.CredentialType
        if credential_type == CT.ACCESS_TOKEN:
            self._put_access_token(index, key, old, new, seqs)
            return
        ikey = self.key_of(credential_type, new)
        if old is None or self.key_of(credential_type, old) != ikey:
            if old is not None:
                _bucket_remove(index, self.key_of(credential_type, old), key)
            _bucket_insert(index, ikey, key, None, seqs)
        if credential_type == CT.ACCOUNT:
            self.accounts_memo.clear()
            for secondary, of in ((self.accounts_by_env, _listed_environment),
                                  (self.accounts_by_name, _listed_username)):
                new_k = of(new)
                old_k = of(old) if old is not None else _NO_INDEX
                if old_k != new_k:
                    if old_k is not _NO_INDEX:
                        _bucket_remove(secondary, old_k, key)
                    if new_k is not _NO_INDEX:
                        _bucket_insert(secondary, new_k, key, None, seqs)

    def drop(self, credential_type: str, key: str, old: Dict[str, Any]) -> None:
        """Forget the entry ``old`` that was stored under ``key``."""
        CT = TokenCache.CredentialType
        index = self.primary[credential_type]
        ikey = self.key_of(credential_type, old)
        if credential_type == CT.ACCESS_TOKEN:
            self._drop_access_token(index, ikey, key)
        else:
            _bucket_remove(index, ikey, key)
        if credential_type == CT.ACCOUNT:
            self.accounts_memo.clear()
            for secondary, of in ((self.accounts_by_env, _listed_environment),
                                  (self.accounts_by_name, _listed_username)):
                old_k = of(old)
                if old_k is not _NO_INDEX:
                    _bucket_remove(secondary, old_k, key)
        self.seq[credential_type].pop(key, None)

    def _put_access_token(self, index: Dict[Any, Dict[str, Any]], key: str,
                          old: Optional[Dict[str, Any]],
                          new: Dict[str, Any], seqs: Dict[str, int]) -> None:
        ikey = self.key_of(TokenCache.CredentialType.ACCESS_TOKEN, new)
        expires_on = _epoch(new.get("expires_on")) if _usable_access_token(new) else None
        payload = (_environment_of(new), self.scopes_of(new.get("target")), expires_on)
        if old is not None:
            old_ikey = self.key_of(TokenCache.CredentialType.ACCESS_TOKEN, old)
            if old_ikey == ikey:
                self._scope_index_update(ikey, key, index[ikey][key][1], payload[1])
                index[ikey][key] = payload  # Same bucket: keeps its position
                return
            self._drop_access_token(index, old_ikey, key)
        if _bucket_insert(index, ikey, key, payload, seqs):
            self.at_buckets_by_home.setdefault(ikey[2], {})[ikey] = None
        self._scope_index_update(ikey, key, frozenset(), payload[1])

    def _drop_access_token(self, index: Dict[Any, Dict[str, Any]], ikey: Tuple[Any, ...],
                           key: str) -> None:
        bucket = index.get(ikey)
        if bucket is None or key not in bucket:
            return
        self._scope_index_update(ikey, key, bucket[key][1], frozenset())
        if _bucket_remove(index, ikey, key):
            self.at_by_scope.pop(ikey, None)
            _bucket_remove(self.at_buckets_by_home, ikey[2], ikey)  # type: ignore[arg-type]

    def _scope_index_update(self, ikey: Tuple[Any, ...], key: str, old: FrozenSet[str],
                            new: FrozenSet[str]) -> None:
        sub = self.at_by_scope.get(ikey)
        if sub is None or old == new:
            return
        for scope in old - new:
            _bucket_remove(sub, scope, key)
        for scope in new - old:
            sub.setdefault(scope, {})[key] = None

    def access_token_candidates(self, ikey: Tuple[Any, ...], bucket: Dict[str, Any],
                                wanted: FrozenSet[str],
                                build: bool = True) -> Optional[Dict[str, Any]]:
        """Keys of the bucket's tokens that may cover ``wanted``: a small superset.
        None when the scope sub-index is missing and ``build`` is false."""
        if not wanted or len(bucket) <= _SCOPE_INDEX_THRESHOLD:
            return bucket
        sub = self.at_by_scope.get(ikey)
        if sub is None:
            if not build:
                return None
            sub = {}
            for key, (_, scopes, _) in bucket.items():
                for scope in scopes:
                    sub.setdefault(scope, {})[key] = None
            self.at_by_scope[ikey] = sub  # Published whole: lock-free readers see all or nothing
        smallest: Optional[Dict[str, Any]] = None
        for scope in wanted:
            keys = sub.get(scope)
            if keys is None:
                return _EMPTY
            if smallest is None or len(keys) < len(smallest):
                smallest = keys
        return smallest if smallest is not None else bucket


def _one_per_home(section: Dict[str, Any], keys: Iterable[str]) -> List[Dict[str, Any]]:
    """The entries of these keys, the last one of each home_account_id at the first's place."""
    by_home: Dict[Any, Dict[str, Any]] = {}
    for key in keys:
        entry = section[key]
        home = entry.get("home_account_id")
        by_home[home if type(home) is str else _ik(home)] = entry
    return list(by_home.values())


def _modified_at(entry: Dict[str, Any]) -> int:
    """When a refresh token was stored (0 when unknown), to try the newest first."""
    return _epoch(entry.get("last_modification_time")) or 0


def _environment_of(entry: Dict[str, Any]) -> Any:
    return _ik(entry.get("environment"))


def _listed_environment(entry: Dict[str, Any]) -> Any:
    """Where an account is listed by environment; unusable accounts are not listed."""
    return _environment_of(entry) if _usable_account(entry) else _NO_INDEX


def _listed_username(entry: Dict[str, Any]) -> Any:
    """Where an account is listed by username; unusable accounts are not listed."""
    name = entry.get("username")
    return name.lower() if isinstance(name, str) and _usable_account(entry) else _NO_INDEX


# ---------------------------------------------------------------- cache


class TokenCache:
    """The token cache an application reads and writes, kept in memory.

    It stores access tokens, refresh tokens, ID tokens, accounts and app metadata in the
    unified schema that all MSAL libraries share, but it has no way to save them: for that
    use the subclass :class:`SerializableTokenCache` (or
    :class:`~msal.persistence.PersistedTokenCache`). Applications given no cache create one
    of these. All methods are safe to call from several threads.
    """

    class CredentialType:
        ACCESS_TOKEN = "AccessToken"
        REFRESH_TOKEN = "RefreshToken"
        ACCOUNT = "Account"  # Not exactly a credential type, but we put it here
        ID_TOKEN = "IdToken"
        APP_METADATA = "AppMetadata"

    class AuthorityType:
        ADFS = "ADFS"
        MSSTS = "MSSTS"  # MSSTS means AAD v2 for both AAD & MSA

    # Section order used for a fresh document, matching what MSAL writes.
    _SECTIONS = (
        CredentialType.ACCESS_TOKEN,
        CredentialType.ACCOUNT,
        CredentialType.ID_TOKEN,
        CredentialType.REFRESH_TOKEN,
        CredentialType.APP_METADATA,
    )

    # Which fields of an entry each section is indexed by (the primary index).
    _INDEX_FIELDS = {
        # Aliases of one cloud rarely hold the same tenant's tokens side by side, so an
        # access token's environment is checked within its bucket (see find_access_token).
        CredentialType.ACCESS_TOKEN: ("client_id", "realm", "home_account_id"),
        CredentialType.REFRESH_TOKEN: ("home_account_id",),
        CredentialType.ID_TOKEN: ("home_account_id",),
        CredentialType.ACCOUNT: ("home_account_id",),
        CredentialType.APP_METADATA: ("client_id",),
    }

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._cache: Dict[str, Dict[str, Any]] = {}
        self._index = _Index(self._INDEX_FIELDS)
        self._indexed_doc: Any = self._cache
        # Odd while a write is under way: lets find_access_token read without the lock.
        self._version = 0
        self.key_makers: Dict[str, Callable[..., str]] = {
            self.CredentialType.ACCESS_TOKEN: _access_token_key,
            self.CredentialType.REFRESH_TOKEN: _refresh_token_key,
            self.CredentialType.ID_TOKEN: _id_token_key,
            self.CredentialType.ACCOUNT: _account_key,
            self.CredentialType.APP_METADATA: _app_metadata_key,
        }
        # A subclass that hooks modify() or find() alone (msal-extensions' PersistedTokenCache
        # does, to save and reload its file) relies on the original's routing: each write goes
        # through modify() and each lookup calls find(). Other caches take the indexed paths.
        cls = type(self)
        self._writes_via_modify = _overrides(cls, "modify") and not _overrides(cls, "add")
        self._reads_via_find = (
            _overrides(cls, "find") and not _overrides(cls, "find_access_token"))

    # ------------------------------------------------------------ storage

    def _indexes_for(self, credential_type: str) -> "_Index":
        """The index, brought up to date for one section (caller holds the lock).

        A document replaced behind the cache's back (``self._cache = ...``) is re-indexed too.
        """
        if self._cache is not self._indexed_doc:
            self._index.invalidate_all()
            self._indexed_doc = self._cache
        if credential_type in self._index.stale:
            self._version += 1
            try:
                self._index.rebuild(credential_type, self._cache.get(credential_type, {}))
            finally:
                self._version += 1
        return self._index

    def _store(self, credential_type: str, key: str, entry: Dict[str, Any]) -> None:
        """Insert or replace one entry, keeping the indexes in step."""
        index = self._indexes_for(credential_type)
        section = self._cache.setdefault(credential_type, {})
        self._version += 1
        try:
            old = section.get(key)
            section[key] = entry
            index.put(credential_type, key, old, entry)
        finally:
            self._version += 1

    def _put(self, credential_type: str, key: str, entry: Dict[str, Any]) -> None:
        """Store one entry of a token event; through modify() when a subclass hooks it."""
        if self._writes_via_modify:
            self.modify(credential_type, entry, entry)
        else:
            self._store(credential_type, key, entry)

    def _write_lock(self) -> ContextManager[Any]:
        """The lock around a compound write. None when each step goes through a hooked
        modify(), which locks for itself: msal-extensions takes its file lock before ours."""
        return contextlib.nullcontext() if self._writes_via_modify else self._lock

    def _delete(self, credential_type: str, key: str) -> None:
        index = self._indexes_for(credential_type)
        self._version += 1
        try:
            old = self._cache.get(credential_type, {}).pop(key, None)
            if old is not None:
                index.drop(credential_type, key, old)
        finally:
            self._version += 1

    def _locate(self, credential_type: str, entry: Dict[str, Any]) -> Optional[str]:
        """Key under which an entry equal to ``entry`` is stored, if any."""
        section = self._cache.get(credential_type, {})
        maker = self.key_makers.get(credential_type)
        if maker is not None:
            key = maker(**entry)
            if key in section:
                return key
        if credential_type in self._INDEX_FIELDS:
            # An equal entry has the same index key: look in that one bucket only.
            index = self._indexes_for(credential_type)
            candidates: Iterable[str] = index.bucket(credential_type, index.key_of(credential_type, entry))
        else:
            candidates = list(section)
        for key in candidates:
            if section[key] == entry:
                return key
        return None

    def _replace_all(self, data: Dict[str, Any]) -> None:
        """Replace the whole document; its indexes are built when first needed."""
        with self._lock:
            self._version += 1
            try:
                self._cache = data
                self._indexed_doc = data
                self._index.invalidate_all()
            finally:
                self._version += 1

    # ------------------------------------------------------------ add

    def add(self, event: Dict[str, Any], now: Optional[float] = None) -> None:
        """Store the tokens of a token-obtaining event.

        Applications call it after each successful token request; you seldom call it yourself.
        A subclass can override it to add behaviour, as :class:`SerializableTokenCache` does to
        track changes.

        :param dict event: The request that was made (``client_id``, ``scope``,
            ``token_endpoint``, ...) and the ``response`` the identity provider gave.
        :param float now: The current time in seconds since the epoch; ``None`` uses the clock.
            Expiry times of the stored access tokens are computed from it.
        """
        with self._write_lock():
            self._add(event, now=now)

    def _add(self, event: Dict[str, Any], now: Optional[float] = None) -> None:
        CT = self.CredentialType
        now = int(time.time() if now is None else now)
        response = event.get("response") or {}
        data = event.get("data") or {}
        client_id = event.get("client_id")

        endpoint = urlparse(event.get("token_endpoint") or "")
        environment = event.get("environment") or endpoint.hostname
        path = [p for p in endpoint.path.split("/") if p]
        realm = path[0] if path else None
        scope = event.get("scope") or []
        target = " ".join(scope.split() if isinstance(scope, str) else scope)

        client_info = decode_client_info(response.get("client_info"))
        id_token = response.get("id_token")
        claims = decode_id_token_claims(id_token) if id_token else None

        home_account_id = None
        if client_info and client_info.get("uid") is not None and client_info.get("utid") is not None:
            home_account_id = "{}.{}".format(client_info["uid"], client_info["utid"])
        elif claims and claims.get("sub") is not None:
            home_account_id = str(claims["sub"])

        # A user's tokens filed without an account would sit where app tokens are looked up
        # (no home_account_id) and could be served as the app's: such tokens are not kept.
        homeless_user_grant = home_account_id is None and event.get("grant_type") not in (
            None, "client_credentials")
        if "access_token" in response and not homeless_user_grant:
            parsed = to_int(response.get("expires_in"), _DEFAULT_EXPIRES_IN)
            expires_in = _DEFAULT_EXPIRES_IN if parsed is None else parsed
            ext_expires_in = to_int(response.get("ext_expires_in"), expires_in)
            ext_expires_in = expires_in if ext_expires_in is None else ext_expires_in
            at = {
                "credential_type": CT.ACCESS_TOKEN,
                "secret": response["access_token"],
                "home_account_id": home_account_id,
                "environment": environment,
                "client_id": client_id,
                "target": target,
                "realm": realm,
                "token_type": response.get("token_type", "Bearer"),
                "cached_at": str(now),
                "expires_on": str(now + expires_in),
                "extended_expires_on": str(now + ext_expires_in),
            }
            refresh_in = to_int(response.get("refresh_in"))
            if refresh_in is not None:
                at["refresh_on"] = str(now + refresh_in)
            if data.get("key_id"):  # e.g. an SSH certificate's key
                at["key_id"] = data["key_id"]
            if event.get("user_assertion_hash"):  # On-behalf-of: which incoming token it is for
                at["user_assertion_hash"] = event["user_assertion_hash"]
            self._put(CT.ACCESS_TOKEN, _access_token_key(**at), at)

        if home_account_id:
            claims_ = claims or {}
            username = claims_.get("preferred_username", claims_.get("upn"))
            account = {
                "home_account_id": home_account_id,
                "environment": environment,
                "realm": realm,
                "local_account_id": claims_.get("oid", claims_.get("sub")),
                "username": username or data.get("username") or "",
                "authority_type": (
                    self.AuthorityType.ADFS
                    if isinstance(realm, str) and realm.lower() == "adfs"
                    else self.AuthorityType.MSSTS),
            }
            self._put(CT.ACCOUNT, _account_key(**account), account)

        if claims is not None:
            idt = {
                "credential_type": CT.ID_TOKEN,
                "secret": id_token,
                "home_account_id": home_account_id,
                "environment": environment,
                "realm": realm,
                "client_id": client_id,
            }
            self._put(CT.ID_TOKEN, _id_token_key(**idt), idt)

        if "refresh_token" in response and not homeless_user_grant:
            rt = {
                "credential_type": CT.REFRESH_TOKEN,
                "secret": response["refresh_token"],
                "home_account_id": home_account_id,
                "environment": environment,
                "client_id": client_id,
                "target": target,
                "last_modification_time": str(now),
            }
            if response.get("foci"):
                rt["family_id"] = response["foci"]
            if event.get("user_assertion_hash"):
                rt["user_assertion_hash"] = event["user_assertion_hash"]
            self._put_refresh_token(rt)

        app_metadata = {"client_id": client_id, "environment": environment}
        if response.get("foci"):
            app_metadata["family_id"] = response["foci"]
        self._put(CT.APP_METADATA, _app_metadata_key(**app_metadata), app_metadata)

    def _put_refresh_token(self, rt: Dict[str, Any]) -> None:
        """Store a new refresh token in place of the account's older ones for the client.

        One refresh token per account, client and environment, as the original keeps it:
        the newest takes the place (key and target) of the first one stored, and any others
        (left by earlier versions) go. Unusable entries are left to whoever wrote them.
        """
        CT = self.CredentialType
        key = _refresh_token_key(**rt)
        with self._lock:
            older = [(k, e) for k, e in self._keyed(CT.REFRESH_TOKEN, _ik(rt["home_account_id"]))
                     if e.get("environment") == rt["environment"]
                     and e.get("client_id") == rt["client_id"] and _usable_credential(e)]
        if older:
            kept = next(((k, e) for k, e in older if k == key), older[0])
            key = kept[0]
            rt["target"] = kept[1].get("target")
            for k, e in older:
                if k != key:
                    self._remove(CT.REFRESH_TOKEN, k, e)
            if self._writes_via_modify:  # Updated in place, under the same key
                self.modify(CT.REFRESH_TOKEN, kept[1], rt)
                return
        self._put(CT.REFRESH_TOKEN, key, rt)

    def _remove(self, credential_type: str, key: str, entry: Dict[str, Any]) -> None:
        """Delete one entry; through modify() when a subclass hooks it."""
        if self._writes_via_modify:
            self.modify(credential_type, entry)
        else:
            self._delete(credential_type, key)

    # ------------------------------------------------------------ generic API

    def search(self, credential_type: str, target: Optional[Iterable[str]] = None,
               query: Optional[Dict[str, Any]] = None) -> Iterator[Dict[str, Any]]:
        """Yield entries whose fields equal every ``query`` item and whose
        target (space-separated) contains every scope in ``target``."""
        yield from self.find(credential_type, target=target, query=query)

    def find(self, credential_type: str, target: Optional[Iterable[str]] = None,
             query: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """Same as :meth:`search`, as a list of shallow copies."""
        if isinstance(target, str):
            target = target.split()
        wanted = set(target or ())
        query = query or {}
        missing = object()
        with self._lock:
            section = self._cache.get(credential_type, {})
            if not isinstance(section, dict):  # Some other library's top-level value
                return []
            ikey = self._query_index_key(credential_type, query)
            candidates: Iterable[Dict[str, Any]]
            if ikey is not _NO_INDEX:
                index = self._indexes_for(credential_type)
                candidates = [section[k] for k in index.bucket(credential_type, ikey)]
            else:
                candidates = list(section.values())
            result = []
            for entry in candidates:
                if not isinstance(entry, dict):
                    continue
                if any(entry.get(k, missing) != v for k, v in query.items()):
                    continue
                if wanted:
                    t = entry.get("target")
                    if not isinstance(t, str) or not wanted <= set(t.split()):
                        continue
                result.append(dict(entry))
            return result

    def _query_index_key(self, credential_type: str, query: Dict[str, Any]) -> Any:
        """The index key a query pins down, or _NO_INDEX when it pins none."""
        fields = self._INDEX_FIELDS.get(credential_type)
        if not fields or not all(f in query for f in fields):
            return _NO_INDEX
        if len(fields) == 1:
            return _ik(query[fields[0]])
        return tuple([_ik(query[f]) for f in fields])

    def modify(self, credential_type: str, old_entry: Dict[str, Any],
               new_key_value_pairs: Optional[Dict[str, Any]] = None) -> None:
        """Update fields of a stored entry, or remove it when the new pairs are None.

        The entry keeps its key. Removing an entry not in the cache is ignored; updating one
        stores it with the new pairs under its own key, as the original does (its ``add()``
        writes each entry as ``modify(type, entry, entry)``).
        """
        with self._lock:
            key = self._locate(credential_type, old_entry)
            if key is None:
                maker = self.key_makers.get(credential_type)
                if new_key_value_pairs is not None and maker is not None:
                    entry = dict(old_entry, **new_key_value_pairs)
                    self._store(credential_type, maker(**old_entry), entry)
                return
            if new_key_value_pairs is None:
                self._delete(credential_type, key)
            else:
                entry = dict(self._cache[credential_type][key])
                entry.update(new_key_value_pairs)
                self._store(credential_type, key, entry)

    def remove_rt(self, rt_item: Dict[str, Any]) -> None:
        """Forget a refresh token, e.g. one the server rejected."""
        self.modify(self.CredentialType.REFRESH_TOKEN, rt_item)

    def update_rt(self, rt_item: Dict[str, Any], new_rt: str) -> None:
        """Replace the secret of a stored refresh token."""
        self.modify(self.CredentialType.REFRESH_TOKEN, rt_item, {
            "secret": new_rt,
            "last_modification_time": str(int(time.time())),
        })

    def remove_at(self, at_item: Dict[str, Any]) -> None:
        self.modify(self.CredentialType.ACCESS_TOKEN, at_item)

    def remove_idt(self, idt_item: Dict[str, Any]) -> None:
        self.modify(self.CredentialType.ID_TOKEN, idt_item)

    def remove_account(self, account_item: Dict[str, Any]) -> None:
        self.modify(self.CredentialType.ACCOUNT, account_item)

    # ------------------------------------------------------------ lookups for the application layer

    def find_access_token(self, *, client_id: str, environments: Iterable[str],
                          realm: Optional[str], home_account_id: Optional[str],
                          scopes: Iterable[str], now: Optional[float] = None) -> Optional[Dict[str, Any]]:
        """The usable access token covering ``scopes`` that expires last, or None.

        Tokens expiring within 5 minutes are skipped; ``refresh_on`` is the caller's concern.
        """
        if self._reads_via_find:  # A hooked find() sees each lookup (see __init__), whose
            # answer still comes from the indexes.
            self.find(self.CredentialType.ACCESS_TOKEN, query={
                "client_id": client_id, "realm": realm, "home_account_id": home_account_id})
        deadline = (time.time() if now is None else now) + EXPIRY_MARGIN
        wanted = frozenset([s.lower() for s in scopes])
        envs = environments if type(environments) is tuple else tuple(environments)
        ikey = (_ik(client_id), _ik(realm), _ik(home_account_id))
        # Optimistically without the lock (a hit is all reads): the answer stands when no
        # write started or finished meanwhile, else the lookup is done again under the lock.
        version = self._version
        if not version & 1 and self._cache is self._indexed_doc:
            try:
                found = self._best_access_token(ikey, envs, wanted, deadline, locked=False)
            except (KeyError, RuntimeError):  # A concurrent write changed what we read
                found = _RETRY
            if found is not _RETRY and self._version == version:
                hit: Optional[Dict[str, Any]] = found  # (an annotation costs nothing at run time)
                return hit
        with self._lock:
            self._indexes_for(self.CredentialType.ACCESS_TOKEN)
            hit = self._best_access_token(ikey, envs, wanted, deadline, locked=True)
            return hit

    def _best_access_token(self, ikey: Tuple[Any, ...], envs: Tuple[Any, ...],
                           wanted: FrozenSet[str], deadline: float, locked: bool) -> Any:
        """A copy of the matching token that expires last; _RETRY when this needs the lock."""
        CT = self.CredentialType
        index = self._index
        if CT.ACCESS_TOKEN in index.stale:
            return _RETRY
        bucket = index.primary[CT.ACCESS_TOKEN].get(ikey)
        if not bucket:
            return None
        candidates = index.access_token_candidates(ikey, bucket, wanted, build=locked)
        if candidates is None:
            return _RETRY
        best, best_exp = None, None
        for key in candidates:
            env, covered, expires_on = bucket[key]
            if (expires_on is None or expires_on <= deadline
                    or (best_exp is not None and expires_on <= best_exp)
                    or env not in envs or not wanted <= covered):
                continue
            best, best_exp = key, expires_on
        return None if best is None else dict(self._cache[CT.ACCESS_TOKEN][best])

    def find_refresh_tokens(self, *, home_account_id: str, environments: Iterable[str],
                            client_id: str, family_id: Optional[str] = None) -> List[Dict[str, Any]]:
        """This client's refresh tokens for the account, then the family's (FOCI) ones."""
        if self._reads_via_find:
            self.find(self.CredentialType.REFRESH_TOKEN, query={"home_account_id": home_account_id})
        envs = set(environments)
        with self._lock:
            entries = [e for _, e in self._keyed(self.CredentialType.REFRESH_TOKEN,
                                                 _ik(home_account_id))
                       if _environment_of(e) in envs and _usable_credential(e)]
            # Newest first: a document from before refresh tokens were kept one per client
            # may hold older ones too, which the server would reject.
            own = sorted((e for e in entries if e.get("client_id") == client_id),
                         key=_modified_at, reverse=True)
            family = []
            if family_id is not None:
                family = [e for e in entries if e.get("client_id") != client_id
                          and e.get("family_id") is not None
                          and str(e.get("family_id")) == str(family_id)]
            return [dict(e) for e in own + family]

    def find_accounts(self, *, environments: Iterable[str],
                      username: Optional[str] = None) -> List[Dict[str, Any]]:
        """Account entries in these environments, one per home_account_id.

        When an account appears in several realms, the one stored last wins
        (as the original library does), at the position of the first.
        """
        if self._reads_via_find:
            self.find(self.CredentialType.ACCOUNT)
        envs = frozenset(environments)
        CT = self.CredentialType
        with self._lock:
            index = self._indexes_for(CT.ACCOUNT)
            section = self._cache.get(CT.ACCOUNT, {})
            if isinstance(username, str):
                keys: Iterable[str] = [
                    k for k in index.accounts_by_name.get(username.lower(), _EMPTY)
                    if _environment_of(section[k]) in envs]
                return [dict(e) for e in _one_per_home(section, keys)]
            found = index.accounts_memo.get(envs)
            if found is None:
                buckets = [index.accounts_by_env[e] for e in envs if e in index.accounts_by_env]
                seqs = index.seq[CT.ACCOUNT]
                keys = (buckets[0] if len(buckets) == 1
                        else heapq.merge(*buckets, key=seqs.__getitem__))
                found = index.accounts_memo[envs] = _one_per_home(section, keys)
            return [dict(e) for e in found]

    def find_id_token(self, *, home_account_id: str, environments: Iterable[str],
                      client_id: str, realm: Optional[str] = None) -> Optional[Dict[str, Any]]:
        """The ID token of this client for the account (in ``realm`` if given), or None."""
        if self._reads_via_find:
            self.find(self.CredentialType.ID_TOKEN, query={"home_account_id": home_account_id})
        envs = set(environments)
        with self._lock:
            for _, entry in self._keyed(self.CredentialType.ID_TOKEN, _ik(home_account_id)):
                if (_environment_of(entry) in envs and entry.get("client_id") == client_id
                        and _usable_credential(entry)
                        and (realm is None or entry.get("realm") == realm)):
                    return dict(entry)
        return None

    def find_app_metadata(self, *, client_id: str,
                          environments: Iterable[str]) -> Optional[Dict[str, Any]]:
        """The AppMetadata entry of this client in these environments, or None."""
        if self._reads_via_find:
            self.find(self.CredentialType.APP_METADATA, query={"client_id": client_id})
        envs = set(environments)
        with self._lock:
            for _, entry in self._keyed(self.CredentialType.APP_METADATA, _ik(client_id)):
                if _environment_of(entry) in envs:
                    return dict(entry)
        return None

    def remove_account_data(self, *, home_account_id: str, environments: Iterable[str],
                            client_id: str) -> None:
        """Sign-out: forget this client's tokens for the account, and the account.

        Removes the client's refresh tokens and the family refresh tokens of the
        family recorded in its app metadata, its access and ID tokens for the
        account, and the account's Account entries in these environments.
        """
        CT = self.CredentialType
        envs = set(environments)
        hid, cid = _ik(home_account_id), _ik(client_id)
        with self._lock:
            app = self.find_app_metadata(client_id=client_id, environments=envs)
            family_id = app.get("family_id") if app else None
            doomed = []
            for key, e in self._keyed(CT.REFRESH_TOKEN, hid):
                if _environment_of(e) in envs and (
                        e.get("client_id") == client_id
                        or (family_id is not None and e.get("family_id") is not None
                            and str(e.get("family_id")) == str(family_id))):
                    doomed.append((CT.REFRESH_TOKEN, key))
            index = self._indexes_for(CT.ACCESS_TOKEN)
            for ikey in list(index.at_buckets_by_home.get(hid, ())):
                if ikey[0] == cid:
                    doomed.extend((CT.ACCESS_TOKEN, key) for key, (env, _, _)
                                  in index.bucket(CT.ACCESS_TOKEN, ikey).items() if env in envs)
            for key, e in self._keyed(CT.ID_TOKEN, hid):
                if _environment_of(e) in envs and e.get("client_id") == client_id:
                    doomed.append((CT.ID_TOKEN, key))
            for key, e in self._keyed(CT.ACCOUNT, hid):
                if _environment_of(e) in envs:
                    doomed.append((CT.ACCOUNT, key))
            if not self._writes_via_modify:
                for credential_type, key in doomed:
                    self._delete(credential_type, key)
                return
            entries = [(t, dict(self._cache[t][key])) for t, key in doomed]
        for credential_type, entry in entries:  # outside our lock: see _write_lock
            self.modify(credential_type, entry)

    def _keyed(self, credential_type: str, ikey: Any) -> List[Tuple[Any, ...]]:
        """(key, entry) pairs of one index bucket, as a list (caller holds the lock)."""
        section = self._cache.get(credential_type, {})
        return [(k, section[k])
                for k in self._indexes_for(credential_type).bucket(credential_type, ikey)]


class SerializableTokenCache(TokenCache):
    """A token cache that can be turned into a string and back, to be saved anywhere.

    The cache itself writes nothing to disk or to a database: :meth:`serialize` gives you
    its state, and :meth:`deserialize` loads a state back, so you choose where it lives.
    The string is the unified JSON schema, readable by the other MSAL libraries. For a file
    that several processes share, see :class:`~msal.persistence.PersistedTokenCache`.
    A file kept by a single process can be as simple as this::

        import atexit, os
        import msal

        cache = msal.SerializableTokenCache()
        if os.path.exists("my_cache.bin"):
            with open("my_cache.bin") as f:
                cache.deserialize(f.read())

        def save_cache():
            if cache.has_state_changed:  # Skip the write when nothing changed
                with open("my_cache.bin", "w") as f:
                    f.write(cache.serialize())
        atexit.register(save_cache)

        app = msal.PublicClientApplication("my_client_id", token_cache=cache)

    The file holds refresh tokens: keep it where only the user can read it.

    :var bool has_state_changed: Whether the cache changed in memory since the last
        :meth:`serialize` or :meth:`deserialize`; use it to save only when needed.
    """

    has_state_changed = False

    def add(self, event: Dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        """Store the tokens of a token-obtaining event, and mark the state as changed.

        See :meth:`TokenCache.add` for the parameters.
        """
        with self._write_lock():
            super().add(event, **kwargs)
            self.has_state_changed = True

    def modify(self, credential_type: str, old_entry: Dict[str, Any],
               new_key_value_pairs: Optional[Dict[str, Any]] = None) -> None:
        with self._lock:
            super().modify(credential_type, old_entry, new_key_value_pairs)
            self.has_state_changed = True

    def remove_account_data(self, **kwargs: Any) -> None:
        with self._write_lock():
            super().remove_account_data(**kwargs)
            self.has_state_changed = True

    def deserialize(self, state: Optional[str]) -> None:
        """Replace the cache's content with a state that :meth:`serialize` produced.

        :param str state: The serialized state; ``None`` or an empty string gives an empty cache.
        :raises ValueError: when the state is not a serialized token cache.
        """
        data = _parse_state(state)
        with self._lock:
            self._replace_all(data)
            self.has_state_changed = False

    def serialize(self) -> str:
        """The cache's current state, as a JSON string for :meth:`deserialize`."""
        with self._lock:
            self.has_state_changed = False
            return json.dumps(self._cache, separators=(",", ":"))


def _overrides(cls: type, name: str) -> bool:
    """Whether a cache class replaces the base classes' method ``name``."""
    return getattr(cls, name) not in (getattr(TokenCache, name),
                                      getattr(SerializableTokenCache, name))


def _parse_state(state: Any) -> Dict[str, Any]:
    """Parse and check a serialized cache; raise ValueError when it is not one."""
    if state is None or (isinstance(state, (str, bytes, bytearray)) and not state.strip()):
        return {}
    if isinstance(state, (bytes, bytearray)):
        state = state.decode("utf-8")
    if not isinstance(state, str):
        raise ValueError("Token cache state must be a JSON string, got %s" % type(state).__name__)
    try:
        data = json.loads(state)
    except ValueError as e:
        raise ValueError("Token cache state is not valid JSON: %s" % e) from None
    except RecursionError:
        raise ValueError("Token cache state is not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError("Token cache state must be a JSON object of sections, got %s"
                         % type(data).__name__)
    for name in TokenCache._SECTIONS:  # Other top-level values, of any type, are kept as they are
        section = data.get(name, _EMPTY)
        if not isinstance(section, dict):
            raise ValueError("Token cache section %r must be a JSON object" % name)
        for key, entry in section.items():
            if not isinstance(entry, dict):
                raise ValueError("Token cache entry %r in section %r must be a JSON object"
                                 % (key, name))
    return data
