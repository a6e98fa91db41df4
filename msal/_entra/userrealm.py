"""User realm discovery: is this user managed by Entra or federated to another identity provider?"""

from __future__ import annotations

from typing import Any, Dict
from urllib.parse import quote

from ..authority import Authority
from ..oauth2cli.http import HttpClientProtocol, read_json_object


def discover(
    http_client: HttpClientProtocol, authority: Authority, username: str, headers: Dict[str, str]
) -> Dict[str, Any]:
    """``GET https://<host>/common/userrealm/<username>``; an empty dict when the answer is unusable."""
    url = "https://{}/common/userrealm/{}?api-version=1.0".format(
        authority.instance, quote(username, safe="@")
    )
    resp = http_client.get(url, headers=dict(headers, Accept="application/json"))
    realm = read_json_object(resp, "the user realm endpoint")
    return realm if resp.status_code == 200 and "error" not in realm else {}


def is_federated(realm: Dict[str, Any]) -> bool:
    return str(realm.get("account_type", "")).lower() == "federated" and bool(
        realm.get("federation_metadata_url")
    )
