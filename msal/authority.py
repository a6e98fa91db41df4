"""Authorities: which identity provider, which cloud, which tenant.

:class:`AuthorityBuilder` and the cloud constants are public. :class:`Authority` is the parsed,
immutable form the rest of the library works with; parsing does no I/O (discovery lives in
``msal._entra.discovery``).
"""

from __future__ import annotations

import re
from sys import intern
from typing import Any, Dict, Tuple, Union
from urllib.parse import ParseResult, urlparse

from .oauth2cli.tolerant import tolerant

AZURE_US_GOVERNMENT = "login.microsoftonline.us"
AZURE_CHINA = "login.chinacloudapi.cn"
DEPRECATED_AZURE_CHINA = AZURE_CHINA  # Later msal's name for it; AZURE_CHINA stays, as documented
AZURE_PUBLIC = "login.microsoftonline.com"
AZURE_GOV_FR = "login.sovcloud-identity.fr"
AZURE_GOV_DE = "login.sovcloud-identity.de"
AZURE_GOV_SG = "login.sovcloud-identity.sg"

WORLD_WIDE = "login.microsoftonline.com"  # Where instance discovery is asked
WELL_KNOWN_AUTHORITY_HOSTS = frozenset(
    [
        WORLD_WIDE,
        "login.windows.net",
        "login.microsoft.com",
        "sts.windows.net",
        AZURE_CHINA,
        "login.partner.microsoftonline.cn",
        "login-us.microsoftonline.com",
        AZURE_US_GOVERNMENT,
        "login.microsoftonline.de",
        "login.usgovcloudapi.net",
        AZURE_GOV_FR,
        AZURE_GOV_DE,
        AZURE_GOV_SG,
    ]
)
WELL_KNOWN_B2C_HOST_SUFFIXES = (".b2clogin.com", ".b2clogin.cn", ".b2clogin.us", ".b2clogin.de")
CIAM_HOST_SUFFIX = ".ciamlogin.com"
WELL_KNOWN_B2C_HOSTS = [s.lstrip(".") for s in WELL_KNOWN_B2C_HOST_SUFFIXES + (CIAM_HOST_SUFFIX,)]
# Tenants that a token endpoint spells as the authority does, so they are the cache's realm
_SELF_NAMED_TENANT = re.compile(
    r"^(common|organizations|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
_EXPECTED = (
    "Expected an https URL such as https://login.microsoftonline.com/<tenant>, "
    "https://<host>/adfs, https://<tenant>.b2clogin.com/<tenant>.onmicrosoft.com/<policy> "
    "or https://<tenant>.ciamlogin.com"
)


class AuthorityBuilder(object):
    """Builds an authority URL from a cloud instance (host) and a tenant."""

    def __init__(self, instance: str, tenant: str) -> None:
        """``instance`` is one of the cloud constants (or another host); ``tenant`` a tenant id or domain."""
        self._instance = instance.rstrip("/")
        self._tenant = tenant.strip("/")

    @tolerant
    def __str__(self) -> str:
        return "https://{}/{}".format(self._instance, self._tenant)

    @tolerant
    def __repr__(self) -> str:
        return "AuthorityBuilder({!r}, {!r})".format(self._instance, self._tenant)


class Authority(object):
    """A parsed authority, immutable. ``instance`` keeps any port; ``environment`` (the
    cache's) does not. Two authorities are equal when their instance, tenant, kind and path are.
    (A plain slotted class, not a dataclass: ``dataclasses`` would add its imports to every
    ``import msal``.)"""

    __slots__ = (
        "instance",  # host[:port]
        "tenant",  # first path segment: GUID, domain, common, organizations, consumers, adfs
        "kind",  # "aad", "adfs", "b2c", "ciam" or "oidc" (any OpenID Connect provider)
        "path",  # every path segment (a B2C authority also carries its policy)
        # Worked out once, when parsed: the applications of a process share each parsed
        # authority, reading these on every cache lookup.
        "url",
        "environment",
        "names_no_tenant",  # the tenant is ``common`` or ``organizations``: any user's, no app's own
        # The tenant is spelt as its token endpoint spells it (a GUID, ``common`` or
        # ``organizations``), so that it is the realm of the cache's tokens with no discovery
        "tenant_self_named",
        "_hash",
    )
    instance: str
    tenant: str
    kind: str
    path: Tuple[str, ...]
    url: str
    environment: str
    names_no_tenant: bool
    tenant_self_named: bool
    _hash: int

    def __init__(self, instance: str, tenant: str, kind: str, path: Tuple[str, ...]) -> None:
        host = instance.split(":")[0] if not instance.startswith("[") else instance.rsplit(":", 1)[0]
        fields = (
            ("instance", instance),
            ("tenant", tenant),
            ("kind", kind),
            ("path", path),
            ("url", "https://{}/{}".format(instance, "/".join(path))),
            ("environment", intern(host.lower())),  # (interned, as the cache interns its hosts)
            ("names_no_tenant", tenant.lower() in ("common", "organizations")),
            ("tenant_self_named", _SELF_NAMED_TENANT.match(tenant) is not None),
            ("_hash", hash((instance, tenant, kind, path))),
        )
        for name, value in fields:
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("an Authority is immutable: cannot set {!r}".format(name))

    def __delattr__(self, name: str) -> None:
        raise AttributeError("an Authority is immutable: cannot delete {!r}".format(name))

    def _key(self) -> Tuple[str, str, str, Tuple[str, ...]]:
        return self.instance, self.tenant, self.kind, self.path

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self is other or self._key() == other._key()

    def __hash__(self) -> int:  # (the applications key their discovery answers by authority)
        return self._hash

    def __reduce__(self) -> Tuple[Any, Tuple[str, str, str, Tuple[str, ...]]]:
        return Authority, self._key()

    @tolerant
    def __repr__(self) -> str:
        return "Authority(instance={!r}, tenant={!r}, kind={!r}, path={!r})".format(*self._key())

    @property
    def is_adfs(self) -> bool:
        return self.kind == "adfs"

    @property
    def is_b2c(self) -> bool:
        return self.kind == "b2c"

    @property
    def is_well_known(self) -> bool:
        return self.environment in WELL_KNOWN_AUTHORITY_HOSTS

    def with_tenant(self, tenant: str) -> "Authority":
        """A copy of this authority for another tenant (AAD only)."""
        return Authority(self.instance, tenant, self.kind, (tenant,) + self.path[1:])


def parse_authority(authority: Union[str, AuthorityBuilder, None]) -> Authority:
    """Parse and check an authority URL; raise ``ValueError`` saying what is expected."""
    if authority is None:
        authority = "https://{}/common".format(WORLD_WIDE)
    if isinstance(authority, AuthorityBuilder):
        authority = str(authority)
    if not isinstance(authority, str):
        raise ValueError(
            "authority must be a string URL, not {}. {}".format(type(authority).__name__, _EXPECTED)
        )
    parsed = urlparse(authority.strip())
    if parsed.scheme != "https":
        raise ValueError("authority must use https, got {!r}. {}".format(authority, _EXPECTED))
    if not parsed.hostname or parsed.username or parsed.password:
        raise ValueError("authority {!r} is not a plain https URL. {}".format(authority, _EXPECTED))
    # A query or fragment says nothing about the authority: ignored, as the original does
    try:
        _ = parsed.port  # Raises ValueError on a malformed port
    except ValueError:
        raise ValueError("authority {!r} has an invalid port. {}".format(authority, _EXPECTED))
    instance = parsed.netloc.lower()
    host = parsed.hostname.lower()
    segments = tuple(s for s in parsed.path.split("/") if s)
    if host.endswith(CIAM_HOST_SUFFIX) and not segments:
        segments = (host[: -len(CIAM_HOST_SUFFIX)] + ".onmicrosoft.com",)
    if not segments:
        raise ValueError("authority {!r} has no tenant. {}".format(authority, _EXPECTED))
    # The tenant interned, as the cache interns those of its tokens (see msal._cache.index)
    return Authority(instance, intern(segments[0]), _kind_of(host, segments), segments)


def canonicalize(authority_or_auth_endpoint: str) -> Tuple[ParseResult, str, str]:
    """Split an authority (or one of its endpoints) into (parsed URL, host, tenant): the host
    in lower case (port kept), the tenant its first path segment. ``ValueError`` for anything
    but an https URL with a host and at least one path segment."""
    parsed = (
        urlparse(authority_or_auth_endpoint.strip()) if isinstance(authority_or_auth_endpoint, str) else None
    )
    segments = [s for s in parsed.path.split("/") if s] if parsed else []
    if (
        not parsed
        or parsed.scheme != "https"
        or not parsed.hostname
        or parsed.username
        or parsed.password
        or not segments
    ):
        raise ValueError(
            "{!r} should be an https URL with a host and at least one path segment. {}".format(
                authority_or_auth_endpoint, _EXPECTED
            )
        )
    return parsed, parsed.netloc.lower(), segments[0]


def parse_oidc_authority(url: Any) -> Authority:
    """An authority of any OpenID Connect provider (``oidc_authority=``), whose discovery
    document is at ``<url>/.well-known/openid-configuration``."""
    parsed, instance, tenant = canonicalize(url)
    return Authority(instance, tenant, "oidc", tuple(s for s in parsed.path.split("/") if s))


def tenant_discovery(tenant_discovery_endpoint: str, http_client: Any, **kwargs: Any) -> Dict[str, Any]:
    """GET an OpenID Connect discovery document and return it as a dict.

    ``kwargs`` go to ``http_client.get``. ``ValueError`` when the answer is not a successful
    JSON object, naming the status and the error the provider gave.
    """
    from ._entra.discovery import get_json  # Discovery builds on this module

    doc, ok = get_json(http_client, tenant_discovery_endpoint, **kwargs)
    if not ok:
        raise ValueError(
            "OIDC Discovery failed on {}: {} {}".format(
                tenant_discovery_endpoint, doc.get("error"), doc.get("error_description", "")
            )
        )
    return doc


def _kind_of(host: str, segments: Tuple[str, ...]) -> str:
    if segments[0].lower() == "adfs":
        return "adfs"
    if host.endswith(WELL_KNOWN_B2C_HOST_SUFFIXES) or (
        len(segments) > 1 and segments[1].lower().startswith("b2c_")
    ):
        return "b2c"
    if host.endswith(CIAM_HOST_SUFFIX):
        return "ciam"
    return "aad"
