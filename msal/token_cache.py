"""Token cache in the unified schema shared by all MSAL libraries.

The cache is a JSON object of sections (``AccessToken``, ``RefreshToken``,
``IdToken``, ``Account``, ``AppMetadata``), each mapping a lower-cased key to
an entry.  Other MSAL libraries read and write the same document, so key
formats and field names follow that schema exactly, and unknown sections and
fields are kept verbatim.

This module holds the public classes and their locking; the schema, the indexes, the document
and the subclass hooks are in :mod:`msal._cache`. Tokens are fed in through
:meth:`TokenCache.add`, called with the event the protocol layer emits after each successful
token request.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import threading
import time
from typing import Any, Callable, ContextManager, Dict, FrozenSet, Iterable, Iterator, List, Optional, Tuple

from ._cache import document, hooks
from ._cache.index import (
    EMPTY,
    INDEX_FIELDS,
    NO_INDEX,
    RETRY,
    SCAN_LIMIT,
    Index,
    environment_of,
    ik,
    one_per_home,
    query_index_key,
    scanned_accounts,
)
from ._cache.schema import (
    EXPIRY_MARGIN,
    KEY_MAKERS,
    SECTIONS,
    decode_client_info,
    decode_id_token_claims,
    entries_from_event,
    epoch,
    refresh_token_key,
    same_family,
    to_int,
    usable_credential,
)

__all__ = ["TokenCache", "SerializableTokenCache"]
# Still importable from here, where they used to live.
__all__ += ["EXPIRY_MARGIN", "decode_client_info", "decode_id_token_claims", "to_int"]


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
        ACCESS_TOKEN_EXTENDED = "atext"  # Key prefix of tokens filed with an ext_cache_key
        REFRESH_TOKEN = "RefreshToken"
        ACCOUNT = "Account"  # Not exactly a credential type, but we put it here
        ID_TOKEN = "IdToken"
        APP_METADATA = "AppMetadata"

    class AuthorityType:
        ADFS = "ADFS"
        MSSTS = "MSSTS"  # MSSTS means AAD v2 for both AAD & MSA

    _SECTIONS = SECTIONS
    _INDEX_FIELDS = INDEX_FIELDS
    # The public methods that only read: a subclass that keeps the cache elsewhere (like
    # msal.persistence.PersistedTokenCache) refreshes its copy before each of them.
    _READ_METHODS: Tuple[str, ...] = (
        "search",
        "find",
        "find_access_token",
        "find_refresh_tokens",
        "find_accounts",
        "find_id_token",
        "find_app_metadata",
    )

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._cache: Dict[str, Dict[str, Any]] = {}
        # None until a section is first indexed; a new document gets a new index.
        self._index: Optional[Index] = None
        self._indexed_doc: Any = self._cache
        # Odd while a write is under way: lets find_access_token read without the lock.
        self._version = 0
        route = hooks.routing(type(self), _BASES)
        self._writes_via_modify = route.writes_via_modify
        self._read_hook = route.read_hook
        self._finds_access_tokens_itself = route.finds_access_tokens_itself

    @functools.cached_property
    def key_makers(self) -> Dict[str, Callable[..., str]]:
        """The functions that make each section's keys: the cache's own copy, made when first
        used (by a write), since most caches loaded per web request never write."""
        return dict(KEY_MAKERS)

    # ------------------------------------------------------------ storage

    def _indexes_for(self, credential_type: str) -> "Index":
        """The index, brought up to date for one section (caller holds the lock).

        A document replaced behind the cache's back (``self._cache = ...``) is re-indexed too.
        """
        index = self._index
        if index is None or self._cache is not self._indexed_doc:
            index = self._index = Index(INDEX_FIELDS)
            self._indexed_doc = self._cache
        if credential_type in index.stale:
            self._version += 1
            try:
                index.rebuild(credential_type, self._cache.get(credential_type, {}))
            finally:
                self._version += 1
        return index

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
        """Replace the whole document, with a new index. Access tokens are bucketed at once (a
        pass that costs a fraction of the JSON parsing), so the first lookup is quick; the
        other sections are indexed when first needed."""
        with self._lock:
            self._replace_all_locked(data)

    def _replace_all_locked(self, data: Dict[str, Any]) -> None:
        """:meth:`_replace_all`, for a caller that holds the lock."""
        self._version += 1
        try:
            self._cache = data
            self._indexed_doc = data
            self._index = index = Index(INDEX_FIELDS)
            index.rebuild(self.CredentialType.ACCESS_TOKEN, data.get(self.CredentialType.ACCESS_TOKEN, EMPTY))
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
        entries = entries_from_event(event, int(time.time() if now is None else now))
        for credential_type, entry in entries:
            if credential_type == self.CredentialType.REFRESH_TOKEN:
                self._put_refresh_token(entry)
            else:
                self._put(credential_type, KEY_MAKERS[credential_type](**entry), entry)

    def _put_refresh_token(self, rt: Dict[str, Any]) -> None:
        """Store a new refresh token in place of the account's older ones for the client.

        One refresh token per account, client and environment, as the original keeps it:
        the newest takes the place (key and target) of the first one stored, and any others
        (left by earlier versions) go. Unusable entries are left to whoever wrote them.
        """
        CT = self.CredentialType
        key = refresh_token_key(**rt)
        with self._lock:
            older = [
                (k, e)
                for k, e in self._keyed(CT.REFRESH_TOKEN, ik(rt["home_account_id"]))
                if e.get("environment") == rt["environment"]
                and e.get("client_id") == rt["client_id"]
                and usable_credential(e)
            ]
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

    def search(
        self,
        credential_type: str,
        target: Optional[Iterable[str]] = None,
        query: Optional[Dict[str, Any]] = None,
        *,
        now: Optional[float] = None,
    ) -> Iterator[Dict[str, Any]]:
        """Yield copies of the entries whose fields equal every ``query`` item and whose
        target (space-separated) contains every scope in ``target``.

        Every lookup of the applications goes through here when a subclass overrides it (as
        msal-extensions does, to reload its file first). Like the original, a search of access
        tokens removes (through :meth:`modify`) the expired ones it meets: those whose
        ``expires_on`` is before ``now`` (seconds since the epoch; ``None`` uses the clock).
        """
        matches, expired = self._search(credential_type, target, query or {}, now)
        for entry in expired:
            self.modify(credential_type, entry)
        yield from matches

    def _search(
        self,
        credential_type: str,
        target: Optional[Iterable[str]],
        query: Dict[str, Any],
        now: Optional[float],
    ) -> Tuple[List[Dict[str, Any]], ...]:
        """(copies of the matching entries, copies of the expired access tokens met)."""
        wanted = set(target.split() if isinstance(target, str) else target or ())
        missing = object()
        with self._lock:
            section = self._cache.get(credential_type, {})
            if not isinstance(section, dict):  # Some other library's top-level value
                return [], []
            ikey = query_index_key(credential_type, query)
            candidates: Iterable[Any] = section.values()
            if ikey is not NO_INDEX:
                index = self._indexes_for(credential_type)
                candidates = [section[k] for k in index.bucket(credential_type, ikey)]
            expired: List[Dict[str, Any]] = []
            if credential_type == self.CredentialType.ACCESS_TOKEN:
                deadline = time.time() if now is None else now
                expired = [e for e in candidates if isinstance(e, dict) and _expired(e, deadline)]
            gone = {id(e) for e in expired}
            result = []
            for entry in candidates:
                if (
                    not isinstance(entry, dict)
                    or id(entry) in gone
                    or any(entry.get(k, missing) != v for k, v in query.items())
                ):
                    continue
                if wanted:
                    t = entry.get("target")
                    if not isinstance(t, str) or not wanted <= set(t.split()):
                        continue
                result.append(dict(entry))
            return result, [dict(e) for e in expired]

    def find(
        self,
        credential_type: str,
        target: Optional[Iterable[str]] = None,
        query: Optional[Dict[str, Any]] = None,
        *,
        now: Optional[float] = None,
    ) -> List[Dict[str, Any]]:
        """The entries :meth:`search` yields, as a list (of shallow copies)."""
        return list(self.search(credential_type, target=target, query=query, now=now))

    def modify(
        self,
        credential_type: str,
        old_entry: Dict[str, Any],
        new_key_value_pairs: Optional[Dict[str, Any]] = None,
    ) -> None:
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
        self.modify(
            self.CredentialType.REFRESH_TOKEN,
            rt_item,
            {
                "secret": new_rt,
                "last_modification_time": str(int(time.time())),
            },
        )

    def remove_at(self, at_item: Dict[str, Any]) -> None:
        self.modify(self.CredentialType.ACCESS_TOKEN, at_item)

    def remove_idt(self, idt_item: Dict[str, Any]) -> None:
        self.modify(self.CredentialType.ID_TOKEN, idt_item)

    def remove_account(self, account_item: Dict[str, Any]) -> None:
        self.modify(self.CredentialType.ACCOUNT, account_item)

    # ------------------------------------------------------------ lookups for the application layer

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
        """The usable access token covering ``scopes`` that expires last (a copy), or None.

        Tokens expiring within 5 minutes are skipped; ``refresh_on`` is the caller's concern.
        """
        found = self._stored_access_token(
            client_id=client_id,
            environments=environments,
            realm=realm,
            home_account_id=home_account_id,
            scopes=scopes,
            now=now,
        )
        return None if found is None else dict(found)

    def _read_stamp(self) -> Optional[int]:
        """A number that changes with every write to the cache and every reload: an
        application may serve again what it found at the same stamp. None while a write is
        under way, and always for a cache that reloads or looks tokens up its own way."""
        version = self._version
        if (
            version & 1
            or self._read_hook
            or self._finds_access_tokens_itself
            or self._cache is not self._indexed_doc
        ):
            return None
        return version

    def _stored_access_token(
        self,
        *,
        client_id: str,
        environments: Iterable[str],
        realm: Optional[str],
        home_account_id: Optional[str],
        scopes: Iterable[str],
        now: Optional[float] = None,
    ) -> Optional[Dict[str, Any]]:
        """What :meth:`find_access_token` copies: the stored entry itself, which the cache
        replaces on a write but never changes. An application's cache hit reads it in place
        (unless a subclass overrides find_access_token): with many applications over one
        cache, copying every field of a token not in the CPU's cache costs more than the rest."""
        CT = self.CredentialType
        if self._read_hook:
            hooks.announce_read(
                self,
                self._read_hook,
                CT.ACCESS_TOKEN,
                {"client_id": client_id, "realm": realm, "home_account_id": home_account_id},
                target=scopes,
                now=now,
            )
        now = time.time() if now is None else now
        wanted = frozenset([s.lower() for s in scopes])
        envs = environments if type(environments) is tuple else tuple(environments)
        ikey = (client_id, realm, home_account_id)
        if not (
            type(client_id) is str
            and type(realm) is str
            and (home_account_id is None or type(home_account_id) is str)
        ):
            ikey = (ik(client_id), ik(realm), ik(home_account_id))
        # Optimistically without the lock (a hit is all reads): the answer stands when no
        # write started or finished meanwhile, else the lookup is done again under the lock.
        version = self._version
        found: Any = RETRY
        if not version & 1 and self._cache is self._indexed_doc:
            try:
                found = self._best_access_token(ikey, envs, wanted, now)
            except (KeyError, RuntimeError):  # A concurrent write changed what we read
                found = RETRY
            if self._version != version:
                found = RETRY
        if found is RETRY:
            with self._lock:
                self._indexes_for(CT.ACCESS_TOKEN)
                found = self._best_access_token(ikey, envs, wanted, now, locked=True)
        hit: Optional[Dict[str, Any]] = found  # (an annotation costs nothing at run time)
        return hit

    def _best_access_token(
        self,
        ikey: Tuple[Any, ...],
        envs: Tuple[Any, ...],
        wanted: FrozenSet[str],
        now: float,
        locked: bool = False,
    ) -> Any:
        """The matching token that expires last; RETRY when this needs the lock."""
        CT = self.CredentialType
        index = self._index
        if index is None or CT.ACCESS_TOKEN in index.stale:
            return RETRY
        bucket = index.primary[CT.ACCESS_TOKEN].get(ikey)
        if not bucket:
            return None
        candidates: Optional[Iterable[str]] = None
        if ikey in index.unparsed:
            if not locked:
                return RETRY
            candidates = index.parse_covering(ikey, self._cache[CT.ACCESS_TOKEN], wanted)
        if candidates is None:
            candidates = index.access_token_candidates(ikey, bucket, wanted, build=locked)
            if candidates is None:
                return RETRY
        best, best_exp, deadline = None, None, now + EXPIRY_MARGIN
        for key in candidates:
            env, covered, expires_on, entry = bucket[key]
            if (
                expires_on is None
                or expires_on <= deadline
                or (best_exp is not None and expires_on <= best_exp)
                or env not in envs
                or not wanted <= covered
            ):
                continue
            best, best_exp = entry, expires_on
        return best

    def find_refresh_tokens(
        self,
        *,
        home_account_id: str,
        environments: Iterable[str],
        client_id: str,
        family_id: Optional[str] = None,
    ) -> List[Dict[str, Any]]:
        """This client's refresh tokens for the account, then the family's (FOCI) ones."""
        if self._read_hook:
            hooks.announce_read(
                self, self._read_hook, self.CredentialType.REFRESH_TOKEN, {"home_account_id": home_account_id}
            )
        envs = set(environments)
        with self._lock:
            entries = [
                e
                for _, e in self._keyed(self.CredentialType.REFRESH_TOKEN, ik(home_account_id))
                if environment_of(e) in envs and usable_credential(e)
            ]
            # Newest first: a document from before refresh tokens were kept one per client
            # may hold older ones too, which the server would reject.
            own = sorted(
                (e for e in entries if e.get("client_id") == client_id), key=_modified_at, reverse=True
            )
            family = [e for e in entries if e.get("client_id") != client_id and same_family(e, family_id)]
            return [dict(e) for e in own + family]

    def find_accounts(
        self, *, environments: Iterable[str], username: Optional[str] = None
    ) -> List[Dict[str, Any]]:
        """Account entries in these environments, one per home_account_id.

        When an account appears in several realms, the one stored last wins
        (as the original library does), at the position of the first.
        """
        if self._read_hook:
            hooks.announce_read(self, self._read_hook, self.CredentialType.ACCOUNT, {})
        CT = self.CredentialType
        with self._lock:
            section = self._cache.get(CT.ACCOUNT, EMPTY)
            index = self._index
            if len(section) <= SCAN_LIMIT and (index is None or CT.ACCOUNT in index.stale):
                # A few accounts just loaded (a web app's session): a look at each costs less
                # than indexing them, and gives what the indexes would.
                hosts = environments if type(environments) is tuple else frozenset(environments)
                return scanned_accounts(section, hosts, username)
            envs = frozenset(environments)
            index = self._indexes_for(CT.ACCOUNT)
            if isinstance(username, str):
                keys: Iterable[str] = [
                    k
                    for k in index.accounts_by_name.get(username.lower(), EMPTY)
                    if environment_of(section[k]) in envs
                ]
                return [dict(e) for e in one_per_home(section, keys)]
            found = index.accounts_memo.get(envs)
            if found is None:
                buckets = [index.accounts_by_env[e] for e in envs if e in index.accounts_by_env]
                seqs = index.seq[CT.ACCOUNT]
                keys = buckets[0] if len(buckets) == 1 else heapq.merge(*buckets, key=seqs.__getitem__)
                found = index.accounts_memo[envs] = one_per_home(section, keys)
            return [dict(e) for e in found]

    def find_id_token(
        self,
        *,
        home_account_id: str,
        environments: Iterable[str],
        client_id: str,
        realm: Optional[str] = None,
    ) -> Optional[Dict[str, Any]]:
        """The ID token of this client for the account (in ``realm`` if given), or None."""
        if self._read_hook:
            hooks.announce_read(
                self, self._read_hook, self.CredentialType.ID_TOKEN, {"home_account_id": home_account_id}
            )
        envs = set(environments)
        with self._lock:
            for _, entry in self._keyed(self.CredentialType.ID_TOKEN, ik(home_account_id)):
                if (
                    environment_of(entry) in envs
                    and entry.get("client_id") == client_id
                    and usable_credential(entry)
                    and (realm is None or entry.get("realm") == realm)
                ):
                    return dict(entry)
        return None

    def find_app_metadata(self, *, client_id: str, environments: Iterable[str]) -> Optional[Dict[str, Any]]:
        """The AppMetadata entry of this client in these environments, or None."""
        if self._read_hook:
            hooks.announce_read(
                self, self._read_hook, self.CredentialType.APP_METADATA, {"client_id": client_id}
            )
        envs = set(environments)
        with self._lock:
            for _, entry in self._keyed(self.CredentialType.APP_METADATA, ik(client_id)):
                if environment_of(entry) in envs:
                    return dict(entry)
        return None

    def remove_account_data(
        self, *, home_account_id: str, environments: Iterable[str], client_id: str
    ) -> None:
        """Sign-out: forget this client's tokens for the account, and the account.

        Removes the client's refresh tokens and the family refresh tokens of the
        family recorded in its app metadata, its access and ID tokens for the
        account, and the account's Account entries in these environments.
        """
        CT = self.CredentialType
        envs = set(environments)
        hid, cid = ik(home_account_id), ik(client_id)
        # Read first (a hooked search() may fail): nothing is removed unless all is known.
        app = self.find_app_metadata(client_id=client_id, environments=envs)
        family_id = app.get("family_id") if app else None
        with self._lock:
            doomed = []
            for key, e in self._keyed(CT.REFRESH_TOKEN, hid):
                if environment_of(e) in envs and (
                    e.get("client_id") == client_id or same_family(e, family_id)
                ):
                    doomed.append((CT.REFRESH_TOKEN, key))
            index = self._indexes_for(CT.ACCESS_TOKEN)
            for ikey in list(index.at_buckets_by_home.get(hid, ())):
                if ikey[0] == cid:
                    bucket = index.access_token_bucket(ikey, self._cache[CT.ACCESS_TOKEN])
                    doomed.extend(
                        (CT.ACCESS_TOKEN, key) for key, (env, _, _, _) in bucket.items() if env in envs
                    )
            for key, e in self._keyed(CT.ID_TOKEN, hid):
                if environment_of(e) in envs and e.get("client_id") == client_id:
                    doomed.append((CT.ID_TOKEN, key))
            for key, e in self._keyed(CT.ACCOUNT, hid):
                if environment_of(e) in envs:
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
        return [(k, section[k]) for k in self._indexes_for(credential_type).bucket(credential_type, ikey)]


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
    _READ_METHODS = TokenCache._READ_METHODS + ("serialize",)

    def add(self, event: Dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        """Store the tokens of a token-obtaining event, and mark the state as changed.

        See :meth:`TokenCache.add` for the parameters.
        """
        with self._write_lock():
            super().add(event, **kwargs)
            self.has_state_changed = True

    def modify(
        self,
        credential_type: str,
        old_entry: Dict[str, Any],
        new_key_value_pairs: Optional[Dict[str, Any]] = None,
    ) -> None:
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
        data = document.parse(state)
        with self._lock:
            self._replace_all_locked(data)
            self.has_state_changed = False

    def serialize(self) -> str:
        """The cache's current state, as a JSON string for :meth:`deserialize`."""
        with self._lock:
            self.has_state_changed = False
            return document.dump(self._cache)


_BASES = (TokenCache, SerializableTokenCache)  # Whose methods a subclass may override


def _expired(entry: Dict[str, Any], now: float) -> bool:
    """Whether an access token's expires_on has passed (one without a readable expiry has not)."""
    expires_on = epoch(entry.get("expires_on"))
    return expires_on is not None and expires_on < now


def _modified_at(entry: Dict[str, Any]) -> int:
    """When a refresh token was stored (0 when unknown), to try the newest first."""
    return epoch(entry.get("last_modification_time")) or 0
