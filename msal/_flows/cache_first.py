"""Cache first: a usable cached access token, else one request per key at a time.

Layering: a step of the flows (:mod:`msal._flows`) over the token cache and the single-flight
table of the :class:`~msal._flows.context.AppContext`; it makes no request itself (the flow's
``fetch`` does, through :mod:`msal._flows.redeem`), and finding a cached token needs no network:
:meth:`~msal._entra.discovery.Discovery.cache_location` says where it is filed.
"""

from __future__ import annotations

import logging

from typing import Any, Callable, Dict, List, Optional, Tuple

from .. import _diagnostics
from ..authority import Authority
from .context import AppContext

logger = logging.getLogger(__name__)
Result = Optional[Dict[str, Any]]
# fetch(ctx, scopes, token found due for refresh or None, *fetch_args): the flow's request
Fetch = Callable[..., Result]


def cached_or_fetch(
    ctx: AppContext,
    scopes: List[str],
    home_account_id: Optional[str],
    authority: Authority,
    fetch: Fetch,
    fetch_args: Tuple[Any, ...] = (),
    use_cache: bool = True,
) -> Result:
    """The cache; on a miss (or a token due for refresh), one ``fetch`` per request at a time,
    after a second look at the cache (another caller may have just refreshed it).

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
    authority: Authority,
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
    authority: Authority,
    recheck: bool = False,
) -> Tuple[Result, bool]:
    """A usable cached access token as a result dict, and whether it is due for refresh.
    A ``recheck`` (after waiting for a concurrent caller) logs no second miss."""
    environments, realm = ctx.discovery.cache_location(authority)
    now = ctx.now()
    cache = ctx.cache
    # The stored entry, read in place (from_cache copies what it returns), unless the cache
    # looks tokens up its own way.
    find = (
        cache.find_access_token
        if getattr(cache, "_finds_access_tokens_itself", True)
        else cache._stored_access_token
    )
    entry = find(
        client_id=ctx.config.client_id,
        environments=environments,
        realm=realm,
        home_account_id=home_account_id,
        scopes=scopes,
        now=now,
    )
    logged = logger.isEnabledFor(logging.DEBUG)  # The hit path stays lean when it is off
    if entry is None:
        if logged and not recheck:
            logger.debug(
                "Cache miss: no unexpired access token for %s, scopes %s, in tenant %s",
                whose(ctx, home_account_id),
                scopes,
                realm,
            )
        return None, False
    ctx.last_request.cache_hits += 1
    result, due = from_cache(entry, now)
    if logged:
        logger.debug(
            "Cache hit: access token for %s, scopes %s, expires in %d s%s",
            whose(ctx, home_account_id),
            scopes,
            result["expires_in"],
            "; its refresh_on has passed, so it is refreshed" if due else "",
        )
    return result, due


def whose(ctx: AppContext, home_account_id: Optional[str]) -> str:
    """Whose token, as a log line may name it."""
    return (
        "the app itself"
        if home_account_id is None
        else "account " + _diagnostics.pii(home_account_id, ctx.config.pii_log)
    )


def from_cache(entry: Dict[str, Any], now: float) -> Tuple[Dict[str, Any], bool]:
    """A cached access token entry as a result dict, and whether it is due for refresh."""
    result = {
        "access_token": entry["secret"],
        "token_type": entry.get("token_type") or "Bearer",
        "expires_in": int(entry["expires_on"]) - int(now),
        "token_source": "cache",
    }
    refresh_on = entry.get("refresh_on")
    due = False
    if refresh_on and str(refresh_on).isdigit():
        result["refresh_on"] = int(str(refresh_on))  # As later msal versions report it
        due = result["refresh_on"] < now
    return result, due


def has_access_token(
    ctx: AppContext, scopes: List[str], home_account_id: Optional[str], authority: Authority
) -> bool:
    """Whether the cache holds a matching access token even if expired (telemetry tells the
    service an expired token from none at all)."""
    environments, realm = ctx.discovery.cache_location(authority)
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
