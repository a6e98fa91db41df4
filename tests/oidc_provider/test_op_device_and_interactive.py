"""Device code flow and interactive sign-in (system browser + loopback) against node-oidc-provider."""

import threading
import webbrowser

import pytest
import requests

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


class ScriptedBrowser(webbrowser.BaseBrowser):
    """What the system browser does, played by a thread: sign in, then follow the redirect."""

    def __init__(self, oidc_provider, name="alice"):
        super().__init__("scripted-op-user")
        self.oidc_provider, self.user_name = oidc_provider, name
        self.thread = None
        self.outcome = {}

    def open(self, url, new=0, autoraise=True):
        self.thread = threading.Thread(target=self._play, args=(url,))
        self.thread.start()
        return True

    def _play(self, url):
        try:
            redirect = self.oidc_provider.sign_in(url, self.user_name)
            self.outcome["redirect"] = redirect
            self.outcome["page"] = requests.get(redirect, timeout=30).text
        except Exception as exc:  # Reported by the test, not lost in the thread
            self.outcome["error"] = exc


@pytest.fixture
def scripted_browser(oidc_provider):
    browser = ScriptedBrowser(oidc_provider)
    webbrowser.register(browser.name, None, browser, preferred=True)
    try:
        yield browser
    finally:
        webbrowser._tryorder.remove(browser.name)  # No public way to unregister
        webbrowser._browsers.pop(browser.name, None)
        if browser.thread:
            browser.thread.join()


def test_interactive_sign_in(oidc_provider, op_app, scripted_browser):
    app = op_app("native")
    result = app.acquire_token_interactive(SCOPES, timeout=120)
    scripted_browser.thread.join()
    assert "error" not in scripted_browser.outcome, scripted_browser.outcome
    assert "Signed in" in scripted_browser.outcome["page"]
    assert "access_token" in result, result
    assert scripted_browser.outcome["redirect"].startswith("http://localhost:")
    [account] = app.get_accounts()
    assert account["username"] == oidc_provider.user["username"]
    refreshed = app.acquire_token_silent(SCOPES, account, force_refresh=True)
    assert refreshed["token_source"] == "identity_provider", refreshed
