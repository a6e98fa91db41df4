"""The user federated identity credential grant: an agent presents an app-only token issued
here (its instance token) and names the user, by UPN or object id, it acts for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

from ... import errors
from ...http import Request
from ..clients import Client
from ..common import TenantRef, parse_scopes
from ..issue import user_tokens
from . import require_confidential, verify_issued_token

if TYPE_CHECKING:  # pragma: no cover
    from ...server import Emulator


def grant(emu: "Emulator", req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    require_confidential(client)
    claims = verify_issued_token(emu, req.form.get("user_federated_identity_credential", ""))
    if claims.get("idtyp") != "app":
        raise errors.invalid_grant("The federated identity credential must be an app token.", 50013)
    username, user_id = req.form.get("username", ""), req.form.get("user_id", "")
    if bool(username) == bool(user_id):
        raise errors.invalid_request(
            "The request body must contain exactly one of the parameters 'username' or 'user_id'."
        )
    user = emu.directory.user(username) if username else emu.directory.user_by_oid(user_id)
    if user is None or user.get("tenant", claims["tid"]) != claims["tid"]:
        raise errors.invalid_grant("The user account does not exist in the directory.", 50034)
    scopes = parse_scopes(emu.directory, req.form.get("scope"))
    return user_tokens(emu, req, client.app, user, claims["tid"], scopes, auth_time=emu.clock())
