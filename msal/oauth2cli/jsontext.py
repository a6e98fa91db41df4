"""JSON from the network or from users, decoded with one error for every kind of bad input."""

from __future__ import annotations

import json
from typing import Any


def loads(text: Any) -> Any:
    """``json.loads`` that raises only ``ValueError``: for non-text, malformed or absurdly deep input."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text")
    if not isinstance(text, str):
        raise ValueError("expected JSON text, got {}".format(type(text).__name__))
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply")
