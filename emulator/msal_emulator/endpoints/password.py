"""Username/password sign-in: the user realm look-up and the resource owner password grant."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any, Dict
from urllib.parse import unquote

from .. import errors
from ..http import Request, Response, json_response
from ..routing import LOCAL_HOSTS
from .clients import Client
from .common import TenantRef, parse_scopes
from .device import require_public_flows
from .issue import user_tokens

if TYPE_CHECKING:  # pragma: no cover
    from ..server import Emulator

AUDIENCE_URN = "urn:federation:MicrosoftOnline"
MEX_PATH = "/adfs/services/trust/mex"
ACTIVE_AUTH_PATH = "/adfs/services/trust/2005/usernamemixed"


def userrealm(emu: "Emulator", req: Request, tenant: str, username: str) -> Response:
    """Is the user's domain managed by Entra or federated to an (emulated) ADFS?"""
    username = unquote(username)
    domain = username.rsplit("@", 1)[-1] if "@" in username else ""
    kind = emu.directory.domain_kind(domain) if domain else None
    body: Dict[str, Any] = {"ver": "1.0", "account_type": kind or "Unknown"}
    if kind:
        body["domain_name"] = domain.lower()
    body.update({"cloud_instance_name": "microsoftonline.com", "cloud_audience_urn": AUDIENCE_URN})
    if kind == "Federated":
        adfs = _adfs_base_url(emu, req)
        body.update(
            {
                "federation_protocol": "WSTrust",
                "federation_metadata_url": adfs + MEX_PATH,
                "federation_active_auth_url": adfs + ACTIVE_AUTH_PATH,
            }
        )
    return json_response(body)


def _adfs_base_url(emu: "Emulator", req: Request) -> str:
    """The configured ADFS host for clients that reach the real host names (through the
    proxy); the emulator's own address for the others."""
    if emu.directory.adfs_hosts and req.hostname.lower() not in LOCAL_HOSTS:
        host: str = sorted(emu.directory.adfs_hosts)[0]
        return "https://" + host
    return req.base_url


def _bad_credentials() -> errors.EntraError:
    return errors.invalid_grant("Error validating credentials due to invalid username or password.", 50126)


def password_grant(emu: "Emulator", req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    """ROPC. Entra checks only cloud passwords: federated users must go through WS-Trust
    (and the `/adfs` authority checks only the federated domain's users)."""
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
    if not hmac.compare_digest(user["password"].encode(), req.form.get("password", "").encode()):
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
