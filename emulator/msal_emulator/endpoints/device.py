"""The device authorization grant (RFC 8628) as Entra runs it.

`POST /<tenant>/oauth2/v2.0/devicecode` hands out a device code and a user code; the user
settles it on the verification page (`/<tenant>/oauth2/deviceauth`: code → sign-in → consent);
the client polls the token endpoint with the device code grant meanwhile.
"""

from __future__ import annotations

import html
import secrets
from typing import TYPE_CHECKING, Any, Dict, Optional

from .. import errors
from ..http import Request, Response, html_response, json_response
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


def _page(
    title: str,
    body: str,
    error: Optional[str] = None,
    step: Optional[str] = None,
    hidden: Optional[Dict[str, str]] = None,
) -> Response:
    error_html = '<p id="error" class="error">%s</p>' % html.escape(error) if error else ""
    form = ""
    if step:
        fields = dict(hidden or {}, step=step)
        form = '<form id="%s" method="POST" action="">%s%s</form>' % (
            step,
            "".join(
                '<input type="hidden" name="%s" value="%s"/>' % (html.escape(k), html.escape(v))
                for k, v in fields.items()
            ),
            body,
        )
        body = ""
    return html_response(
        "<!DOCTYPE html><html><head><title>%s</title></head><body><h1>%s</h1>"
        "%s%s%s</body></html>" % (html.escape(title), html.escape(title), error_html, body, form)
    )


def _code_page(error: Optional[str] = None, user_code: str = "") -> Response:
    return _page(
        "Enter code",
        '<label>Code <input type="text" name="otc" value="%s"/></label>'
        '<button type="submit">Next</button>' % html.escape(user_code),
        error=error,
        step="code",
    )


def _sign_in_page(
    app: Dict[str, Any], user_code: str, error: Optional[str] = None, username: str = ""
) -> Response:
    return _page(
        "Sign in",
        "<p>You're signing in to <b>%s</b> on another device.</p>"
        '<label>Email <input type="email" name="login" value="%s"/></label>'
        '<label>Password <input type="password" name="passwd" value=""/></label>'
        '<button type="submit">Sign in</button>' % (html.escape(_app_name(app)), html.escape(username)),
        error=error,
        step="signin",
        hidden={"otc": user_code},
    )


def _consent_page(app: Dict[str, Any], record: DeviceCode, approval: str) -> Response:
    scopes = "".join("<li>%s</li>" % html.escape(s) for s in record.scope.split())
    return _page(
        "Are you trying to sign in to %s?" % _app_name(app),
        '<p>This app would like to:</p><ul id="scopes">%s</ul>'
        '<button type="submit" name="consent" value="accept">Continue</button>'
        '<button type="submit" name="consent" value="decline">Cancel</button>' % scopes,
        step="consent",
        hidden={"otc": record.user_code, "approval": approval},
    )


def _app_name(app: Dict[str, Any]) -> str:
    name: str = app.get("display_name", app["name"])
    return name


def deviceauth_get(emu: "Emulator", req: Request, tenant: str) -> Response:
    return _code_page(user_code=req.query.get("otc", ""))


def deviceauth_post(emu: "Emulator", req: Request, tenant: str) -> Response:
    """One step of the verification pages, named by the hidden `step` field."""
    record = _live_record(emu, req.form.get("otc", ""))
    if record is None:
        return _code_page(
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
    return _sign_in_page(app, record.user_code)


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
        return _sign_in_page(
            app,
            record.user_code,
            username=username,
            error=("AADSTS50126: Error validating credentials due to invalid username or password."),
        )
    tenant = emu.directory.tenant(record.tenant_path)
    if tenant is not None and tenant["id"] != user["tenant"]:
        return _sign_in_page(
            app,
            record.user_code,
            username=username,
            error=(
                "AADSTS50020: User account '%s' from identity provider does not exist in tenant "
                "'%s'." % (user["username"], tenant["display_name"])
            ),
        )
    approval = emu.store.new_session(Session(user_oid=user["oid"], auth_time=emu.clock()))
    return _consent_page(app, record, approval)


def _settle(emu: "Emulator", req: Request, app: Dict[str, Any], record: DeviceCode) -> Response:
    session = emu.store.session(req.form.get("approval"), emu.clock())
    if session is None:
        return _sign_in_page(app, record.user_code, error="Your session expired; sign in again.")
    emu.store.end_session(req.form.get("approval"))
    if req.form.get("consent") != "accept":
        emu.store.settle_device_code(record, "declined")
        return _page(
            "Sign in declined",
            '<p id="done">You declined to sign in to %s on the '
            "other device. You may now close this window.</p>" % html.escape(_app_name(app)),
        )
    scopes = parse_scopes(emu.directory, record.scope)
    if scopes.resource:
        emu.store.grant_consent(session.user_oid, app["client_id"], [scopes.resource["resource_id"]])
    emu.store.settle_device_code(record, "approved", session.user_oid, session.auth_time)
    return _page(
        "You have signed in",
        '<p id="done">You have signed in to the %s application on '
        "your device. You may now close this window.</p>" % html.escape(_app_name(app)),
    )
