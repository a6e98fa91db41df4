"""Small helpers the end-to-end tests share."""
from urllib.parse import parse_qsl, urlparse

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


def query_of(url):
    """The parameters of a redirect URL, as the web app would receive them."""
    return dict(parse_qsl(urlparse(url).query))


def token_posts(emu, grant_type=None):
    """The token requests the emulator received (optionally of one grant type)."""
    return [r for r in emu.requests if r["method"] == "POST" and r["path"].endswith("/token")
            and (grant_type is None or r["form"].get("grant_type") == grant_type)]
