"""Username and password (resource owner password credentials): managed users directly,
federated users through their WS-Trust server (user realm -> MEX -> WS-Trust -> SAML grant)."""

from __future__ import annotations

import logging

from typing import Any, Dict, Optional, Tuple

from .. import _diagnostics
from .._entra import scopes as scope_rules
from .._entra import mex, telemetry, userrealm, wstrust
from ..exceptions import FEDERATION_ERROR
from ..oauth2cli.oauth2 import Client
from . import redeem
from .context import AppContext


logger = logging.getLogger(__name__)


def acquire(
    ctx: AppContext, username: Any, password: Any, scopes: Any, claims_challenge: Optional[str] = None
) -> Dict[str, Any]:
    """Resource owner password credentials; federated users go through their WS-Trust server."""
    redeem.require_text(username, "username must be a non-empty string")
    if not isinstance(password, str):
        raise ValueError("password must be a string")
    decorated = redeem.user_scopes(ctx, scope_rules.validate(scopes))
    request = redeem.prepare(ctx, telemetry.USERNAME_PASSWORD, claims_challenge=claims_challenge)
    authority = ctx.config.authority
    if not authority.is_adfs:  # ADFS authorities take the password grant directly
        realm = ctx.discovery.user_realm(
            authority, username, {"client-request-id": request.headers["client-request-id"]}
        )
        federated = userrealm.is_federated(realm)
        logger.debug(
            "User realm of %s: %s",
            _diagnostics.pii(username, ctx.config.pii_log),
            "federated, so its WS-Trust server is asked" if federated else "managed",
        )
        if federated:
            try:
                grant_type, assertion = _saml_assertion(ctx, realm, username, password)
            except wstrust.CredentialsRefused as exc:
                return {"error": "invalid_grant", "error_description": str(exc)}
            except (wstrust.WsTrustError, mex.MexError) as exc:
                return {"error": FEDERATION_ERROR, "error_description": str(exc)}
            return request.send(Client.obtain_token_by_assertion, assertion, grant_type, decorated)
    return request.send(  # The CCS routing hint only on the password grant itself
        Client.obtain_token_by_username_password,
        username,
        password,
        decorated,
        extra_headers={"X-AnchorMailbox": "upn:{}".format(username)},
    )


def _saml_assertion(ctx: AppContext, realm: Dict[str, Any], username: str, password: str) -> Tuple[str, str]:
    """User realm -> MEX -> WS-Trust: a SAML assertion for the federated user."""
    endpoint = ctx.discovery.ws_trust_endpoint(realm["federation_metadata_url"])
    return wstrust.send(
        ctx.http, endpoint, username, password, realm.get("cloud_audience_urn") or wstrust.DEFAULT_AUDIENCE
    )
