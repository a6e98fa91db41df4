"""Service Fabric's token service: HTTPS with a certificate known by its thumbprint only.

The cluster's certificate is usually self-signed, so it is trusted when its SHA-1 thumbprint
equals ``IDENTITY_SERVER_THUMBPRINT``, checked during the TLS handshake, before the request
(and its ``Secret`` header) is sent. That needs control of the connection, hence a
``requests.Session`` derived from the caller's (headers, proxies and the like carried over).
"""

from __future__ import annotations

import re
from typing import Any

from ..oauth2cli.http import HttpClientProtocol
from .errors import ManagedIdentityError


def normalize_thumbprint(value: str) -> str:
    """Upper-case hex without separators; a ManagedIdentityError when it is no SHA-1 hex."""
    text = re.sub(r"[\s:]", "", value or "").upper()
    if not re.fullmatch(r"[0-9A-F]{40}", text):
        raise ManagedIdentityError(
            "IDENTITY_SERVER_THUMBPRINT must be the 40 hex digits of a SHA-1 thumbprint"
        )
    return text


def pinned_session(http_client: HttpClientProtocol, thumbprint: str) -> HttpClientProtocol:
    """A session like the caller's whose HTTPS connections accept only that certificate."""
    import requests
    from requests.adapters import HTTPAdapter

    base = getattr(http_client, "_session", http_client)  # msal's own client wraps a Session
    if not isinstance(base, requests.Session):
        raise ManagedIdentityError(
            "Service Fabric managed identity needs a requests.Session as http_client, "
            "to check the endpoint's certificate thumbprint"
        )
    fingerprint = normalize_thumbprint(thumbprint)

    class PinnedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["assert_fingerprint"] = fingerprint
            super().init_poolmanager(*args, **kwargs)

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            """The thumbprint stands in for the CA chain."""
            super().cert_verify(conn, url, False, cert)  # type: ignore[no-untyped-call]

    session = requests.Session()
    session.headers.update(base.headers)
    session.proxies.update(base.proxies)
    session.trust_env = base.trust_env
    session.mount("https://", PinnedAdapter())
    return session
