"""The stored form of a partition: its JSON document, sealed when encryption keys are given.

A stored value is ``msal-cache.v1.`` then ``f.`` and a Fernet token (AES-128-CBC with
HMAC-SHA256, authenticated), or ``p.`` and plain JSON. The sealed JSON names its partition, so
a value copied under another partition's key is refused like a tampered one.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Sequence, Union

PREFIX = b"msal-cache.v1."
SEALED, PLAIN = b"f.", b"p."

Key = Union[str, bytes]


class BadEntry(ValueError):
    """A stored value that is not ours, does not decrypt, or belongs elsewhere."""


class Sealer(object):
    """Turns partition documents into stored values and back, with a list of keys for rotation:
    values are sealed with the first key and opened with any of them."""

    def __init__(self, keys: Optional[Sequence[Key]] = None) -> None:
        self._fernet: Any = None
        if keys is not None:
            self._fernet = _multi_fernet(keys)

    @property
    def encrypts(self) -> bool:
        return self._fernet is not None

    def seal(self, partition: str, doc: Dict[str, Any]) -> bytes:
        payload = json.dumps({"partition": partition, "cache": doc}, separators=(",", ":")).encode("utf-8")
        if self._fernet is None:
            return PREFIX + PLAIN + payload
        sealed: bytes = self._fernet.encrypt(payload)
        return PREFIX + SEALED + sealed

    def open(self, partition: str, value: bytes) -> Dict[str, Any]:
        """The document stored in ``value``; BadEntry says why it cannot be used."""
        if not isinstance(value, bytes) or not value.startswith(PREFIX):
            raise BadEntry("it is not a token cache value written by msal")
        body = value[len(PREFIX) :]
        if body.startswith(SEALED):
            payload = self._decrypt(body[len(SEALED) :])
        elif body.startswith(PLAIN):
            if self._fernet is not None:
                raise BadEntry("it is not encrypted, and this cache requires encryption")
            payload = body[len(PLAIN) :]
        else:
            raise BadEntry("it is not a token cache value written by msal")
        try:
            data = json.loads(payload.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise BadEntry("its content is not valid JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("cache"), dict):
            raise BadEntry("its content is not a token cache document")
        if data.get("partition") != partition:
            raise BadEntry("it belongs to another partition")
        doc: Dict[str, Any] = data["cache"]
        return doc

    def _decrypt(self, token: bytes) -> bytes:
        if self._fernet is None:
            raise BadEntry("it is encrypted, and this cache was given no encryption keys")
        from cryptography.fernet import InvalidToken

        try:
            plain: bytes = self._fernet.decrypt(token)
            return plain
        except InvalidToken:
            raise BadEntry("it does not decrypt with any of the keys (another key, or altered)") from None


def _multi_fernet(keys: Sequence[Key]) -> Any:
    from cryptography.fernet import Fernet, MultiFernet

    if isinstance(keys, (str, bytes)) or not keys:
        raise ValueError(
            "encryption_keys must be a non-empty list of Fernet keys "
            "(newest first), e.g. [Fernet.generate_key()]"
        )
    fernets = []
    for position, key in enumerate(keys):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise ValueError(
                "encryption_keys[%d] is not a Fernet key: 32 bytes, url-safe "
                "base64-encoded, as Fernet.generate_key() makes" % position
            ) from None
    return MultiFernet(fernets)
