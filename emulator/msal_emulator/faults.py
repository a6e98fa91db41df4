"""Fault injection: make chosen endpoints misbehave for the next N requests or for a while.

    fault = emu.faults.add("status", "token", status=429, retry_after=2)
    ...                       # the next token request gets HTTP 429 with Retry-After: 2
    fault.fired, emu.faults.counts(), emu.clear_faults()

Kinds (what the matched request gets):
    status            HTTP `status` (default 503) with an Entra error body, `Retry-After` when given
    claims_challenge  400 `invalid_grant` AADSTS50076 with `suberror` and a `claims` challenge
    slow              the normal answer after `delay` seconds (any kind also honours `delay`)
    drop              the connection closed without an answer
    reset             the connection reset (TCP RST)
    truncated_json    the normal answer cut in half
    html              an HTML error page with `status` (default 200)
    empty             an empty body with `status` (default 200)
    large             a JSON body of `size` bytes (default 20 MB) with `status` (default 200)
    body              `body` as given, with `status` (default 200) and `content_type`

Any kind also honours `location` (a `Location` header, e.g. with `status=307` for a redirect).
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Collection, Dict, Iterable, List, Optional, Union

from . import errors, pages
from .http import Request, Response, json_response

KINDS = (
    "status",
    "claims_challenge",
    "slow",
    "drop",
    "reset",
    "truncated_json",
    "html",
    "empty",
    "large",
    "body",
)
ABORTING_KINDS = ("drop", "reset")
DEFAULT_CLAIMS = json.dumps(
    {"access_token": {"capolids": {"essential": True, "values": ["5b7f4e3c-8a2d-4f61-9c0e-1d3b5a7c9e24"]}}}
)
DEFAULT_LARGE_SIZE = 20 * 1024 * 1024


@dataclass
class Fault:
    """One injected fault; `fired` counts the requests it answered."""

    kind: str
    endpoint: Optional[str] = None  # a route name of msal_emulator.routes
    path: Optional[str] = None  # a regex searched in the request path
    host: Optional[str] = None  # a host name or glob ("*.login.microsoft.com")
    method: Optional[str] = None
    times: Optional[int] = 1  # None: unlimited (within `seconds`, if given)
    seconds: Optional[float] = None  # a time window starting when the fault is added
    status: Optional[int] = None
    retry_after: Union[None, int, float, str] = None
    delay: float = 0.0
    error: Optional[str] = None
    claims: Optional[str] = None
    suberror: str = "basic_action"
    size: int = DEFAULT_LARGE_SIZE
    body: Optional[str] = None
    content_type: str = "application/json; charset=utf-8"
    location: Optional[str] = None  # a Location header on the answer (redirects)
    name: str = ""
    fired: int = 0
    added_at: float = field(default_factory=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError("unknown fault kind %r; choose one of %s" % (self.kind, ", ".join(KINDS)))
        if self.times is None and self.seconds is None:
            raise ValueError("a fault needs `times` or `seconds` (or both)")
        self._pattern = re.compile(self.path or "")

    def active(self, now: float) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        return self.seconds is None or now - self.added_at < self.seconds

    def matches(self, req: Request, routes: Collection[str]) -> bool:
        """Does the request (reaching the routes of these names) match the fault?"""
        if self.endpoint is not None and self.endpoint not in routes:
            return False
        if self.method and req.method != self.method.upper():
            return False
        if self.host and not fnmatch.fnmatch(req.hostname.lower(), self.host.lower()):
            return False
        return bool(self._pattern.search(req.path))

    def describe(self) -> Dict[str, Any]:
        data = asdict(self)
        data.pop("added_at")
        return data


class FaultSet:
    """The faults of one emulator; thread-safe, first added fires first.

    `routes`: the route names a fault's `endpoint` may name (msal_emulator.routes).
    """

    def __init__(self, routes: Iterable[str] = ()) -> None:
        self.routes = list(routes)
        self._lock = threading.Lock()
        self._faults: List[Fault] = []
        self._numbers = itertools.count(1)

    def add(self, kind: str, endpoint: Optional[str] = None, **options: Any) -> Fault:
        """Inject a fault (see the module docstring for kinds and options); a ValueError names
        an unknown kind or route at once."""
        if endpoint is not None and endpoint not in self.routes:
            raise ValueError(
                "unknown route %r: a fault names one of the routes %s"
                % (endpoint, ", ".join(sorted(self.routes)))
            )
        fault = Fault(kind, endpoint, **options)
        with self._lock:
            if not fault.name:
                fault.name = "%s:%s#%d" % (endpoint or fault.path or "any", kind, next(self._numbers))
            self._faults.append(fault)
        return fault

    def take(self, req: Request, routes: Collection[str]) -> Optional[Fault]:
        """The fault that answers this request (reaching the routes of these names), counted
        as fired; None for a normal answer."""
        now = time.monotonic()
        with self._lock:
            for fault in self._faults:
                if fault.active(now) and fault.matches(req, routes):
                    fault.fired += 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def all(self) -> List[Fault]:
        """Every fault added since the last clear, spent ones included."""
        with self._lock:
            return list(self._faults)

    def counts(self) -> Dict[str, int]:
        """How many times each fault fired, by name."""
        return {f.name: f.fired for f in self.all()}

    @property
    def fired(self) -> int:
        return sum(f.fired for f in self.all())

    def __len__(self) -> int:
        now = time.monotonic()
        return sum(1 for f in self.all() if f.active(now))


# ---- what a fired fault answers -----------------------------------------------------------


def _status_response(fault: Fault, now: float, correlation: Optional[str]) -> Response:
    status = fault.status or 503
    if status == 429:
        exc = errors.EntraError(
            fault.error or "temporarily_unavailable",
            50196,
            "The server is busy: too many requests. Retry later.",
            status=status,
        )
    else:
        exc = errors.EntraError(
            fault.error or "server_error",
            50000,
            "There was an error issuing a token or an authorization code.",
            status=status,
        )
    return json_response(errors.error_body(exc, now, correlation), status)


def _claims_response(fault: Fault, now: float, correlation: Optional[str]) -> Response:
    exc = errors.EntraError(
        fault.error or "invalid_grant",
        50076,
        "Due to a configuration change made by your administrator, or because you moved to a "
        "new location, you must use multi-factor authentication to access the resource.",
        suberror=fault.suberror,
        claims=fault.claims or DEFAULT_CLAIMS,
    )
    return json_response(errors.error_body(exc, now, correlation), fault.status or 400)


def _large_body(size: int) -> bytes:
    head, tail = b'{"error": "server_error", "padding": "', b'"}'
    return head + b"x" * max(0, size - len(head) - len(tail)) + tail


def respond(fault: Fault, req: Request, normal: Callable[[], Response], now: float) -> Response:
    """The answer for a fired fault that does not abort the connection."""
    correlation = req.headers.get("client-request-id")
    if fault.kind == "status":
        resp = _status_response(fault, now, correlation)
    elif fault.kind == "claims_challenge":
        resp = _claims_response(fault, now, correlation)
    elif fault.kind == "html":
        resp = pages.service_unavailable(fault.status or 200)
    elif fault.kind == "empty":
        resp = Response(fault.status or 200, b"", [("Content-Type", fault.content_type)])
    elif fault.kind == "large":
        resp = Response(fault.status or 200, _large_body(fault.size), [("Content-Type", fault.content_type)])
    elif fault.kind == "body":
        resp = Response(
            fault.status or 200, (fault.body or "").encode("utf-8"), [("Content-Type", fault.content_type)]
        )
    else:  # slow, truncated_json: the real answer, possibly mangled
        resp = normal()
        if fault.kind == "truncated_json":
            resp.body = resp.body[: len(resp.body) // 2]
    if fault.retry_after is not None:
        resp.headers.append(("Retry-After", str(fault.retry_after)))
    if fault.location is not None:
        resp.headers.append(("Location", fault.location))
    return resp
