"""Which URLs the emulator answers for: its own address and the Microsoft login hosts."""
from __future__ import annotations

from urllib.parse import SplitResult

from .config import MICROSOFT_HOSTS, REGIONAL_HOST_SUFFIX

LOCAL_HOSTS = ("localhost", "127.0.0.1")


def is_microsoft_host(host: str) -> bool:
    host = (host or "").lower()
    return host in MICROSOFT_HOSTS or host.endswith(REGIONAL_HOST_SUFFIX)


def served_by(port: int, parts: SplitResult) -> bool:
    """True when an https URL reaches the emulator listening on `port`."""
    if parts.scheme != "https":
        return False
    if parts.hostname in LOCAL_HOSTS:
        return parts.port == port
    return is_microsoft_host(parts.hostname or "") and parts.port in (None, 443)
