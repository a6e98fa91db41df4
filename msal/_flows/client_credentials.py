"""Tokens for the application itself (client credentials grant)."""
from __future__ import annotations

import logging
import warnings
from typing import Any, Dict, List, Optional

from .._entra import scopes as scope_rules
from .._entra import telemetry
from .._entra.region import regional_token_endpoint
from .context import AppContext, from_network

logger = logging.getLogger(__name__)


def acquire(ctx: AppContext, scopes: Any, claims_challenge: Optional[str] = None) -> Dict[str, Any]:
    """Cache first (unless a claims challenge asks for a fresh token), then the token endpoint.

    Concurrent callers missing the cache for the same scopes share one request.
    """
    scopes = scope_rules.for_client_credentials(scopes)
    if ctx.multi_tenant:
        warnings.warn("acquire_token_for_client() on the /{} authority gets no reliable token: "
                      "use the tenant's own authority".format(ctx.authority.tenant),
                      DeprecationWarning, stacklevel=3)
    if claims_challenge:
        return request(ctx, scopes, claims_challenge)
    cached, refresh_due = ctx.cached_access_token(scopes=scopes, home_account_id=None)
    if cached and not refresh_due:
        return cached

    def fetch() -> Dict[str, Any]:
        latest, due = ctx.cached_access_token(scopes=scopes, home_account_id=None, recheck=True)
        if latest and not due:
            return latest  # Another caller refreshed it while this one waited
        result = request(ctx, scopes)
        return latest if "error" in result and latest else result
    result: Dict[str, Any] = ctx.single_flight.run(("client_credentials", frozenset(scopes)), fetch)
    return result


def request(ctx: AppContext, scopes: List[str], claims_challenge: Optional[str] = None) -> Dict[str, Any]:
    endpoints = ctx.endpoints()
    region = ctx.region.region() if ctx.region else None
    token_endpoint = regional_token_endpoint(endpoints.token_endpoint, region) if region else None
    if token_endpoint:
        logger.debug("Region %s: the regional token endpoint serves", region)
    client = ctx.oauth_client(endpoints, token_endpoint=token_endpoint)
    return from_network(client.obtain_token_for_client(
        scopes, fields={"claims": ctx.claims(claims_challenge), "client_info": "1"},
        headers=ctx.headers(telemetry.CLIENT_CREDENTIALS)))
