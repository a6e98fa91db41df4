"""acquire_token_interactive driven by a real headless Chromium: the user types their password
on the emulator's sign-in page, and Chromium follows the redirect to the loopback listener."""

import threading
import webbrowser

import pytest

from support.chromium import CHROMIUM, CHROMIUM_ARGS
from support.wire import query_of

pytestmark = pytest.mark.skipif(
    not CHROMIUM, reason="Chromium is not installed (./dev test installs it where apt-get is available)"
)


class ChromiumUser(webbrowser.BaseBrowser):
    """Opens the URL in headless Chromium and signs in like a person would."""

    def __init__(self, username, password):
        super().__init__("chromium-user")
        self.username, self.password = username, password
        self.final_text, self.error, self.thread = None, None, None

    def open(self, url, new=0, autoraise=True):
        self.thread = threading.Thread(target=self._play, args=(url,))
        self.thread.start()
        return True

    def _play(self, url):
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(ignore_https_errors=True).new_page()
                page.goto(url)
                page.fill("input[name=login]", self.username)
                page.fill("input[name=passwd]", self.password)
                page.click("button[value=accept]")
                page.wait_for_url("http://localhost:*/**", timeout=30000)
                page.wait_for_selector("text=Signed in", timeout=30000)
                self.final_text = page.inner_text("body")
                browser.close()
        except Exception as exc:  # Reported by the test, not lost in a thread
            self.error = exc


def test_interactive_sign_in_in_chromium(emu, make_app, monkeypatch):
    pytest.importorskip("playwright.sync_api")
    monkeypatch.setattr(webbrowser, "_tryorder", [])
    monkeypatch.setattr(webbrowser, "_browsers", {})
    alice = emu.user("alice@" + emu.tenant_domain)
    user = ChromiumUser(alice["username"], alice["password"])
    webbrowser.register("chromium-user", None, user, preferred=True)

    app = make_app("public")
    result = app.acquire_token_interactive(["User.Read"], timeout=90)
    user.thread.join(60)
    assert user.error is None, user.error
    assert "access_token" in result, result
    assert "Signed in" in user.final_text
    assert result["id_token_claims"]["preferred_username"] == alice["username"]
    assert app.get_accounts()[0]["username"] == alice["username"]
    authorize = [r for r in emu.requests if r["path"].endswith("/authorize") and r["method"] == "GET"]
    assert (
        query_of("?" + "&".join("{}={}".format(k, v) for k, v in authorize[0]["query"].items()))[
            "code_challenge_method"
        ]
        == "S256"
    )
