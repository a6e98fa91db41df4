"""The application classes: the public facade of MSAL.

Each public method checks its arguments, runs one flow from :mod:`msal._flows`, and returns
the documented dict. Protocol details live in :mod:`msal.oauth2cli`, Microsoft rules in
:mod:`msal._entra`, storage in :mod:`msal.token_cache`, and HTTP in :mod:`msal._http`.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from ._entra import claims as claims_rules
from ._entra import scopes as scope_rules
from ._entra import telemetry
from ._entra.discovery import Discovery
from ._entra.region import RegionResolver
from ._http.throttle import ThrottledHttpClient
from ._flows import auth_code, client_credentials, device_code, silent, user_grants
from ._flows.context import AppContext
from .authority import AuthorityBuilder, parse_authority
from .oauth2cli.client_auth import AssertionAuth, ClientAuth, PrivateKeyJwtAuth, SecretAuth
from .token_cache import TokenCache

logger = logging.getLogger(__name__)

Account = Dict[str, Any]
TokenResult = Dict[str, Any]


class ClientApplication(object):
    """What public and confidential client applications have in common."""

    ATTEMPT_REGION_DISCOVERY = True  # Pass as azure_region to detect the region automatically

    def __init__(
            self, client_id: str,
            client_credential: Union[str, Mapping[str, Any], None] = None,
            authority: Union[str, AuthorityBuilder, None] = None,
            validate_authority: bool = True,
            token_cache: Optional[TokenCache] = None,
            http_client: Any = None,
            verify: Any = True, proxies: Optional[Mapping[str, str]] = None, timeout: Any = None,
            client_claims: Optional[Mapping[str, Any]] = None,
            app_name: Optional[str] = None, app_version: Optional[str] = None,
            client_capabilities: Optional[List[str]] = None,
            azure_region: Union[str, bool, None] = None,
            exclude_scopes: Optional[List[str]] = None,
            http_cache: Any = None,
            instance_discovery: Optional[bool] = None,
            allow_broker: Optional[bool] = None) -> None:
        """Create an application. See :class:`PublicClientApplication` and
        :class:`ConfidentialClientApplication` for what each parameter means.

        No network request is made here: the authority is discovered on first use.
        """
        if not isinstance(client_id, str) or not client_id.strip():
            raise ValueError("client_id must be the non-empty application (client) id string")
        if token_cache is not None and not callable(getattr(token_cache, "add", None)):
            raise TypeError("token_cache must be a msal.TokenCache (or SerializableTokenCache)")
        if client_claims is not None and not isinstance(client_claims, Mapping):
            raise TypeError("client_claims must be a dict of extra claims")
        self.client_id = client_id
        self.client_credential = client_credential
        self.authority = parse_authority(authority)
        self.token_cache = token_cache if token_cache is not None else TokenCache()
        self.http_client = http_client if http_client is not None else _default_http_client(
            verify, proxies, timeout)
        self._http_cache = http_cache if http_cache is not None else {}
        throttled = ThrottledHttpClient(self.http_client, self._http_cache)
        self._allow_broker = allow_broker
        self._used_states = auth_code.UsedStates()
        self._ctx = AppContext(
            client_id=client_id, authority=self.authority,
            discovery=Discovery(throttled, validate_authority, instance_discovery,
                                self._http_cache),
            http_client=throttled, cache=self.token_cache,
            client_auth=_client_auth(client_id, client_credential, client_claims),
            base_headers=telemetry.base_headers(app_name, app_version),
            capabilities=claims_rules.capabilities_claims(client_capabilities),
            exclude_scopes=scope_rules.check_exclusions(exclude_scopes),
            is_confidential=client_credential is not None,
            region=RegionResolver(azure_region, self.http_client), now=time.time)

    def __repr__(self) -> str:
        return "{}(client_id={!r}, authority={!r})".format(
            type(self).__name__, self.client_id, self.authority.url)

    # ---- Authorization code flow -----------------------------------------------------

    def get_authorization_request_url(
            self, scopes: List[str], login_hint: Optional[str] = None, state: Optional[str] = None,
            redirect_uri: Optional[str] = None, response_type: str = "code",
            prompt: Optional[str] = None, nonce: Optional[str] = None,
            domain_hint: Optional[str] = None, claims_challenge: Optional[str] = None,
            **kwargs: Any) -> str:
        """Construct a URL to start an Authorization Code Grant; extra keyword arguments
        become extra query parameters. Prefer :meth:`initiate_auth_code_flow`."""
        return auth_code.authorization_request_url(
            self._ctx, scopes, redirect_uri=redirect_uri, response_type=response_type,
            state=state, nonce=nonce, prompt=prompt, login_hint=login_hint,
            domain_hint=domain_hint, claims_challenge=claims_challenge, extra=kwargs)

    def initiate_auth_code_flow(
            self, scopes: List[str], redirect_uri: Optional[str] = None,
            state: Optional[str] = None, prompt: Optional[str] = None,
            login_hint: Optional[str] = None, domain_hint: Optional[str] = None,
            claims_challenge: Optional[str] = None, max_age: Optional[int] = None,
            response_mode: Optional[str] = None, **kwargs: Any) -> Dict[str, Any]:
        """Start an auth code flow with PKCE, state and nonce.

        Returns a JSON-serialisable dict; keep it (e.g. in the user's session), send the user
        to its ``"auth_uri"``, then give it and the response to
        :meth:`acquire_token_by_auth_code_flow`.
        """
        return auth_code.initiate(
            self._ctx, scopes, redirect_uri=redirect_uri, state=state, prompt=prompt,
            login_hint=login_hint, domain_hint=domain_hint, claims_challenge=claims_challenge,
            max_age=max_age, response_mode=response_mode, extra=kwargs)

    def acquire_token_by_auth_code_flow(
            self, auth_code_flow: Dict[str, Any], auth_response: Mapping[str, Any],
            scopes: Optional[List[str]] = None, **kwargs: Any) -> TokenResult:
        """Validate the auth response against the flow, then redeem its code.

        Returns the token dict or the error dict; raises ``ValueError`` for client-side data
        errors such as a state mismatch (CSRF) or a flow used twice, and
        :class:`~msal.exceptions.IdTokenError` (a ``ValueError``) for a wrong nonce.
        """
        return auth_code.acquire_by_flow(self._ctx, self._used_states, auth_code_flow,
                                         auth_response, scopes=scopes)

    def acquire_token_by_authorization_code(
            self, code: str, scopes: List[str], redirect_uri: Optional[str] = None,
            nonce: Optional[str] = None, claims_challenge: Optional[str] = None,
            **kwargs: Any) -> TokenResult:
        """The second half of the Authorization Code Grant; ``nonce`` is checked if given."""
        return auth_code.redeem_code(
            self._ctx, code, scopes, redirect_uri=redirect_uri, expected_nonce=nonce,
            claims_challenge=claims_challenge)

    # ---- Accounts ----------------------------------------------------------------------

    def get_accounts(self, username: Optional[str] = None) -> List[Account]:
        """Accounts that signed in before (they are in the cache), optionally one username's
        (compared case-insensitively)."""
        if username is not None and not isinstance(username, str):
            raise ValueError("username must be a string")
        return self.token_cache.find_accounts(
            environments=self._ctx.aliases(), username=username)

    def remove_account(self, account: Account) -> None:
        """Sign the account out of this application: forget its tokens from the cache."""
        if not isinstance(account, dict) or not account.get("home_account_id"):
            raise ValueError("account must be one of the dicts returned by get_accounts()")
        self.token_cache.remove_account_data(
            home_account_id=account["home_account_id"], environments=self._ctx.aliases(),
            client_id=self.client_id)

    # ---- Silent ------------------------------------------------------------------------

    def acquire_token_silent(
            self, scopes: List[str], account: Optional[Account], authority: Optional[str] = None,
            force_refresh: bool = False, claims_challenge: Optional[str] = None,
            **kwargs: Any) -> Optional[TokenResult]:
        """A token from the cache (refreshed if needed), or None, whether the cache had
        nothing or the refresh failed."""
        result = self.acquire_token_silent_with_error(
            scopes, account, authority=authority, force_refresh=force_refresh,
            claims_challenge=claims_challenge, **kwargs)
        return result if result and "error" not in result else None

    def acquire_token_silent_with_error(
            self, scopes: List[str], account: Optional[Account], authority: Optional[str] = None,
            force_refresh: bool = False, claims_challenge: Optional[str] = None,
            **kwargs: Any) -> Optional[TokenResult]:
        """A token from the cache (refreshed if needed); None when the cache has nothing;
        an error dict when a refresh failed. ``account=None`` looks for this client's own
        tokens."""
        return silent.acquire(self._ctx, scopes, account, authority=authority,
                              force_refresh=force_refresh, claims_challenge=claims_challenge)

    def acquire_token_by_refresh_token(self, refresh_token: str, scopes: List[str],
                                       **kwargs: Any) -> TokenResult:
        """Migrate a refresh token obtained elsewhere; the new tokens land in the cache."""
        return user_grants.by_refresh_token(self._ctx, refresh_token, scopes)

    def acquire_token_by_username_password(
            self, username: str, password: str, scopes: List[str],
            claims_challenge: Optional[str] = None, **kwargs: Any) -> TokenResult:
        """Get a token with the user's credentials (not recommended; no MFA)."""
        return user_grants.by_username_password(
            self._ctx, username, password, scopes, claims_challenge=claims_challenge)


class PublicClientApplication(ClientApplication):
    """An application that cannot keep a secret: desktop, mobile and command-line apps."""

    def __init__(self, client_id: str, client_credential: Any = None, **kwargs: Any) -> None:
        """Create a public client application; ``client_credential`` must stay None."""
        if client_credential is not None:
            raise ValueError("A public client application must not have a client_credential")
        super().__init__(client_id, client_credential=None, **kwargs)

    def acquire_token_interactive(
            self, scopes: List[str], prompt: Optional[str] = None,
            login_hint: Optional[str] = None, domain_hint: Optional[str] = None,
            claims_challenge: Optional[str] = None, timeout: Optional[float] = None,
            port: Optional[int] = None, extra_scopes_to_consent: Optional[List[str]] = None,
            max_age: Optional[int] = None, parent_window_handle: Optional[int] = None,
            on_before_launching_ui: Optional[Callable[..., Any]] = None,
            **kwargs: Any) -> TokenResult:
        """Sign the user in through the system browser and a loopback redirect listener on
        127.0.0.1 (``http://localhost:<port>``). ``timeout`` (seconds) bounds the wait. Without
        a broker on this platform, ``allow_broker`` and ``parent_window_handle`` fall back to
        the browser, as documented."""
        from ._flows import interactive  # Loads http.server and webbrowser only when needed
        return interactive.acquire(
            self._ctx, self._used_states, scopes, prompt=prompt, login_hint=login_hint,
            domain_hint=domain_hint, claims_challenge=claims_challenge, timeout=timeout,
            port=port, extra_scopes_to_consent=extra_scopes_to_consent, max_age=max_age,
            on_before_launching_ui=on_before_launching_ui)

    def initiate_device_flow(self, scopes: Optional[List[str]] = None,
                             **kwargs: Any) -> Dict[str, Any]:
        """Start a device flow. The dict has ``user_code`` and ``message`` to show the user,
        or an ``error``."""
        return device_code.initiate(self._ctx, scopes)

    def acquire_token_by_device_flow(
            self, flow: Dict[str, Any], claims_challenge: Optional[str] = None, *,
            exit_condition: Optional[Callable[[Dict[str, Any]], bool]] = None,
            **kwargs: Any) -> TokenResult:
        """Poll until the user finishes the device flow. Set ``flow["expires_at"] = 0`` from
        another thread to abort."""
        return device_code.acquire(self._ctx, flow, claims_challenge=claims_challenge,
                                   exit_condition=exit_condition)


class ConfidentialClientApplication(ClientApplication):
    """An application that keeps a credential: web apps, web APIs and daemons."""

    def __init__(
            self, client_id: str,
            client_credential: Union[str, Mapping[str, Any], None] = None,
            authority: Union[str, AuthorityBuilder, None] = None,
            validate_authority: bool = True,
            token_cache: Optional[TokenCache] = None,
            http_client: Any = None,
            verify: Any = True, proxies: Optional[Mapping[str, str]] = None, timeout: Any = None,
            client_claims: Optional[Mapping[str, Any]] = None,
            app_name: Optional[str] = None, app_version: Optional[str] = None,
            client_capabilities: Optional[List[str]] = None,
            azure_region: Union[str, bool, None] = None,
            exclude_scopes: Optional[List[str]] = None,
            http_cache: Any = None,
            instance_discovery: Optional[bool] = None,
            allow_broker: Optional[bool] = None) -> None:
        """Create a confidential client: ``client_credential`` is a secret string, a
        certificate dict (``private_key``, ``thumbprint``, optional ``public_certificate`` and
        ``passphrase``) or ``{"client_assertion": "..."}``."""
        if client_credential is None:
            raise ValueError("A confidential client application needs a client_credential: a "
                             "secret, a certificate dict or a client_assertion")
        super().__init__(
            client_id, client_credential, authority, validate_authority, token_cache,
            http_client, verify, proxies, timeout, client_claims, app_name, app_version,
            client_capabilities, azure_region, exclude_scopes, http_cache, instance_discovery,
            allow_broker)

    def acquire_token_for_client(self, scopes: List[str], claims_challenge: Optional[str] = None,
                                 **kwargs: Any) -> TokenResult:
        """A token for the application itself: from the cache when one is valid, else from
        the identity provider."""
        return client_credentials.acquire(self._ctx, scopes, claims_challenge=claims_challenge)

    def acquire_token_on_behalf_of(self, user_assertion: str, scopes: List[str],
                                   claims_challenge: Optional[str] = None,
                                   **kwargs: Any) -> TokenResult:
        """Exchange the token this middle-tier API received for a token to a downstream API."""
        return user_grants.on_behalf_of(self._ctx, user_assertion, scopes,
                                        claims_challenge=claims_challenge)


def _default_http_client(verify: Any, proxies: Any, timeout: Any) -> Any:
    from ._http.requests_client import RequestsHttpClient
    return RequestsHttpClient(verify=verify, proxies=proxies, timeout=timeout)


def _client_auth(client_id: str, credential: Any, client_claims: Any) -> ClientAuth:
    """The client authentication a credential calls for; ``ValueError`` if it is malformed."""
    if credential is None:
        return ClientAuth()
    if isinstance(credential, str):
        if not credential:
            raise ValueError("client_credential must not be an empty string")
        return SecretAuth(credential)
    if not isinstance(credential, Mapping):
        raise ValueError("client_credential must be a secret string or a dict, not {}".format(
            type(credential).__name__))
    if "client_assertion" in credential:
        assertion = credential["client_assertion"]
        if not (isinstance(assertion, str) and assertion) and not callable(assertion):
            raise ValueError("client_credential['client_assertion'] must be a JWT string")
        return AssertionAuth(assertion)
    missing = [k for k in ("private_key", "thumbprint") if not credential.get(k)]
    if missing:
        raise ValueError("A certificate client_credential needs {}; got keys {}".format(
            " and ".join(repr(k) for k in missing), sorted(credential)))
    return PrivateKeyJwtAuth(
        client_id, credential["private_key"], credential["thumbprint"],
        public_certificate=credential.get("public_certificate"),
        passphrase=credential.get("passphrase"), extra_claims=client_claims)
