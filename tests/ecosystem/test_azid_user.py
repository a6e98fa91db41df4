"""azure-identity's user credentials on top of this msal: username/password, device code and
the interactive browser, each followed by a silent call that the cache must serve."""

import threading
from urllib.parse import parse_qs, urlparse

import pytest

from ecosystem_helpers import GRAPH, azure_options, verified_claims
from support.wire import token_posts

identity = pytest.importorskip("azure.identity")
from azure.core.exceptions import ClientAuthenticationError  # noqa: E402

USER_READ = "https://graph.microsoft.com/User.Read"


def assert_alices_graph_token(emu, alice, client_id, token):
    claims = verified_claims(emu, token.token, audience=GRAPH)
    assert claims["preferred_username"] == alice["username"]
    assert claims["azp"] == client_id and claims["scp"] == "User.Read"


def test_username_password_credential(emu, alice):
    client_id = emu.app("public")["client_id"]
    credential = identity.UsernamePasswordCredential(
        client_id, alice["username"], alice["password"], tenant_id=emu.tenant_id, **azure_options(emu)
    )
    token = credential.get_token(USER_READ)
    assert credential.get_token(USER_READ).token == token.token
    assert_alices_graph_token(emu, alice, client_id, token)
    (post,) = token_posts(emu)
    assert post["form"]["grant_type"] == "password"
    assert post["headers"]["x-anchormailbox"] == "upn:" + alice["username"]
    assert emu.requests.matching("/userrealm/", "GET"), "user realm discovery ran first"


def test_device_code_credential_with_the_user_approving_elsewhere(emu, alice):
    emu.device_code_interval = 1
    client_id = emu.app("public")["client_id"]
    prompts, approvers, pages = [], [], []

    def prompt(verification_uri, user_code, expires_on):
        prompts.append((verification_uri, user_code, expires_on))
        approver = threading.Thread(
            target=lambda: pages.append(
                emu.approve_device_code(
                    user_code, alice["username"], alice["password"], verification_uri=verification_uri
                )
            )
        )
        approvers.append(approver)
        approver.start()

    credential = identity.DeviceCodeCredential(
        client_id, tenant_id=emu.tenant_id, prompt_callback=prompt, timeout=60, **azure_options(emu)
    )
    token = credential.get_token(USER_READ)
    approvers[0].join(30)
    assert credential.get_token(USER_READ).token == token.token
    assert_alices_graph_token(emu, alice, client_id, token)
    ((uri, code, _),) = prompts
    assert uri.startswith(emu.base_url) and code and len(pages) == 1
    redeemed = token_posts(emu, "urn:ietf:params:oauth:grant-type:device_code")
    assert redeemed and all(p["form"]["device_code"] for p in redeemed)
    assert len(token_posts(emu)) == len(redeemed), "the second call was served from the cache"


def test_interactive_browser_credential_through_the_system_browser(emu, alice, user_at_the_browser):
    client_id = emu.app("public")["client_id"]
    credential = identity.InteractiveBrowserCredential(
        client_id=client_id,
        tenant_id=emu.tenant_id,
        login_hint=alice["username"],
        timeout=60,
        **azure_options(emu),
    )
    record = credential.authenticate(scopes=[USER_READ])
    user_at_the_browser.join()
    token = credential.get_token(USER_READ)
    assert_alices_graph_token(emu, alice, client_id, token)
    assert record.username == alice["username"] and record.tenant_id == emu.tenant_id
    assert record.client_id == client_id
    assert record.home_account_id == "{}.{}".format(alice["oid"], emu.tenant_id)
    (opened,) = user_at_the_browser.opened
    params = parse_qs(urlparse(opened).query)
    assert urlparse(params["redirect_uri"][0]).hostname == "localhost"
    assert params["login_hint"] == [alice["username"]] and params["prompt"] == ["select_account"]
    assert user_at_the_browser.landed[0].status_code == 200
    (post,) = token_posts(emu)
    assert post["form"]["grant_type"] == "authorization_code"
    assert post["form"]["code_verifier"], "PKCE"


def test_device_code_credential_gives_up_at_its_timeout(emu):
    """azure-identity stops our polling through exit_condition and expects the last
    authorization_pending error back."""
    emu.device_code_interval = 1
    credential = identity.DeviceCodeCredential(
        emu.app("public")["client_id"],
        tenant_id=emu.tenant_id,
        prompt_callback=lambda *shown: None,
        timeout=1,
        **azure_options(emu),
    )
    with pytest.raises(ClientAuthenticationError) as raised:
        credential.get_token(USER_READ)
    assert raised.value.message == "Timed out waiting for user to authenticate"
    polls = token_posts(emu, "urn:ietf:params:oauth:grant-type:device_code")
    assert polls, "it polled before giving up"
