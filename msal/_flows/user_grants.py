"""User tokens from other grants: on-behalf-of, refresh-token migration, username/password
(managed users, and federated users through WS-Trust)."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Tuple

from .._entra import scopes as scope_rules
from .._entra import mex, telemetry, userrealm, wstrust
from .._entra.obo import assertion_hash
from .._entra.discovery import Endpoints
from ..oauth2cli.oauth2 import Client
from .auth_code import id_token_validator
from ..token_cache import TokenCache
from .context import REFRESH_MARGIN, AppContext, from_cache, from_network, realm_of

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
    """Exchange the token this middle tier received for one to a downstream API.

    The cache comes first, keyed by the hash of the incoming token (as MSAL.NET and MSAL Node
    do): an access token not yet due for refresh, else the OBO refresh token, else a new grant.
    """
    _require_text(user_assertion, "user_assertion must be the incoming access token, as a string")
    decorated, endpoints, client = _prepare(ctx, scopes)
    hashed = {"user_assertion_hash": assertion_hash(user_assertion)}
    validate = id_token_validator(ctx, endpoints.issuer)
    if not claims_challenge:
        cached = _cached_obo(ctx, hashed, scope_rules.validate(scopes), endpoints)
        logger.debug("Cache %s: on-behalf-of access token for this user assertion, scopes %s",
                     "miss" if cached is None else "hit", scopes)
        if cached is not None:
            return cached
        for rt in _obo_refresh_tokens(ctx, hashed):
            logger.debug("Trying the on-behalf-of refresh token of this user assertion")
            refreshed = client.obtain_token_by_refresh_token(
                rt["secret"], decorated, fields={"client_info": "1"},
                headers=ctx.headers(telemetry.ON_BEHALF_OF, telemetry.REFRESH_DUE),
                validate=validate, event_extra=hashed)
            if "error" not in refreshed:
                return from_network(refreshed)
    return from_network(client.obtain_token_by_assertion(
        user_assertion, JWT_BEARER, decorated,
        fields={"requested_token_use": "on_behalf_of", "claims": ctx.claims(claims_challenge),
                "client_info": "1"},
        headers=ctx.headers(telemetry.ON_BEHALF_OF), validate=validate, event_extra=hashed))


def _cached_obo(ctx: AppContext, hashed: Dict[str, str], scopes: List[str],
                endpoints: Endpoints) -> Optional[Dict[str, Any]]:
    """The cached OBO access token for these scopes that expires last, unless due for refresh."""
    aliases, realm, now = ctx.aliases(), realm_of(endpoints.token_endpoint), ctx.now()
    wanted = {s.lower() for s in scopes}
    best: Optional[Dict[str, Any]] = None
    for entry in ctx.cache.find(TokenCache.CredentialType.ACCESS_TOKEN,
                                query=dict(hashed, client_id=ctx.client_id)):
        expires_on = str(entry.get("expires_on") or "")
        if (_secret(entry) and entry.get("environment") in aliases and entry.get("realm") == realm
                and expires_on.isdigit() and int(expires_on) > now + REFRESH_MARGIN
                and wanted <= {t.lower() for t in str(entry.get("target") or "").split()}
                and (best is None or int(expires_on) > int(best["expires_on"]))):
            best = entry
    if best is None:
        return None
    result, due = from_cache(best, now)
    return None if due else result


def _obo_refresh_tokens(ctx: AppContext, hashed: Dict[str, str]) -> List[Dict[str, Any]]:
    aliases = ctx.aliases()
    return [rt for rt in ctx.cache.find(TokenCache.CredentialType.REFRESH_TOKEN,
                                        query=dict(hashed, client_id=ctx.client_id))
            if rt.get("environment") in aliases and _secret(rt)]


def _secret(entry: Dict[str, Any]) -> bool:
    """Whether a cache entry holds a usable secret (a loaded cache may hold damaged ones)."""
    return isinstance(entry.get("secret"), str) and bool(entry["secret"])


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
