"""Cache first: a usable cached access token, else one request per key at a time.

Layering: a step of the flows (:mod:`msal._flows`) over the token cache and the single-flight
table of the :class:`~msal._flows.context.AppContext`; it makes no request itself (the flow's
``fetch`` does, through :mod:`msal._flows.redeem`), and finding a cached token needs no network:
:meth:`~msal._entra.discovery.Discovery.cache_location` says where it is filed.
"""

from __future__ import annotations

import logging
from sys import intern
from typing import Any, Callable, Dict, List, Optional, Tuple

from .. import _diagnostics
from .._entra.discovery import Location
from ..authority import Authority
from ..token_cache import EXPIRY_MARGIN
from .context import AppContext
from .hits import Served

logger = logging.getLogger(__name__)
Result = Optional[Dict[str, Any]]
# fetch(ctx, scopes, token found due for refresh or None, *fetch_args): the flow's request
Fetch = Callable[..., Result]


def cached_or_fetch(
    ctx: AppContext,
    scopes: List[str],
    home_account_id: Optional[str],
    authority: Optional[Authority],
    fetch: Fetch,
    fetch_args: Tuple[Any, ...] = (),
    use_cache: bool = True,
) -> Result:
    """The cache; on a miss (or a token due for refresh), one ``fetch`` per request at a time,
    after a second look at the cache (another caller may have just refreshed it). An
    ``authority`` of None is the application's own.

    ``fetch`` gets the token the first look found (due for refresh) or None. When it fails, the
    cached token still valid at the second look is the answer. Without ``use_cache`` (a forced
    refresh, a claims challenge) the cache is skipped, never the single flight.
    """
    cached: Result = None
    if use_cache:
        cached, due = cached_token(ctx, scopes, home_account_id, authority)
        if cached is not None and not due:
            return cached
    return _fetch_once(ctx, scopes, home_account_id, authority, fetch, fetch_args, use_cache, cached)


def _fetch_once(
    ctx: AppContext,
    scopes: List[str],
    home_account_id: Optional[str],
    authority: Optional[Authority],
    fetch: Fetch,
    fetch_args: Tuple[Any, ...],
    use_cache: bool,
    cached: Result,
) -> Result:
    """The miss path of :func:`cached_or_fetch` (apart, so that a hit builds no closure)."""

    def flight() -> Result:
        latest: Result = None
        if use_cache:
            latest, due = cached_token(ctx, scopes, home_account_id, authority, recheck=True)
            if latest is not None and not due:
                return latest
        result = fetch(ctx, scopes, cached, *fetch_args)
        if latest is not None and (result is None or "error" in result):
            logger.info(
                "Refresh failed (%s); the cached access token, still valid, is returned",
                (result or {}).get("error", "no refresh token"),
            )
            return latest
        return result

    key = (home_account_id, authority, frozenset(scopes), use_cache, fetch, fetch_args)
    result: Result = ctx.single_flight.run(key, flight)
    return result


def cached_token(
    ctx: AppContext,
    scopes: List[str],
    home_account_id: Optional[str],
    authority: Optional[Authority],
    recheck: bool = False,
) -> Tuple[Result, bool]:
    """A usable cached access token as a result dict, and whether it is due for refresh.
    A ``recheck`` (after waiting for a concurrent caller) logs no second miss."""
    now = ctx.now()
    cache = ctx.cache
    key = _call_key(scopes, home_account_id, authority)
    hits = ctx.hits
    stamp = cache._read_stamp()
    served = hits.get(key, cache, stamp, now + EXPIRY_MARGIN)
    if served is None:
        served = _look_up(ctx, key, scopes, home_account_id, authority, now, recheck, stamp)
        if served is None:
            return None, False
    hits.count += 1
    result, due = answer(served, now)
    if logger.isEnabledFor(logging.DEBUG):  # The hit path stays lean when it is off
        logger.debug(
            "Cache hit: access token for %s, scopes %s, expires in %d s%s",
            whose(ctx, home_account_id),
            scopes,
            result["expires_in"],
            "; its refresh_on has passed, so it is refreshed" if due else "",
        )
    return result, due


def _look_up(
    ctx: AppContext,
    key: Any,
    scopes: List[str],
    home_account_id: Optional[str],
    authority: Optional[Authority],
    now: float,
    recheck: bool,
    stamp: Optional[int],
) -> Optional[Served]:
    """What the cache serves for these scopes now, or None. Remembered for the application's
    next call when the cache's read ``stamp``, taken before the lookup, is unchanged after it."""
    environments, realm = _location(ctx, authority)
    cache = ctx.cache
    # The stored entry, read in place (served() copies what it returns), unless the cache
    # looks tokens up its own way.
    find = cache.find_access_token if cache._finds_access_tokens_itself else cache._stored_access_token
    entry = find(
        client_id=ctx.config.client_id,
        environments=environments,
        realm=realm,
        home_account_id=home_account_id,
        scopes=scopes,
        now=now,
    )
    if entry is None:
        if not recheck and logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "Cache miss: no unexpired access token for %s, scopes %s, in tenant %s",
                whose(ctx, home_account_id),
                scopes,
                realm,
            )
        return None
    found = served(entry)
    if stamp is not None and cache._read_stamp() == stamp:
        ctx.hits.put(key, found, cache, stamp)
    return found


def _location(ctx: AppContext, authority: Optional[Authority]) -> Location:
    """Where the tokens of this authority (None: the application's own) are cached."""
    return ctx.discovery.cache_location(ctx.config.authority if authority is None else authority)


def _call_key(scopes: List[str], home_account_id: Optional[str], authority: Optional[Authority]) -> Any:
    """What an application remembers a hit under: the scope itself for the usual call of a
    daemon (one scope, for itself, at its own authority), which a lookup compares by identity
    alone, else (account, authority, scopes...)."""
    if home_account_id is None and authority is None and len(scopes) == 1:
        return scopes[0]
    return (home_account_id, authority, *scopes)


def whose(ctx: AppContext, home_account_id: Optional[str]) -> str:
    """Whose token, as a log line may name it."""
    return (
        "the app itself"
        if home_account_id is None
        else "account " + _diagnostics.pii(home_account_id, ctx.config.pii_log)
    )


def served(entry: Dict[str, Any]) -> Served:
    """What a cached access token entry answers with: (secret, token type, expires_on,
    refresh_on or None)."""
    refresh_on = entry.get("refresh_on")
    token_type = entry.get("token_type")
    return (
        entry["secret"],
        intern(token_type) if token_type else "Bearer",  # (one object for all the apps)
        int(entry["expires_on"]),
        int(str(refresh_on)) if refresh_on and str(refresh_on).isdigit() else None,
    )


def answer(found: Served, now: float) -> Tuple[Dict[str, Any], bool]:
    """A served token as a result dict, and whether it is due for refresh. (Only the first
    four fields of ``found`` are read: a remembered hit carries more.)"""
    result = {
        "access_token": found[0],
        "token_type": found[1],
        "expires_in": found[2] - int(now),
        "token_source": "cache",
    }
    refresh_on = found[3]
    if refresh_on is None:
        return result, False
    result["refresh_on"] = refresh_on  # As later msal versions report it
    return result, refresh_on < now


def from_cache(entry: Dict[str, Any], now: float) -> Tuple[Dict[str, Any], bool]:
    """A cached access token entry as a result dict, and whether it is due for refresh."""
    return answer(served(entry), now)


def has_access_token(
    ctx: AppContext, scopes: List[str], home_account_id: Optional[str], authority: Optional[Authority]
) -> bool:
    """Whether the cache holds a matching access token even if expired (telemetry tells the
    service an expired token from none at all)."""
    environments, realm = _location(ctx, authority)
    return (
        ctx.cache.find_access_token(
            client_id=ctx.config.client_id,
            environments=environments,
            realm=realm,
            home_account_id=home_account_id,
            scopes=scopes,
            now=0,
        )
        is not None
    )
