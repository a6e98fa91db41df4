"""A one-shot loopback redirect listener for native apps (RFC 8252 §7.3).

It listens on 127.0.0.1 only, accepts the first response whose ``state`` matches, shows the
user a short page, and stops. Responses with another state are refused and ignored.
"""
from __future__ import annotations

import errno
import html
import socket
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs, urlparse

SUCCESS_PAGE = "<h1>Signed in</h1><p>You can close this window and return to the application.</p>"
FAILURE_PAGE = "<h1>Sign-in failed</h1><p>{error}: {description}</p><p>You can close this window.</p>"
REFUSED_PAGE = "<h1>Unexpected response</h1><p>This response does not belong to a sign-in in progress.</p>"


class _Server(HTTPServer):
    expected_state: Optional[str] = None
    result: Optional[Dict[str, str]] = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (the http.server naming)
        self._handle(parse_qs(urlparse(self.path).query))

    def do_POST(self) -> None:  # noqa: N802  (response_mode=form_post)
        length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
        self._handle(parse_qs(self.rfile.read(length).decode("utf-8", "replace")))

    def _handle(self, query: Dict[str, List[str]]) -> None:
        params = {k: v[0] for k, v in query.items()}
        if not params or params.get("state") != self.server.expected_state or self.server.result:
            return self._reply(400, REFUSED_PAGE)
        self.server.result = params
        if "error" in params:
            self._reply(200, FAILURE_PAGE.format(
                error=html.escape(params["error"]),
                description=html.escape(params.get("error_description", ""))))
        else:
            self._reply(200, SUCCESS_PAGE)

    def _reply(self, status: int, body: str) -> None:
        data = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Sign-in</title></head>"
                "<body>{}</body></html>".format(body)).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # The query string carries the authorization code: never log it


class LoopbackListener(object):
    """Binds 127.0.0.1:``port`` (0 picks a free one) as soon as it is created."""

    def __init__(self, port: Optional[int] = None) -> None:
        try:
            self._server = _Server(("127.0.0.1", port or 0), _Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OSError(exc.errno, "Port {} on 127.0.0.1 is already in use: choose another "
                                         "port, or leave port=None for a free one".format(port))
            raise
        self.port: int = self._server.server_address[1]

    @property
    def redirect_uri(self) -> str:
        return "http://localhost:{}".format(self.port)

    def wait_for_response(self, state: str, timeout: Optional[float] = None
                          ) -> Optional[Dict[str, str]]:
        """The parameters of the matching response, or None when ``timeout`` seconds pass."""
        self._server.expected_state = state
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._server.result is None:
            remaining = 1.0 if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._server.timeout = min(remaining, 1.0)
            try:
                self._server.handle_request()
            except socket.error:
                continue
        return self._server.result

    def close(self) -> None:
        self._server.server_close()

    def __enter__(self) -> "LoopbackListener":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
