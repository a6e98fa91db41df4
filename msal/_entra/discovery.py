"""Instance discovery (is this host a Microsoft cloud, and what are its aliases) and
OpenID Connect discovery (where are this tenant's endpoints).

Layering: used by the flows (``msal._flows``) through the application context; it speaks HTTP
through the context's (throttled) client and knows nothing of tokens or the cache.

Answers are kept at three levels, so that a process asks each authority once a day:

* per application (:class:`Discovery`), for the life of the application;
* per process (:data:`SHARED`), for every application of the same authority: a bounded,
  expiring memo of public metadata (endpoints and host aliases, never a secret), so that a
  web app creating an application per web request does not rediscover the authority each time.
  Applications given their own ``http_client`` share it only with those given the same client
  object (:func:`shared_answers`);
* in the application's ``http_cache``, for a day, which a long-lived tool may persist.

Where an authority's tokens are cached (:meth:`Discovery.cache_location`) needs no network at
all for a well-known cloud whose tenant is spelled as its token endpoint spells it (a tenant id,
``common`` or ``organizations``): a cache hit then makes no request. Hosts that must be
validated by instance discovery are validated before their first cache lookup too, because the
aliases their tokens are filed under come from that answer.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
import weakref
from sys import intern
from collections import OrderedDict
from typing import Any, Callable, Dict, MutableMapping, NamedTuple, Optional, Protocol, Tuple, TypeVar
from urllib.parse import urlparse

from .._http.hints import with_hint
from ..authority import (
    CIAM_HOST_SUFFIX,
    WELL_KNOWN_AUTHORITY_HOSTS,
    WELL_KNOWN_B2C_HOST_SUFFIXES,
    WORLD_WIDE,
    Authority,
)
from ..oauth2cli.http import HttpClientProtocol, read_json_object
from .._http.keys import keyed_digest
from . import mex, userrealm

logger = logging.getLogger(__name__)
DISCOVERY_TTL = 24 * 3600
Location = Tuple[Tuple[str, ...], str]  # Where tokens are cached: (host aliases, realm)
SHARED_CAPACITY = 4096  # authorities remembered per process (a multi-tenant app has one each)
MAX_REMEMBERED = 1000  # user realm answers and federation endpoints kept per application
_PROCESS_SECRET = os.urandom(32)  # keys remembered answers by user without keeping the name
T = TypeVar("T")

# What the public instance-discovery endpoint answers for the well-known clouds, so that
# well-known hosts need no network round trip for their aliases.
KNOWN_ALIASES = (
    ("login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"),
    ("login.partner.microsoftonline.cn", "login.chinacloudapi.cn"),
    ("login.microsoftonline.de",),
    ("login.microsoftonline.us", "login.usgovcloudapi.net"),
    ("login-us.microsoftonline.com",),
)


class Endpoints(NamedTuple):
    """The endpoints of one tenant, from its OpenID Connect discovery document."""

    authorization_endpoint: str
    token_endpoint: str
    device_authorization_endpoint: Optional[str] = None
    issuer: Optional[str] = None


class Answer(NamedTuple):
    """What discovery learnt about one authority: its endpoints, the aliases of its host (when
    instance discovery named them), and whether its host is vetted (validated by instance
    discovery, or one that needs no validation)."""

    endpoints: Endpoints
    aliases: Optional[Tuple[str, ...]]
    vetted: bool


class SharedAnswers(object):
    """The process-wide memo of discovery answers, keyed by authority URL: bounded (least
    recently used first out) and expiring."""

    def __init__(self, capacity: int = SHARED_CAPACITY, ttl: float = DISCOVERY_TTL) -> None:
        self._capacity = capacity
        self._ttl = ttl
        self._lock = threading.Lock()
        self._answers: "OrderedDict[str, Tuple[float, Answer]]" = OrderedDict()

    def get(self, url: str, now: float) -> Optional[Answer]:
        with self._lock:
            expires, answer = self._answers.get(url) or (0.0, None)
            if answer is None or expires <= now:
                return None
            self._answers.move_to_end(url)
            return answer

    def put(self, url: str, answer: Answer, now: float) -> None:
        with self._lock:
            _, known = self._answers.get(url) or (0.0, None)
            if known is not None and known.vetted and not answer.vetted:
                return  # An unchecked answer never displaces a checked one
            self._answers[url] = (now + self._ttl, answer)
            self._answers.move_to_end(url)
            while len(self._answers) > self._capacity:
                self._answers.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()


SHARED = SharedAnswers()
_BY_CLIENT: Dict[int, Tuple["weakref.ref[Any]", SharedAnswers]] = {}  # by id() of the client
_BY_CLIENT_LOCK = threading.RLock()  # re-entered when a collection forgets a client


def shared_answers(http_client: Any) -> SharedAnswers:
    """The memo an application built with this ``http_client`` shares: :data:`SHARED` without
    one; else the one of the applications given the same client object, for the life of that
    object, so that a caller's own client (a test's mocked transport) is asked by its own
    applications. A client that cannot be weakly referenced shares with no one."""
    if http_client is None:
        return SHARED
    key = id(http_client)  # by identity: a client's __eq__ or __hash__ is not ours to call
    with _BY_CLIENT_LOCK:
        ref, answers = _BY_CLIENT.get(key) or (None, None)
        if ref is not None and answers is not None and ref() is http_client:
            return answers
        try:
            ref = weakref.ref(http_client, lambda gone: _forget(key, gone))
        except TypeError:
            return SharedAnswers()
        answers = SharedAnswers()
        _BY_CLIENT[key] = (ref, answers)
        return answers


def _forget(key: int, gone: "weakref.ref[Any]") -> None:
    with _BY_CLIENT_LOCK:
        if key in _BY_CLIENT and _BY_CLIENT[key][0] is gone:
            del _BY_CLIENT[key]


class Wire(Protocol):
    """How discovery talks: an HTTP client, and the answers it shares with other applications.
    (An application builds them when discovery first needs them.)"""

    http: HttpClientProtocol
    shared_answers: SharedAnswers


class Discovery(object):
    """Answers "where are the endpoints", "which hosts are aliases" and "where are the tokens
    cached" for an application."""

    __slots__ = (
        "_last_location",  # (first: read by every cache lookup)
        "_locations",
        "_wire",
        "_check_instance",
        "_http_cache",
        "_now",
        "_lock",
        "_endpoints",
        "_aliases",
        "_remembered",
    )

    def __init__(
        self,
        wire: Wire,
        validate_authority: bool = True,
        instance_discovery: Optional[bool] = None,
        http_cache: Optional[MutableMapping[Any, Any]] = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._wire = wire
        self._check_instance = bool(validate_authority) and instance_discovery is not False
        self._http_cache = http_cache if http_cache is not None else {}
        self._now = now
        self._lock = threading.Lock()
        self._endpoints: Dict[str, Endpoints] = {}
        self._aliases: Dict[str, Tuple[str, ...]] = {}
        self._locations: Dict[Authority, Location] = {}
        self._last_location: Optional[Tuple[Authority, Location]] = None
        self._remembered: Dict[Tuple[str, ...], Tuple[float, Any]] = {}

    def user_realm(self, authority: Authority, username: str, headers: Dict[str, str]) -> Dict[str, Any]:
        """The user realm answer for this user, asked once a day per application (as the
        original reuses it); an unusable answer is asked for again next time."""
        key = (
            "userrealm",
            authority.instance,
            keyed_digest(_PROCESS_SECRET, username),
        )
        return self._remember(
            key, lambda: userrealm.discover(self._wire.http, authority, username, headers), keep=bool
        )

    def ws_trust_endpoint(self, mex_url: Any) -> mex.WsTrustEndpoint:
        """The username/password WS-Trust endpoint a federation's MEX document names, fetched
        once a day per application; a refused document is fetched again next time."""
        return self._remember(("mex", str(mex_url)), lambda: mex.fetch_endpoint(self._wire.http, mex_url))

    def _remember(
        self, key: Tuple[str, ...], compute: Callable[[], T], keep: Callable[[T], bool] = lambda value: True
    ) -> T:
        now = self._now()
        hit = self._remembered.get(key)
        if hit is not None and hit[0] > now:
            remembered: T = hit[1]
            return remembered
        value = compute()
        if keep(value):
            with self._lock:
                while len(self._remembered) >= MAX_REMEMBERED:
                    self._remembered.pop(next(iter(self._remembered)))
                self._remembered[key] = (now + DISCOVERY_TTL, value)
        return value

    def aliases(self, authority: Authority) -> Tuple[str, ...]:
        """The hosts whose cached tokens serve this authority (itself first). No I/O."""
        env = authority.environment
        cached = self._aliases.get(env)
        if cached is None:
            cached = self._aliases[env] = known_aliases(env)
        return cached

    def cache_location(self, authority: Authority) -> Location:
        """Where this authority's tokens are cached: (host aliases, realm), worked out once.
        On every cache lookup: the last authority asked about is answered first."""
        last = self._last_location
        if last is not None and last[0] is authority:
            return last[1]
        location = self._locations.get(authority)
        if location is None:
            location = self._locations[authority] = self._locate(authority)
        self._last_location = (authority, location)
        return location

    def _locate(self, authority: Authority) -> Location:
        """From the authority itself when it can be; otherwise from its (discovered) token endpoint."""
        if authority.url not in self._endpoints:
            found = _self_evident_location(authority, self._check_instance)
            if found is not None:  # (with the aliases instance discovery named, if it did)
                learnt = self._aliases.get(authority.environment)
                return found if learnt is None else (learnt, found[1])
        endpoints = self.endpoints(authority)
        return self.aliases(authority), realm_of(endpoints.token_endpoint)

    def endpoints(self, authority: Authority) -> Endpoints:
        """Discover (once) the endpoints of the authority's tenant; ``ValueError`` if it is not valid."""
        key = authority.url
        found = self._endpoints.get(key)
        if found is None:
            with self._lock:
                found = self._endpoints.get(key)
                if found is None:
                    found = self._endpoints[key] = self._shared_or_discovered(authority)
        return found

    def _shared_or_discovered(self, authority: Authority) -> Endpoints:
        """Another application's answer for this authority, or a new one (then shared)."""
        must_vet = self._must_vet(authority)
        shared = self._wire.shared_answers
        answer = shared.get(authority.url, self._now())
        if answer is None or (must_vet and not answer.vetted):
            answer = self._discover(authority, must_vet)
            shared.put(authority.url, answer, self._now())
        else:
            logger.debug("Endpoints of %s: discovered earlier in this process", authority.url)
        if answer.aliases:
            self._aliases[authority.environment] = answer.aliases
        return answer.endpoints

    def _must_vet(self, authority: Authority) -> bool:
        """Whether this application checks the authority's host with instance discovery."""
        return (
            authority.kind == "aad"
            and self._check_instance
            and authority.environment not in WELL_KNOWN_AUTHORITY_HOSTS
        )

    def _discover(self, authority: Authority, must_vet: bool) -> Answer:
        if not must_vet:
            logger.debug(
                "No instance discovery for %s: %s",
                authority.url,
                "a {} authority".format(authority.kind.upper())
                if authority.kind != "aad"
                else "a well-known host"
                if authority.environment in WELL_KNOWN_AUTHORITY_HOSTS
                else "instance_discovery=False or validate_authority=False",
            )
        aliases = self._instance_discovery(authority) if must_vet else None
        doc = self._get_json_cached(openid_configuration_url(authority), authority)
        if authority.kind == "oidc":
            check_oidc_issuer(authority, doc.get("issuer"))
        try:
            endpoints = Endpoints(
                authorization_endpoint=doc["authorization_endpoint"],
                token_endpoint=doc["token_endpoint"],
                device_authorization_endpoint=doc.get("device_authorization_endpoint"),
                issuer=doc.get("issuer"),
            )
        except (KeyError, TypeError):
            raise ValueError(
                "The OpenID configuration of authority {} lacks authorization_endpoint or "
                "token_endpoint".format(authority.url)
            )
        if aliases:
            self._aliases[authority.environment] = aliases  # Checked below, used from now on
        self._check_endpoints(authority, endpoints)
        vetted = must_vet or authority.kind != "aad" or authority.environment in WELL_KNOWN_AUTHORITY_HOSTS
        return Answer(endpoints, aliases, vetted)

    def _check_endpoints(self, authority: Authority, endpoints: Endpoints) -> None:
        """Refuse endpoints that would carry secrets, codes or passwords in clear text, or to a
        host that is not the authority's (a tampered document, or a poisoned ``http_cache``)."""
        for name in ("authorization_endpoint", "token_endpoint", "device_authorization_endpoint"):
            url = getattr(endpoints, name)
            if url is None:
                continue
            parsed = urlparse(url) if isinstance(url, str) else None
            if parsed is None or parsed.scheme.lower() != "https" or not parsed.hostname:
                raise ValueError(
                    "The OpenID configuration of authority {} names the {} {!r}, which is not an "
                    "https URL; refusing to use it.".format(authority.url, name, url)
                )
            if not self._host_serves(authority, parsed.hostname.lower()):
                raise ValueError(
                    "The OpenID configuration of authority {} names the {} {!r}, whose host is "
                    "neither the authority's host nor one of its aliases; refusing to use "
                    "it.".format(authority.url, name, url)
                )

    def _host_serves(self, authority: Authority, host: str) -> bool:
        """May an endpoint of this authority live on this host?"""
        if host in self.aliases(authority):
            return True
        env = authority.environment
        if authority.kind == "b2c":
            return any(env.endswith(s) and host.endswith(s) for s in WELL_KNOWN_B2C_HOST_SUFFIXES)
        return authority.kind == "ciam" and host.endswith(CIAM_HOST_SUFFIX)

    def _instance_discovery(self, authority: Authority) -> Optional[Tuple[str, ...]]:
        """Check the host; the aliases instance discovery names for it, if any."""
        url = "https://{}/common/discovery/instance".format(WORLD_WIDE)
        params = {  # The shape of the original's call, for custom http_clients that look at it
            "authorization_endpoint": "https://{}/{}/oauth2/v2.0/authorize".format(
                authority.instance, authority.tenant
            ),
            "api-version": "1.0",
        }
        try:
            payload = self._get_json_cached(url, authority, tolerate_error=True, params=params)
        except Exception as exc:  # Unreachable: say what was asked, and how to do without it
            raise with_hint(
                exc,
                (
                    "instance discovery asks {} whether {} is a Microsoft cloud, and that failed. "
                    "For a private or test authority (an emulator, Azure Stack, a host behind a "
                    "proxy), create the application with instance_discovery=False"
                ).format(url, authority.environment),
            )
        if payload.get("error") == "invalid_instance":
            raise ValueError(
                "invalid_instance: authority {} is not a known Microsoft identity platform "
                "instance ({}). If you trust it, create the application with "
                "instance_discovery=False.".format(authority.url, payload.get("error_description"))
            )
        if "error" in payload:
            raise ValueError(
                "Instance discovery for {} failed: {} {}".format(
                    authority.url, payload.get("error"), payload.get("error_description", "")
                )
            )
        for entry in payload.get("metadata") or ():
            hosts = tuple(h.lower() for h in entry.get("aliases") or () if isinstance(h, str))
            if authority.environment in hosts:
                return (authority.environment,) + tuple(h for h in hosts if h != authority.environment)
        return None

    def _get_json_cached(
        self,
        url: str,
        authority: Authority,
        tolerate_error: bool = False,
        params: Optional[Dict[str, str]] = None,
    ) -> Dict[str, Any]:
        cache_key = ("discovery", url) if not params else ("discovery", url, tuple(sorted(params.items())))
        try:
            expires, doc = self._http_cache.get(cache_key) or (0, None)
        except Exception:  # A broken http_cache must not break sign-in
            expires, doc = 0, None
        if isinstance(doc, dict) and isinstance(expires, (int, float)) and expires > self._now():
            logger.debug("%s: from the http_cache, for %d s more", url, expires - self._now())
            return doc
        logger.debug("%s: from the network", url)
        doc, ok = get_json(self._wire.http, url, params)
        if not ok and not tolerate_error:
            raise ValueError(
                "Unable to get the OpenID configuration of authority {} from {}: {}. {}".format(
                    authority.url,
                    url,
                    doc.get("error_description") or doc.get("error"),
                    authority_hint(authority),
                )
            )
        if ok:
            try:
                self._http_cache[cache_key] = (self._now() + DISCOVERY_TTL, doc)
            except Exception:
                pass
        return doc


def check_oidc_issuer(authority: Authority, issuer: Any) -> None:
    """A generic OpenID Connect authority must be its document's issuer (OIDC Discovery §4.3),
    or on the same origin, or a subdomain of it; or a Microsoft cloud (the issuer of an Entra
    tenant reached through a custom domain). ``ValueError`` otherwise."""
    parsed = urlparse(issuer) if isinstance(issuer, str) else None
    host = (parsed.hostname or "").lower() if parsed else ""
    ours = authority.environment
    if (
        parsed
        and parsed.scheme == "https"
        and (
            (parsed.netloc.lower() == authority.instance)
            or (host.endswith("." + ours) and parsed.port is None)
            or host in WELL_KNOWN_AUTHORITY_HOSTS
            or host == authority.tenant.lower() + CIAM_HOST_SUFFIX
        )
    ):
        return
    raise ValueError(
        "The issuer {!r} does not match the oidc_authority {}: the document at {} belongs to "
        "another provider. For an Entra authority (such as login.microsoftonline.com) use "
        "authority= instead of oidc_authority=.".format(
            issuer, authority.url, openid_configuration_url(authority)
        )
    )


def authority_hint(authority: Authority) -> str:
    """What an authority of this kind looks like: a B2C user reads of B2C, not of Entra."""
    if authority.kind == "b2c":
        return (
            "A B2C authority names its tenant and a user flow (policy): https://<tenant>"
            ".b2clogin.com/<tenant>.onmicrosoft.com/<policy>, such as B2C_1_signupsignin{}.".format(
                "; this one names no policy" if len(authority.path) < 2 else ""
            )
        )
    if authority.kind == "ciam":
        return "An External ID (CIAM) authority looks like https://<tenant>.ciamlogin.com."
    if authority.is_adfs:
        return "An ADFS authority looks like https://<adfs host>/adfs."
    return (
        "An Entra authority looks like https://login.microsoftonline.com/<tenant id or "
        "domain>; for Azure AD B2C use https://<tenant>.b2clogin.com/<tenant>"
        ".onmicrosoft.com/<policy>."
    )


def _self_evident_location(authority: Authority, check_instance: bool) -> Optional[Location]:
    """Where an AAD authority's tokens are cached when the authority itself says it, with no
    discovery (a well-known cloud, or one not checked, and a tenant its token endpoint spells
    the same way); None otherwise. (What it reads was worked out when the authority was parsed.)"""
    if (
        authority.kind == "aad"
        and (not check_instance or authority.environment in WELL_KNOWN_AUTHORITY_HOSTS)
        and authority.tenant_self_named
    ):
        return known_aliases(authority.environment), authority.tenant
    return None


@functools.lru_cache(maxsize=SHARED_CAPACITY)
def known_aliases(environment: str) -> Tuple[str, ...]:
    """A host and its aliases among the well-known clouds' (itself first), as instance
    discovery would name them; the host alone if it is not one of theirs."""
    for group in KNOWN_ALIASES:
        if environment in group:
            return tuple(intern(h) for h in (environment,) + tuple(h for h in group if h != environment))
    return (intern(environment),)  # (interned, as the cache interns the hosts of its tokens)


def realm_of(token_endpoint: str) -> str:
    """The tenant a token endpoint belongs to: its first path segment."""
    segments = [s for s in urlparse(token_endpoint).path.split("/") if s]
    return intern(segments[0]) if segments else ""  # (as the cache interns tenants)


def openid_configuration_url(authority: Authority) -> str:
    if authority.kind == "oidc":
        return authority.url + "/.well-known/openid-configuration"
    if authority.is_adfs:
        return "https://{}/adfs/.well-known/openid-configuration".format(authority.instance)
    return authority.url + "/v2.0/.well-known/openid-configuration"


def get_json(
    http_client: HttpClientProtocol, url: str, params: Optional[Dict[str, str]] = None, **kwargs: Any
) -> Tuple[Dict[str, Any], bool]:
    """GET a JSON document; return (document or error dict, succeeded)."""
    # No Accept header, as the original library sends none; params only when there are some.
    resp = http_client.get(url, params=params, **kwargs) if params else http_client.get(url, **kwargs)
    doc = read_json_object(resp, "the discovery endpoint")
    ok: bool = 200 <= resp.status_code < 300 and "error" not in doc
    return doc, ok
