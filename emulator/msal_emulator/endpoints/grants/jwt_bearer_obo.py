"""On-behalf-of (the jwt-bearer grant): a middle-tier API trades the access token it
received for a downstream one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

from ... import errors
from ...http import Request
from ..clients import Client
from ..common import TenantRef, parse_scopes
from ..issue import find_user, user_tokens
from . import require_confidential, verify_issued_token

if TYPE_CHECKING:  # pragma: no cover
    from ...server import Emulator

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def grant(emu: "Emulator", req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    if req.form.get("requested_token_use") != "on_behalf_of":
        raise errors.invalid_request(
            "The request body must contain the following parameter: 'requested_token_use'."
        )
    require_confidential(client)
    claims = verify_issued_token(emu, req.form.get("assertion", ""))
    app = client.app
    if claims.get("aud") not in (app["client_id"], app.get("app_id_uri")):
        raise errors.invalid_grant(
            "Assertion audience does not match the Client app presenting the assertion. The "
            "audience in the assertion was '%s' and the expected audience is '%s'."
            % (claims.get("aud"), app.get("app_id_uri") or app["client_id"]),
            50013,
        )
    if claims.get("idtyp") == "app" or not claims.get("oid"):
        raise errors.invalid_grant("An app-only token cannot be used on behalf of a user.", 50013)
    scopes = parse_scopes(emu.directory, req.form.get("scope"))
    return user_tokens(
        emu,
        req,
        app,
        find_user(emu, claims["oid"]),
        claims["tid"],
        scopes,
        auth_time=claims.get("iat", emu.clock()),
    )
