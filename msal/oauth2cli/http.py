"""The HTTP contract that MSAL's protocol layer needs, and the one reader of its JSON answers.

Internally every HTTP client is typed as :class:`HttpClientProtocol` and every answer as
:class:`ResponseProtocol` (stated in :mod:`.contract`, re-exported here): anything shaped like
them will do (``requests.Session`` does).
:class:`HttpClient` and :class:`Response` are the documented abstract classes an application
may subclass; they stay instantiable, as in the original library, so they are not the protocols
themselves (a ``typing.Protocol`` cannot be instantiated) but declare that they implement them.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from . import jsontext
from .contract import HttpClientProtocol, ResponseProtocol

__all__ = [
    "HttpClient",
    "HttpClientProtocol",
    "Response",
    "ResponseProtocol",
    "read_json_object",
    "invalid_response",
    "redirect_of",
    "INVALID_RESPONSE",
    "HTTP_ERROR",
]

# The protocol layer's own error codes (msal.exceptions lists every code the library makes up)
INVALID_RESPONSE = "invalid_response"
HTTP_ERROR = "http_error"


class HttpClient(HttpClientProtocol):
    """The abstract HTTP client an application talks through.

    Implementers owe two methods. Each returns an object shaped like :class:`Response`
    and may raise on a failed connection; MSAL does not catch the implementer's errors.
    """

    def post(
        self,
        url: str,
        params: Optional[Mapping[str, Any]] = None,
        data: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        **kwargs: Any,
    ) -> ResponseProtocol:
        """Send an HTTP POST; ``data`` is a dict to be form-encoded or a string."""
        raise NotImplementedError("Your implementation should return a Response object")

    def get(
        self,
        url: str,
        params: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        **kwargs: Any,
    ) -> ResponseProtocol:
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


def read_json_object(resp: ResponseProtocol, endpoint: str) -> Dict[str, Any]:
    """An answer's JSON object, whatever its status; else an ``invalid_response`` error dict.

    The one reader of every JSON answer, so a redirect, an HTML error page or a truncated body
    becomes the same clear error wherever it arrives. ``endpoint`` names the sender in the
    description ("the token endpoint"). The caller judges the status code and the content.
    """
    redirect = redirect_of(resp)
    if redirect:
        return invalid_response("{} answered with {}.".format(_capitalised(endpoint), redirect))
    text: Any = getattr(resp, "text", None)
    try:
        answer: Any = jsontext.loads(text)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return invalid_response(
            "{} answered HTTP {} with a body that is not a JSON object ({} characters).".format(
                _capitalised(endpoint),
                getattr(resp, "status_code", None),
                len(text) if isinstance(text, str) else 0,
            )
        )
    return answer


def invalid_response(description: str) -> Dict[str, Any]:
    return {"error": INVALID_RESPONSE, "error_description": description}


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


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
            status, _location(getattr(resp, "headers", None))
        )
    history = getattr(resp, "history", None)
    if isinstance(history, (list, tuple)) and history:
        return "an answer reached through an HTTP redirect to {!r}, which is not trusted".format(
            getattr(resp, "url", None)
        )
    return None


def _location(headers: Any) -> Optional[str]:
    try:
        location = headers.get("Location") if headers is not None else None
    except Exception:  # A custom client's headers object may be anything
        return None
    return location if isinstance(location, str) else None
