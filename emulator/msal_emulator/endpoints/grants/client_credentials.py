"""The client credentials grant: an app-only token for the app itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

from ... import errors
from ...http import Request
from ...tokens import EXPIRES_IN, app_access_token_claims
from ..clients import Client
from ..common import TenantRef, parse_scopes
from ..issue import with_refresh_in
from . import require_confidential

if TYPE_CHECKING:  # pragma: no cover
    from ...server import Emulator


def grant(emu: "Emulator", req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    require_confidential(client)
    items = req.form.get("scope", "").split()
    if len(items) != 1 or not items[0].endswith("/.default"):
        raise errors.invalid_scope(
            "The provided value for scope %s is not valid. Client credential flows must have a "
            "scope value with /.default suffixed to the resource identifier (application ID URI)."
            % " ".join(items),
            code=1002012,
        )
    scopes = parse_scopes(emu.directory, items[0])
    tid = ref.tenant["id"] if ref.tenant else client.app["tenant"]
    access = emu.signing_key.sign(
        app_access_token_claims(
            host=req.host,
            tid=tid,
            app=client.app,
            audience=scopes.audience,
            roles=(scopes.resource or {}).get("app_roles", []),
            now=emu.clock(),
            azpacr=client.azpacr,
        )
    )
    return with_refresh_in(
        emu,
        {
            "token_type": "Bearer",
            "expires_in": EXPIRES_IN,
            "ext_expires_in": EXPIRES_IN,
            "access_token": access,
        },
    )
