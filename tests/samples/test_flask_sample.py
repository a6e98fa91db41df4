"""The Flask web-app sample end to end: a person signs in on the emulator's page in headless
Chromium, the app calls its protected API with the cached token, then signs out."""

from types import SimpleNamespace

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

import msal
from support.chromium import CHROMIUM, CHROMIUM_ARGS
from support.wire import token_posts
from samples.flask_web_app import create_api, create_app
from samples.flask_web_app.emulated import emulator_api_settings, emulator_web_app_settings
from samples.flask_web_app.server_session import SessionStore
from samples.flask_web_app.serving import RedactingRequestHandler, SilentRequestHandler, serving
from samples.flask_web_app.web_app import COOKIE_NAME


@pytest.fixture
def sample(emu):
    """The protected API and the web app, served on loopback and wired to the emulator."""
    store = SessionStore()
    with serving(create_api(emulator_api_settings(emu)), handler=SilentRequestHandler) as api:
        api_url = "http://127.0.0.1:%d/api/me" % api.server_port
        settings = emulator_web_app_settings(emu, api_url)
        with serving(create_app(settings, store), handler=SilentRequestHandler) as web:
            # localhost, not 127.0.0.1: the redirect URI registered is http://localhost/callback
            yield SimpleNamespace(
                url="http://localhost:%d" % web.server_port, api_url=api_url, settings=settings, store=store
            )


@pytest.fixture
def page():
    """A page in headless Chromium that accepts the emulator's certificate."""
    if not CHROMIUM:
        pytest.skip("Chromium is not installed (./dev test installs it where apt-get is available)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(ignore_https_errors=True).new_page()
            page.set_default_timeout(20000)
            yield page
        finally:
            browser.close()


def usernames_in_session_caches(store):
    """The accounts held by the token caches in every live server-side session."""
    names = []
    for data in store.sessions():
        cache = msal.SerializableTokenCache()
        cache.deserialize(data.get("token_cache"))
        names += [a["username"] for a in cache.find(msal.TokenCache.CredentialType.ACCOUNT)]
    return names


def claims_table(page):
    return dict(
        page.eval_on_selector_all(
            "#claims tr", "rows => rows.map(r => [r.cells[0].innerText, r.cells[1].innerText])"
        )
    )


def session_cookie(page):
    return [c for c in page.context.cookies() if c["name"] == COOKIE_NAME][0]["value"]


def test_sign_in_call_api_and_sign_out_in_chromium(emu, sample, page):
    alice = emu.user("alice")
    page.goto(sample.url + "/")
    page.click("#login")
    page.wait_for_selector("input[name=passwd]")
    cookie_before_sign_in = session_cookie(page)
    page.fill("input[name=login]", alice["username"])
    page.fill("input[name=passwd]", alice["password"])
    page.click("button[value=accept]")

    page.wait_for_selector("#welcome")
    assert page.inner_text("#name") == alice["name"]
    assert page.inner_text("#username") == alice["username"]
    assert usernames_in_session_caches(sample.store) == [alice["username"]]
    cookie = session_cookie(page)
    assert "eyJ" not in cookie and len(cookie) < 100, "tokens stay server-side"
    assert cookie != cookie_before_sign_in, "signing in gives the session a new id"
    assert len(token_posts(emu, "authorization_code")) == 1

    page.click("#call-api")
    page.wait_for_selector("#claims")
    assert page.inner_text("#status") == "200"
    claims = claims_table(page)
    assert claims["preferred_username"] == alice["username"]
    assert claims["aud"] == emu.app("web-api")["app_id_uri"]
    assert claims["scp"] == "access_as_user"
    assert len(token_posts(emu)) == 1, "the API call used the cached access token"

    page.click("#home")
    page.click("#logout")
    page.wait_for_selector("#login")
    assert "Sign in" in page.inner_text("body")
    assert "Welcome" not in page.inner_text("body")
    assert usernames_in_session_caches(sample.store) == []
    assert emu.requests.matching("/oauth2/v2.0/logout", "GET"), "signed out at the provider too"


def test_forged_redirect_is_ignored(emu, sample):
    browser = requests.Session()
    started = browser.get(sample.url + "/login", allow_redirects=False)
    assert started.status_code == 302 and "/oauth2/v2.0/authorize?" in started.headers["Location"]

    forged = browser.get(
        sample.url + sample.settings.redirect_path,
        params={"state": "forged", "code": "x"},
        allow_redirects=False,
    )
    assert forged.status_code == 302
    assert forged.headers["Location"] in ("/", sample.url + "/")
    home = browser.get(sample.url + "/")
    assert 'id="login"' in home.text and "Welcome" not in home.text
    assert token_posts(emu) == [], "a forged state never reaches the token endpoint"
    assert usernames_in_session_caches(sample.store) == []


def test_declined_consent_shows_the_error_page(emu, sample):
    browser = requests.Session()
    started = browser.get(sample.url + "/login", allow_redirects=False)
    alice = emu.user("alice")
    back = emu.sign_in(started.headers["Location"], alice["username"], alice["password"], consent=False)
    assert back.startswith(sample.url + sample.settings.redirect_path + "?")
    page = browser.get(back)
    assert '<p id="error">access_denied</p>' in page.text
    assert "AADSTS65004" in page.text
    assert token_posts(emu) == [] and usernames_in_session_caches(sample.store) == []


def test_protected_api_accepts_only_valid_tokens(emu, sample):
    valid = emu.issue_token(user="alice", client="web-app")  # for the web API's access_as_user
    claims = jwt.decode(valid, options={"verify_signature": False})
    forged = jwt.encode(
        claims,
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": jwt.get_unverified_header(valid)["kid"]},
    )
    rejected = {
        "missing": None,
        "garbage": "not-a-jwt",
        "wrong key": forged,
        "wrong audience": emu.issue_token(user="alice", client="web-app", scopes=["User.Read"]),
        "wrong issuer": emu.issue_token(user="alice", client="web-app", host="login.microsoftonline.com"),
        "expired": emu.issue_token(user="alice", client="web-app", lifetime=-3600),
    }

    answer = requests.get(sample.api_url, headers={"Authorization": "Bearer " + valid})
    assert answer.status_code == 200
    assert answer.json()["preferred_username"] == emu.user("alice")["username"]
    for case, token in rejected.items():
        headers = {"Authorization": "Bearer " + token} if token else {}
        answer = requests.get(sample.api_url, headers=headers)
        assert answer.status_code == 401, case
        assert answer.headers["WWW-Authenticate"].startswith("Bearer"), case
    no_scope = emu.signing_key.sign(dict(claims, scp="Other.Scope"))
    answer = requests.get(sample.api_url, headers={"Authorization": "Bearer " + no_scope})
    assert answer.status_code == 403 and answer.json()["error"] == "insufficient_scope"


def test_request_log_leaves_out_query_strings(emu, sample, caplog):
    app = create_app(sample.settings)
    with caplog.at_level("INFO", logger="werkzeug"), serving(app, handler=RedactingRequestHandler) as web:
        url = "http://127.0.0.1:%d%s" % (web.server_port, sample.settings.redirect_path)
        requests.get(url, params={"code": "the-code", "state": "s"}, allow_redirects=False)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any(sample.settings.redirect_path + " HTTP/1.1" in line for line in lines), lines
    assert not any("the-code" in line for line in lines)
