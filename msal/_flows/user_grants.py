"""User tokens from other grants: on-behalf-of, refresh-token migration, username/password
(managed users, and federated users through WS-Trust)."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Tuple

from .._entra import scopes as scope_rules
from .._entra import mex, telemetry, userrealm, wstrust
from .._entra.discovery import Endpoints
from ..oauth2cli.oauth2 import Client
from .auth_code import id_token_validator
from .context import AppContext, from_network

logger = logging.getLogger(__name__)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _require_text(value: Any, message: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(message)


def _prepare(ctx: AppContext, scopes: Any) -> Tuple[List[str], Endpoints, Client]:
    """What every user grant starts with: checked scopes plus the reserved ones, the
    endpoints, and a protocol client wired to the cache."""
    decorated = ctx.user_scopes(scope_rules.validate(scopes))
    endpoints = ctx.endpoints()
    return decorated, endpoints, ctx.oauth_client(endpoints)


def on_behalf_of(ctx: AppContext, user_assertion: Any, scopes: Any,
                 claims_challenge: Optional[str] = None) -> Dict[str, Any]:
    """Exchange the token this middle tier received for one to a downstream API."""
    _require_text(user_assertion, "user_assertion must be the incoming access token, as a string")
    decorated, endpoints, client = _prepare(ctx, scopes)
    return from_network(client.obtain_token_by_assertion(
        user_assertion, JWT_BEARER, decorated,
        fields={"requested_token_use": "on_behalf_of", "claims": ctx.claims(claims_challenge),
                "client_info": "1"},
        headers=ctx.headers(telemetry.ON_BEHALF_OF),
        validate=id_token_validator(ctx, endpoints.issuer)))


def by_refresh_token(ctx: AppContext, refresh_token: Any, scopes: Any) -> Dict[str, Any]:
    """Migrate a refresh token obtained elsewhere into this application's cache."""
    _require_text(refresh_token, "refresh_token must be a non-empty string")
    decorated, endpoints, client = _prepare(ctx, scopes)
    return from_network(client.obtain_token_by_refresh_token(
        refresh_token, decorated, fields={"client_info": "1"},
        headers=ctx.headers(telemetry.REFRESH_TOKEN, telemetry.FORCE_REFRESH),
        validate=id_token_validator(ctx, endpoints.issuer)))


def by_username_password(ctx: AppContext, username: Any, password: Any, scopes: Any,
                         claims_challenge: Optional[str] = None) -> Dict[str, Any]:
    """Resource owner password credentials; federated users go through their WS-Trust server."""
    _require_text(username, "username must be a non-empty string")
    if not isinstance(password, str):
        raise ValueError("password must be a string")
    decorated, endpoints, client = _prepare(ctx, scopes)
    headers = ctx.headers(telemetry.USERNAME_PASSWORD)
    fields = {"claims": ctx.claims(claims_challenge), "client_info": "1"}
    validate = id_token_validator(ctx, endpoints.issuer)
    if not ctx.authority.is_adfs:  # ADFS authorities take the password grant directly
        realm = ctx.discovery.user_realm(ctx.authority, username,
                                         {"client-request-id": headers["client-request-id"]})
        federated = userrealm.is_federated(realm)
        logger.debug("User realm of %s: %s", ctx.pii(username),
                     "federated, so its WS-Trust server is asked" if federated else "managed")
        if federated:
            try:
                grant_type, assertion = _saml_assertion(ctx, realm, username, password)
            except wstrust.CredentialsRefused as exc:
                return {"error": "invalid_grant", "error_description": str(exc)}
            except (wstrust.WsTrustError, mex.MexError) as exc:
                return {"error": "federation_error", "error_description": str(exc)}
            return from_network(client.obtain_token_by_assertion(
                assertion, grant_type, decorated, fields=fields, headers=headers,
                validate=validate))
    headers["X-AnchorMailbox"] = "upn:{}".format(username)  # only on the password grant itself
    return from_network(client.obtain_token_by_username_password(
        username, password, decorated, fields=fields, headers=headers, validate=validate))


def _saml_assertion(ctx: AppContext, realm: Dict[str, Any], username: str,
                    password: str) -> Tuple[str, str]:
    """User realm → MEX → WS-Trust: a SAML assertion for the federated user."""
    endpoint = ctx.discovery.ws_trust_endpoint(realm["federation_metadata_url"])
    return wstrust.send(ctx.http_client, endpoint, username, password,
                        realm.get("cloud_audience_urn") or wstrust.DEFAULT_AUDIENCE)
