"""The web app as a fleet: several worker processes (and hosts) behind one Redis.

Sessions and tokens both live in Redis, so any worker serves any request: a user signs in on
one worker and the next request, served by another, gets the token from the shared cache.

    MSAL_AUTHORITY=... MSAL_CLIENT_ID=... MSAL_CLIENT_SECRET=... MSAL_SCOPE=... API_ENDPOINT=... \\
    FLASK_SECRET_KEY=<the same for every worker> REDIS_URL=redis://localhost:6379/0 \\
    gunicorn -w 2 -b 127.0.0.1:5000 'samples.flask_web_app.fleet:create_fleet_app()'

``TOKEN_CACHE_KEYS`` (optional): comma-separated Fernet keys, newest first, to encrypt the
tokens at rest. The protected API runs the same way (``create_fleet_api()``): its workers share
the tokens they get on behalf of their callers.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Optional

from flask import Flask

from .server_session import IDLE_LIFETIME
from .protected_api import create_api
from .settings import ApiSettings, ConfigError, WebAppSettings
from .web_app import create_app


class RedisSessionStore:
    """The SessionStore interface over Redis: session id -> JSON, expiring after idling."""

    prefix = "msal-sample:session:"

    def __init__(self, client: Any, lifetime: int = IDLE_LIFETIME) -> None:
        self._redis, self._lifetime = client, lifetime

    def get(self, sid: str) -> Optional[Dict[str, Any]]:
        text = self._redis.get(self.prefix + sid)
        if text is None:
            return None
        self._redis.expire(self.prefix + sid, self._lifetime)
        data: Dict[str, Any] = json.loads(text)
        return data

    def put(self, sid: str, data: Dict[str, Any]) -> None:
        self._redis.set(self.prefix + sid, json.dumps(data), ex=self._lifetime)

    def delete(self, sid: str) -> None:
        self._redis.delete(self.prefix + sid)

    def sessions(self) -> List[Dict[str, Any]]:
        """A copy of every live session, for operators and tests."""
        found = [self._redis.get(k) for k in self._redis.scan_iter(self.prefix + "*")]
        return [json.loads(text) for text in found if text is not None]


def _redis_url(environ: Mapping[str, str], *more: str) -> str:
    missing = [name for name in ("REDIS_URL",) + more if not environ.get(name)]
    if missing:
        raise ConfigError("set these environment variables: " + ", ".join(missing))
    return environ["REDIS_URL"]


def _token_cache(environ: Mapping[str, str]) -> Any:
    """The RedisTokenCache every worker of this process shares."""
    from msal.distributed import RedisTokenCache

    keys = [k for k in environ.get("TOKEN_CACHE_KEYS", "").split(",") if k]
    return RedisTokenCache(environ["REDIS_URL"], encryption_keys=keys or None)


def create_fleet_app(environ: Mapping[str, str] = os.environ) -> Flask:
    """The web app over Redis sessions and a RedisTokenCache, configured from the environment
    (FLASK_SECRET_KEY too: every worker must sign session cookies alike)."""
    import redis

    url = _redis_url(environ, "FLASK_SECRET_KEY")
    sessions = RedisSessionStore(redis.Redis.from_url(url))
    return create_app(WebAppSettings.from_env(environ), sessions, shared_cache=_token_cache(environ))


def create_fleet_api(environ: Mapping[str, str] = os.environ) -> Flask:
    """The protected API with its on-behalf-of tokens in a RedisTokenCache (MSAL_CLIENT_ID,
    MSAL_CLIENT_SECRET and DOWNSTREAM_SCOPE enable its /api/downstream endpoint)."""
    _redis_url(environ)
    return create_api(ApiSettings.from_env(environ), token_cache=_token_cache(environ))
