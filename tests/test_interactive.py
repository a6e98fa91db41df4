"""acquire_token_interactive with a scripted browser registered through ``webbrowser``: it plays
the user on the emulator's real pages, then follows the redirect to the loopback listener."""

import contextlib
import socket
import threading
from urllib.parse import urlparse

import pytest

from support.browser import ScriptedBrowser, registered
from support.wire import query_of, token_posts


@pytest.fixture
def browser(emu):
    """Register a scripted browser where alice signs in as the only one, for this test only."""
    alice = emu.user("alice@" + emu.tenant_domain)

    def register(consent=True, **options):
        sign_in = lambda url: emu.sign_in(url, alice["username"], alice["password"], consent=consent)
        return browsers.enter_context(registered(ScriptedBrowser(sign_in, **options)))

    with contextlib.ExitStack() as browsers:
        yield register


def test_interactive_sign_in(emu, make_app, browser):
    user_browser = browser()
    launched = []
    app = make_app("public")
    result = app.acquire_token_interactive(
        ["User.Read"],
        login_hint="alice@" + emu.tenant_domain,
        prompt="select_account",
        timeout=60,
        on_before_launching_ui=lambda ui, **kwargs: launched.append(ui),
    )
    user_browser.join()
    assert "access_token" in result, result
    assert launched == ["browser"]
    assert user_browser.page.status_code == 200 and "Signed in" in user_browser.page.text
    params = query_of(user_browser.opened[0])
    assert urlparse(params["redirect_uri"]).hostname == "localhost"
    assert params["login_hint"] == "alice@" + emu.tenant_domain
    assert params["prompt"] == "select_account" and params["code_challenge_method"] == "S256"
    assert token_posts(emu)[0]["headers"]["x-client-current-telemetry"] == "4|169,0|"
    [account] = app.get_accounts()
    assert app.acquire_token_silent(["User.Read"], account)["token_source"] == "cache"


def test_extra_scopes_to_consent(emu, make_app, browser):
    user_browser = browser()
    app = make_app("public")
    api_scope = "{}/access_as_user".format(emu.app("web-api")["app_id_uri"])
    result = app.acquire_token_interactive(["User.Read"], extra_scopes_to_consent=[api_scope], timeout=60)
    user_browser.join()
    assert "access_token" in result, result
    assert api_scope in query_of(user_browser.opened[0])["scope"].split()
    token_scope = token_posts(emu, "authorization_code")[0]["form"]["scope"].split()
    assert "User.Read" in token_scope and api_scope not in token_scope


def test_a_response_with_another_state_is_refused(emu, make_app, browser):
    user_browser = browser(forge_first=True)
    result = make_app("public").acquire_token_interactive(["User.Read"], timeout=60)
    user_browser.join()
    assert "access_token" in result, result
    assert user_browser.refused[0].status_code == 400
    codes = [p["form"]["code"] for p in token_posts(emu, "authorization_code")]
    assert codes and "stolen" not in codes


def test_timeout_when_the_user_never_finishes(make_app, browser):
    browser(idle=True)
    result = make_app("public").acquire_token_interactive(["User.Read"], timeout=1)
    assert result["error"] == "timeout"


def test_idle_preconnected_connections_do_not_block_the_sign_in(make_app, browser):
    user_browser = browser(preconnects=2)
    result = make_app("public").acquire_token_interactive(["User.Read"], timeout=60)
    user_browser.join()
    assert "access_token" in result, result
    assert user_browser.page.status_code == 200 and "Signed in" in user_browser.page.text


def test_timeout_is_honoured_while_a_connection_stays_idle(make_app, browser):
    user_browser = browser(idle=True, preconnects=1)
    got = {}
    app = make_app("public")
    caller = threading.Thread(
        target=lambda: got.update(result=app.acquire_token_interactive(["User.Read"], timeout=1))
    )
    caller.start()
    caller.join(60)
    finished = not caller.is_alive()
    user_browser.join()  # Closing the idle connection frees a caller stuck on it
    caller.join(60)
    assert finished, "acquire_token_interactive went past its timeout"
    assert got["result"]["error"] == "timeout"


def test_user_declines(emu, make_app, browser):
    user_browser = browser(consent=False)
    app = make_app("public")
    result = app.acquire_token_interactive(["User.Read"], timeout=60)
    user_browser.join()
    assert result["error"] == "access_denied", result
    assert "Sign-in failed" in user_browser.page.text
    assert app.get_accounts() == [] and token_posts(emu) == []


def test_explicit_port_and_port_in_use(emu, make_app, browser):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    user_browser = browser()
    result = make_app("public").acquire_token_interactive(["User.Read"], port=port, timeout=60)
    user_browser.join()
    assert "access_token" in result
    assert query_of(user_browser.opened[0])["redirect_uri"] == "http://localhost:{}".format(port)

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        with pytest.raises(OSError, match="already in use"):
            make_app("public").acquire_token_interactive(["User.Read"], port=busy.getsockname()[1], timeout=5)


def test_listener_binds_loopback_only():
    from msal.oauth2cli.authcode import LoopbackListener

    with LoopbackListener() as listener:
        assert {host for host, _ in listener.addresses} <= {"127.0.0.1", "::1"}
        assert listener.redirect_uri == "http://localhost:{}".format(listener.port)


def test_allow_broker_falls_back_to_the_browser(emu, make_app, browser):
    user_browser = browser()
    app = make_app("public", allow_broker=True)
    result = app.acquire_token_interactive(["User.Read"], parent_window_handle=0, timeout=60)
    user_browser.join()
    assert "access_token" in result and user_browser.opened
