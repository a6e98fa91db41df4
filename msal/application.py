"""The application classes: the public facade of MSAL.

Each public method checks its arguments, runs one flow from :mod:`msal._flows`, and returns
the documented dict. Protocol details live in :mod:`msal.oauth2cli`, Microsoft rules in
:mod:`msal._entra`, storage in :mod:`msal.token_cache`, and HTTP in :mod:`msal._http`.
"""

from __future__ import annotations

import functools
import logging
import time
from sys import intern
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from ._entra import claims as claims_rules
from ._entra import scopes as scope_rules
from ._entra import telemetry
from ._cache.foreign import ForeignCache, as_token_cache
from ._entra.discovery import Discovery
from ._entra import region as region_rules
from ._entra.region import RegionResolver
from ._http.throttle import never_replay_grants
from ._flows import auth_code, client_credentials, device_code, on_behalf_of, silent
from ._flows import refresh_token as migration
from ._flows import user_fic, username_password
from ._flows.hits import Hits
from ._flows.context import AppConfig, AppContext, Services
from .auth_scheme import unsupported as refuse_auth_scheme
from .authority import Authority, AuthorityBuilder, parse_authority, parse_oidc_authority
from .oauth2cli.client_auth import AssertionAuth, ClientAuth, PrivateKeyJwtAuth, SecretAuth
from .oauth2cli.tolerant import tolerant
from .token_cache import TokenCache

logger = logging.getLogger(__name__)

Account = Dict[str, Any]
TokenResult = Dict[str, Any]


class ClientApplication(object):
    """What public and confidential client applications have in common.

    Use one of its two subclasses, :class:`PublicClientApplication` or
    :class:`ConfidentialClientApplication`; the methods documented on them are shared here.
    """

    # The context its flows get is a slot: a cache hit reads the application object alone
    # (attributes of its own are kept as usual, in __dict__)
    __slots__ = ("_ctx", "__dict__", "__weakref__")

    ATTEMPT_REGION_DISCOVERY = True  # Pass as azure_region to detect the region automatically
    DISABLE_MSAL_FORCE_REGION = False  # Pass as azure_region to ignore MSAL_FORCE_REGION
    # The API ids of x-client-current-telemetry, as later msal versions publish them
    ACQUIRE_TOKEN_SILENT_ID = str(telemetry.SILENT)
    ACQUIRE_TOKEN_BY_REFRESH_TOKEN = str(telemetry.REFRESH_TOKEN)
    ACQUIRE_TOKEN_BY_USERNAME_PASSWORD_ID = str(telemetry.USERNAME_PASSWORD)
    ACQUIRE_TOKEN_ON_BEHALF_OF_ID = str(telemetry.ON_BEHALF_OF)
    ACQUIRE_TOKEN_BY_DEVICE_FLOW_ID = str(telemetry.DEVICE_FLOW)
    ACQUIRE_TOKEN_FOR_CLIENT_ID = str(telemetry.CLIENT_CREDENTIALS)
    ACQUIRE_TOKEN_BY_AUTHORIZATION_CODE_ID = str(telemetry.AUTH_CODE)
    ACQUIRE_TOKEN_INTERACTIVE = str(telemetry.INTERACTIVE)
    ACQUIRE_TOKEN_BY_USER_FIC_ID = str(telemetry.USER_FIC)
    GET_ACCOUNTS_ID = "902"
    REMOVE_ACCOUNT_ID = "903"
    _requires_credential = False

    def __init__(
        self,
        client_id: str,
        client_credential: Union[str, Mapping[str, Any], None] = None,
        authority: Union[str, AuthorityBuilder, None] = None,
        validate_authority: bool = True,
        token_cache: Optional[TokenCache] = None,
        http_client: Any = None,
        verify: Any = True,
        proxies: Optional[Mapping[str, str]] = None,
        timeout: Any = None,
        client_claims: Optional[Mapping[str, Any]] = None,
        app_name: Optional[str] = None,
        app_version: Optional[str] = None,
        client_capabilities: Optional[List[str]] = None,
        azure_region: Union[str, bool, None] = None,
        exclude_scopes: Optional[List[str]] = None,
        http_cache: Any = None,
        instance_discovery: Optional[bool] = None,
        allow_broker: Optional[bool] = None,
        enable_pii_log: Optional[bool] = None,
        oidc_authority: Optional[str] = None,
    ) -> None:
        """Create an application object.

        The constructor makes no network request: the authority is discovered, and checked, on
        the first call that needs it. Keep one application object per client id and authority
        for the life of your process, so that its token cache and HTTP cache are reused.

        :param str client_id: The application (client) id that Microsoft Entra ID gave your app
            when you registered it.

        :param client_credential: Leave it ``None`` for a :class:`PublicClientApplication`.
            A :class:`ConfidentialClientApplication` needs one of these:

            * the client secret, as a string;
            * a certificate, as a dict::

                {
                    "private_key": "-----BEGIN PRIVATE KEY-----...",   # PEM
                    "thumbprint": "A1B2C3D4E5F6...",     # hex SHA-1 of the certificate
                    "public_certificate": "-----BEGIN CERTIFICATE-----...",  # optional
                    "passphrase": "...",   # optional: only if private_key is encrypted
                }

              ``public_certificate`` (optional, since 0.5.0) is sent in the ``x5c`` header of
              the signed client assertion, which is what subject name and issuer (SNI)
              authentication needs so that the certificate can be rolled over without
              re-registering it. The specification wants the signing certificate first, then
              each certificate that certifies the previous one; if your issuer bundles them in
              another order and the token request fails with AADSTS700027 ("the provided
              signature value did not match"), give only the leaf certificate (PEM).
              ``passphrase`` is accepted since 1.6.0.
            * a client assertion you signed yourself (since 1.13.0): a dict with the single key
              ``"client_assertion"``, whose value is a JWT carrying the claims ``aud``, ``exp``,
              ``iss``, ``jti``, ``nbf`` and ``sub``. MSAL sends it as it is.
        :type client_credential: str or dict

        :param dict client_claims: Extra claims to put into the client assertion that MSAL signs
            with the certificate's private key (since 0.5.0), for example
            ``{"client_ip": "x.x.x.x"}``. A key that MSAL sets itself replaces MSAL's value:
            ``aud`` (the token endpoint), ``iss`` and ``sub`` (the client id), ``exp`` (ten
            minutes from now), ``iat`` (now) and ``jti`` (a random UUID).

        :param str authority: The URL of the token authority, in the form
            ``https://login.microsoftonline.com/<tenant>``, where the tenant is a tenant id, a
            verified domain, ``organizations``, ``consumers`` or ``common``. It defaults to
            ``https://login.microsoftonline.com/common``. ADFS (``https://<host>/adfs``) and
            B2C (``https://<tenant>.b2clogin.com/<tenant>.onmicrosoft.com/<policy>``)
            authorities are accepted too.

            Since 1.17 it may also be built from a cloud constant and a tenant::

                from msal.authority import (
                    AuthorityBuilder, AZURE_PUBLIC, AZURE_CHINA, AZURE_US_GOVERNMENT)
                authority = AuthorityBuilder(AZURE_PUBLIC, "contoso.onmicrosoft.com")
                # the same as "https://login.microsoftonline.com/contoso.onmicrosoft.com"
                app = PublicClientApplication("my_client_id", authority=authority)

        :param bool validate_authority: Whether an authority on an unknown host is checked before
            use (see ``instance_discovery``). On by default.

        :param TokenCache token_cache: The token cache this application reads and writes. By
            default each application creates its own cache in memory; pass a
            :class:`SerializableTokenCache` (or a :class:`~msal.persistence.PersistedTokenCache`)
            to keep tokens across runs, or to share them between applications.

        :param http_client: Your own implementation of :class:`msal.oauth2cli.http.HttpClient`
            (a ``requests.Session`` qualifies). By default MSAL uses a ``requests`` session that
            retries once when a connection fails (since 1.11.0). A client of your own decides
            for itself whether and when to retry.

        :param verify: Given to ``requests`` as its ``verify`` parameter: ``True``, ``False`` or
            the path of a CA bundle. Ignored when you give your own ``http_client``.

        :param proxies: Given to ``requests`` as its ``proxies`` parameter. Ignored when you give
            your own ``http_client``.

        :param timeout: Given to ``requests`` as its ``timeout`` parameter, in seconds. Ignored
            when you give your own ``http_client``.

        :param str app_name: Your application's name, sent to Microsoft for telemetry. ``None``
            (the default) sends nothing.

        :param str app_version: Your application's version, sent to Microsoft for telemetry.
            ``None`` (the default) sends nothing.

        :param list[str] client_capabilities: Capabilities this client declares, such as
            ``["CP1"]``. They tell the identity platform which features the client can handle:
            a client that can answer a *claims challenge* may, for instance, receive
            long-lived CAE (continuous access evaluation) tokens, because a resource can revoke
            them with a challenge. On the wire they travel in the ``claims`` parameter, merged
            with any ``claims_challenge`` you later pass to an acquire-token method.

        :param str azure_region: The Azure region whose regional token endpoint
            :meth:`~ConfidentialClientApplication.acquire_token_for_client` should use, so that
            the app's traffic stays in that region (since 1.12.0). It defaults to ``None``:
            the global endpoint.

            Regional endpoints serve only the client credentials flow, and only apps that the
            service admits there: apps using a library that supports them (such as this one),
            apps authenticated by subject name and issuer (SNI), and apps on the region's allow
            list. (Managed identities also qualify, but MSAL does not implement them.)

            Give a region name such as ``"westus"`` or ``"eastus2"`` (``az account
            list-locations -o table`` lists them), or
            :attr:`ClientApplication.ATTEMPT_REGION_DISCOVERY` (``True``) to detect the region
            when the app runs in Azure Functions or on an Azure VM.

            .. note::
               Outside Azure, region detection may wait for an answer that never comes. Load the
               value (``None``, a region name or ``True``) from each deployment's configuration
               rather than hard-coding it, or give the app a short ``timeout`` (or an
               ``http_client`` with one) so that the wait stays bounded.

        :param list[str] exclude_scopes: Scopes that MSAL must not add by itself (since 1.12.0).
            MSAL always asks for ``offline_access``, which gets a refresh token and so lasting
            access to the user's data; ``exclude_scopes=["offline_access"]`` stops that.

        :param dict http_cache: A dict-like object in which MSAL keeps some non-token HTTP
            answers (such as discovery documents and throttling state), so that a long-lived
            application does fewer requests (since 1.16.0). By default a dict in memory.
            Without it, the applications of one authority in a process still share its
            discovery (for a day), so a web app that creates an application per web request
            discovers its authority once, and serves cached tokens without any request.

            A command-line tool that runs many times can keep it in a file. It holds no token,
            no personal data and nothing a guessed password or secret could be checked against,
            so it needs no encryption, and each app can keep its own. Discovery documents carry
            over to the next run; throttling state lasts as long as the process::

                import atexit, pickle, sys
                http_cache_file = sys.argv[0] + ".http_cache"
                try:
                    with open(http_cache_file, "rb") as f:
                        persisted_http_cache = pickle.load(f)
                except (FileNotFoundError, pickle.UnpicklingError):  # None yet, or corrupt
                    persisted_http_cache = {}
                def save():  # A concurrent run's save may be lost; the next runs catch up
                    with open(http_cache_file, "wb") as f:
                        pickle.dump(persisted_http_cache, f)
                atexit.register(save)
                app = msal.PublicClientApplication(
                    "your_client_id", http_cache=persisted_http_cache,
                    token_cache=...)  # see SerializableTokenCache for the token cache

        :param bool instance_discovery: Whether MSAL asks the central discovery endpoint at
            ``https://login.microsoftonline.com`` about an authority it does not know (since
            1.19.0). ``None`` (the default) does. To use some known authorities as they are
            and still check any other::

                known_authorities = frozenset([
                    "https://contoso.com/adfs", "https://login.azs/foo"])
                app = PublicClientApplication(
                    "client_id", authority=authority,
                    instance_discovery=authority not in known_authorities)

            ``False`` accepts any authority without discovery.

        :param bool allow_broker: For :class:`PublicClientApplication` only (since 1.20.0). A
            broker is an OS component (the Web Account Manager on Windows 10 and later) that
            gives the device an identity, so that the device can count as an authentication
            factor that Conditional Access may demand, and that keeps its own long-lived
            sessions, so that apps using it get single sign-on. ``None`` (the default) does not
            use a broker; ``True`` uses it where one is available and falls back to the usual
            behaviour elsewhere, so it can be set unconditionally. With the original library
            the prerequisites are its ``broker`` extra, the redirect URI
            ``ms-appx-web://Microsoft.AAD.BrokerPlugin/<client_id>``, and testing
            :meth:`~PublicClientApplication.acquire_token_interactive`,
            :meth:`acquire_token_by_username_password` and :meth:`acquire_token_silent` with
            Entra and Microsoft accounts on Windows. This package ships no broker: ``True``
            always takes the fallback (browser) path. Later msal versions replace it with
            ``enable_broker_on_windows`` (see :class:`PublicClientApplication`).

        :param str oidc_authority: The URL of any OpenID Connect provider, such as
            ``https://contoso.com/tenant``, used instead of ``authority`` (since 1.28.0 of the
            original; giving both is a ``ValueError``). MSAL reads its endpoints from
            ``<oidc_authority>/.well-known/openid-configuration``, without instance discovery,
            and refuses a document whose ``issuer`` is on another host (unless a subdomain of
            it, or a Microsoft cloud). No broker is used for such an authority.

        :param bool enable_pii_log: Whether the library's log lines (logger ``msal``) may show
            personal data: usernames, account ids and the tenants they belong to (since 1.24.0
            of the original). ``None`` or ``False`` (the default) shows ``<pii>`` in their
            place. Tokens, secrets, codes and passwords are never logged either way.

        :raises ValueError: for a malformed ``client_id``, ``client_credential`` or ``authority``.
        """
        if client_credential is None and self._requires_credential:
            raise ValueError(
                "A confidential client application needs a client_credential: a "
                "secret, a certificate dict or a client_assertion"
            )
        if not isinstance(client_id, str) or not client_id.strip():
            raise ValueError("client_id must be the non-empty application (client) id string")
        if client_claims is not None and not isinstance(client_claims, Mapping):
            raise TypeError("client_claims must be a dict of extra claims")
        self.client_id = client_id
        self.client_credential = client_credential
        if oidc_authority is not None and authority is not None:
            raise ValueError("You can not provide both authority and oidc_authority")
        self.authority = (
            _authority_of(authority) if oidc_authority is None else parse_oidc_authority(oidc_authority)
        )
        cache = as_token_cache(token_cache) if token_cache is not None else TokenCache()
        self.http_client = (
            http_client if http_client is not None else _default_http_client(verify, proxies, timeout)
        )
        self._http_cache = http_cache if http_cache is not None else {}
        self._allow_broker = allow_broker
        self._enable_pii_log = bool(enable_pii_log)
        now = time.time  # The one clock of this application's services
        self._ctx = _context(
            AppConfig(
                intern(client_id),  # (as the cache interns those of its tokens)
                self.authority,
                telemetry.base_headers(app_name, app_version),
                claims_rules.capabilities_claims(client_capabilities),
                tuple(scope_rules.check_exclusions(exclude_scopes)),
                self._enable_pii_log,
                self.authority.names_no_tenant,
            ),
            cache,
            Services(self.http_client, http_client, self._http_cache, now, _NEVER_REPLAYED),
            self._http_cache,
            validate_authority,
            instance_discovery,
            _client_auth(client_id, client_credential, client_claims, now),
            region_rules.resolver(azure_region, self.http_client),
            now,
        )

    @property
    def token_cache(self) -> TokenCache:
        """The cache every call of this application reads and writes.

        Assigning another cache takes effect on the next call, for every flow.
        """
        cache = self._ctx.cache
        given: TokenCache = cache.foreign if isinstance(cache, ForeignCache) else cache
        return given

    @token_cache.setter
    def token_cache(self, cache: TokenCache) -> None:
        self._ctx = self._ctx._replace(cache=as_token_cache(cache))

    def _used_states(self) -> auth_code.UsedStates:
        """The states of the auth code flows this application redeemed, kept from its first
        redemption on (an application made per web request and served from the cache needs
        none)."""
        used = self.__dict__.get("_states_used")
        if used is None:  # (setdefault: two threads starting at once get the same one)
            used = self.__dict__.setdefault("_states_used", auth_code.UsedStates())
        return used  # type: ignore[no-any-return]

    def _claims(
        self, claims_challenge: Optional[str], forwarded_client_claims: Optional[str]
    ) -> Optional[str]:
        """The claims challenge a flow is given, with any client-forwarded claims merged in."""
        return claims_rules.with_forwarded(
            self._ctx.config.capabilities, claims_challenge, forwarded_client_claims
        )

    @tolerant
    def __repr__(self) -> str:
        return "{}(client_id={!r}, authority={!r})".format(
            type(self).__name__, self.client_id, self.authority.url
        )

    # ---- Authorization code flow -----------------------------------------------------

    def get_authorization_request_url(
        self,
        scopes: List[str],
        login_hint: Optional[str] = None,
        state: Optional[str] = None,
        redirect_uri: Optional[str] = None,
        response_type: str = "code",
        prompt: Optional[str] = None,
        nonce: Optional[str] = None,
        domain_hint: Optional[str] = None,
        claims_challenge: Optional[str] = None,
        **kwargs: Any,
    ) -> str:
        """Build the URL that starts an authorization code grant.

        :meth:`initiate_auth_code_flow` does the same with PKCE, ``state`` and ``nonce`` handled
        for you, and is the better choice. Keyword arguments not listed below are added to the
        URL as extra query parameters.

        :param list[str] scopes: (Required) Scopes of the protected API (the resource) to ask for.
        :param str login_hint: The user's sign-in name (usually a UPN), to pre-fill the page.
        :param str state: A value echoed back in the response; OAuth 2.0 recommends it against
            cross-site request forgery.
        :param str redirect_uri: Where the authority sends the response.
        :param str response_type: ``"code"`` (the default) for an authorization code. Other
            values such as ``"id_token"`` or ``"token"`` start the implicit grant, which is
            **not recommended**.
        :param str prompt: Sent only when given (not even ``"none"`` is sent by default). Its
            values (``none``, ``login``, ``consent``, ``select_account``) come from OpenID
            Connect Core, section 3.1.2.1.
        :param nonce: A random value that the ID token must carry back, against replay; check it
            by passing the same value to :meth:`acquire_token_by_authorization_code`.
        :param domain_hint: ``"consumers"``, ``"organizations"`` or a tenant domain such as
            ``"contoso.com"``: skips the e-mail based home realm discovery on the sign-in page.
        :param claims_challenge: The JSON string of claims that a resource asked for, in the
                    ``claims`` directive of the ``WWW-Authenticate`` header it answered with (for
                    example after a Conditional Access policy changed). MSAL sends it as the
                    ``claims`` parameter, merged with the app's ``client_capabilities``.
        :returns: The authorization URL, a string.
        """
        return auth_code.authorization_request_url(
            self._ctx,
            scopes,
            redirect_uri=redirect_uri,
            response_type=response_type,
            state=state,
            nonce=nonce,
            prompt=prompt,
            login_hint=login_hint,
            domain_hint=domain_hint,
            claims_challenge=claims_challenge,
            extra=kwargs,
        )

    def initiate_auth_code_flow(
        self,
        scopes: List[str],
        redirect_uri: Optional[str] = None,
        state: Optional[str] = None,
        prompt: Optional[str] = None,
        login_hint: Optional[str] = None,
        domain_hint: Optional[str] = None,
        claims_challenge: Optional[str] = None,
        max_age: Optional[int] = None,
        response_mode: Optional[str] = None,
        **kwargs: Any,
    ) -> Dict[str, Any]:
        """Start an authorization code flow (with PKCE, ``state`` and ``nonce``).

        When the response reaches your ``redirect_uri``, complete the flow with
        :meth:`acquire_token_by_auth_code_flow`.

        :param list[str] scopes: Case-sensitive scope strings.
        :param str redirect_uri: Optional; without it the authority uses the app's registered one.
        :param str state: An opaque value kept between the request and the callback; MSAL makes
            a random one when you give none.
        :param str prompt: Sent only when given (not even ``"none"`` is sent by default); values
            as in OpenID Connect Core, section 3.1.2.1.
        :param str login_hint: Optional. The user's sign-in name, usually a UPN.
        :param domain_hint: ``"consumers"``, ``"organizations"`` or a tenant domain: skips home
            realm discovery on the sign-in page.
        :param claims_challenge: The JSON string of claims that a resource asked for, in the
                    ``claims`` directive of the ``WWW-Authenticate`` header it answered with (for
                    example after a Conditional Access policy changed). MSAL sends it as the
                    ``claims`` parameter, merged with the app's ``client_capabilities``.
        :param int max_age: Optional (since 1.15). How many seconds may have passed since the
            user last actively signed in; older sessions must sign in again. MSAL checks the
            ``auth_time`` of the ID token against it.
        :param str response_mode: Optional. How the authority returns the response: ``"query"``
            (the default: a GET with a query string) or ``"form_post"`` (an HTML form POSTed to
            the redirect URI, as ``application/x-www-form-urlencoded``). ``query`` is safe here
            because MSAL never receives tokens in a URL; ``form_post`` is safer still and
            recommended. See the OAuth 2.0 Multiple Response Type Encoding Practices and the
            Form Post Response Mode specifications.
        :returns:
            The flow, a JSON-serialisable dict::

                {
                    "auth_uri": "https://...",  # send the user here
                    "state": "...",  # checked for you by acquire_token_by_auth_code_flow
                    "...": "...",  # the rest is internal: keep it, do not rely on it
                }

            Keep it (typically in the user's web session), send the user to its ``auth_uri``,
            then give it and the response that reaches your redirect URI to
            :meth:`acquire_token_by_auth_code_flow`.
        """
        return auth_code.initiate(
            self._ctx,
            scopes,
            redirect_uri=redirect_uri,
            state=state,
            prompt=prompt,
            login_hint=login_hint,
            domain_hint=domain_hint,
            claims_challenge=claims_challenge,
            max_age=max_age,
            response_mode=response_mode,
            extra=kwargs,
        )

    def acquire_token_by_auth_code_flow(
        self,
        auth_code_flow: Dict[str, Any],
        auth_response: Mapping[str, Any],
        scopes: Optional[List[str]] = None,
        **kwargs: Any,
    ) -> TokenResult:
        """Check the response that came back to the redirect URI, then redeem its code for tokens.

        The ``state`` and the ID token's ``nonce`` are checked against the flow for you.

        :param dict auth_code_flow: The dict that :meth:`initiate_auth_code_flow` returned.
        :param dict auth_response: The parameters the redirect carried, as a dict (the query
            string, or the posted form with ``response_mode="form_post"``).
        :param list[str] scopes: Usually left out. If the flow asked consent for the scopes of
            several resources, name a subset belonging to one of them: an authorization code
            can cover several resources, but each access token is for one audience, so the
            redemption must say which.
        :returns: the token response, with ``"access_token"`` and/or ``"id_token"`` among others
            depending on the scopes (RFC 6749, section 5.1); or an error dict with ``"error"``
            and usually ``"error_description"`` and ``"error_uri"``, whether the authority put
            the error in the redirect or answered the token request with it.
        :raises ValueError: for client-side data errors, such as a ``state`` that does not match
            (a sign of CSRF) or a flow used twice;
            :class:`~msal.exceptions.IdTokenError` (a ``ValueError``) for an ID token that fails
            validation. A web app's redirect handler can therefore stay free of protocol
            details::

                def authorized():  # the view behind your redirect URI
                    try:
                        result = app.acquire_token_by_auth_code_flow(
                            session.get("flow", {}), request.args)
                        if "error" in result:
                            return render_template("error.html", result=result)
                        use(result)  # the tokens are in result, and in the cache
                    except ValueError:  # usually a forged or replayed response
                        pass  # ignore it
                    return redirect(url_for("index"))
        """
        return auth_code.acquire_by_flow(
            self._ctx, self._used_states(), auth_code_flow, auth_response, scopes=scopes
        )

    def acquire_token_by_authorization_code(
        self,
        code: str,
        scopes: List[str],
        redirect_uri: Optional[str] = None,
        nonce: Optional[str] = None,
        claims_challenge: Optional[str] = None,
        forwarded_client_claims: Optional[str] = None,
        **kwargs: Any,
    ) -> TokenResult:
        """Redeem an authorization code: the second half of the authorization code grant.

        Use it with a URL from :meth:`get_authorization_request_url`; the
        :meth:`initiate_auth_code_flow` pair is simpler and safer.

        :param code: The authorization code the authority returned.
        :param list[str] scopes: (Required) Scopes of the protected API. If the request asked
            consent for several resources, name a subset belonging to one of them: each access
            token has a single audience.
        :param str redirect_uri: The redirect URI used in the authorization request.
        :param nonce: The nonce given to :meth:`get_authorization_request_url`, if any; the ID
            token must carry the same value, or :class:`~msal.exceptions.IdTokenError` is raised.
        :param claims_challenge: The JSON string of claims that a resource asked for, in the
                    ``claims`` directive of the ``WWW-Authenticate`` header it answered with (for
                    example after a Conditional Access policy changed). MSAL sends it as the
                    ``claims`` parameter, merged with the app's ``client_capabilities``.
        :param str forwarded_client_claims: Optional (from later msal versions). A JSON
            string of claims that come from the client rather than from a challenge, merged
            into the ``claims`` parameter after ``claims_challenge``.
        :returns: the token response (with ``"access_token"``), or an error dict with
            ``"error"`` and usually ``"error_description"``.
        """
        return auth_code.redeem_code(
            self._ctx,
            code,
            scopes,
            redirect_uri=redirect_uri,
            expected_nonce=nonce,
            claims_challenge=self._claims(claims_challenge, forwarded_client_claims),
        )

    # ---- Accounts ----------------------------------------------------------------------

    def get_accounts(self, username: Optional[str] = None) -> List[Account]:
        """The accounts that signed in before, that is, whose data is in the cache.

        Pass one of them to :meth:`acquire_token_silent` to get its tokens.

        :param str username: Only the accounts with this username (compared without regard to case).
        :returns: A list of account dicts. Only their ``"username"`` key is documented; show it so
            the user can pick the account to continue with.
        """
        if username is not None and not isinstance(username, str):
            raise ValueError("username must be a string")
        return self._ctx.cache.find_accounts(
            environments=self._ctx.discovery.aliases(self.authority), username=username
        )

    def remove_account(self, account: Account) -> None:
        """Sign the account out of this application: forget its tokens and the account from the cache.

        :param dict account: One of the dicts :meth:`get_accounts` returned.
        """
        if not isinstance(account, dict) or not account.get("home_account_id"):
            raise ValueError("account must be one of the dicts returned by get_accounts()")
        self._ctx.cache.remove_account_data(
            home_account_id=account["home_account_id"],
            environments=self._ctx.discovery.aliases(self.authority),
            client_id=self.client_id,
        )

    # ---- Silent ------------------------------------------------------------------------

    def acquire_token_silent(
        self,
        scopes: List[str],
        account: Optional[Account],
        authority: Optional[str] = None,
        force_refresh: bool = False,
        claims_challenge: Optional[str] = None,
        forwarded_client_claims: Optional[str] = None,
        auth_scheme: Any = None,
        **kwargs: Any,
    ) -> Optional[TokenResult]:
        """Get an access token for the account without asking the user.

        The token comes from the cache, or, when no valid access token is there, from a refresh
        token in the cache that MSAL redeems for a new one. An empty cache and a failed refresh
        both give ``None``; if you do not need to tell them apart, this is the method to use.
        It calls :meth:`acquire_token_silent_with_error` and hides the error.

        :param list[str] scopes: (Required) Scopes of the protected API.
        :param account: One of the dicts :meth:`get_accounts` returned, or ``None`` for this
            client's own tokens.
        :param str authority: Optional; an authority (such as another tenant) to use for this
            call instead of the application's.
        :param bool force_refresh: If ``True``, skip the cached access token and refresh it.
        :param claims_challenge: The JSON string of claims that a resource asked for, in the
                    ``claims`` directive of the ``WWW-Authenticate`` header it answered with (for
                    example after a Conditional Access policy changed). MSAL sends it as the
                    ``claims`` parameter, merged with the app's ``client_capabilities``.
        :param str forwarded_client_claims: Optional (from later msal versions). A JSON
            string of client-originated claims, merged into the ``claims`` parameter after
            ``claims_challenge``; like a challenge, it skips the cached access token.
        :param auth_scheme: A :class:`~msal.auth_scheme.PopAuthScheme` asks for a
            Proof-of-Possession token, which only a broker can give: ``ValueError`` here.
        :returns: a dict without ``"error"``, usually with ``"access_token"``, when the cache
            could provide a token; otherwise ``None``.
        """
        result = self.acquire_token_silent_with_error(
            scopes,
            account,
            authority=authority,
            force_refresh=force_refresh,
            claims_challenge=claims_challenge,
            forwarded_client_claims=forwarded_client_claims,
            auth_scheme=auth_scheme,
            **kwargs,
        )
        return result if result and "error" not in result else None

    def acquire_token_silent_with_error(
        self,
        scopes: List[str],
        account: Optional[Account],
        authority: Optional[str] = None,
        force_refresh: bool = False,
        claims_challenge: Optional[str] = None,
        forwarded_client_claims: Optional[str] = None,
        auth_scheme: Any = None,
        **kwargs: Any,
    ) -> Optional[TokenResult]:
        """Get an access token for the account without asking the user, and tell why it failed.

        Like :meth:`acquire_token_silent` (cached access token, else a refresh token redeemed),
        but an empty cache gives ``None`` while a failed refresh gives its error, for apps that
        need the difference (to show the error, or to handle a claims challenge).

        :param list[str] scopes: (Required) Scopes of the protected API.
        :param account: One of the dicts :meth:`get_accounts` returned, or ``None`` to find an
            access token of this client itself (one obtained by
            :meth:`~ConfidentialClientApplication.acquire_token_for_client`).
        :param str authority: Optional; an authority (such as another tenant) to use for this
            call instead of the application's.
        :param bool force_refresh: If ``True``, skip the access token lookup and use a refresh
            token to get a new access token.
        :param claims_challenge: The JSON string of claims that a resource asked for, in the
                    ``claims`` directive of the ``WWW-Authenticate`` header it answered with (for
                    example after a Conditional Access policy changed). MSAL sends it as the
                    ``claims`` parameter, merged with the app's ``client_capabilities``.
        :param str forwarded_client_claims: Optional (from later msal versions). A JSON
            string of client-originated claims, merged into the ``claims`` parameter after
            ``claims_challenge``; like a challenge, it skips the cached access token.
        :param auth_scheme: A :class:`~msal.auth_scheme.PopAuthScheme` asks for a
            Proof-of-Possession token, which only a broker can give: ``ValueError`` here.
        :returns: a dict without ``"error"``, usually with ``"access_token"``, when the cache
            could provide a token; ``None`` when the cache has no token for this request; a dict
            with ``"error"`` when a refresh was tried and failed.
        """
        refuse_auth_scheme(auth_scheme)
        return silent.acquire(
            self._ctx,
            scopes,
            account,
            authority=authority,
            force_refresh=force_refresh,
            claims_challenge=self._claims(claims_challenge, forwarded_client_claims),
        )

    def acquire_token_by_refresh_token(
        self, refresh_token: str, scopes: List[str], **kwargs: Any
    ) -> TokenResult:
        """Redeem a refresh token obtained elsewhere, to bring it into MSAL.

        Only for migration: an app that kept refresh tokens of its own (for instance from ADAL)
        redeems each once, and from then on the new tokens are in MSAL's cache, where
        :meth:`acquire_token_silent` finds and refreshes them. Apps already on MSAL never need
        this method: the cache manages refresh tokens by itself.

        :param str refresh_token: The old refresh token.
        :param list[str] scopes: The scopes the old refresh token was for, in the Microsoft
            identity platform (v2) form (``https://graph.microsoft.com/User.Read`` rather than a
            resource URL).
        :returns: a dict without ``"error"`` when the migration worked (the token response);
            a dict with ``"error"`` and more keys when it did not.
        """
        return migration.acquire(self._ctx, refresh_token, scopes)

    def acquire_token_by_username_password(
        self,
        username: str,
        password: str,
        scopes: List[str],
        claims_challenge: Optional[str] = None,
        auth_scheme: Any = None,
        **kwargs: Any,
    ) -> TokenResult:
        """Get a token with the user's name and password (the resource owner password grant).

        Discouraged: the app sees the password, and the grant fails for accounts that need
        multi-factor authentication, consent, or a personal Microsoft account. For federated
        users (ADFS), MSAL first sends the credentials to their identity provider over
        WS-Trust, then redeems the SAML assertion it gets back.

        :param str username: Typically a UPN, in the form of an e-mail address.
        :param str password: The password.
        :param list[str] scopes: Scopes of the protected API.
        :param claims_challenge: The JSON string of claims that a resource asked for, in the
                    ``claims`` directive of the ``WWW-Authenticate`` header it answered with (for
                    example after a Conditional Access policy changed). MSAL sends it as the
                    ``claims`` parameter, merged with the app's ``client_capabilities``.
        :param auth_scheme: A :class:`~msal.auth_scheme.PopAuthScheme` needs a broker:
            ``ValueError`` here.
        :returns: the token response (with ``"access_token"``), or an error dict with
            ``"error"`` and usually ``"error_description"``.
        """
        refuse_auth_scheme(auth_scheme)
        return username_password.acquire(
            self._ctx, username, password, scopes, claims_challenge=claims_challenge
        )

    def is_pop_supported(self) -> bool:
        """Whether this application can get Proof-of-Possession tokens: never here, since
        they need a broker and this package ships none."""
        return False


class PublicClientApplication(ClientApplication):
    """An application that cannot keep a secret: desktop, mobile and command-line apps.

    It signs users in with :meth:`acquire_token_interactive`, the device code flow
    (:meth:`initiate_device_flow`) or a username and password, and renews their tokens with
    :meth:`acquire_token_silent`.
    """

    CONSOLE_WINDOW_HANDLE = object()  # parent_window_handle of a console app (for a broker)
    DEVICE_FLOW_CORRELATION_ID = "_correlation_id"  # The device flow's key for its request id

    def __init__(
        self,
        client_id: str,
        client_credential: Any = None,
        *,
        enable_broker_on_windows: Optional[bool] = None,
        enable_broker_on_mac: Optional[bool] = None,
        enable_broker_on_linux: Optional[bool] = None,
        enable_broker_on_wsl: Optional[bool] = None,
        **kwargs: Any,
    ) -> None:
        """Create a public client application. ``client_credential`` must be left ``None``.

        The other keyword arguments are those of :class:`ClientApplication`.

        ``enable_broker_on_windows``, ``enable_broker_on_mac``, ``enable_broker_on_linux`` and
        ``enable_broker_on_wsl`` (later msal versions) opt in to the OS's broker on each
        platform, as ``allow_broker`` does on Windows. This package ships no broker: like
        ``allow_broker=True``, they are accepted and every flow takes the usual (browser) path,
        so they can be set unconditionally.
        """
        if client_credential is not None:
            raise ValueError("A public client application must not have a client_credential")
        super().__init__(client_id, client_credential=None, **kwargs)
        self._enable_broker = {
            "windows": enable_broker_on_windows,
            "mac": enable_broker_on_mac,
            "linux": enable_broker_on_linux,
            "wsl": enable_broker_on_wsl,
        }

    def acquire_token_interactive(
        self,
        scopes: List[str],
        prompt: Optional[str] = None,
        login_hint: Optional[str] = None,
        domain_hint: Optional[str] = None,
        claims_challenge: Optional[str] = None,
        timeout: Optional[float] = None,
        port: Optional[int] = None,
        extra_scopes_to_consent: Optional[List[str]] = None,
        max_age: Optional[int] = None,
        parent_window_handle: Optional[int] = None,
        on_before_launching_ui: Optional[Callable[..., Any]] = None,
        auth_scheme: Any = None,
        **kwargs: Any,
    ) -> TokenResult:
        """Sign the user in through the system's web browser, and get tokens.

        MSAL opens the authorization URL in the browser and waits for the answer on a loopback
        listener at ``http://localhost:<port>``. Register ``http://localhost`` as a redirect URI
        of the "Mobile and desktop applications" platform of your app (a broker would also need
        ``ms-appx-web://Microsoft.AAD.BrokerPlugin/<client_id>``). The call blocks the
        current thread until the answer arrives.

        :param list[str] scopes: Case-sensitive scope strings.
        :param str prompt: Sent only when given (not even ``"none"`` is sent by default); values
            as in OpenID Connect Core, section 3.1.2.1.
        :param str login_hint: Optional. The user's sign-in name, usually a UPN.
        :param domain_hint: ``"consumers"``, ``"organizations"`` or a tenant domain: skips home
            realm discovery on the sign-in page.
        :param claims_challenge: The JSON string of claims that a resource asked for, in the
                    ``claims`` directive of the ``WWW-Authenticate`` header it answered with (for
                    example after a Conditional Access policy changed). MSAL sends it as the
                    ``claims`` parameter, merged with the app's ``client_capabilities``.
        :param int timeout: How many seconds to wait for the browser's answer; ``None`` (the
            default) waits forever.
        :param int port: The port to listen on; by default the system picks a free one. The rest
            of the redirect URI is always ``http://localhost``.
        :param list[str] extra_scopes_to_consent: Scopes of other resources for which the user
            is asked to consent in the same sign-in, without getting their token now (an Entra
            ID concept). Get those tokens later with :meth:`acquire_token_silent`.
        :param int max_age: Optional (since 1.15). How many seconds may have passed since the
            user last actively signed in; older sessions must sign in again. MSAL checks the
            ID token's ``auth_time`` against it.
        :param int parent_window_handle: Optional (since 1.20.0). For a GUI app on Windows that
            uses a broker: the window the broker's sign-in window belongs to. Unused without a
            broker.
        :param on_before_launching_ui: Optional (since 1.20.0). A callable such as
            ``lambda ui="xyz", **kwargs: print("A {} will open".format(ui))``, called just before
            the sign-in UI opens, with ``ui`` being ``"browser"`` or ``"broker"``, so the app can
            tell the user to expect a window.
        :param auth_scheme: A :class:`~msal.auth_scheme.PopAuthScheme` needs a broker:
            ``ValueError`` here.
        :returns: a dict without ``"error"``, usually with ``"access_token"``; or a dict with
            ``"error"`` when the sign-in or the token request failed.
        """
        refuse_auth_scheme(auth_scheme)
        from ._flows import interactive  # Loads http.server and webbrowser only when needed

        return interactive.acquire(
            self._ctx,
            self._used_states(),
            scopes,
            prompt=prompt,
            login_hint=login_hint,
            domain_hint=domain_hint,
            claims_challenge=claims_challenge,
            timeout=timeout,
            port=port,
            extra_scopes_to_consent=extra_scopes_to_consent,
            max_age=max_age,
            on_before_launching_ui=on_before_launching_ui,
        )

    def initiate_device_flow(
        self, scopes: Optional[List[str]] = None, *, claims_challenge: Optional[str] = None, **kwargs: Any
    ) -> Dict[str, Any]:
        """Start a device code flow, to finish with :meth:`acquire_token_by_device_flow`.

        :param list[str] scopes: Scopes of the protected API.
        :param claims_challenge: Optional (later msal versions): a claims challenge to send,
            merged with the app's ``client_capabilities``, with the device authorization request.
        :returns: The device flow, a dict. On success it has ``"user_code"`` and ``"message"``
            (tell the user to open the verification page and enter the code) among others; on
            failure it has ``"error"`` and other readable keys instead.
        """
        return device_code.initiate(self._ctx, scopes, claims_challenge=claims_challenge)

    def acquire_token_by_device_flow(
        self,
        flow: Dict[str, Any],
        claims_challenge: Optional[str] = None,
        *,
        exit_condition: Optional[Callable[[Dict[str, Any]], bool]] = None,
        **kwargs: Any,
    ) -> TokenResult:
        """Wait for the user to finish the device code flow, then return the tokens.

        The method polls the token endpoint at the interval the server asked for and blocks the
        current thread meanwhile. To stop it early, set the flow's ``"expires_at"`` to ``0``
        from another thread.

        :param dict flow: The dict :meth:`initiate_device_flow` returned.
        :param claims_challenge: The JSON string of claims that a resource asked for, in the
                    ``claims`` directive of the ``WWW-Authenticate`` header it answered with (for
                    example after a Conditional Access policy changed). MSAL sends it as the
                    ``claims`` parameter, merged with the app's ``client_capabilities``.
        :returns: the token response (with ``"access_token"``), or an error dict with
            ``"error"`` and usually ``"error_description"`` (such as ``expired_token`` or
            ``authorization_declined``).
        """
        return device_code.acquire(
            self._ctx, flow, claims_challenge=claims_challenge, exit_condition=exit_condition
        )


class ConfidentialClientApplication(ClientApplication):
    """An application that keeps a credential: web apps, web APIs and daemons.

    It gets tokens for itself (:meth:`acquire_token_for_client`), for users who sign in to
    it (:meth:`initiate_auth_code_flow`), and for the callers of a web API
    (:meth:`acquire_token_on_behalf_of`). Its constructor takes the parameters documented on
    :class:`ClientApplication`, and ``client_credential`` is required (``ValueError`` without it).
    """

    _requires_credential = True

    def acquire_token_for_client(
        self,
        scopes: List[str],
        claims_challenge: Optional[str] = None,
        fmi_path: Optional[str] = None,
        forwarded_client_claims: Optional[str] = None,
        **kwargs: Any,
    ) -> TokenResult:
        """Get a token for the application itself, not for a user (client credentials grant).

        A valid token in the cache is returned as it is; otherwise MSAL asks the identity
        provider (at the regional endpoint when ``azure_region`` is set) and caches the answer.

        :param list[str] scopes: (Required) Scopes of the protected API; for application
            permissions this is the resource's ``/.default`` scope, such as
            ``["https://graph.microsoft.com/.default"]``.
        :param claims_challenge: The JSON string of claims that a resource asked for, in the
                    ``claims`` directive of the ``WWW-Authenticate`` header it answered with (for
                    example after a Conditional Access policy changed). MSAL sends it as the
                    ``claims`` parameter, merged with the app's ``client_capabilities``.
        :param str fmi_path: Optional (later msal versions). The Federated Managed Identity
            credential path, sent as the ``fmi_path`` form field.
        :param str forwarded_client_claims: Optional (from later msal versions). A JSON
            string of client-originated claims, merged into the ``claims`` parameter after
            ``claims_challenge``.

            A token asked with ``fmi_path`` or ``forwarded_client_claims`` is for that path or
            those claims only: it is returned but not cached, so no other call gets it.
        :returns: the token response (with ``"access_token"``), or an error dict with
            ``"error"`` and usually ``"error_description"``.
        """
        return client_credentials.acquire(
            self._ctx,
            scopes,
            claims_challenge=claims_challenge,
            fmi_path=fmi_path,
            forwarded_client_claims=forwarded_client_claims,
        )

    def remove_tokens_for_client(self) -> None:
        """Forget the tokens :meth:`acquire_token_for_client` cached for this client (its
        app-only access tokens, in every tenant); users' tokens stay."""
        cache = self._ctx.cache
        aliases = self._ctx.discovery.aliases(self._ctx.config.authority)
        for entry in cache.find(cache.CredentialType.ACCESS_TOKEN, query={"client_id": self.client_id}):
            if not entry.get("home_account_id") and entry.get("environment") in aliases:
                cache.remove_at(entry)

    def acquire_token_by_user_federated_identity_credential(
        self,
        scopes: List[str],
        assertion: str,
        username: Optional[str] = None,
        user_object_id: Optional[str] = None,
        claims_challenge: Optional[str] = None,
        forwarded_client_claims: Optional[str] = None,
        **kwargs: Any,
    ) -> TokenResult:
        """Get a token for a user with a federated identity credential (the ``user_fic``
        grant), as an agent acting for that user does (from later msal versions).

        :param list[str] scopes: Scopes of the downstream API.
        :param str assertion: The federated identity credential, such as the agent's instance
            token.
        :param str username: The user's UPN; give it or ``user_object_id``, not both.
        :param str user_object_id: The user's object id.
        :param claims_challenge: A claims challenge (JSON string), merged with the app's
            ``client_capabilities`` into the ``claims`` parameter.
        :param str forwarded_client_claims: Client-originated claims (JSON string), merged
            after ``claims_challenge``.
        :returns: the token response (with ``"access_token"``), or an error dict with
            ``"error"`` and usually ``"error_description"``.
        :raises ValueError: without an assertion, or without exactly one of ``username`` and
            ``user_object_id``.
        """
        return user_fic.acquire(
            self._ctx,
            scopes,
            assertion,
            username=username,
            user_object_id=user_object_id,
            claims_challenge=self._claims(claims_challenge, forwarded_client_claims),
        )

    def acquire_token_on_behalf_of(
        self,
        user_assertion: str,
        scopes: List[str],
        claims_challenge: Optional[str] = None,
        forwarded_client_claims: Optional[str] = None,
        **kwargs: Any,
    ) -> TokenResult:
        """Exchange the user's token this web API received for a token to a downstream API (on-behalf-of).

        This app is a middle-tier service called with an access token for a user; it uses that
        token (the *user assertion*) to get a token for another API, for the same user. The
        middle tier cannot ask the user for consent, so the consent for the downstream API must
        be obtained beforehand (for example as a known client application, or by an admin).

        :param str user_assertion: The access token this app received from its caller.
        :param list[str] scopes: Scopes of the downstream API.
        :param claims_challenge: The JSON string of claims that a resource asked for, in the
                    ``claims`` directive of the ``WWW-Authenticate`` header it answered with (for
                    example after a Conditional Access policy changed). MSAL sends it as the
                    ``claims`` parameter, merged with the app's ``client_capabilities``.
        :param str forwarded_client_claims: Optional (from later msal versions). A JSON
            string of client-originated claims, merged into the ``claims`` parameter after
            ``claims_challenge``.
        :returns: the token response (with ``"access_token"``), or an error dict with
            ``"error"`` and usually ``"error_description"``.
        """
        return on_behalf_of.acquire(
            self._ctx,
            user_assertion,
            scopes,
            claims_challenge=self._claims(claims_challenge, forwarded_client_claims),
        )


def _context(
    config: AppConfig,
    cache: TokenCache,
    services: Services,
    http_cache: Any,
    validate_authority: bool,
    instance_discovery: Optional[bool],
    client_auth: ClientAuth,
    region: Optional[RegionResolver],
    now: Callable[[], float],
) -> AppContext:
    """The services of an application wired together, all on one clock."""
    return AppContext(
        Hits(serve_again=not config.multi_tenant),
        cache,
        now,
        config,
        Discovery(services, validate_authority, instance_discovery, http_cache, now=now),
        client_auth,
        services,
        region,
    )


# Polls repeat; a password error may name the user
_NEVER_REPLAYED = never_replay_grants(device_code.DEVICE_CODE_GRANT, "password")


def _authority_of(authority: Union[str, AuthorityBuilder, None]) -> Authority:
    """The parsed authority; a web app building an application per request parses its
    authority string once (an Authority is immutable, so it may be shared)."""
    return _parsed(authority) if isinstance(authority, str) else parse_authority(authority)


@functools.lru_cache(maxsize=256)
def _parsed(authority: str) -> Authority:
    return parse_authority(authority)


def _default_http_client(verify: Any, proxies: Any, timeout: Any) -> Any:
    from ._http.requests_client import RequestsHttpClient

    return RequestsHttpClient(verify=verify, proxies=proxies, timeout=timeout)


def _client_auth(
    client_id: str, credential: Any, client_claims: Any, now: Callable[[], float] = time.time
) -> ClientAuth:
    """The client authentication a credential calls for; ``ValueError`` if it is malformed."""
    if credential is None:
        return ClientAuth()
    if isinstance(credential, str):
        if not credential:
            raise ValueError("client_credential must not be an empty string")
        return SecretAuth(credential)
    if not isinstance(credential, Mapping):
        raise ValueError(
            "client_credential must be a secret string or a dict, not {}".format(type(credential).__name__)
        )
    if "client_assertion" in credential:
        assertion = credential["client_assertion"]
        if not (isinstance(assertion, str) and assertion) and not callable(assertion):
            raise ValueError("client_credential['client_assertion'] must be a JWT string")
        return AssertionAuth(assertion)
    missing = [k for k in ("private_key", "thumbprint") if not credential.get(k)]
    if missing:
        raise ValueError(
            "A certificate client_credential needs {}; got keys {}".format(
                " and ".join(repr(k) for k in missing), sorted(credential)
            )
        )
    return PrivateKeyJwtAuth(
        client_id,
        credential["private_key"],
        credential["thumbprint"],
        public_certificate=credential.get("public_certificate"),
        passphrase=credential.get("passphrase"),
        extra_claims=client_claims,
        now=now,
    )
