"""The lifecycle of an emulator: its state directory, CA and TLS certificate, the HTTPS
server and the proxy (start/stop), and the managed identity listener."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import ssl
import struct
import sys
import tempfile
import threading
import traceback
import weakref
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Optional, Set, Tuple
from urllib.parse import urlsplit

from . import certs
from .dispatch import Abort
from .endpoints import managed_identity
from .endpoints.managed_identity import ManagedIdentityHost
from .http import Request, Response, parse_pairs

if TYPE_CHECKING:  # pragma: no cover
    from .server import Emulator

SERVER_PAIR_FILE = "server.pem"  # key and certificate of the HTTPS server


class RequestHandler(BaseHTTPRequestHandler):
    """One connection: read each request, answer what the emulator's dispatch says."""

    server: "HTTPSServer"
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

    def _read_request(self) -> Optional[Request]:
        """The request; None when its Content-Length is no byte count (answered 400)."""
        parts = urlsplit(self.path)
        text = (self.headers.get("Content-Length") or "0").strip()
        if not text.isdigit():
            self.send_error(400, "Bad Request", "the Content-Length header is not a number of bytes")
            return None
        length = int(text)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        form = {}
        if "application/x-www-form-urlencoded" in headers.get("content-type", ""):
            form = parse_pairs(body.decode("utf-8", "replace"))
        host = headers.get("host") or "localhost:%d" % self.server.server_port
        return Request(self.command, parts.path, host, parse_pairs(parts.query), form, headers, body)

    def _dispatch(self) -> None:
        req = self._read_request()
        if req is None:
            return
        answer = self.server.emulator.dispatch.serve(req)
        if isinstance(answer, Abort):
            self._abort(answer.reset)
        else:
            self._answer(answer)

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


class HTTPSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: Tuple[str, int], emulator: "Emulator", context: Optional[ssl.SSLContext]
    ) -> None:
        """``context`` None: plain HTTP (the managed identity listener)."""
        self.emulator, self.context = emulator, context
        self.aborted: Set[Any] = set()
        self.aborted_lock = threading.Lock()
        super().__init__(address, RequestHandler)

    def get_request(self) -> Tuple[Any, Any]:
        sock, addr = super().get_request()
        if self.context is None:
            return sock, addr
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Aborted handshakes and dropped connections are normal for a test server; anything
        else is a bug of the emulator, recorded like a handler's (the client got no answer)."""
        if not isinstance(sys.exc_info()[1], OSError):
            self.emulator.record_internal_error(traceback.format_exc())

    def shutdown_request(self, request: Any) -> None:
        """Aborted connections are closed without the usual FIN-first shutdown."""
        with self.aborted_lock:
            aborted = request in self.aborted
            self.aborted.discard(request)
        if aborted:
            self.close_request(request)
        else:
            super().shutdown_request(request)


def serve_in_background(server: Any, name: str) -> threading.Thread:
    """Run a listener's accept loop in a daemon thread (polled often, so stop() is quick)."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    return thread


def _listen(what: str, port: int, make: Callable[[], Any]) -> Any:
    """Open a listener; a port in use is said plainly, naming which one."""
    try:
        return make()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise OSError(exc.errno, "the %s port %d is already in use" % (what, port)) from None
        raise


class Lifecycle:
    """Start and stop the listeners; own the state directory, the CA and the TLS certificate."""

    def __init__(
        self,
        emulator: "Emulator",
        port: int,
        proxy_port: Optional[int],
        upstream: Iterable[str],
        state_dir: Optional[str],
    ) -> None:
        self._emulator = emulator
        self.requested_port = port
        self.requested_proxy_port = proxy_port
        self.upstream: List[str] = list(upstream)
        self._server: Optional[HTTPSServer] = None
        self._thread: Optional[threading.Thread] = None
        self._proxy: Optional[Any] = None
        self._proxy_thread: Optional[threading.Thread] = None
        self._managed_identity: Optional[ManagedIdentityHost] = None
        self.state_dir, self._cleanup = self._make_state_dir(state_dir)
        self.ca = certs.CertificateAuthority(
            pair=certs.stored_pair(self.state_dir, "ca-key.pem", lambda: certs.CertificateAuthority().pair)
        )
        self.server_pair = certs.stored_pair(
            self.state_dir,
            SERVER_PAIR_FILE,
            lambda: self.ca.issue("localhost", certs.SERVER_NAMES, server=True),
            self.ca.pair,
        )
        self.ca_path = certs.write_text(self.state_dir, "ca.pem", self.ca.cert_pem)

    def _make_state_dir(self, state_dir: Optional[str]) -> Tuple[str, Callable[[], Any]]:
        """The given directory, kept (so the CA and certificates survive restarts), or a
        temporary one deleted by close()."""
        if state_dir:
            os.makedirs(state_dir, exist_ok=True)
            return state_dir, lambda: None
        path = tempfile.mkdtemp(prefix="msal-emulator-")
        return path, weakref.finalize(self, shutil.rmtree, path, True)

    def start(self) -> None:
        if self._server is not None:
            return
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(self.state_dir, SERVER_PAIR_FILE))
        self._server = _listen(
            "HTTPS (--port)",
            self.requested_port,
            lambda: HTTPSServer(("127.0.0.1", self.requested_port), self._emulator, context),
        )
        self._thread = serve_in_background(self._server, "msal-emulator")
        proxy_port = self.requested_proxy_port
        if proxy_port is not None:
            from . import proxy

            self._proxy, self._proxy_thread = _listen(
                "proxy (--proxy-port)",
                proxy_port,
                lambda: proxy.start(self._emulator, proxy_port, self.upstream),
            )

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

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            return self.requested_port
        return self._server.server_address[1]

    @property
    def proxy_port(self) -> Optional[int]:
        if self._proxy is None:
            return self.requested_proxy_port
        port: int = self._proxy.server_address[1]
        return port

    @property
    def https_server(self) -> HTTPSServer:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return self._server

    @property
    def managed_identity(self) -> ManagedIdentityHost:
        """The managed identity sources: a plain-HTTP listener started on first use."""
        if self._managed_identity is None:
            self._managed_identity = managed_identity.new_host(
                self._emulator, os.path.join(self.state_dir, "mi")
            )
        return self._managed_identity

    @property
    def managed_identity_started(self) -> Optional[ManagedIdentityHost]:
        """The managed identity listener if it was started, else None."""
        return self._managed_identity
