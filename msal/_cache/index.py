"""Indexes over the cache document, so that each lookup costs what it returns.

The invariant, kept by every write: for each indexed section that is not ``stale``, each bucket
holds exactly the keys of the section's entries whose index fields equal the bucket's key, in
the section's order (``seq``), so an indexed answer equals what a scan of the section gives.
Access-token buckets map each key to its parsed (environment, scope set, expiry, entry), or to
its target string while the token is not parsed yet (only in the buckets listed in
``unparsed``); accounts are also listed by environment and by lower-cased username (usable
accounts only). A stale section is rebuilt whole on first use.
"""

from __future__ import annotations

import itertools
from sys import intern
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from .schema import (
    ACCESS_TOKEN,
    ACCOUNT,
    APP_METADATA,
    ID_TOKEN,
    REFRESH_TOKEN,
    hashable,
    scope_set,
    usable_account,
    usable_expiry,
)

# Which fields of an entry each section is indexed by (the primary index). Aliases of one cloud
# rarely hold the same tenant's tokens side by side, so an access token's environment is
# checked within its bucket.
INDEX_FIELDS: Dict[str, Tuple[str, ...]] = {
    ACCESS_TOKEN: ("client_id", "realm", "home_account_id"),
    REFRESH_TOKEN: ("home_account_id",),
    ID_TOKEN: ("home_account_id",),
    ACCOUNT: ("home_account_id",),
    APP_METADATA: ("client_id",),
}


EMPTY: Dict[str, Any] = {}
NO_INDEX = object()
RETRY = object()  # A lock-free reader's answer when it needs the lock
# An access-token bucket larger than this gets a per-scope sub-index on its first lookup.
_SCOPE_INDEX_THRESHOLD = 4
_MAX_INTERNED_TARGETS = 4096
# A section of at most this many entries, not indexed yet, may be scanned instead.
SCAN_LIMIT = 4

ik = hashable


def _bucket_insert(
    index: Dict[Any, Dict[str, Any]], ikey: Any, key: str, payload: Any, seqs: Dict[str, int]
) -> bool:
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


class Index(object):
    """The indexes of one cache document (see the module's docstring for what they hold);
    access-token buckets of more than ``_SCOPE_INDEX_THRESHOLD`` tokens also get a per-scope
    sub-index on their first lookup."""

    __slots__ = (
        "fields",
        "stale",
        "seq",
        "primary",
        "accounts_by_env",
        "accounts_by_name",
        "accounts_memo",
        "at_buckets_by_home",
        "at_by_scope",
        "unparsed",
        "_counter",
    )
    # A section's own containers come into being with its first build (see rebuild()), and are
    # not read before: a cache loaded per web request builds its access tokens' only.
    accounts_by_env: Dict[Any, Dict[str, None]]
    accounts_by_name: Dict[str, Dict[str, None]]
    # find_accounts' answer per set of environments, until the Account section changes.
    accounts_memo: Dict[FrozenSet[str], List[Dict[str, Any]]]
    at_buckets_by_home: Dict[Any, Dict[Tuple[Any, ...], None]]
    at_by_scope: Dict[Tuple[Any, ...], Dict[str, Dict[str, None]]]
    # Access-token buckets with tokens not parsed yet (their payloads are their target strings,
    # one object per distinct target of the document, so that a first lookup reads no entry it
    # does not parse); lock-free readers leave these buckets to lookups under the lock.
    unparsed: Set[Tuple[Any, ...]]

    def __init__(self, fields: Dict[str, Tuple[str, ...]]) -> None:
        self.fields = fields
        self.stale: Set[str] = {*fields}
        self.seq: Dict[str, Dict[str, int]] = {}
        self.primary: Dict[str, Dict[Any, Dict[str, Any]]] = {}
        self._counter = itertools.count()

    def rebuild(self, credential_type: str, section: Dict[str, Any]) -> None:
        if credential_type == ACCESS_TOKEN:
            self._rebuild_access_tokens(section)
            return
        if credential_type == ACCOUNT:
            self.accounts_by_env, self.accounts_by_name, self.accounts_memo = {}, {}, {}
        self.seq[credential_type] = {}
        self.primary[credential_type] = {}
        self.stale.discard(credential_type)
        for key, entry in section.items():
            if isinstance(entry, dict):
                self.put(credential_type, key, None, entry)

    def _rebuild_access_tokens(self, section: Dict[str, Any]) -> None:
        """Bucket every access token, leaving each token's parsing to the first lookup that
        wants it: what deserialize() pays is then one pass of four field reads per token.
        A few tokens (a web app's session) are parsed at once: every lookup then finds them
        ready without the lock."""
        seqs: Dict[str, int] = {}
        index: Dict[Any, Dict[str, Any]] = {}
        by_home: Dict[Any, Dict[Tuple[Any, ...], None]] = {}
        counter = self._counter
        parse_now = len(section) <= SCAN_LIMIT
        targets: Dict[str, str] = {}  # each distinct target once, shared by its tokens
        for key, entry in section.items():
            if type(entry) is not dict:
                continue
            seqs[key] = next(counter)
            client, realm, home = (entry.get("client_id"), entry.get("realm"), entry.get("home_account_id"))
            if type(client) is str and type(realm) is str and (home is None or type(home) is str):
                ikey = (intern(client), intern(realm), home)
            else:
                ikey = self.key_of(ACCESS_TOKEN, entry)
            if parse_now:
                payload: Any = self._parsed(entry)
            else:
                target = entry.get("target")
                payload = targets.setdefault(target, target) if type(target) is str else _target_str(target)
            bucket = index.get(ikey)
            if bucket is None:
                index[ikey] = {key: payload}
                by_home.setdefault(ikey[2], {})[ikey] = None
            else:
                bucket[key] = payload
        self.seq[ACCESS_TOKEN], self.primary[ACCESS_TOKEN] = seqs, index
        self.at_by_scope, self.at_buckets_by_home = {}, by_home
        self.unparsed = set() if parse_now else set(index)
        self.stale.discard(ACCESS_TOKEN)

    def access_token_bucket(self, ikey: Tuple[Any, ...], section: Dict[str, Any]) -> Dict[str, Any]:
        """An access-token bucket with every token parsed (caller holds the cache's lock)."""
        bucket = self.primary[ACCESS_TOKEN].get(ikey, EMPTY)
        if ikey in self.unparsed:
            for key, payload in bucket.items():
                if type(payload) is str:
                    bucket[key] = self._parsed(section[key])
            self.unparsed.discard(ikey)
        return bucket

    def parse_covering(
        self, ikey: Tuple[Any, ...], section: Dict[str, Any], wanted: FrozenSet[str]
    ) -> Optional[List[str]]:
        """On the first lookup of a bucket not parsed yet: the keys of its tokens whose scopes
        cover ``wanted``, only these parsed, so that the first call of an application reads its
        tokens' targets and parses the one it gets. On a later lookup: None, the whole bucket
        parsed, so that lookups are lock-free again. (Caller holds the cache's lock.)"""
        bucket = self.primary[ACCESS_TOKEN].get(ikey, EMPTY)
        if any(type(payload) is not str for payload in bucket.values()):
            self.access_token_bucket(ikey, section)
            return None
        keys = []
        for key, target in bucket.items():
            if wanted <= scopes_of(target):
                bucket[key] = self._parsed(section[key])
                keys.append(key)
        if len(keys) == len(bucket):
            self.unparsed.discard(ikey)
        return keys

    def _parsed(self, entry: Dict[str, Any]) -> Tuple[Any, FrozenSet[str], Optional[int], Dict[str, Any]]:
        """What a lookup checks of an access token: (environment, scopes, usable expiry), and
        the entry itself, so that a hit goes straight to it."""
        env, target = entry.get("environment"), entry.get("target")
        scopes = _TARGETS.get(target) if type(target) is str else None  # scopes_of(), inlined
        return (
            intern(env) if type(env) is str else ik(env),
            scopes_of(target) if scopes is None else scopes,
            usable_expiry(entry),
            entry,
        )

    def key_of(self, credential_type: str, entry: Dict[str, Any]) -> Any:
        fields = self.fields[credential_type]
        if len(fields) == 1:
            return ik(entry.get(fields[0]))
        if credential_type == ACCESS_TOKEN:
            client, realm, home = fields
            return (interned(entry.get(client)), interned(entry.get(realm)), ik(entry.get(home)))
        return tuple([ik(entry.get(f)) for f in fields])

    def bucket(self, credential_type: str, ikey: Any) -> Dict[str, Any]:
        return self.primary[credential_type].get(ikey, EMPTY)

    def put(self, credential_type: str, key: str, old: Optional[Dict[str, Any]], new: Dict[str, Any]) -> None:
        """Index ``new`` under ``key``, where ``old`` was stored before (None if nothing was)."""
        seqs = self.seq[credential_type]
        if old is None:
            seqs[key] = next(self._counter)
        index = self.primary[credential_type]
        if credential_type == ACCESS_TOKEN:
            self._put_access_token(index, key, old, new, seqs)
            return
        ikey = self.key_of(credential_type, new)
        if old is None or self.key_of(credential_type, old) != ikey:
            if old is not None:
                _bucket_remove(index, self.key_of(credential_type, old), key)
            _bucket_insert(index, ikey, key, None, seqs)
        if credential_type == ACCOUNT:
            self.accounts_memo.clear()
            olds = _account_listings(old) if old is not None else (NO_INDEX, NO_INDEX)
            for secondary, old_k, new_k in zip(self._account_lists(), olds, _account_listings(new)):
                if old_k != new_k:
                    if old_k is not NO_INDEX:
                        _bucket_remove(secondary, old_k, key)
                    if new_k is not NO_INDEX:
                        _bucket_insert(secondary, new_k, key, None, seqs)

    def _account_lists(self) -> Tuple[Dict[Any, Dict[str, None]], Dict[str, Dict[str, None]]]:
        """The secondary lists of accounts, in the order of :func:`_account_listings`."""
        return self.accounts_by_env, self.accounts_by_name

    def drop(self, credential_type: str, key: str, old: Dict[str, Any]) -> None:
        """Forget the entry ``old`` that was stored under ``key``."""
        index = self.primary[credential_type]
        ikey = self.key_of(credential_type, old)
        if credential_type == ACCESS_TOKEN:
            self._drop_access_token(index, ikey, key)
        else:
            _bucket_remove(index, ikey, key)
        if credential_type == ACCOUNT:
            self.accounts_memo.clear()
            for secondary, old_k in zip(self._account_lists(), _account_listings(old)):
                if old_k is not NO_INDEX:
                    _bucket_remove(secondary, old_k, key)
        self.seq[credential_type].pop(key, None)

    def _put_access_token(
        self,
        index: Dict[Any, Dict[str, Any]],
        key: str,
        old: Optional[Dict[str, Any]],
        new: Dict[str, Any],
        seqs: Dict[str, int],
    ) -> None:
        ikey = self.key_of(ACCESS_TOKEN, new)
        payload = self._parsed(new)
        if old is not None:
            old_ikey = self.key_of(ACCESS_TOKEN, old)
            if old_ikey == ikey:
                self._scope_index_update(ikey, key, _scopes(index[ikey][key]), payload[1])
                index[ikey][key] = payload  # Same bucket: keeps its position
                return
            self._drop_access_token(index, old_ikey, key)
        if _bucket_insert(index, ikey, key, payload, seqs):
            self.at_buckets_by_home.setdefault(ikey[2], {})[ikey] = None
        self._scope_index_update(ikey, key, frozenset(), payload[1])

    def _drop_access_token(self, index: Dict[Any, Dict[str, Any]], ikey: Tuple[Any, ...], key: str) -> None:
        bucket = index.get(ikey)
        if bucket is None or key not in bucket:
            return
        self._scope_index_update(ikey, key, _scopes(bucket[key]), frozenset())
        if _bucket_remove(index, ikey, key):
            self.at_by_scope.pop(ikey, None)
            self.unparsed.discard(ikey)
            _bucket_remove(self.at_buckets_by_home, ikey[2], ikey)  # type: ignore[arg-type]

    def _scope_index_update(
        self, ikey: Tuple[Any, ...], key: str, old: FrozenSet[str], new: FrozenSet[str]
    ) -> None:
        sub = self.at_by_scope.get(ikey)
        if sub is None or old == new:
            return
        for scope in old - new:
            _bucket_remove(sub, scope, key)
        for scope in new - old:
            sub.setdefault(scope, {})[key] = None

    def access_token_candidates(
        self, ikey: Tuple[Any, ...], bucket: Dict[str, Any], wanted: FrozenSet[str], build: bool = True
    ) -> Optional[Dict[str, Any]]:
        """Keys of the bucket's tokens that may cover ``wanted``: a small superset.
        None when the scope sub-index is missing and ``build`` is false."""
        if not wanted or len(bucket) <= _SCOPE_INDEX_THRESHOLD:
            return bucket
        sub = self.at_by_scope.get(ikey)
        if sub is None:
            if not build:
                return None
            sub = {}
            for key, (_, scopes, _, _) in bucket.items():
                for scope in scopes:
                    sub.setdefault(scope, {})[key] = None
            self.at_by_scope[ikey] = sub  # Published whole: lock-free readers see all or nothing
        smallest: Optional[Dict[str, Any]] = None
        for scope in wanted:
            keys = sub.get(scope)
            if keys is None:
                return EMPTY
            if smallest is None or len(keys) < len(smallest):
                smallest = keys
        return smallest if smallest is not None else bucket


# Scope sets by target string, for every cache of the process: caches loaded per web request
# meet the same few targets again. Scopes only (public names), bounded.
_TARGETS: Dict[str, FrozenSet[str]] = {}


def scopes_of(target: Any) -> FrozenSet[str]:
    """The lower-cased scope set of a target, one shared object per target string."""
    if type(target) is not str:
        return frozenset()
    found = _TARGETS.get(target)
    if found is None:
        if len(_TARGETS) >= _MAX_INTERNED_TARGETS:
            _TARGETS.clear()
        found = _TARGETS[target] = scope_set(target)
    return found


def _scopes(payload: Any) -> FrozenSet[str]:
    """The scope set of a bucket's payload; none for a token not parsed yet."""
    return frozenset() if type(payload) is str else payload[1]


def _target_str(target: Any) -> str:
    """An unparsed token's placeholder for a target that is not exactly a str: the same
    scopes (none when it is no string), as a plain str."""
    return str.__str__(target) if isinstance(target, str) else ""


def one_per_home(section: Dict[str, Any], keys: Iterable[str]) -> List[Dict[str, Any]]:
    """The entries of these keys, the last one of each home_account_id at the first's place."""
    by_home: Dict[Any, Dict[str, Any]] = {}
    for key in keys:
        entry = section[key]
        home = entry.get("home_account_id")
        by_home[home if type(home) is str else ik(home)] = entry
    return list(by_home.values())


def interned(value: Any) -> Any:
    """A field of an access token's index key or a host, interned, as the applications
    intern their client ids, tenants and hosts: with one application per tenant over one
    cache, a lookup then compares them by identity, reading no string it need not."""
    return intern(value) if type(value) is str else ik(value)


def environment_of(entry: Dict[str, Any]) -> Any:
    return ik(entry.get("environment"))


def scanned_accounts(
    section: Dict[str, Any], environments: Any, username: Any = None
) -> List[Dict[str, Any]]:
    """Copies of the accounts listed in these environments (under this username, if one is
    given), one per home account as :func:`one_per_home` keeps them: what the account lists
    give, found by a look at each entry, which for a few accounts just loaded costs less than
    indexing them. ``environments`` is a tuple or a frozenset of hosts."""
    name = username.lower() if isinstance(username, str) else None
    by_home: Dict[str, Dict[str, Any]] = {}
    for entry in section.values():
        if isinstance(entry, dict):
            env, listed_name = _account_listings(entry)  # (NO_INDEX for an unusable account)
            if env in environments and (name is None or listed_name == name):
                by_home[entry["home_account_id"]] = entry
    return [dict(e) for e in by_home.values()]


def _account_listings(entry: Dict[str, Any]) -> Tuple[Any, Any]:
    """Where an account is listed: by environment, by lower-cased username (NO_INDEX where it
    is not). Unusable accounts are not listed."""
    if not usable_account(entry):
        return NO_INDEX, NO_INDEX
    name = entry.get("username")
    return environment_of(entry), name.lower() if isinstance(name, str) else NO_INDEX


def query_index_key(credential_type: str, query: Dict[str, Any]) -> Any:
    """The index key a query pins down, or NO_INDEX when it pins none."""
    fields = INDEX_FIELDS.get(credential_type)
    if not fields or not all(f in query for f in fields):
        return NO_INDEX
    if len(fields) == 1:
        return ik(query[fields[0]])
    return tuple([ik(query[f]) for f in fields])
