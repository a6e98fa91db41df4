"""Everything a flow needs from its application, built once in the application's constructor."""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple
from urllib.parse import urlparse

from .. import _diagnostics
from .._entra import claims as claims_rules
from .._entra import scopes as scope_rules
from .._entra import telemetry
from .._entra.discovery import Discovery, Endpoints
from .._entra.region import RegionResolver
from .single_flight import SingleFlight
from ..authority import Authority, parse_authority
from ..oauth2cli.client_auth import ClientAuth
from ..oauth2cli.oauth2 import Client
from ..token_cache import TokenCache

REFRESH_MARGIN = 300  # An access token this close to expiry is not served from the cache
logger = logging.getLogger(__name__)


class AppContext(object):
    """The application's settings and collaborators, shared by every flow."""

    def __init__(self, *, client_id: str, authority: Authority, discovery: Discovery,
                 http_client: Any, cache: TokenCache, client_auth: ClientAuth,
                 base_headers: Dict[str, str], capabilities: Optional[Dict[str, Any]],
                 exclude_scopes: List[str], is_confidential: bool,
                 region: Optional[RegionResolver] = None,
                 now: Callable[[], float] = time.time, pii_log: bool = False) -> None:
        self.client_id = client_id
        self.authority = authority
        # A token for the app itself belongs to one tenant: these authorities name none
        self.multi_tenant = authority.tenant.lower() in ("common", "organizations")
        self.discovery = discovery
        self.http_client = http_client
        self.cache = cache
        self.client_auth = client_auth
        self.base_headers = base_headers
        self.capabilities = capabilities
        self.exclude_scopes = exclude_scopes
        self.is_confidential = is_confidential
        self.region = region
        self.last_request = telemetry.LastRequest()
        self.single_flight = SingleFlight()
        self.now = now
        self.pii_log = pii_log  # enable_pii_log: personal data may appear in log lines
        self._lookup_plans: Dict[Authority, Tuple[Tuple[str, ...], str]] = {}
        self._own_plan: Optional[Tuple[Tuple[str, ...], str]] = None

    def resolve_authority(self, authority: Any = None) -> Authority:
        """The app's authority, or a per-call override given as a URL."""
        return self.authority if authority is None else parse_authority(authority)

    def endpoints(self, authority: Optional[Authority] = None) -> Endpoints:
        return self.discovery.endpoints(authority or self.authority)

    def aliases(self, authority: Optional[Authority] = None) -> Tuple[str, ...]:
        return self.discovery.aliases(authority or self.authority)

    def pii(self, value: Any) -> str:
        """A personal value (username, account id) as log lines may show it."""
        return _diagnostics.pii(value, self.pii_log)

    def user_scopes(self, scopes: Iterable[str]) -> List[str]:
        return scope_rules.for_user_flow(scopes, self.exclude_scopes)

    def claims(self, claims_challenge: Optional[str]) -> Optional[str]:
        return claims_rules.merge(self.capabilities, claims_challenge)

    def headers(self, api_id: int, cache_info: int = telemetry.NOT_APPLICABLE,
                extra: Optional[Dict[str, str]] = None,
                correlation_id: Optional[str] = None) -> Dict[str, str]:
        headers = telemetry.request_headers(self.base_headers, api_id, cache_info, correlation_id,
                                            last=self.last_request)
        headers.update(extra or {})
        return headers

    def oauth_client(self, endpoints: Endpoints, token_endpoint: Optional[str] = None,
                     authority: Optional[Authority] = None) -> Client:
        """A protocol client whose tokens land in this application's cache, filed under the
        authority's host (a regional token endpoint's host is not the cache's environment)."""
        environment = (authority or self.authority).environment

        def add_to_cache(event: Dict[str, Any]) -> None:
            event.setdefault("environment", environment)
            self.cache.add(event, now=self.now())
        return Client(self.http_client, self.client_id, token_endpoint or endpoints.token_endpoint,
                      client_auth=self.client_auth, on_obtaining_tokens=add_to_cache,
                      on_response=self.last_request.record)

    def cached_access_token(self, *, scopes: List[str], home_account_id: Optional[str],
                            authority: Optional[Authority] = None, recheck: bool = False
                            ) -> Tuple[Optional[Dict[str, Any]], bool]:
        """A usable cached access token as a result dict, and whether it is due for refresh.
        A ``recheck`` (after waiting for a concurrent caller) logs no second miss."""
        aliases, realm = self._lookup_plan(self.authority if authority is None else authority)
        now = self.now()
        entry = self.cache.find_access_token(
            client_id=self.client_id, environments=aliases, realm=realm,
            home_account_id=home_account_id, scopes=scopes, now=now)
        logged = logger.isEnabledFor(logging.DEBUG)  # The hit path stays lean when it is off
        if entry is None:
            if logged and not recheck:
                logger.debug("Cache miss: no unexpired access token for %s, scopes %s, in "
                             "tenant %s", self._whose(home_account_id), scopes, realm)
            return None, False
        self.last_request.cache_hits += 1
        result, due = from_cache(entry, now)
        if logged:
            logger.debug("Cache hit: access token for %s, scopes %s, expires in %d s%s",
                         self._whose(home_account_id), scopes, result["expires_in"],
                         "; its refresh_on has passed, so it is refreshed" if due else "")
        return result, due

    def _whose(self, home_account_id: Optional[str]) -> str:
        return "the app itself" if home_account_id is None else "account " + self.pii(
            home_account_id)

    def has_access_token(self, *, scopes: List[str], home_account_id: Optional[str],
                         authority: Optional[Authority] = None) -> bool:
        """Whether the cache holds a matching access token even if expired (telemetry tells
        the service an expired token from none at all)."""
        aliases, realm = self._lookup_plan(self.authority if authority is None else authority)
        return self.cache.find_access_token(
            client_id=self.client_id, environments=aliases, realm=realm,
            home_account_id=home_account_id, scopes=scopes, now=0) is not None

    def _lookup_plan(self, authority: Authority) -> Tuple[Tuple[str, ...], str]:
        """Where an authority's tokens are cached: (aliases, realm). Both are settled once its
        endpoints are discovered, so they are worked out once, not on every cache hit."""
        if authority is self.authority and self._own_plan is not None:
            return self._own_plan
        plan = self._lookup_plans.get(authority)
        if plan is None:
            realm = realm_of(self.endpoints(authority).token_endpoint)
            plan = self._lookup_plans[authority] = (self.aliases(authority), realm)
        if authority is self.authority:
            self._own_plan = plan
        return plan


def realm_of(token_endpoint: str) -> str:
    """The tenant a token endpoint belongs to: its first path segment."""
    segments = [s for s in urlparse(token_endpoint).path.split("/") if s]
    return segments[0] if segments else ""


def from_cache(entry: Dict[str, Any], now: float) -> Tuple[Dict[str, Any], bool]:
    """A cached access token entry as a result dict, and whether it is due for refresh."""
    result = {
        "access_token": entry["secret"],
        "token_type": entry.get("token_type") or "Bearer",
        "expires_in": int(entry["expires_on"]) - int(now),
        "token_source": "cache",
    }
    refresh_on = entry.get("refresh_on")
    due = bool(refresh_on) and str(refresh_on).isdigit() and int(str(refresh_on)) < now
    return result, due


def from_network(result: Dict[str, Any]) -> Dict[str, Any]:
    """Mark a successful network result as such (errors are returned untouched). Its
    ``refresh_in`` has become the cached token's ``refresh_on``: callers never see it."""
    if "error" not in result:
        result.pop("refresh_in", None)
        result["token_source"] = "identity_provider"
    return result
