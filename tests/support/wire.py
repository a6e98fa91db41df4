"""Reading what went over the wire: the emulator's request log and the URLs of redirects."""

from typing import Any, Dict, List, Optional
from urllib.parse import parse_qsl, urlsplit


def query_of(url: str) -> Dict[str, str]:
    """The parameters of a redirect URL, as the web app would receive them."""
    return dict(parse_qsl(urlsplit(url).query))


def token_posts(
    emu: Any, grant_type: Optional[str] = None, client_id: Optional[str] = None
) -> List[Dict[str, Any]]:
    """The token requests the emulator received (optionally of one grant type or client)."""
    return [
        r
        for r in emu.requests
        if r["method"] == "POST"
        and r["path"].rstrip("/").endswith("/token")
        and grant_type in (None, r["form"].get("grant_type"))
        and client_id in (None, r["form"].get("client_id"))
    ]
