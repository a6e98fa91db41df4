"""The HTTP contract that MSAL's protocol layer needs, and nothing else.

Any object with ``post`` and ``get`` methods shaped like these can be given to an
application as ``http_client``; ``requests.Session`` already is one.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional


class HttpClient(object):
    """The abstract HTTP client an application talks through.

    Implementers owe two methods. Each returns an object shaped like :class:`Response`
    and may raise on a failed connection; MSAL does not catch the implementer's errors.
    """

    def post(self, url: str, params: Optional[Mapping[str, Any]] = None,
             data: Any = None, headers: Optional[Mapping[str, str]] = None,
             **kwargs: Any) -> "Response":
        """Send an HTTP POST; ``data`` is a dict to be form-encoded or a string."""
        raise NotImplementedError("Your implementation should return a Response object")

    def get(self, url: str, params: Optional[Mapping[str, Any]] = None,
            headers: Optional[Mapping[str, str]] = None, **kwargs: Any) -> "Response":
        """Send an HTTP GET."""
        raise NotImplementedError("Your implementation should return a Response object")


class Response(object):
    """What an :class:`HttpClient` returns: a status code, a text body and headers."""

    status_code: int = 200
    text: str = ""
    headers: Mapping[str, str] = {}

    def raise_for_status(self) -> None:
        """Raise an exception when ``status_code`` says the request failed."""
        raise NotImplementedError("Your implementation should provide this")


def redirect_of(resp: Any) -> Optional[str]:
    """Why an answer must not be used because it is, or came through, an HTTP redirect; else None.

    Credentials are posted to the endpoints the authority names and nowhere else, so a 3xx is
    an error rather than an instruction. An ``http_client`` that follows redirects by itself
    (``requests.Session`` does) has already re-sent the request: its answer is still refused,
    so that nothing obtained that way reaches the cache.
    """
    status = getattr(resp, "status_code", None)
    if isinstance(status, int) and 300 <= status < 400:
        return "HTTP {} redirect to {!r}, which is never followed".format(
            status, _location(getattr(resp, "headers", None)))
    history = getattr(resp, "history", None)
    if isinstance(history, (list, tuple)) and history:
        return "an answer reached through an HTTP redirect to {!r}, which is not trusted".format(
            getattr(resp, "url", None))
    return None


def _location(headers: Any) -> Optional[str]:
    try:
        location = headers.get("Location") if headers is not None else None
    except Exception:  # A custom client's headers object may be anything
        return None
    return location if isinstance(location, str) else None
