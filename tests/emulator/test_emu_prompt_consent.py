"""Authorize details: prompt values, login_hint, max_age, and consent the emulator remembers.

Consent tests use the `family-b` app with bob, whom no other test signs in there, because
consent outlives a test in the session emulator.
"""

from urllib.parse import parse_qs, urlsplit

from msal_emulator import auth_response
from msal_emulator.browser import Browser

from emu_helpers import ALICE, BOB, authorize_url, redeem


def signed_in_browser(emu, user=ALICE, app="public"):
    browser = Browser(emu)
    browser.sign_in(authorize_url(emu, app=app)[0], *user)
    return browser


def test_prompt_login_shows_the_form_despite_a_session(emulator):
    browser = signed_in_browser(emulator)
    hinted, _ = authorize_url(emulator, login_hint=ALICE[0])
    assert browser.get(hinted).status == 302  # the session signs the user in silently
    forced, _ = authorize_url(emulator, login_hint=ALICE[0], prompt="login")
    page = browser.get(forced)
    assert page.status == 200 and 'name="passwd"' in page.body
    assert 'value="alice@contoso.example"' in page.body  # login_hint pre-fills


def test_select_account_and_domain_hint_are_accepted(emulator, http):
    url, _ = authorize_url(emulator, prompt="select_account", domain_hint="contoso.example")
    resp = http.get(url)
    assert resp.status_code == 200 and 'name="passwd"' in resp.text
    assert "code" in auth_response(Browser(emulator).sign_in(url, *ALICE))


def test_prompt_consent_shows_consent_to_a_signed_in_user(emulator, http):
    browser = signed_in_browser(emulator)
    url, verifier = authorize_url(emulator, prompt="consent")
    page = browser.get(url)
    assert page.status == 200 and 'name="passwd"' not in page.body
    assert 'name="step" value="consent"' in page.body and "<li>User.Read</li>" in page.body
    code = auth_response(browser.sign_in(url, *ALICE))["code"]
    assert redeem(http, emulator, code, verifier).status_code == 200
    declined = auth_response(browser.sign_in(url, *ALICE, consent=False))
    assert declined["error"] == "access_denied"


def test_max_age_reprompts_an_older_session(emulator, http, clock):
    browser = signed_in_browser(emulator)
    clock.advance(120)
    url, _ = authorize_url(emulator, max_age="60", prompt="none")
    assert auth_response(browser.get(url).location)["error"] == "login_required"
    url, _ = authorize_url(emulator, max_age="60", login_hint=ALICE[0])
    assert 'name="passwd"' in browser.get(url).body
    url, verifier = authorize_url(emulator, max_age="600", prompt="none")
    page = browser.get(url)
    idt = http.claims(
        redeem(http, emulator, auth_response(page.location)["code"], verifier).json()["id_token"]
    )
    assert idt["iat"] - idt["auth_time"] >= 120  # when the user really signed in


def tasks_scope(emu):
    return emu.app("tasks-api")["app_id_uri"] + "/Tasks.Read"


def refresh_for(http, emu, refresh_token, scope, app="family-b"):
    return http.token(
        {
            "grant_type": "refresh_token",
            "client_id": emu.app(app)["client_id"],
            "refresh_token": refresh_token,
            "scope": scope + " openid offline_access",
        }
    )


def test_extra_scopes_are_consented_and_remembered(emulator, http):
    url, verifier = authorize_url(emulator, app="family-b")
    browser = Browser(emulator)
    code = auth_response(browser.sign_in(url, *BOB))["code"]
    rt = redeem(http, emulator, code, verifier, app="family-b").json()["refresh_token"]
    refused = refresh_for(http, emulator, rt, tasks_scope(emulator)).json()
    assert refused["error_codes"] == [65001] and refused["suberror"] == "consent_required"
    silent, _ = authorize_url(
        emulator, app="family-b", prompt="none", scope="User.Read %s openid" % tasks_scope(emulator)
    )
    assert auth_response(browser.get(silent).location)["error"] == "consent_required"
    both = "User.Read %s openid profile offline_access" % tasks_scope(emulator)
    url, verifier = authorize_url(emulator, app="family-b", scope=both, login_hint=BOB[0])
    page = browser.get(url)  # signed in, but this resource needs consent first
    assert 'name="step" value="consent"' in page.body
    assert "<li>%s</li>" % tasks_scope(emulator) in page.body
    code = auth_response(browser.sign_in(url, *BOB))["code"]
    body = redeem(http, emulator, code, verifier, app="family-b").json()
    assert http.claims(body["access_token"])["scp"] == "User.Read"
    later = refresh_for(http, emulator, body["refresh_token"], tasks_scope(emulator)).json()
    assert http.claims(later["access_token"])["aud"] == emulator.app("tasks-api")["app_id_uri"]
    assert http.claims(later["access_token"])["scp"] == "Tasks.Read"


def test_several_resources_at_the_token_endpoint_are_refused(emulator, http):
    url, verifier = authorize_url(emulator, scope="User.Read %s openid" % tasks_scope(emulator))
    code = auth_response(Browser(emulator).sign_in(url, *ALICE))["code"]
    resp = redeem(http, emulator, code, verifier, scope="User.Read %s" % tasks_scope(emulator))
    assert resp.json()["error_codes"] == [28000]
    params = parse_qs(urlsplit(url).query)
    assert tasks_scope(emulator) in params["scope"][0]
