"""Token responses for user flows, shared by every grant: Entra's shape, or ADFS's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

from .. import errors
from ..http import Request
from ..store import REFRESH_TOKEN_LIFETIME, RefreshGrant
from ..tokens import (
    EXPIRES_IN,
    adfs_access_token_claims,
    adfs_id_token_claims,
    b2c_claims,
    client_info,
    id_token_claims,
    user_access_token_claims,
)
from .common import Scopes

if TYPE_CHECKING:  # pragma: no cover
    from ..server import Emulator

B2C_REFRESH_TOKEN_LIFETIME = 14 * 24 * 3600  # what B2C reports (its default is 14 days)


def user_tokens(
    emu: "Emulator",
    req: Request,
    app: Dict[str, Any],
    user: Dict[str, Any],
    tid: str,
    scopes: Scopes,
    *,
    auth_time: float,
    nonce: Optional[str] = None,
    with_auth_time: bool = False,
    always_refresh_token: bool = False,
    adfs: bool = False,
    policy: Optional[str] = None,
) -> Dict[str, Any]:
    """Entra's answer to a user flow: access token, maybe refresh token, id token, client_info.

    The `/adfs` authority answers like ADFS, a B2C user flow (`policy`) like B2C.
    """
    require_consent(emu, app, user, scopes)
    if adfs:
        return _adfs_tokens(emu, req, app, user, scopes, auth_time=auth_time, nonce=nonce)
    if policy:
        return _b2c_tokens(
            emu,
            req,
            app,
            user,
            tid,
            scopes,
            policy,
            auth_time=auth_time,
            nonce=nonce,
            always_refresh_token=always_refresh_token,
        )
    now = emu.clock()
    host = req.host
    access = emu.signing_key.sign(
        user_access_token_claims(
            host=host,
            tid=tid,
            user=user,
            client_id=app["client_id"],
            audience=scopes.audience,
            scopes=scopes.names,
            now=now,
        )
    )
    body: Dict[str, Any] = {
        "token_type": "Bearer",
        "scope": scopes.response_scope(),
        "expires_in": EXPIRES_IN,
        "ext_expires_in": EXPIRES_IN,
        "access_token": access,
    }
    if scopes.wants_refresh_token or always_refresh_token:
        body["refresh_token"] = _refresh_token(emu, app, user, tid, now, auth_time)
    if scopes.wants_id_token:
        body["id_token"] = emu.signing_key.sign(
            id_token_claims(
                host=host,
                tid=tid,
                user=user,
                client_id=app["client_id"],
                now=now,
                nonce=nonce,
                auth_time=auth_time if with_auth_time else None,
                email="email" in scopes.reserved,
            )
        )
    if req.form.get("client_info") == "1":
        body["client_info"] = client_info(user["oid"], tid)
    if app.get("foci"):
        body["foci"] = app["foci"]
    return with_refresh_in(emu, body)


def with_refresh_in(emu: "Emulator", body: Dict[str, Any]) -> Dict[str, Any]:
    """Entra's hint to renew early (`refresh_in` seconds), when the test asked for it."""
    if emu.refresh_in is not None:
        body["refresh_in"] = emu.refresh_in
    return body


def _refresh_token(
    emu: "Emulator",
    app: Dict[str, Any],
    user: Dict[str, Any],
    tid: str,
    now: float,
    auth_time: float,
    adfs: bool = False,
    policy: Optional[str] = None,
) -> str:
    return emu.store.new_refresh_token(
        RefreshGrant(
            client_id=app["client_id"],
            user_oid=user["oid"],
            tenant_id=tid,
            issued_at=now,
            auth_time=auth_time,
            family=None if adfs else app.get("foci"),
            adfs=adfs,
            policy=policy,
        )
    )


def _b2c_api(emu: "Emulator", scopes: Scopes, tid: str) -> Optional[Dict[str, Any]]:
    """The tenant's web API the scopes ask for; None when they ask only OIDC scopes."""
    if not scopes.requested:
        return None
    api = emu.directory.app_by_client_id(scopes.resource["resource_id"]) if scopes.resource else None
    if api is None or api["tenant"] != tid:
        raise errors.B2CError(
            "invalid_scope",
            90117,
            "The scope '%s' provided in the request is not supported." % " ".join(scopes.requested),
        )
    return api


def _b2c_tokens(
    emu: "Emulator",
    req: Request,
    app: Dict[str, Any],
    user: Dict[str, Any],
    tid: str,
    scopes: Scopes,
    policy: str,
    *,
    auth_time: float,
    nonce: Optional[str],
    always_refresh_token: bool,
) -> Dict[str, Any]:
    """B2C's answer: v1.0 tokens, an access token only for a web API's scopes, the user flow
    in every token and in client_info's uid, and B2C's extra lifetime fields."""
    now = emu.clock()
    api = _b2c_api(emu, scopes, tid)
    body: Dict[str, Any] = {
        "token_type": "Bearer",
        "not_before": int(now),
        "scope": " ".join(scopes.requested + sorted(scopes.reserved & {"offline_access", "openid"})),
    }
    if api is not None:
        claims = b2c_claims(
            host=req.host, tid=tid, user=user, policy=policy, audience=api["client_id"], now=now
        )
        claims.update({"scp": " ".join(scopes.names), "azp": app["client_id"]})
        body.update(
            access_token=emu.signing_key.sign(claims),
            expires_in=EXPIRES_IN + 1,
            expires_on=claims["exp"],
            resource=api["client_id"],
        )
    if scopes.wants_id_token:
        claims = b2c_claims(
            host=req.host, tid=tid, user=user, policy=policy, audience=app["client_id"], now=now
        )
        claims["auth_time"] = int(auth_time)
        if nonce is not None:
            claims["nonce"] = nonce
        body.update(id_token=emu.signing_key.sign(claims), id_token_expires_in=EXPIRES_IN + 1)
    if scopes.wants_refresh_token or always_refresh_token:
        body["refresh_token"] = _refresh_token(emu, app, user, tid, now, auth_time, policy=policy)
        body["refresh_token_expires_in"] = B2C_REFRESH_TOKEN_LIFETIME
    if req.form.get("client_info") == "1":
        body["client_info"] = client_info(user["oid"], tid, policy)
    return body


def _adfs_tokens(
    emu: "Emulator",
    req: Request,
    app: Dict[str, Any],
    user: Dict[str, Any],
    scopes: Scopes,
    *,
    auth_time: float,
    nonce: Optional[str],
) -> Dict[str, Any]:
    """ADFS 2019's answer: upn/unique_name claims, no client_info, refresh_token_expires_in."""
    now = emu.clock()
    access = emu.signing_key.sign(
        adfs_access_token_claims(
            host=req.host,
            user=user,
            client_id=app["client_id"],
            audience=scopes.audience,
            scopes=scopes.names,
            now=now,
            auth_time=auth_time,
        )
    )
    body: Dict[str, Any] = {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": EXPIRES_IN,
        "resource": scopes.audience,
        "scope": " ".join(scopes.requested + sorted(scopes.reserved)),
    }
    if scopes.wants_refresh_token:
        body["refresh_token"] = _refresh_token(emu, app, user, user["tenant"], now, auth_time, adfs=True)
        body["refresh_token_expires_in"] = REFRESH_TOKEN_LIFETIME
    if scopes.wants_id_token:
        body["id_token"] = emu.signing_key.sign(
            adfs_id_token_claims(
                host=req.host,
                user=user,
                client_id=app["client_id"],
                now=now,
                nonce=nonce,
                auth_time=auth_time,
            )
        )
    return body


def find_user(emu: "Emulator", oid: str) -> Dict[str, Any]:
    user = emu.directory.user_by_oid(oid)
    if user is None:
        raise errors.invalid_grant("The user account does not exist in the directory.", 50034)
    return user


def require_consent(emu: "Emulator", app: Dict[str, Any], user: Dict[str, Any], scopes: Scopes) -> None:
    """Resources marked `user_consent_required` need the user's consent for this app first."""
    resource = scopes.resource
    if not resource or not resource.get("user_consent_required"):
        return
    if emu.store.has_consent(user["oid"], app["client_id"], resource["resource_id"]):
        return
    raise errors.invalid_grant(
        "The user or administrator has not consented to use the application with ID '%s' named "
        "'%s'. Send an interactive authorization request for this user and resource."
        % (app["client_id"], app["name"]),
        65001,
        suberror="consent_required",
    )
