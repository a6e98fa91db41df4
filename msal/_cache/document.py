"""The serialized cache: a JSON object of sections, read with checks and written compactly."""

from __future__ import annotations

import json
from typing import Any, Dict

from .schema import SECTIONS

_EMPTY: Dict[str, Any] = {}


def parse(state: Any) -> Dict[str, Any]:
    """The document in a serialized cache; ``ValueError`` when it is not one.

    ``None`` and blank text are an empty cache. Top-level values other than the known sections
    are kept as they are, for the other libraries that share the document.
    """
    if type(state) is not str:  # Text is tried as JSON first: blank text is never valid JSON
        if state is None or (isinstance(state, (bytes, bytearray)) and not state.strip()):
            return {}
        if isinstance(state, (bytes, bytearray)):
            state = state.decode("utf-8")
        if not isinstance(state, str):
            raise ValueError("Token cache state must be a JSON string, got %s" % type(state).__name__)
    try:
        data = json.loads(state)
    except ValueError as e:
        if not state.strip():
            return {}
        raise ValueError("Token cache state is not valid JSON: %s" % e) from None
    except RecursionError:
        raise ValueError("Token cache state is not valid JSON: nested too deeply") from None
    if type(data) is not dict:  # json.loads makes plain dicts and lists
        raise ValueError("Token cache state must be a JSON object of sections, got %s" % type(data).__name__)
    for name in SECTIONS:
        section = data.get(name, _EMPTY)
        if type(section) is not dict:
            raise ValueError("Token cache section %r must be a JSON object" % name)
        for entry in section.values():
            if type(entry) is not dict:
                _refuse_entry(name, section)
    return data


def _refuse_entry(name: str, section: Dict[str, Any]) -> None:
    """The error for the first entry of a section that is not a JSON object."""
    key = next(k for k, entry in section.items() if type(entry) is not dict)
    raise ValueError("Token cache entry %r in section %r must be a JSON object" % (key, name))


def dump(document: Dict[str, Any]) -> str:
    """Compact JSON: every MSAL reads it, and it is smaller and faster than indented."""
    return json.dumps(document, separators=(",", ":"))
