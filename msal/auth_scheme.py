"""Proof-of-Possession (PoP) access tokens: the scheme that asks for one.

A PoP token is bound to one HTTP request (method, URL and the resource's nonce). Only a broker
can sign such requests, and this package ships none: a call given an ``auth_scheme`` answers
with a clear error instead of handing out a bearer token the caller did not ask for.
"""

from __future__ import annotations

from typing import Optional, Tuple
from urllib.parse import urlparse

from .oauth2cli.tolerant import tolerant


class PopAuthScheme(object):
    """Which request a Proof-of-Possession token is for."""

    HTTP_GET = "GET"
    HTTP_POST = "POST"
    HTTP_PUT = "PUT"
    HTTP_DELETE = "DELETE"
    HTTP_PATCH = "PATCH"

    def __init__(
        self, http_method: Optional[str] = None, url: Optional[str] = None, nonce: Optional[str] = None
    ) -> None:
        """Describe the request a PoP token is for; all three parameters are required.

        :param str http_method: An upper-case HTTP verb such as ``"GET"``, as the signed HTTP
            request draft requires.
        :param str url: The URL to be signed.
        :param str nonce: The nonce from the resource's challenge.
        """
        if not (http_method and url and nonce):
            raise ValueError("All http_method, url and nonce are required parameters")
        if http_method != http_method.upper():
            raise ValueError(
                "http_method must be upper case, such as 'GET' (draft-ietf-oauth-"
                "signed-http-request-03, section 3)"
            )
        self._http_method = http_method
        self._url = urlparse(url)
        self._nonce = nonce

    @tolerant
    def __repr__(self) -> str:
        return "PopAuthScheme({!r}, {!r})".format(self._http_method, self._url.geturl())

    @property
    def request(self) -> Tuple[str, str]:
        """The (method, URL) pair the token is to be bound to."""
        return self._http_method, self._url.geturl()


def unsupported(auth_scheme: object) -> None:
    """Refuse a PoP request: no broker here can bind a token to it."""
    if auth_scheme is not None:
        raise ValueError(
            "auth_scheme (Proof-of-Possession tokens) needs a broker, and this package ships "
            "none; leave auth_scheme unset to get a bearer token"
        )
