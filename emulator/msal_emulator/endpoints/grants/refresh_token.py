"""The refresh token grant, FOCI family members included."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

from ... import errors
from ...http import Request
from ...store import REFRESH_TOKEN_LIFETIME
from ..clients import Client
from ..common import TenantRef, parse_scopes
from ..issue import find_user, user_tokens
from . import other_endpoint

if TYPE_CHECKING:  # pragma: no cover
    from ...server import Emulator


def grant(emu: "Emulator", req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    value = req.form.get("refresh_token")
    if not value:
        raise errors.invalid_request(
            "The request body must contain the following parameter: 'refresh_token'."
        )
    stored = emu.store.refresh_grant(value)
    now = emu.clock()
    if stored is not None and ref.policy and stored.policy != ref.policy:
        raise other_endpoint(stored.policy, ref.policy)
    if stored is None or stored.adfs != ref.adfs or stored.policy != ref.policy:
        raise errors.invalid_grant("Invalid request. Request is malformed or invalid.", 9002313)
    if stored.revoked:
        raise errors.invalid_grant(
            "The provided grant has expired due to it being revoked, a fresh auth token is "
            "needed. The user might have changed or reset their password.",
            50173,
        )
    if now - stored.issued_at > REFRESH_TOKEN_LIFETIME:
        raise errors.invalid_grant(
            "The refresh token has expired due to inactivity. The token was inactive for 90.00:00:00.", 700082
        )
    app = client.app
    if stored.client_id != app["client_id"] and not (stored.family and app.get("foci") == stored.family):
        raise errors.invalid_grant(
            "The refresh token was issued to a different client.", 70000, suberror="client_mismatch"
        )
    scopes = parse_scopes(emu.directory, req.form.get("scope") or "openid profile offline_access")
    return user_tokens(
        emu,
        req,
        app,
        find_user(emu, stored.user_oid),
        stored.tenant_id,
        scopes,
        auth_time=stored.auth_time,
        always_refresh_token=True,
        adfs=ref.adfs,
        policy=ref.policy,
    )
