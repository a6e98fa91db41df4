"""User realm discovery: is this user managed by Entra or federated to another identity provider?"""
from __future__ import annotations

from typing import Any, Dict
from urllib.parse import quote

from ..authority import Authority
from ..oauth2cli import jsontext


def discover(http_client: Any, authority: Authority, username: str,
             headers: Dict[str, str]) -> Dict[str, Any]:
    """``GET https://<host>/common/userrealm/<username>``; an empty dict when the answer is unusable."""
    url = "https://{}/common/userrealm/{}?api-version=1.0".format(
        authority.instance, quote(username, safe="@"))
    resp = http_client.get(url, headers=dict(headers, Accept="application/json"))
    try:
        realm = jsontext.loads(resp.text)
    except ValueError:
        return {}
    return realm if isinstance(realm, dict) and resp.status_code == 200 else {}


def is_federated(realm: Dict[str, Any]) -> bool:
    return str(realm.get("account_type", "")).lower() == "federated" \
        and bool(realm.get("federation_metadata_url"))
