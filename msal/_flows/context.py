"""The application context: what every flow gets from its application.

Layering: :mod:`msal.application` (the facade) builds one :class:`AppContext` per application
and passes it to the flows of :mod:`msal._flows`. The context holds no logic; it is

* the immutable configuration (:class:`AppConfig`),
* the services the flows use: the token cache, the (throttled) HTTP client, discovery, the
  client authentication, the region resolver, and the one clock ``now`` that all of them share,
* the per-application state the flows share: the telemetry of the last request, the
  single-flight table and the cache hits it may serve again.

What flows do with it is written once in :mod:`msal._flows.cache_first` (the cache, then one
request at a time) and :mod:`msal._flows.redeem` (the token request every grant shares).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, NamedTuple, Optional, Tuple

from .._entra import telemetry
from .._entra.discovery import Discovery
from .._entra.region import RegionResolver
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


class AppContext(NamedTuple):
    """Configuration, services and shared state of one application (see the module docstring).
    ``_replace(cache=...)`` gives the same application another cache. (The fields a cache hit
    reads come first: one place in memory.)"""

    hits: Hits  # (each application its own) counted, and served again while the cache is unchanged
    cache: TokenCache
    now: Callable[[], float]
    config: AppConfig
    http: HttpClientProtocol  # throttled
    discovery: Discovery
    client_auth: ClientAuth
    last_request: telemetry.LastRequest  # (each application its own)
    single_flight: SingleFlight  # (each application its own)
    region: Optional[RegionResolver] = None
