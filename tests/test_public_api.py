"""The public surface is pinned to the API reference: names, parameters, order and defaults."""
import inspect

import pytest

import msal
import msal.authority
import msal.oauth2cli.http

P = inspect.Parameter
_ = P.empty

# (name, default) in the reference's order; "**" marks a **kwargs parameter.
COMMON_METHODS = {
    "acquire_token_by_auth_code_flow": [("auth_code_flow", _), ("auth_response", _),
                                        ("scopes", None), "**"],
    "acquire_token_by_authorization_code": [("code", _), ("scopes", _), ("redirect_uri", None),
                                            ("nonce", None), ("claims_challenge", None), "**"],
    "acquire_token_by_refresh_token": [("refresh_token", _), ("scopes", _), "**"],
    "acquire_token_by_username_password": [("username", _), ("password", _), ("scopes", _),
                                           ("claims_challenge", None), "**"],
    "acquire_token_silent": [("scopes", _), ("account", _), ("authority", None),
                             ("force_refresh", False), ("claims_challenge", None), "**"],
    "acquire_token_silent_with_error": [("scopes", _), ("account", _), ("authority", None),
                                        ("force_refresh", False), ("claims_challenge", None), "**"],
    "get_accounts": [("username", None)],
    "get_authorization_request_url": [
        ("scopes", _), ("login_hint", None), ("state", None), ("redirect_uri", None),
        ("response_type", "code"), ("prompt", None), ("nonce", None), ("domain_hint", None),
        ("claims_challenge", None), "**"],
    "initiate_auth_code_flow": [
        ("scopes", _), ("redirect_uri", None), ("state", None), ("prompt", None),
        ("login_hint", None), ("domain_hint", None), ("claims_challenge", None),
        ("max_age", None), ("response_mode", None)],
    "remove_account": [("account", _)],
}
PUBLIC_ONLY = {
    "acquire_token_by_device_flow": [("flow", _), ("claims_challenge", None), "**"],
    "acquire_token_interactive": [
        ("scopes", _), ("prompt", None), ("login_hint", None), ("domain_hint", None),
        ("claims_challenge", None), ("timeout", None), ("port", None),
        ("extra_scopes_to_consent", None), ("max_age", None), ("parent_window_handle", None),
        ("on_before_launching_ui", None), "**"],
    "initiate_device_flow": [("scopes", None), "**"],
}
CONFIDENTIAL_ONLY = {
    "acquire_token_for_client": [("scopes", _), ("claims_challenge", None), "**"],
    "acquire_token_on_behalf_of": [("user_assertion", _), ("scopes", _),
                                   ("claims_challenge", None), "**"],
}
CONFIDENTIAL_INIT = [
    ("client_id", _), ("client_credential", None), ("authority", None),
    ("validate_authority", True), ("token_cache", None), ("http_client", None), ("verify", True),
    ("proxies", None), ("timeout", None), ("client_claims", None), ("app_name", None),
    ("app_version", None), ("client_capabilities", None), ("azure_region", None),
    ("exclude_scopes", None), ("http_cache", None), ("instance_discovery", None),
    ("allow_broker", None)]


def check_signature(func, expected):
    """The reference's parameters come first, in order, with their defaults; anything this
    package adds is keyword-only or a catch-all, so no documented call changes meaning."""
    params = [p for p in inspect.signature(func).parameters.values() if p.name != "self"]
    positional = [p for p in params if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
    named = [e for e in expected if e != "**"]
    assert [(p.name, p.default) for p in positional] == named, func.__qualname__
    if "**" in expected:
        assert any(p.kind == P.VAR_KEYWORD for p in params), func.__qualname__


def test_exported_names():
    assert set(msal.__all__) >= {"PublicClientApplication", "ConfidentialClientApplication",
                                 "ClientApplication", "TokenCache", "SerializableTokenCache"}
    assert issubclass(msal.PublicClientApplication, msal.ClientApplication)
    assert issubclass(msal.ConfidentialClientApplication, msal.ClientApplication)
    assert issubclass(msal.SerializableTokenCache, msal.TokenCache)
    assert msal.__version__ == "1.22.0"
    assert msal.ClientApplication.ATTEMPT_REGION_DISCOVERY is True


def test_authority_module():
    from msal.authority import AZURE_CHINA, AZURE_PUBLIC, AZURE_US_GOVERNMENT, AuthorityBuilder
    assert AZURE_PUBLIC == "login.microsoftonline.com"
    assert AZURE_CHINA == "login.chinacloudapi.cn"
    assert AZURE_US_GOVERNMENT == "login.microsoftonline.us"
    assert str(AuthorityBuilder(AZURE_PUBLIC, "contoso.onmicrosoft.com")) == \
        "https://login.microsoftonline.com/contoso.onmicrosoft.com"


def test_http_client_contract():
    client = msal.oauth2cli.http.HttpClient()
    with pytest.raises(NotImplementedError):
        client.post("https://example.invalid")
    with pytest.raises(NotImplementedError):
        client.get("https://example.invalid")


@pytest.mark.parametrize("name,expected", sorted(COMMON_METHODS.items()))
def test_common_methods(name, expected):
    for cls in (msal.PublicClientApplication, msal.ConfidentialClientApplication):
        check_signature(getattr(cls, name), expected)


@pytest.mark.parametrize("name,expected", sorted(PUBLIC_ONLY.items()))
def test_public_client_methods(name, expected):
    check_signature(getattr(msal.PublicClientApplication, name), expected)


@pytest.mark.parametrize("name,expected", sorted(CONFIDENTIAL_ONLY.items()))
def test_confidential_client_methods(name, expected):
    check_signature(getattr(msal.ConfidentialClientApplication, name), expected)


def test_constructors():
    check_signature(msal.ConfidentialClientApplication.__init__, CONFIDENTIAL_INIT)
    check_signature(msal.ClientApplication.__init__, CONFIDENTIAL_INIT)
    check_signature(msal.PublicClientApplication.__init__,
                    [("client_id", _), ("client_credential", None), "**"])


def test_token_cache_methods():
    check_signature(msal.TokenCache.add, [("event", _), ("now", None)])
    check_signature(msal.SerializableTokenCache.add, [("event", _), "**"])
    check_signature(msal.SerializableTokenCache.serialize, [])
    check_signature(msal.SerializableTokenCache.deserialize, [("state", _)])
    assert msal.SerializableTokenCache().has_state_changed is False
