"""On-behalf-of (a web API gets a token to a downstream API for the user who called it).

The cache comes first, keyed by the hash of the incoming token (as MSAL.NET and MSAL Node do):
an access token not yet due for refresh, else the OBO refresh token, else a new grant.
"""

from __future__ import annotations

import logging

from typing import Any, Dict, List, Optional

from .._entra import scopes as scope_rules
from .._entra import telemetry
from .._entra.discovery import realm_of
from .._entra.obo import assertion_hash
from ..oauth2cli.oauth2 import Client
from ..token_cache import TokenCache
from . import redeem
from .cache_first import from_cache
from .context import AppContext

logger = logging.getLogger(__name__)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
REFRESH_MARGIN = 300  # An access token this close to expiry is not served from the cache


def acquire(
    ctx: AppContext, user_assertion: Any, scopes: Any, claims_challenge: Optional[str] = None
) -> Dict[str, Any]:
    """Exchange the token this middle tier received for one to a downstream API."""
    redeem.require_text(user_assertion, "user_assertion must be the incoming access token, as a string")
    decorated = redeem.user_scopes(ctx, scope_rules.validate(scopes))
    hashed = {"user_assertion_hash": assertion_hash(user_assertion)}
    if not claims_challenge:
        cached = _cached_obo(ctx, hashed, scope_rules.validate(scopes))
        logger.debug(
            "Cache %s: on-behalf-of access token for this user assertion, scopes %s",
            "miss" if cached is None else "hit",
            scopes,
        )
        if cached is not None:
            return cached
        for rt in _obo_refresh_tokens(ctx, hashed):
            logger.debug("Trying the on-behalf-of refresh token of this user assertion")
            refreshed = redeem.prepare(  # An OBO refresh sends no claims, as a migration
                ctx,
                telemetry.ON_BEHALF_OF,
                cache_info=telemetry.REFRESH_DUE,
                with_claims=False,
            ).send(Client.obtain_token_by_refresh_token, rt["secret"], decorated, event_extra=hashed)
            if "error" not in refreshed:
                return refreshed
    return redeem.prepare(
        ctx,
        telemetry.ON_BEHALF_OF,
        claims_challenge=claims_challenge,
        fields={"requested_token_use": "on_behalf_of"},
    ).send(Client.obtain_token_by_assertion, user_assertion, JWT_BEARER, decorated, event_extra=hashed)


def _cached_obo(ctx: AppContext, hashed: Dict[str, str], scopes: List[str]) -> Optional[Dict[str, Any]]:
    """The cached OBO access token for these scopes that expires last, unless due for refresh."""
    authority = ctx.config.authority
    aliases, now = ctx.discovery.aliases(authority), ctx.now()
    realm = realm_of(ctx.discovery.endpoints(authority).token_endpoint)
    wanted = {s.lower() for s in scopes}
    best: Optional[Dict[str, Any]] = None
    for entry in ctx.cache.find(
        TokenCache.CredentialType.ACCESS_TOKEN, query=dict(hashed, client_id=ctx.config.client_id)
    ):
        expires_on = str(entry.get("expires_on") or "")
        if (
            _secret(entry)
            and entry.get("environment") in aliases
            and entry.get("realm") == realm
            and expires_on.isdigit()
            and int(expires_on) > now + REFRESH_MARGIN
            and wanted <= {t.lower() for t in str(entry.get("target") or "").split()}
            and (best is None or int(expires_on) > int(best["expires_on"]))
        ):
            best = entry
    if best is None:
        return None
    result, due = from_cache(best, now)
    return None if due else result


def _obo_refresh_tokens(ctx: AppContext, hashed: Dict[str, str]) -> List[Dict[str, Any]]:
    aliases = ctx.discovery.aliases(ctx.config.authority)
    return [
        rt
        for rt in ctx.cache.find(
            TokenCache.CredentialType.REFRESH_TOKEN, query=dict(hashed, client_id=ctx.config.client_id)
        )
        if rt.get("environment") in aliases and _secret(rt)
    ]


def _secret(entry: Dict[str, Any]) -> bool:
    """Whether a cache entry holds a usable secret (a loaded cache may hold damaged ones)."""
    return isinstance(entry.get("secret"), str) and bool(entry["secret"])
