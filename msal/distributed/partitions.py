"""Which partition of a shared cache a token belongs to, and its Redis key.

A partition is named by a readable key (``user|<client id>|<home account id>``, ...). Its Redis
key is a hash of that name, so no account name or assertion ever appears in Redis keys, and it
is wrapped in a hash tag (``{...}``) so a partition's keys live in one Redis Cluster slot.
"""

from __future__ import annotations

import hashlib
from typing import Any, Dict, Optional

from .._entra.discovery import KNOWN_ALIASES
from .._entra.obo import assertion_hash

__all__ = [
    "app_partition",
    "user_partition",
    "obo_partition",
    "assertion_hash",
    "canonical_environment",
    "redis_key",
    "partition_of_entry",
]


def canonical_environment(environment: Any) -> str:
    """One name per cloud: tokens cached under one alias are found under all of them."""
    env = str(environment or "").lower()
    for group in KNOWN_ALIASES:
        if env in group:
            return group[0]
    return env


def _name(*parts: Any) -> str:
    return "|".join("" if p is None else str(p) for p in parts).lower()


def app_partition(environment: Any, client_id: Any, tenant: Any) -> str:
    """The partition of an application's own tokens (client credentials) in one tenant."""
    return _name("app", canonical_environment(environment), client_id, tenant)


def user_partition(client_id: Any, home_account_id: Any) -> str:
    """The partition of one signed-in user's tokens for one client."""
    return _name("user", client_id, home_account_id)


def obo_partition(client_id: Any, user_assertion_hash: Any) -> str:
    """The partition of the tokens a middle tier obtained on behalf of one incoming assertion."""
    return _name("obo", client_id, user_assertion_hash)


def redis_key(namespace: str, partition: str) -> str:
    """The Redis key of a partition: a digest, hash-tagged so all its keys share a slot."""
    digest = hashlib.sha256(partition.encode("utf-8")).hexdigest()[:40]
    return "%s:{%s}" % (namespace, digest)


def partition_of_entry(credential_type: str, entry: Dict[str, Any]) -> Optional[str]:
    """The partition a cache entry lives in, or None when the entry alone does not say
    (an Account has no client id, AppMetadata no account)."""
    client_id = entry.get("client_id")
    if client_id and entry.get("user_assertion_hash"):
        return obo_partition(client_id, entry["user_assertion_hash"])
    if client_id and entry.get("home_account_id"):
        return user_partition(client_id, entry["home_account_id"])
    if credential_type == "AccessToken":  # An app's own; a system-assigned managed identity
        return app_partition(entry.get("environment"), client_id, entry.get("realm"))  # has no id
    return None
