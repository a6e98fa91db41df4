"""Tokens for the application itself (client credentials grant)."""

from __future__ import annotations

import logging
import warnings
from typing import Any, Dict, List, Optional

from .._entra import scopes as scope_rules
from .._entra import telemetry
from .._entra.claims import with_forwarded
from .._entra.region import regional_token_endpoint
from ..oauth2cli.oauth2 import Client
from . import redeem
from .cache_first import Result, cached_or_fetch
from .context import AppContext

logger = logging.getLogger(__name__)


def acquire(
    ctx: AppContext,
    scopes: Any,
    claims_challenge: Optional[str] = None,
    fmi_path: Optional[str] = None,
    forwarded_client_claims: Optional[str] = None,
) -> Dict[str, Any]:
    """Cache first (unless a claims challenge asks for a fresh token), then the token endpoint.

    Concurrent callers missing the cache for the same scopes share one request. A token for
    an FMI path or forwarded claims is for those requests only: neither looked up nor cached.
    """
    scopes = scope_rules.for_client_credentials(scopes)
    # (An application that serves hits again has a tenant: a hit reads none of its configuration.)
    if not ctx.hits.serve_again and ctx.config.multi_tenant:
        config = ctx.config
        warnings.warn(
            "acquire_token_for_client() on the /{} authority gets no reliable token: "
            "use the tenant's own authority".format(config.authority.tenant),
            DeprecationWarning,
            stacklevel=3,
        )
    if fmi_path is not None or forwarded_client_claims:
        if fmi_path is not None and (not isinstance(fmi_path, str) or not fmi_path):
            raise ValueError("fmi_path must be a non-empty string")
        claims = with_forwarded(ctx.config.capabilities, claims_challenge, forwarded_client_claims)
        return request(ctx, scopes, claims, extra={"fmi_path": fmi_path}, cache=False)
    result: Dict[str, Any] = cached_or_fetch(  # (a fetch always answers: never None)
        ctx, scopes, None, None, _fetch, (claims_challenge,), use_cache=not claims_challenge
    )  # type: ignore[assignment]
    return result


def _fetch(
    ctx: AppContext, scopes: List[str], cached: Result, claims_challenge: Optional[str]
) -> Dict[str, Any]:
    return request(ctx, scopes, claims_challenge)


def request(
    ctx: AppContext,
    scopes: List[str],
    claims_challenge: Optional[str] = None,
    extra: Optional[Dict[str, Any]] = None,
    cache: bool = True,
) -> Dict[str, Any]:
    """One client credentials request, at the regional token endpoint when a region is set;
    ``extra`` form fields; without ``cache`` its tokens are not filed in the cache."""
    endpoints = ctx.discovery.endpoints(ctx.config.authority)
    region = ctx.region.region() if ctx.region else None
    token_endpoint = regional_token_endpoint(endpoints.token_endpoint, region) if region else None
    if token_endpoint:
        logger.debug("Region %s: the regional token endpoint serves", region)
    redemption = redeem.prepare(
        ctx,
        telemetry.CLIENT_CREDENTIALS,
        token_endpoint=token_endpoint,
        claims_challenge=claims_challenge,
        fields=extra,
    )
    if not cache:
        redemption.client.on_obtaining_tokens = None
    return redemption.send(Client.obtain_token_for_client, scopes)
