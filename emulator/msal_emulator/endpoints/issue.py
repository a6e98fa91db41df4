"""Token responses for user flows, shared by every grant: Entra's shape, or ADFS's."""
from __future__ import annotations

from typing import Any, Dict, Optional

from .. import errors
from ..http import Request
from ..store import REFRESH_TOKEN_LIFETIME, RefreshGrant
from ..tokens import (EXPIRES_IN, adfs_access_token_claims, adfs_id_token_claims, client_info,
                      id_token_claims, user_access_token_claims)
from .common import Scopes


def user_tokens(emu, req: Request, app: Dict[str, Any], user: Dict[str, Any], tid: str,
                scopes: Scopes, *, auth_time: float, nonce: Optional[str] = None,
                with_auth_time: bool = False, always_refresh_token: bool = False,
                adfs: bool = False) -> Dict[str, Any]:
    """Entra's answer to a user flow: access token, maybe refresh token, id token, client_info."""
    require_consent(emu, app, user, scopes)
    if adfs:
        return _adfs_tokens(emu, req, app, user, scopes, auth_time=auth_time, nonce=nonce)
    now = emu.clock()
    host = req.host
    access = emu.signing_key.sign(user_access_token_claims(
        host=host, tid=tid, user=user, client_id=app["client_id"], audience=scopes.audience,
        scopes=scopes.names, now=now))
    body: Dict[str, Any] = {"token_type": "Bearer", "scope": scopes.response_scope(),
                            "expires_in": EXPIRES_IN, "ext_expires_in": EXPIRES_IN,
                            "access_token": access}
    if scopes.wants_refresh_token or always_refresh_token:
        body["refresh_token"] = _refresh_token(emu, app, user, tid, now, auth_time)
    if scopes.wants_id_token:
        body["id_token"] = emu.signing_key.sign(id_token_claims(
            host=host, tid=tid, user=user, client_id=app["client_id"], now=now, nonce=nonce,
            auth_time=auth_time if with_auth_time else None, email="email" in scopes.reserved))
    if req.form.get("client_info") == "1":
        body["client_info"] = client_info(user["oid"], tid)
    if app.get("foci"):
        body["foci"] = app["foci"]
    return body


def _refresh_token(emu, app, user, tid: str, now: float, auth_time: float,
                   adfs: bool = False) -> str:
    return emu.store.new_refresh_token(RefreshGrant(
        client_id=app["client_id"], user_oid=user["oid"], tenant_id=tid, issued_at=now,
        auth_time=auth_time, family=None if adfs else app.get("foci"), adfs=adfs))


def _adfs_tokens(emu, req: Request, app, user, scopes: Scopes, *, auth_time: float,
                 nonce: Optional[str]) -> Dict[str, Any]:
    """ADFS 2019's answer: upn/unique_name claims, no client_info, refresh_token_expires_in."""
    now = emu.clock()
    access = emu.signing_key.sign(adfs_access_token_claims(
        host=req.host, user=user, client_id=app["client_id"], audience=scopes.audience,
        scopes=scopes.names, now=now, auth_time=auth_time))
    body: Dict[str, Any] = {"access_token": access, "token_type": "bearer",
                            "expires_in": EXPIRES_IN, "resource": scopes.audience,
                            "scope": " ".join(scopes.requested + sorted(scopes.reserved))}
    if scopes.wants_refresh_token:
        body["refresh_token"] = _refresh_token(emu, app, user, user["tenant"], now, auth_time,
                                               adfs=True)
        body["refresh_token_expires_in"] = REFRESH_TOKEN_LIFETIME
    if scopes.wants_id_token:
        body["id_token"] = emu.signing_key.sign(adfs_id_token_claims(
            host=req.host, user=user, client_id=app["client_id"], now=now, nonce=nonce,
            auth_time=auth_time))
    return body


def find_user(emu, oid: str) -> Dict[str, Any]:
    user = emu.directory.user_by_oid(oid)
    if user is None:
        raise errors.invalid_grant("The user account does not exist in the directory.", 50034)
    return user


def require_consent(emu, app: Dict[str, Any], user: Dict[str, Any], scopes: Scopes) -> None:
    """Resources marked `user_consent_required` need the user's consent for this app first."""
    resource = scopes.resource
    if not resource or not resource.get("user_consent_required"):
        return
    if emu.store.has_consent(user["oid"], app["client_id"], resource["resource_id"]):
        return
    raise errors.invalid_grant(
        "The user or administrator has not consented to use the application with ID '%s' named "
        "'%s'. Send an interactive authorization request for this user and resource."
        % (app["client_id"], app["name"]), 65001, suberror="consent_required")
