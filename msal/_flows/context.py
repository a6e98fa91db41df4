"""The application context: what every flow gets from its application.

Layering: :mod:`msal.application` (the facade) builds one :class:`AppContext` per application
and passes it to the flows of :mod:`msal._flows`. The context holds no logic; it is

* the immutable configuration (:class:`AppConfig`),
* the services the flows use: the token cache, discovery, the client authentication, the
  region resolver, and the one clock ``now`` that all of them share,
* the per-application state the flows share: the cache hits it may serve again,
* :class:`Services`: what only a request that goes out needs (the throttled HTTP client, the
  single-flight table, the telemetry of the last request), each built on its first use, so
  that an application created per web request and served from the cache builds none of them.

What flows do with it is written once in :mod:`msal._flows.cache_first` (the cache, then one
request at a time) and :mod:`msal._flows.redeem` (the token request every grant shares).
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, NamedTuple, Optional, Tuple

from .._entra import telemetry
from .._entra.discovery import Discovery, SharedAnswers, shared_answers
from .._entra.region import RegionResolver
from .._http.throttle import ThrottledHttpClient
from ..authority import Authority
from ..oauth2cli.client_auth import ClientAuth
from ..oauth2cli.http import HttpClientProtocol
from ..token_cache import TokenCache
from .hits import Hits
from .single_flight import SingleFlight


class AppConfig(NamedTuple):
    """The settings an application was created with. (Immutable, like :class:`AppContext`:
    named tuples, which a web app creating an application per request builds fastest.)"""

    client_id: str
    authority: Authority
    base_headers: Dict[str, str]  # x-client-* and app name/version, sent with every request
    capabilities: Optional[Dict[str, Any]]  # client_capabilities as a claims fragment
    exclude_scopes: Tuple[str, ...]
    pii_log: bool = False  # enable_pii_log: personal data may appear in log lines
    # Whether the authority names no tenant (a token for the app itself needs one); kept
    # here so that a cache hit reads no field of the authority
    multi_tenant: bool = False


class Services(object):
    """What an application needs only when a request goes out, each built on its first use
    (an attribute whose slot is still empty lands in ``__getattr__``, which builds it once)."""

    __slots__ = (
        "http",
        "shared_answers",
        "single_flight",
        "last_request",
        "_client",
        "_given",
        "_http_cache",
        "_now",
        "_never_replay",
    )
    http: HttpClientProtocol  # the application's client, throttled
    shared_answers: SharedAnswers  # the discovery answers it shares with other applications
    single_flight: SingleFlight
    last_request: telemetry.LastRequest

    def __init__(
        self,
        client: HttpClientProtocol,
        given: Any,
        http_cache: Any,
        now: Callable[[], float],
        never_replay: Callable[[Any], bool],
    ) -> None:
        """``client`` is the one requests go through; ``given``, the ``http_client`` the
        application was given (None for its own), decides whose discovery answers it shares."""
        self._client, self._given, self._http_cache = client, given, http_cache
        self._now, self._never_replay = now, never_replay
        if type(http_cache) is not dict or http_cache:  # One given (persisted, perhaps): the
            self._build("http")  # throttle drops another process's state from it now

    def __getattr__(self, name: str) -> Any:
        return self._build(name)  # (reached only while the slot is empty)

    def _build(self, name: str) -> Any:
        build = _BUILDERS.get(name)
        if build is None:
            raise AttributeError(name)
        with _BUILDING:  # Once, when two threads ask at the same time
            try:
                return object.__getattribute__(self, name)
            except AttributeError:
                service = build(self)
                setattr(self, name, service)
                return service


_BUILDING = threading.Lock()
_BUILDERS: Dict[str, Callable[[Services], Any]] = {
    "http": lambda s: ThrottledHttpClient(s._client, s._http_cache, now=s._now, never_replay=s._never_replay),
    "shared_answers": lambda s: shared_answers(s._given),
    "single_flight": lambda s: SingleFlight(),
    "last_request": lambda s: telemetry.LastRequest(),
}


class AppContext(NamedTuple):
    """Configuration, services and shared state of one application (see the module docstring).
    ``_replace(cache=...)`` gives the same application another cache. (The fields a cache hit
    reads come first: one place in memory.)"""

    hits: Hits  # (each application its own) counted, and served again while the cache is unchanged
    cache: TokenCache
    now: Callable[[], float]
    config: AppConfig
    discovery: Discovery
    client_auth: ClientAuth
    services: Services  # (each application its own)
    region: Optional[RegionResolver] = None  # None: the global token endpoint

    @property
    def http(self) -> HttpClientProtocol:
        """The application's HTTP client, throttled."""
        return self.services.http

    @property
    def last_request(self) -> telemetry.LastRequest:
        return self.services.last_request

    @property
    def single_flight(self) -> SingleFlight:
        return self.services.single_flight
