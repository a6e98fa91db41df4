"""Every HTML page the emulator serves: the sign-in, consent and error pages of the
authorization endpoint, its form_post answer, the device code verification pages, the
signed-out page, and the error page of the `html` fault."""

from __future__ import annotations

import html
from typing import Any, Dict, Iterable, List, Optional, Tuple

from .http import Response, html_response

Headers = Optional[List[Tuple[str, str]]]


def app_name(app: Dict[str, Any]) -> str:
    """What the pages call an app: its display name, else its name."""
    name: str = app.get("display_name", app["name"])
    return name


def _hidden(fields: Dict[str, str]) -> str:
    return "".join(
        '<input type="hidden" name="%s" value="%s"/>' % (html.escape(k), html.escape(v))
        for k, v in fields.items()
    )


def _scope_list(scopes: Iterable[str]) -> str:
    return "".join("<li>%s</li>" % html.escape(s) for s in scopes)


def _error(text: Optional[str]) -> str:
    return '<p id="error" class="error">%s</p>' % html.escape(text) if text else ""


# ---- the authorization endpoint ---------------------------------------------------------


def form_post(uri: str, params: Dict[str, str], headers: Headers = None) -> Response:
    """response_mode=form_post: a page that posts the answer to the redirect URI."""
    page = (
        "<!DOCTYPE html><html><head><title>Working...</title></head>"
        '<body onload="document.forms[0].submit()"><form method="POST" action="%s">%s'
        "<noscript><p>Script is disabled. Click Submit to continue.</p>"
        '<input type="submit" value="Submit"/></noscript></form></body></html>'
        % (html.escape(uri), _hidden(params))
    )
    return html_response(page, headers=headers)


def sign_in_error(code: int, text: str, status: int = 400, prefix: str = "AADSTS") -> Response:
    """A problem that must not go to the redirect URI (it may not be the client's)."""
    page = (
        "<!DOCTYPE html><html><head><title>Sign in - error</title></head><body>"
        "<h1>Sorry, but we're having trouble signing you in.</h1>"
        '<p id="error" class="error">%s%d: %s</p></body></html>' % (prefix, code, html.escape(text))
    )
    return html_response(page, status=status)


def sign_in(
    app: str, context: str, username: str, scopes: Iterable[str], error: Optional[str] = None
) -> Response:
    """The page a user sees: credentials, the scopes being consented, hidden request context."""
    page = (
        "<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body>"
        "<h1>Sign in</h1><p>to continue to <b>%s</b></p>%s"
        '<form id="signin" method="POST" action="">'
        '<input type="hidden" name="ctx" value="%s"/>'
        '<label>Email <input type="email" name="login" value="%s"/></label>'
        '<label>Password <input type="password" name="passwd" value=""/></label>'
        '<p>This app would like to:</p><ul id="scopes">%s</ul>'
        '<button type="submit" name="consent" value="accept">Accept</button>'
        '<button type="submit" name="consent" value="decline">Cancel</button>'
        "</form></body></html>"
        % (html.escape(app), _error(error), html.escape(context), html.escape(username), _scope_list(scopes))
    )
    return html_response(page)


def consent(app: str, username: str, context: str, scopes: Iterable[str]) -> Response:
    """Consent for a signed-in user (prompt=consent, or a resource not consented yet)."""
    page = (
        "<!DOCTYPE html><html><head><title>Permissions requested</title></head><body>"
        "<h1>Permissions requested</h1><p><b>%s</b> (signed in as %s) would like to:</p>"
        '<form id="consent" method="POST" action="">'
        '<input type="hidden" name="ctx" value="%s"/>'
        '<input type="hidden" name="step" value="consent"/>'
        '<input type="hidden" name="consent" value="accept"/>'
        '<ul id="scopes">%s</ul>'
        '<button type="submit" name="consent" value="accept">Accept</button>'
        '<button type="submit" name="consent" value="decline">Cancel</button>'
        "</form></body></html>"
        % (html.escape(app), html.escape(username), html.escape(context), _scope_list(scopes))
    )
    return html_response(page)


def signed_out(headers: Headers = None) -> Response:
    return html_response(
        "<!DOCTYPE html><html><body><p>You signed out of your account.</p></body></html>", headers=headers
    )


# ---- the device code verification pages -------------------------------------------------


def _device_page(
    title: str,
    body: str,
    error: Optional[str] = None,
    step: Optional[str] = None,
    hidden: Optional[Dict[str, str]] = None,
) -> Response:
    """One verification page; with `step`, its body is a form posting that step."""
    form = ""
    if step:
        form = '<form id="%s" method="POST" action="">%s%s</form>' % (
            step,
            _hidden(dict(hidden or {}, step=step)),
            body,
        )
        body = ""
    return html_response(
        "<!DOCTYPE html><html><head><title>%s</title></head><body><h1>%s</h1>"
        "%s%s%s</body></html>" % (html.escape(title), html.escape(title), _error(error), body, form)
    )


def device_code(error: Optional[str] = None, user_code: str = "") -> Response:
    return _device_page(
        "Enter code",
        '<label>Code <input type="text" name="otc" value="%s"/></label>'
        '<button type="submit">Next</button>' % html.escape(user_code),
        error=error,
        step="code",
    )


def device_sign_in(app: str, user_code: str, error: Optional[str] = None, username: str = "") -> Response:
    return _device_page(
        "Sign in",
        "<p>You're signing in to <b>%s</b> on another device.</p>"
        '<label>Email <input type="email" name="login" value="%s"/></label>'
        '<label>Password <input type="password" name="passwd" value=""/></label>'
        '<button type="submit">Sign in</button>' % (html.escape(app), html.escape(username)),
        error=error,
        step="signin",
        hidden={"otc": user_code},
    )


def device_consent(app: str, scopes: Iterable[str], user_code: str, approval: str) -> Response:
    return _device_page(
        "Are you trying to sign in to %s?" % app,
        '<p>This app would like to:</p><ul id="scopes">%s</ul>'
        '<button type="submit" name="consent" value="accept">Continue</button>'
        '<button type="submit" name="consent" value="decline">Cancel</button>' % _scope_list(scopes),
        step="consent",
        hidden={"otc": user_code, "approval": approval},
    )


def device_declined(app: str) -> Response:
    return _device_page(
        "Sign in declined",
        '<p id="done">You declined to sign in to %s on the '
        "other device. You may now close this window.</p>" % html.escape(app),
    )


def device_done(app: str) -> Response:
    return _device_page(
        "You have signed in",
        '<p id="done">You have signed in to the %s application on '
        "your device. You may now close this window.</p>" % html.escape(app),
    )


# ---- faults ------------------------------------------------------------------------------


def service_unavailable(status: int) -> Response:
    """What the `html` fault answers: a proxy's or gateway's error page instead of JSON."""
    return html_response(
        "<!DOCTYPE html><html><head><title>Service unavailable</title></head>"
        "<body><h1>Sorry, something went wrong.</h1></body></html>",
        status=status,
    )
