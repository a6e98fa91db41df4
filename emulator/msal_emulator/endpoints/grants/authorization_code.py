"""The authorization code grant (with PKCE): redeem a code the sign-in page issued."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any, Dict, Optional

from ... import certs, errors
from ...http import Request
from ...store import CODE_LIFETIME
from ..clients import Client
from ..common import TenantRef, parse_scopes
from ..issue import find_user, user_tokens
from . import other_endpoint

if TYPE_CHECKING:  # pragma: no cover
    from ...server import Emulator


def grant(emu: "Emulator", req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    value = req.form.get("code")
    if not value:
        raise errors.invalid_request("The request body must contain the following parameter: 'code'.")
    code = emu.store.redeem_code(value)
    now = emu.clock()
    if code is None:
        raise errors.invalid_grant("The provided value for the 'code' parameter is not valid.", 70000)
    if code.redeemed:
        raise errors.invalid_grant(
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code "
            "or use an existing refresh token.",
            54005,
        )
    if now - code.issued_at > CODE_LIFETIME:
        raise errors.invalid_grant(
            "The provided authorization code or refresh token has expired due to inactivity. "
            "Send a new interactive authorization request for this user and resource.",
            70008,
        )
    if code.client_id != client.app["client_id"]:
        raise errors.invalid_grant("The code was issued to a different client.", 70000)
    if code.policy != ref.policy:
        raise other_endpoint(code.policy, ref.policy)
    if req.form.get("redirect_uri", code.redirect_uri) != code.redirect_uri:
        raise errors.invalid_grant(
            "The reply address '%s' does not match the reply address '%s' provided when "
            "requesting Authorization code." % (req.form.get("redirect_uri"), code.redirect_uri),
            500112,
        )
    _check_pkce(code.code_challenge, req.form.get("code_verifier"))
    scopes = parse_scopes(emu.directory, req.form.get("scope") or code.scope)
    return user_tokens(
        emu,
        req,
        client.app,
        find_user(emu, code.user_oid),
        code.tenant_id,
        scopes,
        auth_time=code.auth_time,
        nonce=code.nonce,
        with_auth_time=code.max_age is not None,
        adfs=ref.adfs,
        policy=ref.policy,
    )


def _s256(verifier: str) -> str:
    return certs.b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest())


def _check_pkce(challenge: Optional[str], verifier: Optional[str]) -> None:
    if not challenge:
        return
    if not verifier:
        raise errors.invalid_grant(
            "The request body must contain the following parameter: 'code_verifier'.", 50148
        )
    if not hmac.compare_digest(_s256(verifier), challenge):
        raise errors.invalid_grant(
            "The code_verifier does not match the code_challenge supplied in the authorization "
            "request for PKCE.",
            501481,
        )
