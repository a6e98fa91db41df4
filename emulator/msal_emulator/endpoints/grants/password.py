"""The resource owner password grant (ROPC). Entra checks only cloud passwords: federated
users must go through WS-Trust (and the `/adfs` authority checks only the federated
domain's users)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

from ... import errors
from ...http import Request
from ..clients import Client
from ..common import TenantRef, parse_scopes
from ..issue import user_tokens
from . import require_public_flows

if TYPE_CHECKING:  # pragma: no cover
    from ...server import Emulator


def _bad_credentials() -> errors.EntraError:
    return errors.invalid_grant("Error validating credentials due to invalid username or password.", 50126)


def grant(emu: "Emulator", req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    require_public_flows(client)
    username = req.form.get("username", "")
    if not username:
        raise errors.invalid_request("The request body must contain the following parameter: 'username'.")
    user = emu.directory.user(username) if "@" in username else None
    tenant = ref.tenant
    if user is None or (tenant is not None and user["tenant"] != tenant["id"]):
        raise errors.invalid_grant(
            "The user account {EUII Hidden} does not exist in the %s directory. To sign into "
            "this application, the account must be added to the directory."
            % (tenant["id"] if tenant else ref.path),
            50034,
        )
    if emu.directory.is_federated(user) != ref.adfs:
        raise _bad_credentials()
    if not emu.directory.check_password(user, req.form.get("password", "")):
        raise _bad_credentials()
    scopes = parse_scopes(emu.directory, req.form.get("scope"))
    return user_tokens(
        emu,
        req,
        client.app,
        user,
        user["tenant"],
        scopes,
        auth_time=emu.clock(),
        adfs=ref.adfs,
        policy=ref.policy,
    )
