"""Scopes: validation, and the reserved OpenID Connect scopes added to user flows."""

from __future__ import annotations

import warnings
from typing import Iterable, List, Optional

RESERVED_SCOPES = frozenset(["openid", "profile", "offline_access"])


def validate(scopes: object, name: str = "scopes") -> List[str]:
    """Return the scopes as a list of strings, or raise ``ValueError``/``TypeError`` naming ``name``."""
    if scopes is None:
        raise ValueError("{} is required: give a list of scope strings".format(name))
    if isinstance(scopes, (str, bytes)):
        raise ValueError(
            "The input {} should be a list, tuple, or set of strings, not a single string "
            "(did you mean [{!r}]?)".format(name, scopes)
        )
    try:
        items: List[str] = list(scopes)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError("{} must be a list of strings, not {}".format(name, type(scopes).__name__))
    for item in items:
        if not isinstance(item, str):
            raise TypeError("{} must contain only strings, found {!r}".format(name, item))
    return items


def for_cache_lookup(scopes: object) -> List[str]:
    """Scopes of a call that may be answered from the cache: at least one is needed, because
    an empty list would match every cached token, whatever its resource."""
    checked = validate(scopes)
    if not checked:
        raise ValueError(
            "scopes must name at least one scope, such as "
            "['https://graph.microsoft.com/.default']; an empty list would match any "
            "cached token"
        )
    return checked


def for_client_credentials(scopes: object) -> List[str]:
    """Like :func:`for_cache_lookup`, but a single space-separated string is still accepted (with
    a ``DeprecationWarning``), as the original library accepted it."""
    if isinstance(scopes, str):
        scopes = scopes.split()
        warnings.warn(
            "Pass the scopes of acquire_token_for_client() as a list of strings, such as {!r}".format(scopes),
            DeprecationWarning,
            stacklevel=4,
        )
    return for_cache_lookup(scopes)


def for_user_flow(scopes: Iterable[str], exclude_scopes: Optional[Iterable[str]] = None) -> List[str]:
    """The scopes to send on a user flow: the caller's plus the reserved ones, minus exclusions."""
    scopes = refuse_reserved(validate(scopes))
    excluded = set(exclude_scopes or ())
    return sorted(set(scopes) | (RESERVED_SCOPES - excluded))


def refuse_reserved(scopes: List[str]) -> List[str]:
    """The scopes, unless one is reserved (``ValueError``): a user flow adds those itself, and a
    silent lookup refuses them too, without building what a request would send."""
    if not RESERVED_SCOPES.isdisjoint(scopes):
        raise ValueError(
            "You cannot use any scope value that is reserved: {}. MSAL adds {} itself; use "
            "exclude_scopes on the application to leave some out.".format(
                sorted(RESERVED_SCOPES.intersection(scopes)), sorted(RESERVED_SCOPES)
            )
        )
    return scopes


def check_exclusions(exclude_scopes: object) -> List[str]:
    """Validate the application's ``exclude_scopes``; ``openid`` cannot be excluded."""
    if exclude_scopes is None:
        return []
    excluded = validate(exclude_scopes, name="exclude_scopes")
    if "openid" in excluded:
        raise ValueError('"openid" cannot be excluded: MSAL needs it to sign users in')
    return excluded
