"""Tokens for the application itself (client credentials grant)."""
from __future__ import annotations

import logging

import warnings
from typing import Any, Dict, List, Optional

from .._entra import scopes as scope_rules
from .._entra import telemetry
from .._entra.region import regional_token_endpoint
from ..oauth2cli.oauth2 import Client
from . import redeem
from .cache_first import Result, cached_or_fetch
from .context import AppContext


logger = logging.getLogger(__name__)
def acquire(ctx: AppContext, scopes: Any, claims_challenge: Optional[str] = None) -> Dict[str, Any]:
    """Cache first (unless a claims challenge asks for a fresh token), then the token endpoint.

    Concurrent callers missing the cache for the same scopes share one request.
    """
    scopes = scope_rules.for_client_credentials(scopes)
    config = ctx.config
    if config.multi_tenant:
        warnings.warn("acquire_token_for_client() on the /{} authority gets no reliable token: "
                      "use the tenant's own authority".format(config.authority.tenant),
                      DeprecationWarning, stacklevel=3)
    result: Dict[str, Any] = cached_or_fetch(  # (a fetch always answers: never None)
        ctx, scopes, None, config.authority, _fetch, (claims_challenge,),
        use_cache=not claims_challenge)  # type: ignore[assignment]
    return result


def _fetch(ctx: AppContext, scopes: List[str], cached: Result,
           claims_challenge: Optional[str]) -> Dict[str, Any]:
    return request(ctx, scopes, claims_challenge)


def request(ctx: AppContext, scopes: List[str], claims_challenge: Optional[str] = None) -> Dict[str, Any]:
    """One client credentials request, at the regional token endpoint when a region is set."""
    endpoints = ctx.discovery.endpoints(ctx.config.authority)
    region = ctx.region.region() if ctx.region else None
    token_endpoint = regional_token_endpoint(endpoints.token_endpoint, region) if region else None
    if token_endpoint:
        logger.debug("Region %s: the regional token endpoint serves", region)
    return redeem.prepare(
        ctx, telemetry.CLIENT_CREDENTIALS, token_endpoint=token_endpoint,
        claims_challenge=claims_challenge).send(Client.obtain_token_for_client, scopes)
