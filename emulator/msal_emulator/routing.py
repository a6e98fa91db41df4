"""Which URLs the emulator answers for: its own address, the Microsoft login hosts, and the
B2C/CIAM login hosts its configuration declares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Collection
from urllib.parse import SplitResult

from .config import MICROSOFT_HOSTS, REGIONAL_HOST_SUFFIX, TENANT_HOST_SUFFIXES

if TYPE_CHECKING:  # pragma: no cover
    from .config import Directory

LOCAL_HOSTS = ("localhost", "127.0.0.1")


def is_microsoft_host(host: str, tenant_hosts: Collection[str] = ()) -> bool:
    host = (host or "").lower()
    return host in MICROSOFT_HOSTS or host.endswith(REGIONAL_HOST_SUFFIX) or host in tenant_hosts


def served_by(port: int, parts: SplitResult, tenant_hosts: Collection[str] = ()) -> bool:
    """True when an https URL reaches the emulator listening on `port`.

    `tenant_hosts` are the configured `<name>.b2clogin.com` / `<name>.ciamlogin.com` hosts;
    other hosts under those domains are not served.
    """
    if parts.scheme != "https":
        return False
    if parts.hostname in LOCAL_HOSTS:
        return parts.port == port
    return is_microsoft_host(parts.hostname or "", tenant_hosts) and parts.port in (None, 443)


# Hosts of the clouds' instance metadata that are not login hosts of their own.
OTHER_PROXIED_HOSTS = ("login-us.microsoftonline.com",)


def is_proxied_host(host: str, directory: "Directory") -> bool:
    """Hosts the proxy answers itself: every cloud's login hosts and regional hosts, any B2C or
    CIAM host (unknown tenants get the platform's own errors) and the configured ADFS host."""
    host = (host or "").lower()
    return (
        is_microsoft_host(host)
        or host in OTHER_PROXIED_HOSTS
        or host.endswith(TENANT_HOST_SUFFIXES)
        or host in directory.adfs_hosts
    )
