"""Scopes: validation, and the reserved OpenID Connect scopes added to user flows."""
from __future__ import annotations

from typing import Iterable, List, Optional

RESERVED_SCOPES = frozenset(["openid", "profile", "offline_access"])


def validate(scopes: object, name: str = "scopes") -> List[str]:
    """Return the scopes as a list of strings, or raise ``ValueError``/``TypeError`` naming ``name``."""
    if scopes is None:
        raise ValueError("{} is required: give a list of scope strings".format(name))
    if isinstance(scopes, (str, bytes)):
        raise ValueError(
            "The input {} should be a list, tuple, or set of strings, not a single string "
            "(did you mean [{!r}]?)".format(name, scopes))
    try:
        items: List[str] = list(scopes)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError("{} must be a list of strings, not {}".format(name, type(scopes).__name__))
    for item in items:
        if not isinstance(item, str):
            raise TypeError("{} must contain only strings, found {!r}".format(name, item))
    return items


def for_user_flow(scopes: Iterable[str], exclude_scopes: Optional[Iterable[str]] = None
                  ) -> List[str]:
    """The scopes to send on a user flow: the caller's plus the reserved ones, minus exclusions."""
    scopes = validate(scopes)
    reserved = RESERVED_SCOPES.intersection(scopes)
    if reserved:
        raise ValueError(
            "You cannot use any scope value that is reserved: {}. MSAL adds {} itself; use "
            "exclude_scopes on the application to leave some out.".format(
                sorted(reserved), sorted(RESERVED_SCOPES)))
    excluded = set(exclude_scopes or ())
    return sorted(set(scopes) | (RESERVED_SCOPES - excluded))


def check_exclusions(exclude_scopes: object) -> List[str]:
    """Validate the application's ``exclude_scopes``; ``openid`` cannot be excluded."""
    if exclude_scopes is None:
        return []
    excluded = validate(exclude_scopes, name="exclude_scopes")
    if "openid" in excluded:
        raise ValueError('"openid" cannot be excluded: MSAL needs it to sign users in')
    return excluded
