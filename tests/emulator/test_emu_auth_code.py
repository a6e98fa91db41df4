import re
from urllib.parse import parse_qs, urlsplit

import pytest

from msal_emulator import SignInError, auth_response
from msal_emulator.browser import Browser

from emu_helpers import ALICE, GRAPH, REDIRECT, authorize_url, redeem


def fresh_sign_in(emu, url, user=ALICE, **kw):
    return Browser(emu).sign_in(url, user[0], user[1], **kw)


def test_authorize_page_shows_form_scopes_and_login_hint(emulator, http):
    url, _ = authorize_url(emulator, login_hint="alice@contoso.example")
    resp = http.get(url)
    assert resp.status_code == 200 and "text/html" in resp.headers["content-type"]
    assert 'name="passwd"' in resp.text
    assert 'value="alice@contoso.example"' in resp.text
    assert "<li>User.Read</li>" in resp.text


def test_sign_in_and_redeem_with_pkce(emulator, http):
    url, verifier = authorize_url(emulator)
    result = fresh_sign_in(emulator, url)
    assert result.startswith(REDIRECT + "?")
    params = auth_response(result)
    assert params["state"] == "st-123" and params["session_state"]
    alice = emulator.user("alice")
    assert params["client_info"]
    body = redeem(http, emulator, params["code"], verifier).json()
    assert body["scope"] == "User.Read profile openid email"
    assert body["refresh_token"] and body["client_info"] == params["client_info"]
    idt = http.claims(body["id_token"])
    assert idt["aud"] == emulator.app("public")["client_id"]
    assert idt["nonce"] == "nonce-abc" and idt["oid"] == alice["oid"]
    assert idt["preferred_username"] == "alice@contoso.example" and idt["ver"] == "2.0"
    assert idt["tid"] == emulator.tenant_id and "auth_time" not in idt
    at = http.claims(body["access_token"])
    assert at["aud"] == GRAPH and at["scp"] == "User.Read" and at["oid"] == alice["oid"]


def test_sub_is_pairwise_per_app(emulator, http):
    subs = []
    for app in ("family-a", "family-b"):
        url, verifier = authorize_url(emulator, app=app)
        code = auth_response(fresh_sign_in(emulator, url))["code"]
        subs.append(http.claims(redeem(http, emulator, code, verifier, app=app).json()["id_token"])["sub"])
    assert subs[0] != subs[1]


def test_bad_verifier_is_refused(emulator, http):
    url, _ = authorize_url(emulator)
    code = auth_response(fresh_sign_in(emulator, url))["code"]
    resp = redeem(http, emulator, code, "x" * 43)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant" and resp.json()["error_codes"] == [501481]


def test_code_is_single_use(emulator, http):
    url, verifier = authorize_url(emulator)
    code = auth_response(fresh_sign_in(emulator, url))["code"]
    assert redeem(http, emulator, code, verifier).status_code == 200
    again = redeem(http, emulator, code, verifier)
    assert again.status_code == 400 and again.json()["error_codes"] == [54005]


def test_code_bound_to_redirect_uri_and_client(emulator, http):
    url, verifier = authorize_url(emulator)
    code = auth_response(fresh_sign_in(emulator, url))["code"]
    resp = redeem(http, emulator, code, verifier, redirect_uri="http://localhost:9999")
    assert resp.json()["error"] == "invalid_grant"
    url, verifier = authorize_url(emulator)
    code = auth_response(fresh_sign_in(emulator, url))["code"]
    resp = redeem(http, emulator, code, verifier, app="family-a")
    assert resp.json()["error"] == "invalid_grant"


def test_code_expires(emulator, http, clock):
    url, verifier = authorize_url(emulator)
    code = auth_response(fresh_sign_in(emulator, url))["code"]
    clock.advance(601)
    resp = redeem(http, emulator, code, verifier)
    assert resp.json()["error_codes"] == [70008]


def test_unknown_code(emulator, http):
    resp = redeem(http, emulator, "not-a-code", "v" * 43)
    assert resp.status_code == 400 and resp.json()["error_codes"] == [70000]


def test_unknown_client_gets_error_page_not_redirect(emulator, http):
    url, _ = authorize_url(emulator, client_id="00000000-0000-0000-0000-000000000009")
    resp = http.get(url)
    assert resp.status_code == 400 and "Location" not in resp.headers
    assert "AADSTS700016" in resp.text


def test_unregistered_redirect_uri_gets_error_page(emulator, http):
    url, _ = authorize_url(emulator, redirect_uri="https://evil.example/cb")
    resp = http.get(url)
    assert resp.status_code == 400 and "Location" not in resp.headers
    assert "AADSTS50011" in resp.text


def test_loopback_redirect_any_port(emulator, http):
    url, _ = authorize_url(emulator, redirect_uri="http://localhost:54321")
    assert http.get(url).status_code == 200


def test_plain_pkce_is_refused(emulator, http):
    url, _ = authorize_url(emulator, code_challenge="abc", code_challenge_method="plain")
    resp = http.get(url)
    assert resp.status_code == 302
    params = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert params["error"] == ["invalid_request"] and params["state"] == ["st-123"]


def test_unknown_scope_redirects_error(emulator, http):
    url, _ = authorize_url(emulator, scope="Nope.Read openid")
    params = parse_qs(urlsplit(http.get(url).headers["Location"]).query)
    assert params["error"] == ["invalid_scope"]
    assert params["error_description"][0].startswith("AADSTS70011")


def test_wrong_password(emulator):
    url, _ = authorize_url(emulator)
    with pytest.raises(SignInError, match="AADSTS50126"):
        fresh_sign_in(emulator, url, user=("alice@contoso.example", "wrong"))


def test_declined_consent(emulator):
    url, _ = authorize_url(emulator)
    params = auth_response(fresh_sign_in(emulator, url, consent=False))
    assert params["error"] == "access_denied" and params["state"] == "st-123"
    assert "AADSTS65004" in params["error_description"]


def test_prompt_none_needs_a_session(emulator):
    browser = Browser(emulator)
    url, _ = authorize_url(emulator, prompt="none")
    params = auth_response(browser.sign_in(url, *ALICE))
    assert params["error"] == "login_required"
    browser.sign_in(authorize_url(emulator)[0], *ALICE)
    url, verifier = authorize_url(emulator, prompt="none")
    page = browser.get(url)
    assert page.status == 302 and "code=" in page.location


def test_max_age_gives_auth_time(emulator, http):
    url, verifier = authorize_url(emulator, max_age="3600")
    code = auth_response(fresh_sign_in(emulator, url))["code"]
    idt = http.claims(redeem(http, emulator, code, verifier).json()["id_token"])
    assert abs(idt["auth_time"] - idt["iat"]) < 5


def test_form_post_shape(emulator):
    url, _ = authorize_url(emulator, response_mode="form_post")
    result = fresh_sign_in(emulator, url)
    assert result["action"] == REDIRECT
    assert result["fields"]["state"] == "st-123" and result["fields"]["code"]
    assert auth_response(result) == result["fields"]


def test_confidential_web_app_needs_its_secret(emulator, http):
    redirect_uri = "https://localhost/callback"
    url, verifier = authorize_url(emulator, app="web-app", redirect_uri=redirect_uri)
    code = auth_response(fresh_sign_in(emulator, url))["code"]
    resp = redeem(http, emulator, code, verifier, app="web-app", redirect_uri=redirect_uri)
    assert resp.status_code == 401 and resp.json()["error_codes"] == [7000218]
    url, verifier = authorize_url(emulator, app="web-app", redirect_uri=redirect_uri)
    code = auth_response(fresh_sign_in(emulator, url))["code"]
    resp = redeem(
        http,
        emulator,
        code,
        verifier,
        app="web-app",
        redirect_uri=redirect_uri,
        client_secret=emulator.app("web-app")["client_secret"],
    )
    assert resp.status_code == 200 and resp.json()["access_token"]


def test_sign_in_through_microsoft_host(emulator):
    url, _ = authorize_url(emulator)
    url = re.sub(r"^https://localhost:\d+", "https://login.microsoftonline.com", url)
    assert auth_response(fresh_sign_in(emulator, url))["code"]
