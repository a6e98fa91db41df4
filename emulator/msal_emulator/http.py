"""Tiny request/response types the endpoints take and give (routes are in routes.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl


@dataclass
class Request:
    method: str
    path: str
    host: str
    query: Dict[str, str]
    form: Dict[str, str]
    headers: Dict[str, str]  # lower-case names
    body: bytes = b""

    @property
    def base_url(self) -> str:
        """Where the client believes it is talking to; URLs we hand out use the same host."""
        return "https://" + self.host

    @property
    def hostname(self) -> str:
        return self.host.rsplit(":", 1)[0] if not self.host.endswith("]") else self.host

    @property
    def cookies(self) -> Dict[str, str]:
        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is simply ignored, like browsers do
            return {}
        return {k: m.value for k, m in jar.items()}

    def param(self, name: str) -> Optional[str]:
        """A form field, else a query parameter (endpoints accept both, as Entra does)."""
        return self.form.get(name, self.query.get(name))

    def log_entry(self) -> Dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "host": self.host,
            "query": dict(self.query),
            "form": dict(self.form),
            "headers": dict(self.headers),
        }


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: List[Tuple[str, str]] = field(default_factory=list)


def parse_pairs(text: str) -> Dict[str, str]:
    """Form or query text as a dict; the last value of a repeated name wins."""
    return dict(parse_qsl(text, keep_blank_values=True))


def json_response(obj: Any, status: int = 200, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    body = json.dumps(obj).encode()
    base = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("Cache-Control", "no-store, no-cache"),
        ("Pragma", "no-cache"),
    ]
    return Response(status, body, base + list(headers or []))


def html_response(html: str, status: int = 200, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    return Response(
        status,
        html.encode(),
        [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")] + list(headers or []),
    )


def redirect(location: str, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    return Response(302, b"", [("Location", location), ("Cache-Control", "no-store")] + list(headers or []))


Handler = Callable[..., Response]
