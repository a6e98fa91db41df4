"""The authorization endpoint: request validation, the sign-in page, codes and sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple
from urllib.parse import urlencode, urlsplit

from .. import errors
from .. import pages
from ..http import Request, Response, parse_pairs, redirect
from ..store import AuthCode, Session
from ..tokens import client_info
from .common import PolicyRef, TenantRef, resolve, resources_of

if TYPE_CHECKING:  # pragma: no cover
    from ..server import Emulator

SESSION_COOKIE = "emu_session"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")


class PageError(Exception):
    """A problem that must not be sent to the redirect URI (it may not be the client's)."""

    def __init__(self, code: int, text: str, prefix: str = "AADSTS"):
        super().__init__(text)
        self.code, self.text, self.prefix = code, text, prefix


class RedirectError(Exception):
    """A problem reported to the client's (validated) redirect URI as OAuth2 error params."""

    def __init__(self, error: str, code: int, text: str):
        super().__init__(text)
        self.error, self.code, self.text = error, code, text


@dataclass
class AuthRequest:
    """A validated authorization request."""

    params: Dict[str, str]
    tenant: TenantRef
    app: Dict[str, Any]
    redirect_uri: str
    scope_text: str
    scope_names: List[str]
    resources: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def response_mode(self) -> str:
        return self.params.get("response_mode") or "query"

    def get(self, name: str) -> Optional[str]:
        return self.params.get(name) or None


def redirect_uri_allowed(registered: List[str], uri: str) -> bool:
    """Exact match, except that loopback URIs match on any port (RFC 8252 section 7.3)."""
    asked = urlsplit(uri)
    for candidate in registered:
        if candidate == uri:
            return True
        reg = urlsplit(candidate)
        if (
            reg.hostname in LOOPBACK_HOSTS
            and asked.hostname == reg.hostname
            and reg.scheme == asked.scheme
            and reg.path.rstrip("/") == asked.path.rstrip("/")
            and reg.query == asked.query
        ):
            return True
    return False


def validate(
    emu: "Emulator", tenant: str, params: Dict[str, str], policy: Optional[str] = None
) -> AuthRequest:
    """Check the request; PageError before the redirect URI is trusted, RedirectError after."""
    try:
        ref = resolve(emu.directory, tenant, policy)
    except errors.EntraError as exc:
        raise PageError(exc.code, exc.text, exc.prefix)
    client_id = params.get("client_id", "")
    app = emu.directory.app_by_client_id(client_id) if client_id else None
    if app is None:
        raise PageError(
            700016,
            "Application with identifier '%s' was not found in the directory '%s'." % (client_id, tenant),
        )
    if isinstance(ref, PolicyRef) and app["tenant"] != ref.tenant["id"]:
        raise PageError(
            90018,
            "The client id '%s' specified in the request is not registered "
            "in tenant '%s'." % (client_id, tenant),
            "AADB2C",
        )
    redirect_uri = params.get("redirect_uri") or (app["redirect_uris"] or [""])[0]
    if not redirect_uri_allowed(app["redirect_uris"], redirect_uri):
        raise PageError(
            50011,
            "The redirect URI '%s' specified in the request does not match "
            "the redirect URIs configured for the application '%s'." % (redirect_uri, app["client_id"]),
        )
    request = AuthRequest(params, ref, app, redirect_uri, params.get("scope", ""), [])
    _validate_after_redirect(emu, request)
    return request


def _validate_after_redirect(emu: "Emulator", request: AuthRequest) -> None:
    params = request.params
    if params.get("response_type") != "code":
        raise RedirectError(
            "unsupported_response_type",
            700054,
            "response_type '%s' is not enabled for the application." % params.get("response_type"),
        )
    if request.response_mode not in ("query", "form_post", "fragment"):
        raise RedirectError("invalid_request", 900144, "Unsupported response_mode.")
    if not request.scope_text.strip():
        raise RedirectError(
            "invalid_request", 900144, "The request body must contain the following parameter: 'scope'."
        )
    try:  # several resources are fine here: extra_scopes_to_consent ride along
        request.resources = resources_of(emu.directory, request.scope_text)
    except errors.EntraError as exc:
        raise RedirectError(exc.error, exc.code, exc.text)
    request.scope_names = list(dict.fromkeys(request.scope_text.split()))
    if params.get("code_challenge"):
        if (params.get("code_challenge_method") or "plain") != "S256":
            raise RedirectError(
                "invalid_request", 501491, "Unsupported code_challenge_method; only 'S256' is accepted."
            )
    if params.get("prompt") not in (None, "", "login", "consent", "select_account", "none"):
        raise RedirectError("invalid_request", 90023, "Invalid prompt value.")


def _error_redirect(request: AuthRequest, error: str, code: int, text: str, now: float) -> Response:
    body = errors.error_body(errors.EntraError(error, code, text), now)
    params = {"error": error, "error_description": body["error_description"], "error_uri": body["error_uri"]}
    if request.get("state"):
        params["state"] = request.params["state"]
    return _respond(request, params)


def _respond(
    request: AuthRequest, params: Dict[str, str], headers: Optional[List[Tuple[str, str]]] = None
) -> Response:
    """Deliver params to the redirect URI the way response_mode asks."""
    uri = request.redirect_uri
    if request.response_mode == "form_post":
        return pages.form_post(uri, params, headers)
    separator = "#" if request.response_mode == "fragment" else ("&" if "?" in uri else "?")
    return redirect(uri + separator + urlencode(params), headers=headers)


def _sign_in_page(
    request: AuthRequest, error: Optional[str] = None, username: Optional[str] = None
) -> Response:
    return pages.sign_in(
        pages.app_name(request.app),
        urlencode(request.params),
        username or request.get("login_hint") or "",
        request.scope_names,
        error,
    )


def _consent_page(request: AuthRequest, user: Dict[str, Any]) -> Response:
    return pages.consent(
        pages.app_name(request.app), user["username"], urlencode(request.params), request.scope_names
    )


def _missing_consent(emu: "Emulator", request: AuthRequest, user: Dict[str, Any]) -> bool:
    return any(
        r.get("user_consent_required")
        and not emu.store.has_consent(user["oid"], request.app["client_id"], r["resource_id"])
        for r in request.resources
    )


def _record_consent(emu: "Emulator", request: AuthRequest, user: Dict[str, Any]) -> None:
    emu.store.grant_consent(
        user["oid"], request.app["client_id"], [r["resource_id"] for r in request.resources]
    )


def _session_fits(request: AuthRequest, session: Session, user: Dict[str, Any], now: float) -> bool:
    hint = request.get("login_hint")
    if hint and hint.lower() != user["username"].lower():
        return False
    max_age = request.get("max_age")
    if max_age is not None and max_age.isdigit() and now - session.auth_time > int(max_age):
        return False
    return True


def authorize_get(emu: "Emulator", req: Request, tenant: str, policy: Optional[str] = None) -> Response:
    try:
        request = validate(emu, tenant, req.query, policy)
    except PageError as exc:
        return pages.sign_in_error(exc.code, exc.text, prefix=exc.prefix)
    except RedirectError as exc:
        return _redirect_error_for(emu, tenant, req.query, exc, policy)
    now = emu.clock()
    session = emu.store.session(req.cookies.get(SESSION_COOKIE), now)
    user = emu.directory.user_by_oid(session.user_oid) if session else None
    prompt = request.get("prompt")
    if session is None or user is None or not _session_fits(request, session, user, now):
        if prompt == "none":
            return _error_redirect(
                request,
                "login_required",
                50058,
                "A silent sign-in request was sent but no user is signed in.",
                now,
            )
        return _sign_in_page(request)
    if prompt == "none" and _missing_consent(emu, request, user):
        return _error_redirect(
            request,
            "consent_required",
            65001,
            "The user or administrator has not consented to use the "
            "application with ID '%s'." % request.app["client_id"],
            now,
        )
    silent = prompt == "none" or (prompt is None and request.get("login_hint"))
    if prompt == "consent" or (silent and _missing_consent(emu, request, user)):
        return _consent_page(request, user)
    if silent:
        return _issue_code(emu, request, user, session, None, now)
    return _sign_in_page(request)


def _redirect_error_for(
    emu: "Emulator", tenant: str, params: Dict[str, str], exc: RedirectError, policy: Optional[str] = None
) -> Response:
    """Report an error to the redirect URI, which validate() has already checked."""
    ref = resolve(emu.directory, tenant, policy)
    app = emu.directory.app_by_client_id(params["client_id"])
    assert app is not None, "validate() has found the app"
    uri = params.get("redirect_uri") or app["redirect_uris"][0]
    request = AuthRequest(params, ref, app, uri, params.get("scope", ""), [])
    if request.response_mode not in ("query", "form_post", "fragment"):
        request.params = dict(params, response_mode="query")
    return _error_redirect(request, exc.error, exc.code, exc.text, emu.clock())


def authorize_post(emu: "Emulator", req: Request, tenant: str, policy: Optional[str] = None) -> Response:
    """The sign-in form was submitted: check the password, then answer the client."""
    params = parse_pairs(req.form.get("ctx", ""))
    try:
        request = validate(emu, tenant, params, policy)
    except PageError as exc:
        return pages.sign_in_error(exc.code, exc.text, prefix=exc.prefix)
    except RedirectError as exc:
        return _redirect_error_for(emu, tenant, params, exc, policy)
    now = emu.clock()
    username = req.form.get("login", "")
    if req.form.get("consent") == "decline":
        return _error_redirect(
            request, "access_denied", 65004, "User declined to consent to access the app.", now
        )
    if req.form.get("step") == "consent":
        return _consented(emu, req, request, now)
    user = emu.directory.user(username) if username else None
    if user is None or not emu.directory.check_password(user, req.form.get("passwd", "")):
        return _sign_in_page(
            request,
            username=username,
            error=("AADSTS50126: Error validating credentials due to invalid username or password."),
        )
    if request.tenant.tenant and request.tenant.tenant["id"] != user["tenant"]:
        return _sign_in_page(
            request,
            username=username,
            error=(
                "AADSTS50020: User account '%s' from identity provider does not exist in tenant "
                "'%s'." % (user["username"], request.tenant.tenant["display_name"])
            ),
        )
    if request.tenant.adfs and not emu.directory.is_federated(user):
        return _sign_in_page(
            request, username=username, error=("MSIS9659: Invalid 'username' or 'password'.")
        )
    session = Session(user_oid=user["oid"], auth_time=now)
    cookie = emu.store.new_session(session)
    _record_consent(emu, request, user)
    return _issue_code(emu, request, user, session, cookie, now)


def _consented(emu: "Emulator", req: Request, request: AuthRequest, now: float) -> Response:
    """The consent page was accepted by the signed-in user."""
    session = emu.store.session(req.cookies.get(SESSION_COOKIE), now)
    user = emu.directory.user_by_oid(session.user_oid) if session else None
    if session is None or user is None:
        return _sign_in_page(request)
    _record_consent(emu, request, user)
    return _issue_code(emu, request, user, session, None, now)


def _issue_code(
    emu: "Emulator",
    request: AuthRequest,
    user: Dict[str, Any],
    session: Session,
    cookie: Optional[str],
    now: float,
) -> Response:
    code = emu.store.new_code(
        AuthCode(
            client_id=request.app["client_id"],
            redirect_uri=request.redirect_uri,
            scope=request.scope_text,
            user_oid=user["oid"],
            tenant_id=user["tenant"],
            issued_at=now,
            auth_time=session.auth_time,
            nonce=request.get("nonce"),
            code_challenge=request.get("code_challenge"),
            max_age=request.get("max_age"),
            policy=request.tenant.policy,
        )
    )
    params = {"code": code}
    if request.get("client_info") == "1" and not request.tenant.adfs:
        params["client_info"] = client_info(user["oid"], user["tenant"], request.tenant.policy)
    if request.get("state") is not None:
        params["state"] = request.params["state"]
    params["session_state"] = session.session_state
    headers = []
    if cookie:
        headers.append(
            ("Set-Cookie", "%s=%s; Path=/; Secure; HttpOnly; SameSite=None" % (SESSION_COOKIE, cookie))
        )
    return _respond(request, params, headers)


def logout(emu: "Emulator", req: Request, tenant: str, policy: Optional[str] = None) -> Response:
    """End the browser session; go to post_logout_redirect_uri when one is given."""
    emu.store.end_session(req.cookies.get(SESSION_COOKIE))
    clear = [("Set-Cookie", "%s=; Path=/; Max-Age=0; Secure; HttpOnly" % SESSION_COOKIE)]
    target = req.query.get("post_logout_redirect_uri")
    if target:
        return redirect(target, headers=clear)
    return pages.signed_out(headers=clear)
