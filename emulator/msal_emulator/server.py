"""The HTTPS server, its routing table, and the `Emulator` object tests and the demo use."""

from __future__ import annotations

import errno
import functools
import os
import shutil
import socket
import ssl
import struct
import tempfile
import threading
import time
import traceback
import weakref
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Set, Tuple, Union
from urllib.parse import urlsplit

from . import certs, config as config_module, errors, faults as faults_module, requestlog
from .endpoints import (
    admin,
    authorize,
    b2c,
    device,
    discovery,
    federation,
    managed_identity,
    mex_document,
    password,
    token,
)
from .faults import Fault, FaultSet
from .http import Request, Response, Router, json_response, parse_pairs
from .store import RequestLog, Store
from .tokens import SigningKey, user_access_token_claims

if TYPE_CHECKING:  # pragma: no cover
    import requests

    from .browser import Browser, SignInResult

SERVER_PAIR_FILE = "server.pem"  # key and certificate of the HTTPS server
_TENANT = r"(?P<tenant>[^/]+)"
_ADFS = r"/(?P<tenant>adfs)"
_B2C = r"/(?P<tenant>[^/]+)/(?P<policy>[Bb]2[Cc]_[^/]+)"  # a B2C tenant and user flow


def build_router() -> Router:
    router = Router()
    _add_admin_routes(router)
    _add_adfs_routes(router)
    _add_b2c_routes(router)
    router.add("GET", r"/%s/discovery/instance" % _TENANT, discovery.instance_discovery)
    router.add(
        "GET", r"/%s/v2\.0/\.well-known/openid-configuration" % _TENANT, discovery.openid_configuration
    )
    router.add("GET", r"/%s/discovery/v2\.0/keys" % _TENANT, discovery.jwks)
    router.add("GET", r"/%s/discovery/keys" % _TENANT, discovery.jwks)
    router.add("GET", r"/%s/oauth2/v2\.0/authorize" % _TENANT, authorize.authorize_get)
    router.add("POST", r"/%s/oauth2/v2\.0/authorize" % _TENANT, authorize.authorize_post)
    router.add("GET", r"/%s/oauth2/v2\.0/logout" % _TENANT, authorize.logout)
    router.add("POST", r"/%s/oauth2/v2\.0/token" % _TENANT, token.token)
    router.add("GET,POST", r"/oidc/userinfo", discovery.userinfo)
    router.add("POST", r"/%s/oauth2/v2\.0/devicecode" % _TENANT, device.devicecode)
    router.add("GET", r"/%s/oauth2/deviceauth" % _TENANT, device.deviceauth_get)
    router.add("POST", r"/%s/oauth2/deviceauth" % _TENANT, device.deviceauth_post)
    router.add("GET", r"/%s/userrealm/(?P<username>[^/]+)" % _TENANT, password.userrealm)
    managed_identity.add_routes(router)
    return router


def _add_adfs_routes(router: Router) -> None:
    """The on-premises ADFS: its OIDC authority and the WS-Trust side of federation."""
    router.add("GET", r"/adfs/\.well-known/openid-configuration", discovery.adfs_openid_configuration)
    router.add("GET", _ADFS + r"/oauth2/authorize/?", authorize.authorize_get)
    router.add("POST", _ADFS + r"/oauth2/authorize/?", authorize.authorize_post)
    router.add("POST", _ADFS + r"/oauth2/token/?", token.token)
    router.add("POST", _ADFS + r"/oauth2/devicecode/?", device.devicecode)
    router.add("GET", _ADFS + r"/oauth2/logout/?", authorize.logout)
    router.add("GET", r"/adfs/services/trust/mex", federation.mex)
    router.add("POST", r"/adfs/services/trust/(?P<version>13|2005)/usernamemixed", federation.wstrust)


def _add_b2c_routes(router: Router) -> None:
    """Azure AD B2C user flows; the sign-in pages are the shared ones."""
    router.add("GET", _B2C + r"/v2\.0/\.well-known/openid-configuration", b2c.openid_configuration)
    router.add("GET", _B2C + r"/discovery/v2\.0/keys", b2c.jwks)
    router.add("GET", _B2C + r"/oauth2/v2\.0/authorize", authorize.authorize_get)
    router.add("POST", _B2C + r"/oauth2/v2\.0/authorize", authorize.authorize_post)
    router.add("GET", _B2C + r"/oauth2/v2\.0/logout", authorize.logout)
    router.add("POST", _B2C + r"/oauth2/v2\.0/token", b2c.token)


def _add_admin_routes(router: Router) -> None:
    router.add("POST", r"/_emulator/faults", admin.add_fault)
    router.add("GET", r"/_emulator/faults", admin.list_faults)
    router.add("DELETE", r"/_emulator/faults", admin.clear_faults)
    router.add("GET", r"/_emulator/requests", admin.list_requests)
    router.add("GET", r"/_emulator/config", admin.describe_config)
    router.add("PUT", r"/_emulator/mex", admin.set_mex)
    router.add("DELETE", r"/_emulator/mex", admin.reset_mex)


class Clock:
    """The emulator's notion of now: the wall clock plus an offset tests can move."""

    def __init__(self, source: Callable[[], float] = time.time):
        self._source = source
        self.offset = 0.0

    def __call__(self) -> float:
        return self._source() + self.offset

    def advance(self, seconds: float) -> None:
        """Jump ahead, e.g. past a token's expiry."""
        self.offset += seconds

    def reset(self) -> None:
        self.offset = 0.0


class _Handler(BaseHTTPRequestHandler):
    server: "_HTTPSServer"
    protocol_version = "HTTP/1.1"
    server_version = "msal-emulator"
    sys_version = ""

    def setup(self) -> None:
        # Headers and body go out as separate writes: without this, Nagle's algorithm holds
        # the body back until the client's delayed ACK, some 40 ms on every answer.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request.settimeout(30)
        if isinstance(self.request, ssl.SSLSocket):  # not so for msal-node's proxy tunnels
            self.request.do_handshake()  # here, in the worker thread, never in the accept loop
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # quiet by default
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _read_request(self) -> Request:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        form = {}
        if "application/x-www-form-urlencoded" in headers.get("content-type", ""):
            form = parse_pairs(body.decode("utf-8", "replace"))
        host = headers.get("host") or "localhost:%d" % self.server.server_port
        return Request(self.command, parts.path, host, parse_pairs(parts.query), form, headers, body)

    def _dispatch(self) -> None:
        req = self._read_request()
        emulator = self.server.emulator
        if req.path.startswith(admin.PREFIX):
            self._answer(emulator.handle(req))
            return
        started = time.monotonic()
        entry = req.log_entry()
        entry["time"] = time.time()
        emulator.requests.append(entry)
        resp = self._respond(req)
        requestlog.finish(entry, resp, time.monotonic() - started)
        requestlog.emit(entry, resp)
        if resp is not None:
            self._answer(resp)

    def _respond(self, req: Request) -> Optional[Response]:
        """The answer, faults applied; None when a fault drops the connection instead."""
        emulator = self.server.emulator
        fault = emulator.faults.take(req)
        if fault is None:
            return emulator.handle(req)
        if fault.delay or fault.kind == "slow":
            time.sleep(fault.delay or 1.0)
        if fault.kind in faults_module.ABORTING_KINDS:
            self._abort(reset=fault.kind == "reset")
            return None
        return faults_module.respond(fault, req, lambda: emulator.handle(req), emulator.clock())

    def _abort(self, reset: bool) -> None:
        """Close the connection without an answer; with reset, make the close a TCP RST."""
        self.close_connection = True
        if reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self.server.aborted_lock:
            self.server.aborted.add(self.connection)

    def _answer(self, resp: Response) -> None:
        self.send_response(resp.status)
        for name, value in resp.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)


class _HTTPSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: Tuple[str, int], emulator: "Emulator", context: Optional[ssl.SSLContext]
    ) -> None:
        """``context`` None: plain HTTP, for a subclass whose get_request does not wrap."""
        self.emulator, self.context = emulator, context
        self.aborted: Set[Any] = set()
        self.aborted_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> Tuple[Any, Any]:
        sock, addr = super().get_request()
        if self.context is None:
            return sock, addr
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # aborted handshakes and dropped connections are normal for a test server

    def shutdown_request(self, request: Any) -> None:
        """Aborted connections are closed without the usual FIN-first shutdown."""
        with self.aborted_lock:
            aborted = request in self.aborted
            self.aborted.discard(request)
        if aborted:
            self.close_request(request)
        else:
            super().shutdown_request(request)


def _listen(what: str, port: int, make: Callable[[], Any]) -> Any:
    """Open a listener; a port in use is said plainly, naming which one."""
    try:
        return make()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise OSError(exc.errno, "the %s port %d is already in use" % (what, port)) from None
        raise


_LIVE: "weakref.WeakSet[Emulator]" = weakref.WeakSet()


def live_emulators() -> List["Emulator"]:
    """Every Emulator of this process not yet garbage-collected (the pytest plugin watches
    their internal errors)."""
    return list(_LIVE)


class Emulator:
    """A local Microsoft identity platform (Entra ID v2.0 endpoints) on real HTTPS.

    Use as ``with Emulator() as emu:`` or call start()/stop(). See the package README for the
    default directory (tenant, users, apps).
    """

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
        self.device_code_interval: int = self.directory.device_code["interval"]
        self.device_code_expires_in: int = self.directory.device_code["expires_in"]
        self.mex_override: Optional[str] = None
        self.refresh_in: Optional[int] = None  # When set, token answers carry `refresh_in`
        self.faults = FaultSet()
        self.clock = clock if isinstance(clock, Clock) else Clock(clock or time.time)
        self.store = Store()
        self.requests = RequestLog()
        self.errors: List[str] = []  # tracebacks of unexpected server failures
        self.router = build_router()
        self._requested_port = port
        self._requested_proxy_port = proxy_port
        self.upstream: List[str] = list(upstream)
        self._server: Optional[_HTTPSServer] = None
        self._thread: Optional[threading.Thread] = None
        self._proxy: Optional[Any] = None
        self._proxy_thread: Optional[threading.Thread] = None
        self._browser: Optional["Browser"] = None
        self._managed_identity: Optional[managed_identity.ManagedIdentityHost] = None
        self._dir, self._cleanup = self._make_state_dir(state_dir)
        self.ca = certs.CertificateAuthority(
            pair=certs.stored_pair(self._dir, "ca-key.pem", lambda: certs.CertificateAuthority().pair)
        )
        self.server_pair = certs.stored_pair(
            self._dir,
            SERVER_PAIR_FILE,
            lambda: self.ca.issue("localhost", certs.SERVER_NAMES, server=True),
            self.ca.pair,
        )
        self.signing_key = SigningKey(self.ca)
        self.app_keys: Dict[str, certs.KeyPair] = {}
        self._make_app_certificates()
        self.ca_path = certs.write_text(self._dir, "ca.pem", self.ca.cert_pem)
        _LIVE.add(self)

    def _make_state_dir(self, state_dir: Optional[str]) -> Tuple[str, Callable[[], Any]]:
        """The given directory, kept (so the CA and certificates survive restarts), or a
        temporary one deleted by close()."""
        if state_dir:
            os.makedirs(state_dir, exist_ok=True)
            return state_dir, lambda: None
        path = tempfile.mkdtemp(prefix="msal-emulator-")
        return path, weakref.finalize(self, shutil.rmtree, path, True)

    def _make_app_certificates(self) -> None:
        for app in self.directory.apps:
            if app.get("certificate") is True:
                name = app["name"]
                pair = certs.stored_pair(
                    self._dir, name + ".pem", functools.partial(self.ca.issue, name), self.ca.pair
                )
                self.app_keys[name] = pair
                app["certificates"] = list(app["certificates"]) + [pair.cert_pem]

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> "Emulator":
        if self._server is not None:
            return self
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(self._dir, SERVER_PAIR_FILE))
        self._server = _listen(
            "HTTPS (--port)",
            self._requested_port,
            lambda: _HTTPSServer(("127.0.0.1", self._requested_port), self, context),
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="msal-emulator",
            daemon=True,
        )
        self._thread.start()
        proxy_port = self._requested_proxy_port
        if proxy_port is not None:
            from . import proxy

            self._proxy, self._proxy_thread = _listen(
                "proxy (--proxy-port)", proxy_port, lambda: proxy.start(self, proxy_port, self.upstream)
            )
        return self

    def stop(self) -> None:
        if self._managed_identity is not None:
            self._managed_identity.stop()
            self._managed_identity = None
        if self._server is None:
            return
        if self._proxy is not None:
            self._proxy.shutdown()
            self._proxy.server_close()
            if self._proxy_thread is not None:
                self._proxy_thread.join(5)
            self._proxy = self._proxy_thread = None
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = self._thread = None

    def close(self) -> None:
        """Stop and delete the temporary files (CA, app certificates)."""
        self.stop()
        self._cleanup()

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # ---- addresses --------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            return self._requested_port
        return self._server.server_address[1]

    @property
    def proxy_port(self) -> Optional[int]:
        """The HTTPS proxy's port (None when the emulator runs without the proxy)."""
        if self._proxy is None:
            return self._requested_proxy_port
        port: int = self._proxy.server_address[1]
        return port

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
    def https_server(self) -> "_HTTPSServer":
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return self._server

    @property
    def state_dir(self) -> str:
        """Where the CA, certificates and keys are written."""
        return self._dir

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
        tenant = self._tenant_of_kind("b2c")
        return "https://%s/%s/%s" % (tenant["host"], tenant["domain"], policy)

    def ciam_authority(self, with_tenant: bool = True) -> str:
        """The first CIAM tenant's authority: `https://<host>/<domain>`, or just the host."""
        tenant = self._tenant_of_kind("ciam")
        host = "https://" + tenant["host"]
        return "%s/%s" % (host, tenant["domain"]) if with_tenant else host

    def _tenant_of_kind(self, kind: str) -> Dict[str, Any]:
        found = next((t for t in self.directory.tenants if t.get("kind") == kind), None)
        if found is None:
            raise KeyError("the configuration has no %s tenant" % kind)
        return found

    # ---- directory -------------------------------------------------------------------

    def app(self, name: str) -> Dict[str, Any]:
        """Description of an app (by name or client id), as a fresh dict."""
        app = self.directory.app_by_name(name)
        if app is None:
            raise KeyError("no app named %r" % name)
        described = {k: v for k, v in app.items() if k not in ("certificates", "certificate")}
        if app["name"] in self.app_keys:
            described["certificate_thumbprint"] = self.app_keys[app["name"]].thumbprint
            described["certificate_path"] = os.path.join(self._dir, app["name"] + ".pem")
        return described

    def client_credential(self, name: str) -> Union[str, Dict[str, str], None]:
        """What msal's `client_credential` wants for the app: a secret, a cert dict, or None."""
        app = self.app(name)
        pair = self.app_keys.get(app["name"])
        if pair is not None:
            return {
                "private_key": pair.key_pem,
                "thumbprint": pair.thumbprint,
                "public_certificate": pair.cert_pem,
            }
        return app.get("client_secret")

    def describe_directory(self) -> Dict[str, Any]:
        """The directory as scripts want it: tenants, apps with their credentials, users."""
        tenants = [
            {k: t[k] for k in ("id", "domain", "display_name", "kind", "host", "domains") if k in t}
            for t in self.directory.tenants
        ]
        return {
            "authority": "https://login.microsoftonline.com/" + self.tenant_id,
            "ca_path": self.ca_path,
            "state_dir": self._dir,
            "default_tenant": self.tenant_id,
            "tenants": tenants,
            "apps": [self.app(a["name"]) for a in self.directory.apps],
            "users": [
                {k: u.get(k) for k in ("username", "password", "oid", "name", "tenant")}
                for u in self.directory.users
            ],
        }

    def user(self, name: str) -> Dict[str, Any]:
        user = self.directory.user(name)
        if user is None:
            raise KeyError("no user named %r" % name)
        return dict(user)

    # ---- request handling ------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        """Route one request; Entra-shaped JSON for errors, echoing client-request-id."""
        correlation = req.headers.get("client-request-id")
        echo = [("client-request-id", correlation)] if correlation else []
        handler, groups, known = self.router.match(req.method, req.path)
        try:
            if handler is None:
                status = 405 if known else 404
                return json_response(
                    {"error": "not_found" if status == 404 else "method_not_allowed", "path": req.path},
                    status,
                    echo,
                )
            resp = handler(self, req, **groups)
        except errors.EntraError as exc:
            return json_response(errors.error_body(exc, self.clock(), correlation), exc.status, echo)
        except Exception:  # a bug in the emulator: tell the client plainly, keep the trace
            self.errors.append(traceback.format_exc())
            failure = errors.EntraError(
                "server_error", 50000, "There was an error issuing a token.", status=500
            )
            return json_response(errors.error_body(failure, self.clock(), correlation), 500, echo)
        resp.headers.extend(echo)
        return resp

    def clear_requests(self) -> None:
        self.requests.clear()

    def log_refusal(self, method: str, target: str, reason: str, status: int) -> None:
        """A request the proxy refused goes to the request log like any other."""
        entry = requestlog.refusal_entry(method, target, reason, status)
        entry["time"] = time.time()
        self.requests.append(entry)
        requestlog.emit(entry)

    # ---- test controls: faults, federation metadata, device code timing --------------

    def inject(self, kind: str, endpoint: Optional[str] = None, **options: Any) -> Fault:
        """Make an endpoint misbehave; same as `faults.add` (see msal_emulator.faults)."""
        return self.faults.add(kind, endpoint, **options)

    def clear_faults(self) -> None:
        self.faults.clear()

    def mex_document(self, base_url: Optional[str] = None, versions: Iterable[str] = ("13", "2005")) -> str:
        """The MEX text the emulated ADFS serves; `versions` picks the username endpoints."""
        return mex_document.render(base_url or self.base_url, versions)

    def set_mex_document(self, text: str) -> None:
        """Serve this text (e.g. a broken document) at /adfs/services/trust/mex from now on."""
        self.mex_override = text

    def reset_mex(self) -> None:
        self.mex_override = None

    def reset_overrides(self) -> None:
        """Undo the test controls: faults, the MEX document, device code timing, `refresh_in`."""
        self.clear_faults()
        self.reset_mex()
        self.device_code_interval = self.directory.device_code["interval"]
        self.device_code_expires_in = self.directory.device_code["expires_in"]
        self.refresh_in = None
        if self._managed_identity is not None:
            self._managed_identity.reset()

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
    def managed_identity(self) -> managed_identity.ManagedIdentityHost:
        """The managed identity sources: a plain-HTTP listener started on first use."""
        if self._managed_identity is None:
            self._managed_identity = managed_identity.new_host(self, os.path.join(self._dir, "mi"))
        return self._managed_identity

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

    def http_client(self) -> "requests.Session":
        """A requests.Session that reaches this emulator as login.microsoftonline.com etc."""
        from .httpclient import emulator_session

        return emulator_session(self)
