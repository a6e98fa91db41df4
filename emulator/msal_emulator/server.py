"""The `Emulator` object tests and the demo use: a facade over its parts.

lifecycle   start/stop, the HTTPS server and proxy, the state directory, CA and TLS
directory   tenants, apps, users and keys (config.Directory)
dispatch    routing requests through the named route table (routes.py), faults applied
controls    test controls: faults, clock, request log, internal errors, knobs
"""

from __future__ import annotations

import os
import weakref
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Set, Union

from . import config as config_module
from . import internal_errors
from .controls import Clock, TestControls
from .dispatch import Dispatch
from .endpoints import mex_document
from .faults import Fault, FaultSet
from .http import Request, Response
from .lifecycle import HTTPSServer, Lifecycle
from .routes import RouteTable
from .store import RequestLog, Store
from .tokens import SigningKey, user_access_token_claims

if TYPE_CHECKING:  # pragma: no cover
    from requests import Session

    from . import certs
    from .browser import Browser, SignInResult
    from .endpoints.managed_identity import ManagedIdentityHost

__all__ = ["Clock", "Emulator", "live_emulators"]

_LIVE: "weakref.WeakSet[Emulator]" = weakref.WeakSet()


def live_emulators() -> List["Emulator"]:
    """Every Emulator of this process not yet garbage-collected (the pytest plugin watches
    their internal errors)."""
    return list(_LIVE)


def _controlled(name: str, doc: str) -> Any:
    """An attribute of the test controls, readable and writable on the facade."""
    return property(
        lambda self: getattr(self.controls, name),
        lambda self, value: setattr(self.controls, name, value),
        doc=doc,
    )


class Emulator:
    """A local Microsoft identity platform (Entra ID v2.0 endpoints) on real HTTPS.

    Use as ``with Emulator() as emu:`` or call start()/stop(). See the package README for the
    default directory (tenant, users, apps).
    """

    device_code_interval = _controlled("device_code_interval", "Seconds between polls, for new device codes.")
    device_code_expires_in = _controlled("device_code_expires_in", "Lifetime of new device codes.")
    refresh_in = _controlled("refresh_in", "When set, token answers carry `refresh_in` (seconds).")
    mex_override = _controlled("mex_override", "The MEX text served instead of the real one.")

    def __init__(
        self,
        config: Union[None, str, "os.PathLike[str]", Dict[str, Any]] = None,
        port: int = 0,
        clock: Optional[Callable[[], float]] = None,
        device_code_interval: Optional[int] = None,
        device_code_expires_in: Optional[int] = None,
        proxy_port: Optional[int] = None,
        upstream: Iterable[str] = (),
        state_dir: Optional[str] = None,
        builtin: Optional[bool] = None,
    ) -> None:
        self.directory = config_module.load(config, builtin)
        if device_code_interval is not None:
            self.directory.device_code["interval"] = device_code_interval
        if device_code_expires_in is not None:
            self.directory.device_code["expires_in"] = device_code_expires_in
        routes = RouteTable()
        self.controls = TestControls(self.directory, routes.names(), clock)
        self.store = Store()
        self.dispatch = Dispatch(self, self.controls, routes)
        self.lifecycle = Lifecycle(self, port, proxy_port, upstream, state_dir)
        self.directory.add_keys(self.lifecycle.ca, self.lifecycle.state_dir)
        self._browser: Optional["Browser"] = None
        _LIVE.add(self)

    # ---- the parts, as attributes of old ------------------------------------------------

    @property
    def faults(self) -> FaultSet:
        return self.controls.faults

    @property
    def clock(self) -> Clock:
        return self.controls.clock

    @property
    def requests(self) -> RequestLog:
        return self.controls.requests

    @property
    def errors(self) -> List[str]:
        """Tracebacks of unexpected server failures (answered as HTTP 500)."""
        return self.controls.errors

    def record_internal_error(self, traceback_text: str) -> None:
        """Keep the traceback of an unexpected failure in `errors`, and report it to the test
        session that started this process, if one did (internal_errors.py)."""
        self.controls.errors.append(traceback_text)
        internal_errors.report(traceback_text, self._secrets())

    def _secrets(self) -> Set[str]:
        """Client secrets, passwords, and the codes and refresh tokens issued so far."""
        values = {a["client_secret"] for a in self.directory.apps if a.get("client_secret")}
        values |= {u["password"] for u in self.directory.users if u.get("password")}
        with self.store.lock:
            return values | set(self.store.codes) | set(self.store.refresh_tokens)

    @property
    def signing_key(self) -> SigningKey:
        return self.directory.signing_key

    @property
    def app_keys(self) -> Dict[str, "certs.KeyPair"]:
        return self.directory.app_keys

    @property
    def ca(self) -> "certs.CertificateAuthority":
        return self.lifecycle.ca

    @property
    def server_pair(self) -> "certs.KeyPair":
        return self.lifecycle.server_pair

    @property
    def ca_path(self) -> str:
        return self.lifecycle.ca_path

    @property
    def upstream(self) -> List[str]:
        return self.lifecycle.upstream

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> "Emulator":
        self.lifecycle.start()
        return self

    def stop(self) -> None:
        self.lifecycle.stop()

    def close(self) -> None:
        """Stop and delete the temporary files (CA, app certificates)."""
        self.lifecycle.close()

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self.lifecycle.running

    # ---- addresses --------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self.lifecycle.port

    @property
    def proxy_port(self) -> Optional[int]:
        """The HTTPS proxy's port (None when the emulator runs without the proxy)."""
        return self.lifecycle.proxy_port

    @property
    def proxy_url(self) -> Optional[str]:
        """What HTTPS_PROXY should say for apps to reach this emulator unchanged."""
        port = self.proxy_port
        return None if port is None else "http://127.0.0.1:%d" % port

    def proxy_environment(self) -> Dict[str, str]:
        """The variables an unmodified app needs: the proxy, and the CA for Python and Node."""
        if self.proxy_url is None:
            raise RuntimeError("the emulator runs without its proxy (give proxy_port=0)")
        return {
            "HTTPS_PROXY": self.proxy_url,
            "https_proxy": self.proxy_url,
            "REQUESTS_CA_BUNDLE": self.ca_path,
            "SSL_CERT_FILE": self.ca_path,
            "NODE_EXTRA_CA_CERTS": self.ca_path,
        }

    @property
    def https_server(self) -> HTTPSServer:
        return self.lifecycle.https_server

    @property
    def state_dir(self) -> str:
        """Where the CA, certificates and keys are written."""
        return self.lifecycle.state_dir

    @property
    def base_url(self) -> str:
        return "https://localhost:%d" % self.port

    @property
    def tenant_id(self) -> str:
        tid: str = self.directory.default_tenant["id"]
        return tid

    @property
    def tenant_domain(self) -> str:
        domain: str = self.directory.default_tenant["domain"]
        return domain

    def authority(self, tenant: Optional[str] = None) -> str:
        """An authority URL for msal: the default tenant's GUID unless another is named."""
        return "%s/%s" % (self.base_url, tenant or self.tenant_id)

    def token_endpoint(self, tenant: Optional[str] = None) -> str:
        return self.authority(tenant) + "/oauth2/v2.0/token"

    def b2c_authority(self, policy: str = "B2C_1_signupsignin") -> str:
        """The first B2C tenant's authority for a user flow, under its b2clogin.com host
        (reachable through `http_client()`)."""
        tenant = self.directory.tenant_of_kind("b2c")
        return "https://%s/%s/%s" % (tenant["host"], tenant["domain"], policy)

    def ciam_authority(self, with_tenant: bool = True) -> str:
        """The first CIAM tenant's authority: `https://<host>/<domain>`, or just the host."""
        tenant = self.directory.tenant_of_kind("ciam")
        host = "https://" + tenant["host"]
        return "%s/%s" % (host, tenant["domain"]) if with_tenant else host

    # ---- directory -------------------------------------------------------------------

    def app(self, name: str) -> Dict[str, Any]:
        """Description of an app (by name or client id), as a fresh dict."""
        return self.directory.describe_app(name)

    def client_credential(self, name: str) -> Union[str, Dict[str, str], None]:
        """What msal's `client_credential` wants for the app: a secret, a cert dict, or None."""
        return self.directory.client_credential(name)

    def describe_directory(self) -> Dict[str, Any]:
        """The directory as scripts want it: tenants, apps with their credentials, users."""
        return {
            "authority": "https://login.microsoftonline.com/" + self.tenant_id,
            "ca_path": self.ca_path,
            "state_dir": self.state_dir,
            "default_tenant": self.tenant_id,
            **self.directory.describe(),
        }

    def user(self, name: str) -> Dict[str, Any]:
        return self.directory.describe_user(name)

    # ---- request handling ------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        """Route one request; Entra-shaped JSON for errors, echoing client-request-id."""
        return self.dispatch.handle(req)

    def clear_requests(self) -> None:
        self.requests.clear()

    def log_refusal(self, method: str, target: str, reason: str, status: int) -> None:
        """A request the proxy refused goes to the request log like any other."""
        self.dispatch.log_refusal(method, target, reason, status)

    # ---- test controls: faults, federation metadata, device code timing --------------

    def inject(self, kind: str, endpoint: Optional[str] = None, **options: Any) -> Fault:
        """Make an endpoint misbehave; same as `faults.add` (see msal_emulator.faults)."""
        return self.faults.add(kind, endpoint, **options)

    def clear_faults(self) -> None:
        self.controls.faults.clear()

    def mex_document(self, base_url: Optional[str] = None, versions: Iterable[str] = ("13", "2005")) -> str:
        """The MEX text the emulated ADFS serves; `versions` picks the username endpoints."""
        return mex_document.render(base_url or self.base_url, versions)

    def set_mex_document(self, text: str) -> None:
        """Serve this text (e.g. a broken document) at /adfs/services/trust/mex from now on."""
        self.controls.mex_override = text

    def reset_mex(self) -> None:
        self.controls.mex_override = None

    def reset_overrides(self) -> None:
        """Undo the test controls: faults, the MEX document, device code timing, `refresh_in`."""
        self.controls.reset()
        listener = self.lifecycle.managed_identity_started
        if listener is not None:
            listener.reset()

    def revoke_refresh_tokens(self, username: Optional[str] = None) -> int:
        """Revoke the refresh tokens of one user (all users when None); returns how many."""
        oid = self.user(username)["oid"] if username else None
        return self.store.revoke_refresh_tokens(oid)

    def issue_token(
        self,
        user: str = "alice@contoso.example",
        client: str = "public",
        scopes: Union[str, Iterable[str], None] = None,
        lifetime: int = 3600,
        host: Optional[str] = None,
    ) -> str:
        """Mint a user access token directly (e.g. the incoming token of an OBO test).

        By default: for the "web-api" app's `access_as_user` scope, issued to the public app.
        """
        from .endpoints.common import parse_scopes

        if scopes is None:
            web_api = next((a for a in self.directory.apps if a.get("app_id_uri")), None)
            scopes = web_api["app_id_uri"] + "/access_as_user" if web_api else "User.Read"
        text = scopes if isinstance(scopes, str) else " ".join(scopes)
        parsed = parse_scopes(self.directory, text)
        person = self.user(user)
        claims = user_access_token_claims(
            host=host or "localhost:%d" % self.port,
            tid=person["tenant"],
            user=person,
            client_id=self.app(client)["client_id"],
            audience=parsed.audience,
            scopes=parsed.names,
            now=self.clock(),
            lifetime=lifetime,
        )
        return self.signing_key.sign(claims)

    @property
    def managed_identity(self) -> "ManagedIdentityHost":
        """The managed identity sources: a plain-HTTP listener started on first use."""
        return self.lifecycle.managed_identity

    # ---- clients ---------------------------------------------------------------------

    @property
    def browser(self) -> "Browser":
        """The scripted browser `sign_in` uses (it keeps its cookies, so SSO works)."""
        if self._browser is None:
            from .browser import Browser

            self._browser = Browser(self)
        return self._browser

    def sign_in(self, auth_uri: str, username: str, password: str, consent: bool = True) -> "SignInResult":
        """Play the user on the sign-in page; see browser.Browser.sign_in for the result."""
        return self.browser.sign_in(auth_uri, username, password, consent=consent)

    def approve_device_code(
        self,
        user_code: str,
        username: str,
        password: str,
        approve: bool = True,
        verification_uri: Optional[str] = None,
    ) -> str:
        """Play the user on the device code verification pages; returns the final page's text.

        Thread-safe (each call uses its own browser), so a test can approve from a thread
        while the client polls. Raises SignInError for an unknown code or wrong password.
        """
        from .browser import Browser

        uri = verification_uri or self.base_url + "/common/oauth2/deviceauth"
        return Browser(self).approve_device_code(uri, user_code, username, password, approve)

    def http_client(self) -> "Session":
        """A requests.Session that reaches this emulator as login.microsoftonline.com etc."""
        from .httpclient import emulator_session

        return emulator_session(self)
