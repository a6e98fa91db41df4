"""A generic OAuth 2.0 / OpenID Connect client: token requests and the authorization URL.

It knows nothing about Microsoft or the token cache. Each grant is a small method that
builds the form (RFC 6749 §4) and hands it to :meth:`Client.obtain_token`, which posts it,
parses the answer (§5.1, §5.2), lets the caller validate it, then announces the tokens
through ``on_obtaining_tokens`` (which the application wires to its cache).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, TypedDict, cast
from urllib.parse import urlencode

from .client_auth import ClientAuth
from .http import HTTP_ERROR, HttpClientProtocol, ResponseProtocol, invalid_response, read_json_object

logger = logging.getLogger(__name__)
CLIENT_SECRET_FIELDS = (
    "client_secret",
    "client_assertion",
    "password",
    "code",
    "code_verifier",
    "refresh_token",
    "assertion",
    "device_code",
)


class BrowserInteractionTimeoutError(RuntimeError):
    """The browser did not bring a sign-in answer back in time (the class later msal
    versions raise; this package answers an interactive timeout with an error dict)."""


class TokenEvent(TypedDict, total=False):
    """What the protocol layer announces when tokens arrive, for the cache to file them."""

    client_id: str
    scope: List[str]
    token_endpoint: str
    environment: str  # set by the application: the host the cache files the tokens under
    grant_type: str
    response: Dict[str, Any]
    params: Dict[str, Any]
    data: Dict[str, Any]
    user_assertion_hash: str  # on-behalf-of: which incoming token the tokens stand in for


class Client(object):
    """One client (``client_id``) talking to one token endpoint."""

    def __init__(
        self,
        http_client: HttpClientProtocol,
        client_id: str,
        token_endpoint: str,
        client_auth: Optional[ClientAuth] = None,
        on_obtaining_tokens: Optional[Callable[[TokenEvent], None]] = None,
        on_response: Optional[Callable[[Dict[str, Any], Mapping[str, str]], None]] = None,
    ) -> None:
        self.http_client = http_client
        self.client_id = client_id
        self.token_endpoint = token_endpoint
        self.client_auth = client_auth or ClientAuth()
        self.on_obtaining_tokens = on_obtaining_tokens
        self.on_response = on_response  # Sees every parsed answer with its request headers

    def obtain_token(
        self,
        grant_type: str,
        fields: Mapping[str, Any],
        scope: Iterable[str] = (),
        headers: Optional[Mapping[str, str]] = None,
        validate: Optional[Callable[[Dict[str, Any]], None]] = None,
        event_extra: Optional[Mapping[str, Any]] = None,
        unsent_scope: Iterable[str] = (),
    ) -> Dict[str, Any]:
        """POST a token request; return the token response or the server's error dict.

        ``validate`` may raise to refuse a successful answer before it is cached.
        ``unsent_scope`` files the tokens when the request carries no ``scope`` (a device
        code poll) and the answer names none either.
        """
        scope = list(scope)
        form = build_token_form(self.client_id, grant_type, fields, scope)
        self.client_auth.apply(form, self.token_endpoint)
        headers = dict(headers or {})
        headers.setdefault("Accept", "application/json")  # RFC 6749 §5: the answer is JSON
        correlation_id = headers.get("client-request-id")
        logger.debug(
            "Token request (grant %s) to %s, correlation id %s",
            grant_type,
            self.token_endpoint,
            correlation_id,
        )
        resp = self.http_client.post(self.token_endpoint, data=form, headers=headers)
        result = parse_token_response(resp)
        _log_answer(getattr(resp, "status_code", None), result, correlation_id)
        if self.on_response:
            self.on_response(result, headers)
        if "error" not in result:
            if validate:
                validate(result)
            if self.on_obtaining_tokens:
                event = TokenEvent(
                    client_id=self.client_id,
                    scope=granted_scope(result, scope or list(unsent_scope)),
                    token_endpoint=self.token_endpoint,
                    grant_type=grant_type,
                    response=result,
                    params={},
                    data={k: v for k, v in form.items() if k not in CLIENT_SECRET_FIELDS},
                )
                self.on_obtaining_tokens(cast(TokenEvent, {**event, **(event_extra or {})}))
        return result

    def obtain_token_for_client(self, scope: Iterable[str], **kwargs: Any) -> Dict[str, Any]:
        """Client credentials grant (RFC 6749 §4.4)."""
        return self.obtain_token("client_credentials", kwargs.pop("fields", {}), scope, **kwargs)

    def obtain_token_by_authorization_code(
        self,
        code: str,
        scope: Iterable[str],
        redirect_uri: Optional[str] = None,
        code_verifier: Optional[str] = None,
        fields: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Dict[str, Any]:
        """Authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.5)."""
        form = {"code": code, "redirect_uri": redirect_uri, "code_verifier": code_verifier}
        form.update(fields or {})
        return self.obtain_token("authorization_code", form, scope, **kwargs)

    def obtain_token_by_refresh_token(
        self,
        refresh_token: str,
        scope: Iterable[str],
        fields: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Dict[str, Any]:
        """Refresh token grant (RFC 6749 §6)."""
        form = {"refresh_token": refresh_token}
        form.update(fields or {})
        return self.obtain_token("refresh_token", form, scope, **kwargs)

    def obtain_token_by_assertion(
        self,
        assertion: str,
        grant_type: str,
        scope: Iterable[str],
        fields: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Dict[str, Any]:
        """An assertion grant (RFC 7521 §4.1): JWT bearer for on-behalf-of, SAML bearer for federation."""
        form = {"assertion": assertion}
        form.update(fields or {})
        return self.obtain_token(grant_type, form, scope, **kwargs)

    def obtain_token_by_username_password(
        self,
        username: str,
        password: str,
        scope: Iterable[str],
        fields: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Dict[str, Any]:
        """Resource owner password credentials grant (RFC 6749 §4.3)."""
        form = {"username": username, "password": password}
        form.update(fields or {})
        return self.obtain_token("password", form, scope, **kwargs)


def _log_answer(status: Any, result: Mapping[str, Any], correlation_id: Optional[str]) -> None:
    """One line per answer: its error code (never its description, which may name the user).
    A device flow's "still waiting" answers are routine, so they stay at DEBUG."""
    if "error" in result:
        routine = result["error"] in ("authorization_pending", "slow_down")
        logger.log(
            logging.DEBUG if routine else logging.INFO,
            "Token endpoint answered HTTP %s, error %.100s, correlation id %s",
            status,
            result["error"],
            correlation_id,
        )
    else:
        logger.debug("Token endpoint answered HTTP %s with tokens, correlation id %s", status, correlation_id)


def build_token_form(
    client_id: str, grant_type: str, fields: Mapping[str, Any], scope: List[str]
) -> Dict[str, Any]:
    """The form of a token request: empty values dropped, scopes space-separated."""
    form: Dict[str, Any] = {"client_id": client_id, "grant_type": grant_type}
    if scope:
        form["scope"] = " ".join(scope)
    for key, value in fields.items():
        if value is not None and value != "":
            form[key] = value
    return form


def parse_token_response(resp: ResponseProtocol) -> Dict[str, Any]:
    """The token endpoint's JSON answer as a dict (RFC 6749 §5.1, §5.2); a clear error dict
    when it is not JSON, carries no token, or fails without saying why."""
    result = read_json_object(resp, "the token endpoint")
    status = getattr(resp, "status_code", None)
    if "error" in result:
        return result
    if not (isinstance(status, int) and 200 <= status < 300):
        return dict(
            result,
            error=HTTP_ERROR,
            error_description=("The token endpoint answered HTTP {} without a token".format(status)),
        )
    if not _has_token(result):
        return invalid_response(
            "The token endpoint answered HTTP {} with neither an access_token (RFC 6749 §5.1) "
            "nor an id_token".format(status)
        )
    return result


def _has_token(result: Mapping[str, Any]) -> bool:
    """An access token, or an ID token alone: a sign-in that asked for no API (OpenID Connect
    Core §3.1.3.3 makes the ID token the point of the answer; B2C sends no access token then)."""
    return isinstance(result.get("access_token"), str) or isinstance(result.get("id_token"), str)


def granted_scope(result: Mapping[str, Any], requested: List[str]) -> List[str]:
    """The scopes the tokens carry: the response's ``scope`` when given (RFC 6749 §5.1), else
    the requested ones."""
    scope = result.get("scope")
    return scope.split() if isinstance(scope, str) and scope.strip() else requested


def build_auth_request_uri(authorization_endpoint: str, params: Mapping[str, Any]) -> str:
    """The authorization request URL (RFC 6749 §4.1.1); empty parameters are left out."""
    query = {k: v for k, v in params.items() if v is not None and v != ""}
    separator = "&" if "?" in authorization_endpoint else "?"
    return authorization_endpoint + separator + urlencode(query)
