"""Azure Arc's challenge: the agent names a key file that only local administrators can read.

The first token request gets HTTP 401 with ``WWW-Authenticate: Basic realm=<path of a .key
file>``; the client reads that file and repeats the request with ``Authorization: Basic
<file content>``. A client must only read what the agent may legitimately point at: a file
ending in ``.key``, directly in the agent's token folder (``/var/opt/azcmagent/tokens`` on
Linux, ``%ProgramData%\\AzureConnectedMachineAgent\\Tokens`` on Windows), of at most 4 KB.
Anything else is refused before a byte is read.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Mapping, Optional

from .errors import ArcPlatformNotSupportedError, ManagedIdentityError

KEY_FOLDERS = {
    "linux": "/var/opt/azcmagent/tokens",
    "win32": os.path.join("%ProgramData%", "AzureConnectedMachineAgent", "Tokens"),
}
HIMDS_EXECUTABLES = {
    "linux": "/opt/azcmagent/bin/himds",
    "win32": os.path.join("%ProgramFiles%", "AzureConnectedMachineAgent", "himds.exe"),
}
DEFAULT_ENDPOINT = "http://localhost:40342/metadata/identity/oauth2/token"
MAX_KEY_SIZE = 4096

# Tests point this at a folder of their own; nothing else sets it.
_key_folder_override: Optional[str] = None


def endpoint(environ: Mapping[str, str]) -> Optional[str]:
    """The agent's token endpoint when this machine is Arc-enabled, else None."""
    if "IDENTITY_ENDPOINT" in environ and "IMDS_ENDPOINT" in environ:
        return environ["IDENTITY_ENDPOINT"]
    himds = HIMDS_EXECUTABLES.get(sys.platform)
    if himds and os.path.isfile(os.path.expandvars(himds)):
        return DEFAULT_ENDPOINT
    return None


def key_folder() -> str:
    if _key_folder_override is not None:
        return _key_folder_override
    folder = KEY_FOLDERS.get(sys.platform)
    if folder is None:
        raise ArcPlatformNotSupportedError(
            "Azure Arc managed identity is supported on Linux and Windows only, not on %s" % sys.platform
        )
    return os.path.expandvars(folder)


def challenge_path(headers: Any) -> str:
    """The key file path from a 401 answer's ``WWW-Authenticate: Basic realm=...``."""
    value = _header(headers, "WWW-Authenticate") or ""
    scheme, _, params = value.partition(" ")
    name, _, path = params.strip().partition("=")
    if scheme.lower() != "basic" or name.strip().lower() != "realm" or not path.strip():
        raise ManagedIdentityError(
            "Azure Arc answered 401 without a usable challenge (WWW-Authenticate: %r)" % value
        )
    return path.strip().strip('"')


def read_key(path: str) -> str:
    """The content of the challenge file, after checking where it is and how large."""
    folder = os.path.realpath(key_folder())
    real = os.path.realpath(path)
    if os.path.dirname(real) != folder or not real.endswith(".key"):
        raise ManagedIdentityError(
            "Azure Arc named a challenge file outside its token folder %s: refused" % folder
        )
    try:
        size = os.stat(real).st_size
        if size > MAX_KEY_SIZE:
            raise ManagedIdentityError(
                "Azure Arc's challenge file is %d bytes, more than the %d allowed: refused"
                % (size, MAX_KEY_SIZE)
            )
        with open(real, "r", encoding="utf-8") as handle:
            return handle.read(MAX_KEY_SIZE).strip()  # a line break cannot go in a header
    except OSError as exc:
        raise ManagedIdentityError("Azure Arc's challenge file could not be read: %s" % exc.strerror) from exc


def _header(headers: Any, name: str) -> Optional[str]:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return None
