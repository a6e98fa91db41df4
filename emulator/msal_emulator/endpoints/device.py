"""The device authorization grant (RFC 8628) as Entra runs it.

`POST /<tenant>/oauth2/v2.0/devicecode` hands out a device code and a user code; the user
settles it on the verification page (`/<tenant>/oauth2/deviceauth`: code → sign-in → consent);
the client polls the token endpoint with the device code grant meanwhile.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any, Dict, Optional

from .. import errors
from .. import pages
from ..http import Request, Response, json_response
from ..store import DeviceCode, Session
from .clients import authenticate_client
from .common import TenantRef, parse_scopes, resolve_tenant
from .grants import require_public_flows

if TYPE_CHECKING:  # pragma: no cover
    from ..server import Emulator

USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: users type these
USER_CODE_LENGTH = 9
VERIFICATION_PATH = "/%s/oauth2/deviceauth"


def verification_uri(base_url: str, ref: TenantRef) -> str:
    return base_url + VERIFICATION_PATH % ("adfs" if ref.adfs else "common")


def _timing(emu: "Emulator", app: Dict[str, Any]) -> Dict[str, int]:
    """Polling interval and lifetime: per app, else the emulator's current setting."""
    return {
        "interval": int(app.get("device_code_interval", emu.device_code_interval)),
        "expires_in": int(app.get("device_code_expires_in", emu.device_code_expires_in)),
    }


def devicecode(emu: "Emulator", req: Request, tenant: str) -> Response:
    ref = resolve_tenant(emu.directory, tenant)
    client = authenticate_client(emu, req, ref)
    require_public_flows(client)
    scope = req.form.get("scope", "")
    if not scope.strip():
        raise errors.invalid_request("The request body must contain the following parameter: 'scope'.")
    parse_scopes(emu.directory, scope)  # Entra refuses unknown scopes here already
    timing = _timing(emu, client.app)
    user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    value = emu.store.new_device_code(
        DeviceCode(
            client_id=client.app["client_id"],
            scope=scope,
            tenant_path=ref.path,
            user_code=user_code,
            issued_at=emu.clock(),
            adfs=ref.adfs,
            interval=timing["interval"],
            expires_in=timing["expires_in"],
        )
    )
    uri = verification_uri(req.base_url, ref)
    return json_response(
        {
            "user_code": user_code,
            "device_code": value,
            "verification_uri": uri,
            "expires_in": timing["expires_in"],
            "interval": timing["interval"],
            "message": "To sign in, use a web browser to open the page %s and enter the code %s to "
            "authenticate." % (uri, user_code),
        }
    )


# ---- the verification pages ------------------------------------------------------------


def deviceauth_get(emu: "Emulator", req: Request, tenant: str) -> Response:
    return pages.device_code(user_code=req.query.get("otc", ""))


def deviceauth_post(emu: "Emulator", req: Request, tenant: str) -> Response:
    """One step of the verification pages, named by the hidden `step` field."""
    record = _live_record(emu, req.form.get("otc", ""))
    if record is None:
        return pages.device_code(
            error="AADSTS70018: That code didn't work. Check the code and try again.",
            user_code=req.form.get("otc", ""),
        )
    app = emu.directory.app_by_client_id(record.client_id)
    assert app is not None, "a device code is only issued to a registered app"
    step = req.form.get("step")
    if step == "signin":
        return _check_password(emu, req, app, record)
    if step == "consent":
        return _settle(emu, req, app, record)
    return pages.device_sign_in(pages.app_name(app), record.user_code)


def _live_record(emu: "Emulator", user_code: str) -> Optional[DeviceCode]:
    record = emu.store.device_code_by_user_code(user_code) if user_code.strip() else None
    if record is None or record.status != "pending":
        return None
    if emu.clock() - record.issued_at > record.expires_in:
        return None
    return record


def _check_password(emu: "Emulator", req: Request, app: Dict[str, Any], record: DeviceCode) -> Response:
    username = req.form.get("login", "")
    user = emu.directory.user(username) if "@" in username else None
    if user is None or not emu.directory.check_password(user, req.form.get("passwd", "")):
        return pages.device_sign_in(
            pages.app_name(app),
            record.user_code,
            username=username,
            error=("AADSTS50126: Error validating credentials due to invalid username or password."),
        )
    tenant = emu.directory.tenant(record.tenant_path)
    if tenant is not None and tenant["id"] != user["tenant"]:
        return pages.device_sign_in(
            pages.app_name(app),
            record.user_code,
            username=username,
            error=(
                "AADSTS50020: User account '%s' from identity provider does not exist in tenant "
                "'%s'." % (user["username"], tenant["display_name"])
            ),
        )
    approval = emu.store.new_session(Session(user_oid=user["oid"], auth_time=emu.clock()))
    return pages.device_consent(pages.app_name(app), record.scope.split(), record.user_code, approval)


def _settle(emu: "Emulator", req: Request, app: Dict[str, Any], record: DeviceCode) -> Response:
    session = emu.store.session(req.form.get("approval"), emu.clock())
    if session is None:
        return pages.device_sign_in(
            pages.app_name(app), record.user_code, error="Your session expired; sign in again."
        )
    emu.store.end_session(req.form.get("approval"))
    if req.form.get("consent") != "accept":
        emu.store.settle_device_code(record, "declined")
        return pages.device_declined(pages.app_name(app))
    scopes = parse_scopes(emu.directory, record.scope)
    if scopes.resource:
        emu.store.grant_consent(session.user_oid, app["client_id"], [scopes.resource["resource_id"]])
    emu.store.settle_device_code(record, "approved", session.user_oid, session.auth_time)
    return pages.device_done(pages.app_name(app))
