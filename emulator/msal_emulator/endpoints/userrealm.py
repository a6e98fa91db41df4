"""The user realm look-up: is a user's domain managed by Entra or federated to an ADFS?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict
from urllib.parse import unquote

from ..http import Request, Response, json_response
from ..routing import LOCAL_HOSTS

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
