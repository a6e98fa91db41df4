"""Device code flow and interactive sign-in (system browser + loopback) against node-oidc-provider."""

import threading

import pytest

from support.browser import ScriptedBrowser, registered

SCOPES = ["api://demo/read"]


def test_device_flow(oidc_provider, op_app):
    app = op_app("native")
    flow = app.initiate_device_flow(SCOPES)
    assert flow.get("user_code") and flow["interval"] == 1, flow
    assert flow["verification_uri"].startswith(oidc_provider.authority + "/")
    pages = []
    user = threading.Thread(target=lambda: pages.append(oidc_provider.approve_device_code(flow)))
    user.start()
    try:
        result = app.acquire_token_by_device_flow(flow)
    finally:
        user.join()
    assert "access_token" in result, result
    assert result["id_token_claims"]["preferred_username"] == oidc_provider.user["username"]
    assert len(pages) == 1  # The user reached the provider's success page
    [account] = app.get_accounts()
    silent = app.acquire_token_silent(SCOPES, account)
    assert silent["token_source"] == "cache" and silent["access_token"] == result["access_token"]


def test_device_flow_gives_up_when_expires_at_is_cleared(op_app):
    """Setting flow["expires_at"] to 0 is the documented way to stop polling."""
    app = op_app("native")
    flow = app.initiate_device_flow(SCOPES)
    flow["expires_at"] = 0
    result = app.acquire_token_by_device_flow(flow)
    assert result.get("error") == "authorization_pending", result
    assert app.get_accounts() == []


@pytest.fixture
def scripted_browser(oidc_provider):
    """The system browser: alice signs in on the provider's pages, then lands on the listener."""
    with registered(ScriptedBrowser(oidc_provider.sign_in, name="scripted-op-user")) as browser:
        yield browser


def test_interactive_sign_in(oidc_provider, op_app, scripted_browser):
    app = op_app("native")
    result = app.acquire_token_interactive(SCOPES, timeout=120)
    scripted_browser.join()
    assert not scripted_browser.failures, scripted_browser.failures
    assert "Signed in" in scripted_browser.page.text
    assert "access_token" in result, result
    assert scripted_browser.redirects[0].startswith("http://localhost:")
    [account] = app.get_accounts()
    assert account["username"] == oidc_provider.user["username"]
    refreshed = app.acquire_token_silent(SCOPES, account, force_refresh=True)
    assert refreshed["token_source"] == "identity_provider", refreshed
