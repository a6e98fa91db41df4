"""The HTTPS proxy mode: unmodified apps reach the emulator under the real login host names.

An app started with ``HTTPS_PROXY=http://127.0.0.1:<proxy port>`` sends ``CONNECT
login.microsoftonline.com:443`` here. For the identity platform's hosts the proxy answers the
TLS itself, with a certificate for that host issued on the fly by the emulator's CA, and hands
the decrypted stream to the emulator's HTTPS request handler. Other hosts are refused (the
emulator is offline by design) unless an ``upstream`` pattern allows them; those are tunnelled.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import re
import selectors
import socket
import socketserver
import ssl
import threading
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Tuple

from . import certs
from .lifecycle import serve_in_background
from .routing import is_proxied_host

if TYPE_CHECKING:  # pragma: no cover
    from .server import Emulator

log = logging.getLogger("msal_emulator.proxy")
MAX_HEADER_LINE = 8192
MAX_HEADERS = 100
RELAY_CHUNK = 65536
UPSTREAM_TIMEOUT = 10
IDLE_TIMEOUT = 300
TLS_HANDSHAKE_RECORD = b"\x16"


class ProxyRefusal(Exception):
    """A CONNECT the proxy will not serve: the status line's code and reason say why."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def split_target(target: str) -> Tuple[str, int]:
    """`host:port` of a CONNECT line (IPv6 in brackets; some clients, msal-node among them,
    leave the port 443 out); ValueError when it is not one."""
    host, sep, port = target.rpartition(":")
    if not sep or host.endswith(":") or (target.startswith("[") and not host.endswith("]")):
        host, port = target, "443"
    if not host or not port.isdigit() or not re.fullmatch(r"[\w.\-\[\]:]+", host):
        raise ValueError("not host:port")
    return host.strip("[]").lower(), int(port)


def upstream_allows(patterns: Iterable[str], host: str, port: int) -> bool:
    """Shell-style patterns, for the host (`*.example.com`) or the host and port (`h:8443`)."""
    return any(
        fnmatch.fnmatch(host, p.lower()) or fnmatch.fnmatch("%s:%d" % (host, port), p.lower())
        for p in patterns
    )


class HostCertificates:
    """TLS contexts for the proxied hosts, each with a certificate for that one host.

    The certificates share one key, so issuing one on first use costs a signature only.
    """

    def __init__(self, ca: certs.CertificateAuthority, directory: str):
        self._ca, self._dir = ca, directory
        self._key = certs.new_rsa_key()
        self._contexts: Dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def context(self, host: str) -> ssl.SSLContext:
        with self._lock:
            found = self._contexts.get(host)
            if found is None:
                found = self._contexts[host] = self._new_context(host)
            return found

    def _new_context(self, host: str) -> ssl.SSLContext:
        pair = self._ca.issue(host, [host], server=True, key=self._key)
        path = os.path.join(self._dir, "proxy-%s.pem" % host.replace("*", "_"))
        certs.write_text(self._dir, os.path.basename(path), pair.key_pem + pair.cert_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(path)
        context.set_alpn_protocols(["http/1.1"])
        return context


class _ProxyHandler(socketserver.StreamRequestHandler):
    rbufsize = 0  # unbuffered: the TLS handshake that follows CONNECT must stay on the socket

    def handle(self) -> None:
        proxy: ProxyServer = self.server  # type: ignore[assignment]
        method, target = "-", ""
        try:
            method, target = self._read_head()
            if method != "CONNECT":
                raise ProxyRefusal(
                    405, "msal-emulator proxies HTTPS only (CONNECT); %s %s refused" % (method, target[:100])
                )
            host, port = self._target(target)
            if port == 443 and is_proxied_host(host, proxy.emulator.directory):
                return self._serve(host)
            if upstream_allows(proxy.upstream, host, port):
                return self._tunnel(host, port)
            raise ProxyRefusal(
                403,
                "%s:%d is not an identity platform host; msal-emulator is "
                "offline (allow it with --upstream)" % (host, port),
            )
        except ProxyRefusal as refusal:
            proxy.emulator.log_refusal(method, target, refusal.reason, refusal.status)
            self._status(refusal.status, refusal.reason)

    def _read_head(self) -> Tuple[str, str]:
        line = self.rfile.readline(MAX_HEADER_LINE).decode("latin-1").split()
        if len(line) != 3:
            raise ProxyRefusal(400, "Bad request line for the msal-emulator proxy")
        for _ in range(MAX_HEADERS):
            if self.rfile.readline(MAX_HEADER_LINE) in (b"\r\n", b"\n", b""):
                return line[0].upper(), line[1]
        raise ProxyRefusal(400, "Too many headers for the msal-emulator proxy")

    @staticmethod
    def _target(target: str) -> Tuple[str, int]:
        try:
            return split_target(target)
        except ValueError:
            raise ProxyRefusal(400, "CONNECT needs host:port, not %r" % target[:100])

    def _status(self, status: int, reason: str) -> None:
        body = (reason + "\n").encode()
        self.connection.sendall(
            b"HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: "
            b"%d\r\nConnection: close\r\n\r\n%s"
            % (status, reason.encode("ascii", "replace"), len(body), body)
        )

    def _serve(self, host: str) -> None:
        """Answer the TLS as `host` and let the emulator's HTTPS handler read the requests.

        msal-node (3.x) writes its request in clear text into the tunnel; a tunnel that does
        not start with a TLS record is served as plain HTTP for it.
        """
        proxy: ProxyServer = self.server  # type: ignore[assignment]
        self.connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.connection.settimeout(UPSTREAM_TIMEOUT * 3)
        try:
            first = self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        stream: socket.socket = self.connection
        if first == TLS_HANDSHAKE_RECORD:
            stream = proxy.certificates.context(host).wrap_socket(
                self.connection, server_side=True, do_handshake_on_connect=False
            )
        elif not first:
            return
        https = proxy.emulator.https_server
        try:
            https.finish_request(stream, self.client_address)
        except (OSError, ssl.SSLError):
            pass  # the client went away or gave up on the handshake
        finally:
            https.shutdown_request(stream)

    def _tunnel(self, host: str, port: int) -> None:
        try:
            upstream = socket.create_connection((host, port), timeout=UPSTREAM_TIMEOUT)
        except OSError as exc:
            raise ProxyRefusal(
                502, "msal-emulator could not reach %s:%d (%s)" % (host, port, exc.strerror or exc)
            )
        with upstream:
            self.connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            relay(self.connection, upstream)


def relay(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until one side closes."""
    peers = {a: b, b: a}
    with selectors.DefaultSelector() as selector:
        for sock in peers:
            sock.setblocking(True)
            selector.register(sock, selectors.EVENT_READ)
        while True:
            ready = selector.select(timeout=IDLE_TIMEOUT)
            if not ready:
                return
            for key, _ in ready:
                try:
                    data = key.fileobj.recv(RELAY_CHUNK)  # type: ignore[union-attr]
                    if not data:
                        return
                    peers[key.fileobj].sendall(data)  # type: ignore[index]
                except OSError:
                    return


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: Tuple[str, int], emulator: "Emulator", upstream: List[str]) -> None:
        self.emulator, self.upstream = emulator, list(upstream)
        self.certificates = HostCertificates(emulator.ca, emulator.state_dir)
        super().__init__(address, _ProxyHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # dropped connections are normal for a proxy


def start(emulator: "Emulator", port: int, upstream: Iterable[str]) -> Tuple[ProxyServer, threading.Thread]:
    server = ProxyServer(("127.0.0.1", port), emulator, list(upstream))
    return server, serve_in_background(server, "msal-emulator-proxy")
