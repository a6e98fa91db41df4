"""A one-shot loopback redirect listener for native apps (RFC 8252 §7.3).

The redirect URI says ``http://localhost:<port>``, as Entra expects for loopback. The listener
holds that port on 127.0.0.1 and, where the machine has IPv6 loopback, on ::1 too, so whichever
address the browser picks for ``localhost`` reaches this listener and no other process. It never
listens beyond loopback.

Connections are served side by side in the caller's thread, so an idle connection (a browser's
speculative preconnect, any local process) never holds up the real redirect, and the wait always
ends at its deadline. Requests are read within fixed bounds and answered with a small page. The
first response whose ``state`` matches is kept; others are refused and ignored.
"""

from __future__ import annotations

import errno
import html
import re
import selectors
import socket
import sys
import time
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

SUCCESS_PAGE = "<h1>Signed in</h1><p>You can close this window and return to the application.</p>"
FAILURE_PAGE = "<h1>Sign-in failed</h1><p>{error}: {description}</p><p>You can close this window.</p>"
REFUSED_PAGE = "<h1>Unexpected response</h1><p>This response does not belong to a sign-in in progress.</p>"
BAD_REQUEST_PAGE = "<h1>Bad request</h1><p>The listener could not read this request.</p>"

MAX_HEAD = 16 * 1024  # Request line and headers; the redirect's query string fits easily
MAX_FORM = 1 << 20  # A response_mode=form_post body
MAX_CONNECTIONS = 32  # Open at once; beyond that the oldest is dropped
POLL = 1.0  # Longest single wait, so that Ctrl+C is seen on every platform
_DIGITS = re.compile(r"[0-9]{1,10}")
_NO_IPV6 = (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, getattr(errno, "EPROTONOSUPPORT", -1))


class _BadRequest(Exception):
    """The request cannot be read within the listener's bounds."""


def set_exclusive_bind(sock: Any, platform: str = sys.platform) -> None:
    """Make sure no other socket can bind the same port while this one holds it.

    On Windows SO_REUSEADDR would let a second process bind a port already in use, so it is
    never set there; SO_EXCLUSIVEADDRUSE forbids that sharing. Elsewhere SO_REUSEADDR only allows
    rebinding over connections in TIME_WAIT (a fixed port reused at once), never over a listener.
    """
    if platform == "win32":
        # ~SO_REUSEADDR in Winsock, for Pythons that do not name the option
        sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_EXCLUSIVEADDRUSE", ~4), 1)
    else:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)


def _listen(family: int, host: str, port: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        set_exclusive_bind(sock)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.listen(16)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _in_use(port: Optional[int]) -> OSError:
    return OSError(
        errno.EADDRINUSE,
        "Port {} on localhost is already in use: choose another "
        "port, or leave port=None for a free one".format(port),
    )


def _listen_on_loopback(port: Optional[int]) -> List[socket.socket]:
    """127.0.0.1 and, where it exists, ::1 on one port (``port`` or a free one)."""
    for _ in range(1 if port else 20):  # A free IPv4 port may be taken on ::1: try another
        try:
            first = _listen(socket.AF_INET, "127.0.0.1", port or 0)
        except OSError as exc:
            raise _in_use(port) if exc.errno == errno.EADDRINUSE else exc
        try:
            return [first, _listen(socket.AF_INET6, "::1", first.getsockname()[1])]
        except OSError as exc:
            if exc.errno in _NO_IPV6 or not socket.has_ipv6:
                return [first]  # No IPv6 loopback here: localhost can only be 127.0.0.1
            first.close()
            if exc.errno != errno.EADDRINUSE:
                raise
    raise _in_use(port)


def _split_head(head: bytes) -> Tuple[str, str, Dict[str, List[str]]]:
    """Method, target and headers (lower-case names) of a request head."""
    lines = head.decode("latin-1").split("\n")
    parts = lines[0].strip().split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise _BadRequest("malformed request line")
    headers: Dict[str, List[str]] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if line.strip() and not colon:
            raise _BadRequest("malformed header")
        if colon:
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    return parts[0], parts[1], headers


def _body_length(method: str, headers: Dict[str, List[str]]) -> int:
    """Bytes of body to read: a form for POST, none otherwise; anything unusual is refused."""
    if "transfer-encoding" in headers:
        raise _BadRequest("unsupported transfer encoding")
    values = set(headers.get("content-length", []))
    if len(values) > 1 or not all(_DIGITS.fullmatch(v) for v in values):
        raise _BadRequest("invalid Content-Length")
    length = int(values.pop()) if values else 0
    if length > (MAX_FORM if method == "POST" else 0):
        raise _BadRequest("body too large")
    return length


class _Request(object):
    """Bytes received on one connection, until they make a whole request."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.data = sock, b""
        self.head: Optional[Tuple[str, str, Dict[str, List[str]]]] = None
        self.body_at = self.length = 0

    def feed(self, chunk: bytes) -> Optional[Dict[str, List[str]]]:
        """The request's parameters once it is complete, else None; _BadRequest if it is not."""
        self.data += chunk
        if self.head is None:
            end = self.data.find(b"\r\n\r\n")
            if end < 0 and len(self.data) > MAX_HEAD or end > MAX_HEAD:
                raise _BadRequest("request head too large")
            if end < 0:
                return None
            self.head, self.body_at = _split_head(self.data[:end]), end + 4
            self.length = _body_length(self.head[0], self.head[2])
        if len(self.data) < self.body_at + self.length:
            return None
        method, target, _ = self.head
        if method == "GET":
            return parse_qs(urlsplit(target).query)
        if method == "POST":
            body = self.data[self.body_at : self.body_at + self.length]
            return parse_qs(body.decode("utf-8", "replace"))
        raise _BadRequest("unsupported method")


def _page(status: str, body: str) -> bytes:
    data = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Sign-in</title></head>"
        "<body>{}</body></html>".format(body)
    ).encode("utf-8")
    head = (
        "HTTP/1.1 {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n"
        "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
    ).format(status, len(data))
    return head.encode("ascii") + data


class LoopbackListener(object):
    """Binds ``port`` on loopback (0 or None picks a free one) as soon as it is created."""

    def __init__(self, port: Optional[int] = None) -> None:
        self._listeners = _listen_on_loopback(port)
        self.port: int = self._listeners[0].getsockname()[1]
        self.addresses: List[Tuple[str, int]] = [
            sock.getsockname()[:2] for sock in self._listeners
        ]  # (host, port) listened on
        self._requests: Dict[socket.socket, _Request] = {}  # Oldest first
        self._result: Optional[Dict[str, str]] = None

    @property
    def redirect_uri(self) -> str:
        return "http://localhost:{}".format(self.port)

    def wait_for_response(self, state: str, timeout: Optional[float] = None) -> Optional[Dict[str, str]]:
        """The parameters of the matching response, or None when ``timeout`` seconds pass."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            for sock in self._listeners:
                selector.register(sock, selectors.EVENT_READ)
            try:
                while self._result is None:
                    remaining = POLL if deadline is None else deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    for key, _ in selector.select(min(remaining, POLL)):
                        self._on_ready(selector, key.fileobj, state)  # type: ignore[arg-type]
            finally:
                self._drop_all(selector)
        return self._result

    def _on_ready(self, selector: selectors.BaseSelector, sock: socket.socket, state: str) -> None:
        if sock in self._listeners:
            return self._accept(selector, sock)
        request = self._requests[sock]
        try:
            chunk = sock.recv(65536)
            params = request.feed(chunk) if chunk else None
        except _BadRequest:
            return self._finish(selector, sock, _page("400 Bad Request", BAD_REQUEST_PAGE))
        except OSError:
            return self._drop(selector, sock)
        if not chunk:
            return self._drop(selector, sock)  # Closed by the peer before a whole request
        if params is not None:
            self._finish(selector, sock, self._answer(params, state))

    def _accept(self, selector: selectors.BaseSelector, listener: socket.socket) -> None:
        try:
            sock, _ = listener.accept()
        except OSError:
            return  # Gone before we got to it
        sock.setblocking(False)
        if len(self._requests) >= MAX_CONNECTIONS:
            self._drop(selector, next(iter(self._requests)))
        self._requests[sock] = _Request(sock)
        selector.register(sock, selectors.EVENT_READ)

    def _answer(self, query: Dict[str, List[str]], state: str) -> bytes:
        """Keep the first response for our ``state``; the page the browser shows."""
        params = {k: v[0] for k, v in query.items()}
        if not params or params.get("state") != state or self._result is not None:
            return _page("400 Bad Request", REFUSED_PAGE)
        self._result = params
        if "error" in params:
            return _page(
                "200 OK",
                FAILURE_PAGE.format(
                    error=html.escape(params["error"]),
                    description=html.escape(params.get("error_description", "")),
                ),
            )
        return _page("200 OK", SUCCESS_PAGE)

    def _finish(self, selector: selectors.BaseSelector, sock: socket.socket, page: bytes) -> None:
        try:
            sock.sendall(page)  # A small page fits the socket's buffer: no wait
        except OSError:
            pass  # The browser went away; nothing more to tell it
        self._drop(selector, sock)

    def _drop(self, selector: selectors.BaseSelector, sock: socket.socket) -> None:
        selector.unregister(sock)
        del self._requests[sock]
        sock.close()

    def _drop_all(self, selector: selectors.BaseSelector) -> None:
        for sock in list(self._requests):
            self._drop(selector, sock)

    def close(self) -> None:
        for sock in self._listeners:
            sock.close()

    def __enter__(self) -> "LoopbackListener":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
