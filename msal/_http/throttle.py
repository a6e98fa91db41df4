"""Throttling and replay of failed requests, as a wrapper around any HttpClient.

State lives in the application's ``http_cache`` mapping (picklable, and free of tokens and
personal data):

* an answer of 429 stops identical requests for its ``Retry-After`` (or a default), and so
  does a 5xx answer that carries a ``Retry-After`` (without one, a server error is transient
  and the next call may try again at once);
* an identical token request that failed with HTTP 400 is answered from the cache for a minute,
  unless the caller's ``never_replay`` says otherwise (requests meant to repeat, such as
  device-flow polls, or whose error may name the user, such as password grants).

A request is recognised by an HMAC of its method, URL and form under a random key that lives
only in this process's memory. A form usually carries a secret (a password, client secret,
refresh token, code); a plain hash of it, pickled to disk, could be checked offline against
guessed passwords, whereas without the in-memory key the stored digests reveal nothing. So
throttling state lasts as long as the process: entries of other processes (an earlier run's,
in a pickled http_cache), which this one could never match, are dropped when an application
starts using the mapping or adds an entry, and so are expired ones.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any, Callable, Dict, Mapping, MutableMapping, Optional, Tuple

from ..oauth2cli.contract import HttpClientProtocol, ResponseProtocol
from .keys import keyed_digest

logger = logging.getLogger(__name__)
DEFAULT_THROTTLE = 60
MAX_THROTTLE = 3600
REPLAY_400_FOR = 60
MAX_ENTRIES = 1000
_KEY_TAG = "throttle"
# Keys requests in memory only (see the module docstring); the generation tells this process's
# entries from those an earlier process left in a persisted http_cache.
_SECRET = os.urandom(32)
_GENERATION = os.urandom(8).hex()
# Fields that differ between otherwise identical requests; they do not make a request new.
_VOLATILE_FIELDS = ("client_assertion",)


class CachedResponse(object):
    """An earlier error answer, replayed."""

    def __init__(self, status_code: int, text: str, headers: Dict[str, str]) -> None:
        self.status_code, self.text, self.headers = status_code, text, headers

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError("HTTP {} (replayed from the http_cache)".format(self.status_code))


class ThrottledHttpClient(object):
    """Answers from ``http_cache`` while an identical request is throttled; else the real client."""

    def __init__(
        self,
        http_client: HttpClientProtocol,
        http_cache: MutableMapping[Any, Any],
        now: Callable[[], float] = time.time,
        never_replay: Callable[[Any], bool] = lambda data: False,
    ) -> None:
        """``never_replay(data)`` is true for a POST form whose HTTP 400 must not be replayed."""
        self.http_client = http_client
        self._cache = http_cache
        self._now = now
        self._never_replay = never_replay
        if type(http_cache) is not dict or http_cache:  # (the default, empty, holds nothing old)
            self._purge()

    def post(
        self,
        url: str,
        params: Optional[Mapping[str, Any]] = None,
        data: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        **kwargs: Any,
    ) -> ResponseProtocol:
        key = _request_key("POST", url, params, data)
        replay = self._lookup(key)
        if replay is not None:
            return replay
        resp = self.http_client.post(url, params=params, data=data, headers=headers, **kwargs)
        self._remember(key, resp, replayable_400=not self._never_replay(data))
        return resp

    def get(
        self,
        url: str,
        params: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        **kwargs: Any,
    ) -> ResponseProtocol:
        key = _request_key("GET", url, params, None)
        replay = self._lookup(key)
        if replay is not None:
            return replay
        resp = self.http_client.get(url, params=params, headers=headers, **kwargs)
        self._remember(key, resp, replayable_400=False)
        return resp

    def close(self) -> None:
        closer = getattr(self.http_client, "close", None)
        if callable(closer):
            closer()

    def _lookup(self, key: _Key) -> Optional[CachedResponse]:
        try:
            entry = self._cache.get(key)
        except Exception:  # A broken http_cache must not break sign-in
            return None
        if not (isinstance(entry, tuple) and len(entry) == 4):
            return None
        expires, status, text, headers = entry
        if not isinstance(expires, (int, float)) or expires <= self._now():
            return None
        logger.info(
            "Not sent: an identical request was answered HTTP %s; that answer is replayed "
            "from the http_cache for %d s more",
            status,
            expires - self._now(),
        )
        return CachedResponse(status, text, dict(headers))

    def _remember(self, key: _Key, resp: ResponseProtocol, replayable_400: bool) -> None:
        status = getattr(resp, "status_code", 200)
        headers = getattr(resp, "headers", None) or {}
        retry_after = _header(headers, "Retry-After")
        if status == 429 or (500 <= status < 600 and retry_after is not None):
            seconds = parse_retry_after(retry_after, self._now())
        elif status == 400 and replayable_400:
            seconds = REPLAY_400_FOR
        else:
            return
        logger.info(
            "HTTP %s: identical requests will be answered from the http_cache for %d s", status, seconds
        )
        entry = (
            self._now() + seconds,
            status,
            _text_of(resp),
            tuple((k, v) for k, v in headers.items() if k.lower() == "retry-after"),
        )
        try:
            self._purge()
            self._cache[key] = entry
        except Exception:
            pass

    def _purge(self) -> None:
        """Drop expired entries and earlier processes' ones, then the oldest beyond the bound."""
        try:
            now = self._now()
            ours = []
            for k in [k for k in list(self._cache.keys()) if _is_throttle_key(k)]:
                if k[1] == _GENERATION and _alive(self._cache.get(k), now):
                    ours.append(k)
                else:
                    self._cache.pop(k, None)
            if len(ours) >= MAX_ENTRIES:
                ours.sort(key=lambda k: self._cache[k][0])
                for k in ours[: len(ours) - MAX_ENTRIES + 1]:
                    self._cache.pop(k, None)
        except Exception:  # A broken http_cache must not break sign-in
            pass


def parse_retry_after(value: Any, now: float) -> float:
    """Seconds to wait, from ``Retry-After`` as seconds or an HTTP date; a default otherwise."""
    if value is None:
        return DEFAULT_THROTTLE
    text = str(value).strip()
    if text.isdigit():
        return min(max(int(text), 0), MAX_THROTTLE)
    import email.utils  # Only for HTTP-date values; importing it up front slows import msal

    try:
        when = email.utils.parsedate_to_datetime(text)
        return min(max(when.timestamp() - now, 0), MAX_THROTTLE)
    except (TypeError, ValueError, OverflowError):
        return DEFAULT_THROTTLE


def never_replay_grants(*grant_types: str) -> Callable[[Any], bool]:
    """A ``never_replay`` predicate: true for token requests of these grant types."""
    names = frozenset(grant_types)
    return lambda data: isinstance(data, dict) and data.get("grant_type") in names


_Key = Tuple[str, str, str]


def _request_key(method: str, url: str, params: Any, data: Any) -> _Key:
    """A key for "the same request": an HMAC under the in-memory key (see the module docstring)."""
    if isinstance(data, dict):
        body = json.dumps(sorted((k, str(v)) for k, v in data.items() if k not in _VOLATILE_FIELDS))
    else:
        body = str(data or "")
    material = json.dumps([method, url, sorted((params or {}).items()), body], default=str)
    return (_KEY_TAG, _GENERATION, keyed_digest(_SECRET, material))


def _is_throttle_key(key: Any) -> bool:
    return isinstance(key, tuple) and len(key) in (2, 3) and key[0] == _KEY_TAG


def _header(headers: Any, name: str) -> Any:
    """A header's value, whatever the case of its name (a plain dict is not case-insensitive)."""
    try:
        value = headers.get(name)
        if value is None:
            value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
        return value
    except Exception:
        return None


def _text_of(resp: Any) -> str:
    text = getattr(resp, "text", "")
    return text if isinstance(text, str) else ""


def _alive(entry: Any, now: float) -> bool:
    return (
        isinstance(entry, tuple) and len(entry) == 4 and isinstance(entry[0], (int, float)) and entry[0] > now
    )
