"""Tokens for an Azure managed identity: no secret in the app, the host vouches for it::

    client = msal.ManagedIdentityClient(
        msal.SystemAssignedManagedIdentity(), http_client=requests.Session())
    result = client.acquire_token_for_client(resource="https://management.azure.com")

The host is found from the environment (App Service, the VM metadata service, Azure Arc,
Cloud Shell, Service Fabric, Machine Learning; see :func:`get_managed_identity_source`).
Tokens are cached in the unified token cache (realm ``managed_identity``, environment
``localhost``, client id = the identity's id) and refreshed ahead of expiry.
"""

from __future__ import annotations

import logging
import os
import time
from collections import UserDict
from typing import Any, Dict, List, Mapping, MutableMapping, Optional, Tuple, Union

from . import __version__
from ._flows.single_flight import SingleFlight
from ._http.throttle import ThrottledHttpClient
from ._managed_identity import arc, sources
from ._managed_identity.errors import ArcPlatformNotSupportedError, ManagedIdentityError
from ._managed_identity.service_fabric import pinned_session
from ._managed_identity.sources import (
    APP_SERVICE,
    AZURE_ARC,
    CLOUD_SHELL,
    DEFAULT_TO_VM,
    MACHINE_LEARNING,
    SERVICE_FABRIC,
    Source,
)
from .oauth2cli import jsontext
from .oauth2cli.http import HttpClientProtocol, ResponseProtocol
from .oauth2cli.tolerant import tolerant
from .token_cache import TokenCache

__all__ = [
    "ManagedIdentity",
    "SystemAssignedManagedIdentity",
    "UserAssignedManagedIdentity",
    "ManagedIdentityClient",
    "ManagedIdentityError",
    "ArcPlatformNotSupportedError",
    "get_managed_identity_source",
    "APP_SERVICE",
    "AZURE_ARC",
    "CLOUD_SHELL",
    "DEFAULT_TO_VM",
    "MACHINE_LEARNING",
    "SERVICE_FABRIC",
]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10  # seconds; an endpoint that never answers must not hang the caller
_ENVIRONMENT = "localhost"
_REALM = "managed_identity"
_HALF_LIFE_FROM = 7200  # tokens living this long or longer are refreshed at half their life


class ManagedIdentity(UserDict):  # type: ignore[type-arg]
    """Feed an instance of this class to :class:`ManagedIdentityClient`
    to acquire token for the specified managed identity.

    It is a mapping of two keys, ``ManagedIdentityIdType`` and ``Id``, so the same shape may
    come from a JSON configuration file.
    """

    ID_TYPE = "ManagedIdentityIdType"
    ID = "Id"
    CLIENT_ID = "ClientId"
    RESOURCE_ID = "ResourceId"
    OBJECT_ID = "ObjectId"
    SYSTEM_ASSIGNED = "SystemAssigned"
    _types_mapping = {CLIENT_ID: "client_id", RESOURCE_ID: "msi_res_id", OBJECT_ID: "object_id"}

    def __init__(self, identifier: Optional[str] = None, id_type: Optional[str] = None) -> None:
        super().__init__({self.ID_TYPE: id_type, self.ID: identifier})

    @tolerant
    def __repr__(self) -> str:
        return repr(self.data)  # as a dict, the shape it stands for

    @classmethod
    def is_managed_identity(cls, unknown: Any) -> bool:
        """True for a mapping that names a system-assigned or a user-assigned identity."""
        return cls.is_system_assigned(unknown) or cls.is_user_assigned(unknown)

    @classmethod
    def is_system_assigned(cls, unknown: Any) -> bool:
        return isinstance(unknown, (dict, UserDict)) and (unknown.get(cls.ID_TYPE) == cls.SYSTEM_ASSIGNED)

    @classmethod
    def is_user_assigned(cls, unknown: Any) -> bool:
        return (
            isinstance(unknown, (dict, UserDict))
            and unknown.get(cls.ID_TYPE) in cls._types_mapping
            and isinstance(unknown.get(cls.ID), str)
            and bool(unknown.get(cls.ID))
        )


class SystemAssignedManagedIdentity(ManagedIdentity):
    """Represent a system-assigned managed identity.

    It is equivalent to a Python dict of::

        {"ManagedIdentityIdType": "SystemAssigned", "Id": None}
    """

    def __init__(self) -> None:
        super().__init__(id_type=self.SYSTEM_ASSIGNED)


class UserAssignedManagedIdentity(ManagedIdentity):
    """Represent a user-assigned managed identity, named by exactly one of its ids.

    Depending on the id given, it is equivalent to one of::

        {"ManagedIdentityIdType": "ClientId", "Id": "foo"}
        {"ManagedIdentityIdType": "ResourceId", "Id": "foo"}
        {"ManagedIdentityIdType": "ObjectId", "Id": "foo"}
    """

    def __init__(
        self,
        *,
        client_id: Optional[str] = None,
        resource_id: Optional[str] = None,
        object_id: Optional[str] = None,
    ) -> None:
        given = [
            (kind, value)
            for kind, value in (
                (self.CLIENT_ID, client_id),
                (self.RESOURCE_ID, resource_id),
                (self.OBJECT_ID, object_id),
            )
            if value
        ]
        if len(given) != 1:
            raise ManagedIdentityError(
                "You shall specify one of the three parameters: client_id, resource_id, object_id"
            )
        kind, value = given[0]
        super().__init__(value, id_type=kind)


def get_managed_identity_source() -> Source:
    """Detect the current environment and return the likely identity source.

    One of ``APP_SERVICE``, ``AZURE_ARC``, ``CLOUD_SHELL``, ``DEFAULT_TO_VM``,
    ``MACHINE_LEARNING``, ``SERVICE_FABRIC`` (compare with ``is``). On ``CLOUD_SHELL``,
    :meth:`msal.PublicClientApplication.acquire_token_interactive` with ``prompt="none"``
    gets the signed-in user's token.
    """
    return sources.detect(os.environ)


class ManagedIdentityClient(object):
    """Acquires tokens for a managed identity from the host the app runs on."""

    _TOKEN_SOURCE = "token_source"
    _TOKEN_SOURCE_IDP = "identity_provider"
    _TOKEN_SOURCE_CACHE = "cache"

    def __init__(
        self,
        managed_identity: Union[Dict[str, Any], ManagedIdentity],
        *,
        http_client: Any,
        token_cache: Optional[TokenCache] = None,
        http_cache: Optional[MutableMapping[Any, Any]] = None,
        client_capabilities: Optional[List[str]] = None,
    ) -> None:
        """Create a managed identity client.

        :param managed_identity: A :class:`SystemAssignedManagedIdentity`, a
            :class:`UserAssignedManagedIdentity`, or a dict of the same shape (e.g. loaded
            from JSON). Anything else is a :class:`ManagedIdentityError`.
        :param http_client: An HTTP client such as ``requests.Session()``. Service Fabric
            needs a ``requests.Session``: its certificate is pinned by thumbprint.
        :param token_cache: Where tokens are kept; an in-memory :class:`msal.TokenCache`
            by default.
        :param http_cache: Same as the applications' ``http_cache``:
            throttling state (429s, and 5xx with Retry-After), never tokens.
        :param client_capabilities: Accepted for compatibility (e.g. ``["CP1"]``); the
            managed identity sources take no capability parameter.
        """
        if not ManagedIdentity.is_managed_identity(managed_identity):
            raise ManagedIdentityError("Incorrect managed_identity: %s" % (managed_identity,))
        self._id_type: Optional[str] = managed_identity.get(ManagedIdentity.ID_TYPE)
        self._id: Optional[str] = (
            None
            if ManagedIdentity.is_system_assigned(managed_identity)
            else managed_identity.get(ManagedIdentity.ID)
        )
        self._http_client: HttpClientProtocol = http_client
        self._http_cache: MutableMapping[Any, Any] = {} if http_cache is None else http_cache
        self._token_cache = TokenCache() if token_cache is None else token_cache
        self._client_capabilities = client_capabilities
        self._timeout: float = DEFAULT_TIMEOUT
        self._single_flight = SingleFlight()
        self._pinned_sessions: Dict[str, HttpClientProtocol] = {}  # Service Fabric's, by thumbprint

    def acquire_token_for_client(
        self, *, resource: str, claims_challenge: Optional[str] = None
    ) -> Dict[str, Any]:
        """Acquire a token for the managed identity, from the cache when it holds one.

        :param resource: The resource the token is for, e.g. ``https://vault.azure.net``.
        :param claims_challenge: A claims challenge from a resource (the ``claims`` of its
            ``WWW-Authenticate`` header): the cached token is skipped and a new one fetched.
        :return: A dict with ``access_token``, ``expires_in``, ``token_type``,
            ``token_source`` (``identity_provider`` or ``cache``) and, for tokens the
            cache will refresh early, ``refresh_on``; or an ``error`` dict from the source.
        :raises ManagedIdentityError: the source could not be reached, or answered garbage.
        """
        if not isinstance(resource, str) or not resource.strip():
            raise ValueError("resource must be a non-empty string, e.g. https://vault.azure.net")
        if claims_challenge:
            return self._from_source(resource)
        cached = self._from_cache(resource)
        if cached is not None and not _due(cached):
            return cached

        def fetch() -> Dict[str, Any]:
            latest = self._from_cache(resource)
            if latest is not None and not _due(latest):
                return latest  # another caller refreshed it while this one waited
            return self._refresh(resource, latest)

        result: Dict[str, Any] = self._single_flight.run(resource, fetch)
        return result

    def _refresh(self, resource: str, fallback: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        """A token from the source; the still-valid `fallback` when the source fails."""
        try:
            result = self._from_source(resource)
        except ManagedIdentityError:
            if fallback is None:
                raise
            logger.warning("Refreshing a managed identity token failed; the cached one is used")
            return fallback
        if "error" in result and fallback is not None:
            logger.warning(
                "Refreshing a managed identity token failed (%s); the cached one is used", result.get("error")
            )
            return fallback
        return result

    # ---- cache -----------------------------------------------------------------------------

    def _from_cache(self, resource: str) -> Optional[Dict[str, Any]]:
        now = time.time()
        entry = self._token_cache.find_access_token(
            client_id=self._id,  # type: ignore[arg-type]
            environments=(_ENVIRONMENT,),
            realm=_REALM,
            home_account_id=None,
            scopes=[resource],
            now=now,
        )
        if entry is None:
            return None
        result = {
            "access_token": entry["secret"],
            "token_type": entry.get("token_type", "Bearer"),
            "expires_in": int(entry["expires_on"]) - int(now),
            self._TOKEN_SOURCE: self._TOKEN_SOURCE_CACHE,
        }
        if entry.get("refresh_on"):
            result["refresh_on"] = int(entry["refresh_on"])
        return result

    def _remember(self, resource: str, token: Dict[str, Any], now: int) -> None:
        self._token_cache.add(
            {
                "client_id": self._id,
                "scope": [resource],
                "environment": _ENVIRONMENT,
                "token_endpoint": "https://%s/%s" % (_ENVIRONMENT, _REALM),
                "response": token,
            },
            now=now,
        )

    # ---- the source ------------------------------------------------------------------------

    def _from_source(self, resource: str) -> Dict[str, Any]:
        source = sources.detect(os.environ)
        request = sources.build(source, os.environ, self._id_type, self._id, resource, __version__)
        logger.debug("Asking %s for a managed identity token", source.name)
        status, text = self._send(request)
        result = request.parse(status, text)
        if "access_token" not in result:
            return result
        if source is AZURE_ARC and self._id is not None:
            _check_arc_honoured(self._id_type, self._id, text)
        now = int(time.time())
        _add_refresh_in(result)
        self._remember(resource, result, now)
        if "refresh_in" in result:
            result["refresh_on"] = now + result["refresh_in"]
        result[self._TOKEN_SOURCE] = self._TOKEN_SOURCE_IDP
        return result

    def _send(self, request: sources.TokenRequest) -> Tuple[int, str]:
        """(status, body text) of the source's answer; Arc's challenge is met on the way."""
        client = self._http_client
        if request.source is SERVICE_FABRIC:
            thumbprint = os.environ["IDENTITY_SERVER_THUMBPRINT"]
            if thumbprint not in self._pinned_sessions:
                self._pinned_sessions[thumbprint] = pinned_session(client, thumbprint)
            client = self._pinned_sessions[thumbprint]
        http = ThrottledHttpClient(client, self._http_cache)
        resp = self._get(http, request, request.headers)
        if request.source is AZURE_ARC and resp.status_code == 401:
            key = arc.read_key(arc.challenge_path(resp.headers))
            resp = self._get(http, request, dict(request.headers, Authorization="Basic " + key))
        return resp.status_code, resp.text

    def _get(
        self, http: ThrottledHttpClient, request: sources.TokenRequest, headers: Mapping[str, str]
    ) -> ResponseProtocol:
        try:
            return http.get(request.url, params=request.params, headers=headers, timeout=self._timeout)
        except Exception as exc:  # whatever the caller's http_client raises on a failed call
            if "timeout" in type(exc).__name__.lower():
                message = "did not answer within %s seconds" % self._timeout
            else:
                message = "could not be reached (%s)" % type(exc).__name__
            raise ManagedIdentityError("The %s endpoint %s" % (request.source.name, message)) from exc


def _due(cached: Dict[str, Any]) -> bool:
    """True when a cached token has passed its refresh_on and should be replaced."""
    return "refresh_on" in cached and time.time() >= cached["refresh_on"]


def _add_refresh_in(token: Dict[str, Any]) -> None:
    """Keep a refresh_in the source sent; long-lived tokens refresh at half their life."""
    expires_in = token.get("expires_in")
    refresh_in = token.get("refresh_in")
    if isinstance(refresh_in, int) and 0 < refresh_in and (expires_in is None or refresh_in < expires_in):
        return
    token.pop("refresh_in", None)
    if isinstance(expires_in, int) and expires_in >= _HALF_LIFE_FROM:
        token["refresh_in"] = expires_in // 2


def _check_arc_honoured(id_type: Optional[str], id_value: str, text: Any) -> None:
    """Azure Arc ignores user-assigned ids: refuse a token it did not say is for that id."""
    field = ManagedIdentity._types_mapping.get(id_type or "", "")
    try:
        echoed = jsontext.loads(text).get(field)
    except (ValueError, AttributeError):
        echoed = None
    if not isinstance(echoed, str) or echoed.lower() != id_value.lower():
        raise ManagedIdentityError(
            "Azure Arc did not confirm the requested user-assigned managed identity in its "
            "token answer: the agent supports only the system-assigned identity"
        )
