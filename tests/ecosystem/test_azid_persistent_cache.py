"""azure-identity's persistent caches (msal-extensions files) shared with this msal: the
shared token cache of Microsoft developer tools, and a credential's own persisted cache."""

import copy
import os

import pytest

import msal
from ecosystem_helpers import DEVELOPER_SIGN_ON_CLIENT_ID, GRAPH, emulator_transport, verified_claims
from support.wire import token_posts

identity = pytest.importorskip("azure.identity")
msal_extensions = pytest.importorskip("msal_extensions")
from msal_emulator import Emulator  # noqa: E402
from msal_emulator.config import DEFAULT_CONFIG  # noqa: E402

USER_READ = "https://graph.microsoft.com/User.Read"
MAIL_READ = "https://graph.microsoft.com/Mail.Read"
LOGIN = "login.microsoftonline.com"


@pytest.fixture(scope="module")
def dev_tools_emulator():
    """An emulator that also knows the client id azure-identity refreshes the shared cache with
    (a member of the family of client ids, FOCI, as in Entra)."""
    config = copy.deepcopy(DEFAULT_CONFIG)
    config["apps"].append(
        {
            "name": "developer-sign-on",
            "client_id": DEVELOPER_SIGN_ON_CLIENT_ID,
            "kind": "public",
            "foci": "1",
            "is_fallback_public_client": True,
            "redirect_uris": ["http://localhost"],
        }
    )
    with Emulator(config) as emu:
        yield emu


@pytest.fixture
def dev_emu(dev_tools_emulator):
    dev_tools_emulator.clear_requests()
    return dev_tools_emulator


def family_app_on(emu, path):
    """A family app of ours signed in at the real authority host (reached through the
    emulator), its cache the file that azure-identity shares with developer tools."""
    cache = msal_extensions.PersistedTokenCache(msal_extensions.FilePersistence(path))
    return msal.PublicClientApplication(
        emu.app("family-a")["client_id"],
        authority="https://{}/{}".format(LOGIN, emu.tenant_id),
        http_client=emu.http_client(),
        token_cache=cache,
    )


def sign_in(app, emu):
    alice = emu.user("alice")
    result = app.acquire_token_by_username_password(alice["username"], alice["password"], [USER_READ])
    assert "access_token" in result, result
    return result


def test_shared_token_cache_credential_uses_what_our_msal_wrote(dev_emu, shared_cache_path):
    ours = sign_in(family_app_on(dev_emu, shared_cache_path), dev_emu)
    dev_emu.clear_requests()
    credential = identity.SharedTokenCacheCredential(transport=emulator_transport(dev_emu))
    assert credential.get_token(USER_READ).token == ours["access_token"]
    assert token_posts(dev_emu) == [], "served from the file"
    mail = credential.get_token(MAIL_READ)  # through the family refresh token we wrote
    (post,) = token_posts(dev_emu, "refresh_token", DEVELOPER_SIGN_ON_CLIENT_ID)
    assert post["form"]["refresh_token"] == ours["refresh_token"]
    claims = verified_claims(dev_emu, mail.token, audience=GRAPH)
    assert claims["scp"] == "Mail.Read" and claims["azp"] == DEVELOPER_SIGN_ON_CLIENT_ID
    # What azure-identity wrote back is in the file for our msal too.
    reread = msal.SerializableTokenCache()
    with open(shared_cache_path) as f:
        reread.deserialize(f.read())
    found = reread.find(
        msal.TokenCache.CredentialType.ACCESS_TOKEN, query={"client_id": DEVELOPER_SIGN_ON_CLIENT_ID}
    )
    assert [at["secret"] for at in found] == [mail.token]


def test_shared_token_cache_credential_with_a_record_runs_our_msal(dev_emu, shared_cache_path):
    ours = sign_in(family_app_on(dev_emu, shared_cache_path), dev_emu)
    alice = dev_emu.user("alice")
    record = identity.AuthenticationRecord(
        dev_emu.tenant_id,
        dev_emu.app("family-a")["client_id"],
        LOGIN,
        "{}.{}".format(alice["oid"], dev_emu.tenant_id),
        alice["username"],
    )
    dev_emu.clear_requests()
    credential = identity.SharedTokenCacheCredential(
        authentication_record=record, transport=emulator_transport(dev_emu)
    )
    assert credential.get_token(USER_READ).token == ours["access_token"]
    assert token_posts(dev_emu) == []
    mail = credential.get_token(MAIL_READ)  # our msal refreshes silently
    (post,) = token_posts(dev_emu, "refresh_token")
    assert post["form"]["client_id"] == record.client_id
    assert verified_claims(dev_emu, mail.token)["scp"] == "Mail.Read"


@pytest.fixture
def browser_emulator(dev_emu):
    return dev_emu


def test_a_persisted_interactive_sign_in_serves_a_later_credential(
    dev_emu, alice, user_at_the_browser, shared_cache_path
):
    """At the real host (reached through the emulator): azure-identity cannot rebuild an
    authority with a port from an authentication record."""
    persistence = identity.TokenCachePersistenceOptions(name="ecosystem-test", allow_unencrypted_storage=True)
    transport = emulator_transport(dev_emu)
    record = identity.InteractiveBrowserCredential(
        client_id=dev_emu.app("public")["client_id"],
        tenant_id=dev_emu.tenant_id,
        timeout=60,
        cache_persistence_options=persistence,
        transport=transport,
    ).authenticate(scopes=[USER_READ])
    user_at_the_browser.join()
    assert os.path.exists(os.path.join(os.path.dirname(shared_cache_path), "ecosystem-test.nocae"))
    dev_emu.clear_requests()
    later = identity.InteractiveBrowserCredential(  # the record gives client, host and tenant
        authentication_record=record,
        disable_automatic_authentication=True,
        cache_persistence_options=persistence,
        transport=transport,
    )
    token = later.get_token(USER_READ)
    assert verified_claims(dev_emu, token.token)["preferred_username"] == alice["username"]
    assert token_posts(dev_emu) == [] and len(user_at_the_browser.opened) == 1
