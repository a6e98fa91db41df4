"""Configuration of the sample, read from environment variables (no built-in tenant)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Union

DEFAULT_REDIRECT_PATH = "/getAToken"


class ConfigError(ValueError):
    """A required setting is missing."""


def _required(environ: Mapping[str, str], *names: str) -> List[str]:
    missing = [name for name in names if not environ.get(name)]
    if missing:
        raise ConfigError("set these environment variables: " + ", ".join(missing))
    return [environ[name] for name in names]


def _verify(environ: Mapping[str, str]) -> Union[bool, str]:
    """MSAL_CA_BUNDLE: a PEM file to trust instead of the system's CAs."""
    return environ.get("MSAL_CA_BUNDLE") or True


def _instance_discovery(environ: Mapping[str, str]) -> Optional[bool]:
    value = environ.get("MSAL_INSTANCE_DISCOVERY", "").strip().lower()
    return False if value in ("0", "false", "no") else None


@dataclass(frozen=True)
class WebAppSettings:
    """What the web app needs to sign users in and call the API."""

    authority: str
    client_id: str
    client_secret: str
    scopes: List[str]
    api_endpoint: str
    verify: Union[bool, str] = True
    instance_discovery: Optional[bool] = None
    redirect_path: str = DEFAULT_REDIRECT_PATH
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "WebAppSettings":
        authority, client_id, secret, scopes, api = _required(
            environ, "MSAL_AUTHORITY", "MSAL_CLIENT_ID", "MSAL_CLIENT_SECRET", "MSAL_SCOPE", "API_ENDPOINT"
        )
        key = environ.get("FLASK_SECRET_KEY")
        extra = {"secret_key": key} if key else {}
        return cls(
            authority.rstrip("/"),
            client_id,
            secret,
            scopes.split(),
            api,
            verify=_verify(environ),
            instance_discovery=_instance_discovery(environ),
            redirect_path=environ.get("REDIRECT_PATH") or DEFAULT_REDIRECT_PATH,
            **extra,
        )


@dataclass(frozen=True)
class ApiSettings:
    """What the protected API needs to accept a bearer token, and (optionally) to call a
    downstream API on behalf of its caller: its own credentials and the downstream scopes."""

    authority: str
    audience: str
    required_scope: Optional[str] = None
    verify: Union[bool, str] = True
    client_id: Optional[str] = None
    client_secret: Optional[str] = None
    downstream_scopes: List[str] = field(default_factory=list)
    instance_discovery: Optional[bool] = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "ApiSettings":
        authority, audience = _required(environ, "MSAL_AUTHORITY", "API_AUDIENCE")
        return cls(
            authority.rstrip("/"),
            audience,
            environ.get("API_SCOPE") or None,
            verify=_verify(environ),
            client_id=environ.get("MSAL_CLIENT_ID") or None,
            client_secret=environ.get("MSAL_CLIENT_SECRET") or None,
            downstream_scopes=environ.get("DOWNSTREAM_SCOPE", "").split(),
            instance_discovery=_instance_discovery(environ),
        )
