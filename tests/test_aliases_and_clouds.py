"""Host aliases and sovereign clouds, over the wire: the emulator answers under the real
Microsoft host names through ``emu.http_client()``."""

import pytest

import msal
from msal.authority import AZURE_CHINA, AZURE_US_GOVERNMENT, AuthorityBuilder
from support.apps import GRAPH_DEFAULT
from support.wire import query_of, token_posts


def app_at(emu, authority, name="web-app", cache=None):
    return msal.ConfidentialClientApplication(
        emu.app(name)["client_id"],
        client_credential=emu.client_credential(name),
        authority=authority,
        http_client=emu.http_client(),
        token_cache=cache,
    )


def sign_in_at(emu, authority, cache):
    app = app_at(emu, authority, cache=cache)
    user = emu.user("alice@" + emu.tenant_domain)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri="https://localhost/callback")
    result = app.acquire_token_by_auth_code_flow(
        flow, query_of(emu.sign_in(flow["auth_uri"], user["username"], user["password"]))
    )
    assert "access_token" in result, result
    return app, result


def test_tokens_cached_under_one_alias_serve_another(emu):
    cache = msal.TokenCache()
    _, first = sign_in_at(emu, "https://login.microsoftonline.com/" + emu.tenant_id, cache)
    other = app_at(emu, "https://login.windows.net/" + emu.tenant_id, cache=cache)
    [account] = other.get_accounts()
    assert account["environment"] == "login.microsoftonline.com"
    emu.clear_requests()
    hit = other.acquire_token_silent(["User.Read"], account)
    assert hit["token_source"] == "cache" and hit["access_token"] == first["access_token"]
    assert token_posts(emu) == []
    refreshed = other.acquire_token_silent(["User.Read"], account, force_refresh=True)
    assert refreshed["token_source"] == "identity_provider"
    assert token_posts(emu)[0]["host"] == "login.windows.net"


def test_client_credentials_across_aliases(emu):
    cache = msal.TokenCache()
    first = app_at(
        emu, "https://login.microsoft.com/" + emu.tenant_id, "confidential-secret", cache
    ).acquire_token_for_client([GRAPH_DEFAULT])
    again = app_at(
        emu, "https://sts.windows.net/" + emu.tenant_id, "confidential-secret", cache
    ).acquire_token_for_client([GRAPH_DEFAULT])
    assert again["token_source"] == "cache" and again["access_token"] == first["access_token"]
    assert len(token_posts(emu)) == 1


@pytest.mark.parametrize(
    "cloud,alias",
    [
        (AZURE_CHINA, "login.partner.microsoftonline.cn"),
        (AZURE_US_GOVERNMENT, "login.usgovcloudapi.net"),
    ],
)
def test_sovereign_clouds(emu, cloud, alias):
    cache = msal.TokenCache()
    authority = AuthorityBuilder(cloud, emu.tenant_domain)
    result = app_at(emu, authority, "confidential-secret", cache).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result
    assert token_posts(emu)[0]["host"] == cloud
    assert not any("discovery/instance" in r["path"] for r in emu.requests), (
        "a well-known cloud needs no instance discovery"
    )
    [entry] = cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN)
    assert entry["environment"] == cloud and entry["realm"] == emu.tenant_id
    same_cloud = app_at(emu, "https://{}/{}".format(alias, emu.tenant_id), "confidential-secret", cache)
    assert same_cloud.acquire_token_for_client([GRAPH_DEFAULT])["token_source"] == "cache"
    public_cloud = app_at(
        emu, "https://login.microsoftonline.com/" + emu.tenant_id, "confidential-secret", cache
    )
    assert public_cloud.acquire_token_for_client([GRAPH_DEFAULT])["token_source"] == "identity_provider", (
        "another cloud's token is not served"
    )
