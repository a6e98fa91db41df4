"""Scenarios a new user of azure-identity 1.27.0, msal-extensions 1.3.1 and identity 0.11.0
would run, each against the emulator, under whichever msal this interpreter has.

A scenario takes an ``env`` (``env.cfg``: where the emulator is, its apps, user and managed
identity sources; ``env.ask(kind, ...)``: the user's part and the emulator's request log, see
driver.UserAgent) and raises when the library does not do what its documentation promises.
It returns a few facts (never a token) for the report.
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import webbrowser
from urllib.parse import parse_qs, urlencode, urlparse


SCENARIOS = {}
LIBRARIES = {}  # scenario name -> library
GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
USER_READ = "https://graph.microsoft.com/User.Read"
MAIL_READ = "https://graph.microsoft.com/Mail.Read"
GRAPH = "00000003-0000-0000-c000-000000000000"
LOGIN = "login.microsoftonline.com"
ARM = "https://management.azure.com"


def scenario(library):
    def register(function):
        name = function.__name__
        SCENARIOS[name], LIBRARIES[name] = function, library
        return function

    return register


# ---- helpers -------------------------------------------------------------------------------


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def token_posts(env, grant_type=None):
    return [
        r
        for r in env.ask("requests")
        if r["method"] == "POST" and r["path"].endswith("/token") and grant_type in (None, r["grant_type"])
    ]


def claims_of(env, token):
    return env.ask("verify", token=token)


def azure_options(env, **extra):
    options = dict(authority=env.cfg["base_url"], disable_instance_discovery=True)
    options.update(extra)
    return options


def app_id(env, name):
    return env.cfg["apps"][name]["client_id"]


def secret(env, name):
    return env.cfg["apps"][name]["credential"]


def real_host_session(env):
    """A requests session reaching the emulator as login.microsoftonline.com (and offline for
    anything else): the emulator package's own adapter, given where the emulator runs."""
    from types import SimpleNamespace
    from msal_emulator.httpclient import emulator_session

    return emulator_session(
        SimpleNamespace(
            port=env.cfg["port"], ca_path=env.cfg["ca"], directory=SimpleNamespace(tenant_hosts=())
        )
    )


def real_host_transport(env):
    from azure.core.pipeline.transport import RequestsTransport

    return RequestsTransport(session=real_host_session(env), session_owner=False)


def scripted_browser(env):
    """The system browser: the parent signs alice in, then the redirect lands on the loopback
    listener the library opened."""
    from support.browser import ScriptedBrowser

    webbrowser._tryorder, webbrowser._browsers = [], {}
    browser = ScriptedBrowser(lambda url: env.ask("sign_in", auth_uri=url))
    webbrowser.register(browser.name, None, browser, preferred=True)
    return browser


def joined(browser):
    browser.join()
    check(not browser.failures, "the browser failed: %s" % browser.failures)


def certificate_pem(env, tmp_name="app.pem"):
    cert = secret(env, "confidential-cert")
    path = os.path.abspath(tmp_name)
    with open(path, "w") as f:
        f.write(cert["private_key"] + "\n" + cert["public_certificate"] + "\n")
    return path


def signed_assertion(env):
    """A client assertion (RFC 7523) for the certificate app, signed with its key."""
    import jwt
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    cert = secret(env, "confidential-cert")
    der = x509.load_pem_x509_certificate(cert["public_certificate"].encode()).public_bytes(Encoding.DER)
    thumbprint = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode().rstrip("=")
    now = int(time.time())
    client_id = app_id(env, "confidential-cert")
    return jwt.encode(
        {
            "aud": "{}/{}/oauth2/v2.0/token".format(env.cfg["base_url"], env.cfg["tenant_id"]),
            "iss": client_id,
            "sub": client_id,
            "jti": os.urandom(8).hex(),
            "nbf": now,
            "exp": now + 600,
        },
        cert["private_key"],
        algorithm="RS256",
        headers={"x5t": thumbprint},
    )


def assert_app_token(env, token, client_name):
    claims = claims_of(env, token.token)
    check(claims["appid"] == app_id(env, client_name), "token of another app: %r" % claims.get("appid"))
    check(claims.get("idtyp") == "app", "not an app token")
    return claims


def assert_alice_token(env, token, scp="User.Read"):
    claims = claims_of(env, token if isinstance(token, str) else token.token)
    check(claims["preferred_username"] == env.cfg["alice"]["username"], "not alice's token")
    check(claims["scp"] == scp, "scopes %r" % claims["scp"])
    return claims


def get_twice(credential, scope=GRAPH_DEFAULT, **kwargs):
    """Two calls: the second must come from the library's cache."""
    first = credential.get_token(scope, **kwargs)
    second = credential.get_token(scope, **kwargs)
    check(second.token == first.token, "the second call was not served from the cache")
    return first


# ---- azure-identity 1.27.0 -----------------------------------------------------------------


@scenario("azure-identity")
def azid_client_secret(env):
    from azure.identity import ClientSecretCredential

    credential = ClientSecretCredential(
        env.cfg["tenant_id"],
        app_id(env, "confidential-secret"),
        secret(env, "confidential-secret"),
        **azure_options(env),
    )
    assert_app_token(env, get_twice(credential), "confidential-secret")
    (post,) = token_posts(env)
    check(post["grant_type"] == "client_credentials", post["grant_type"])


@scenario("azure-identity")
def azid_certificate(env):
    from azure.identity import CertificateCredential

    credential = CertificateCredential(
        env.cfg["tenant_id"],
        app_id(env, "confidential-cert"),
        certificate_path=certificate_pem(env),
        **azure_options(env),
    )
    assert_app_token(env, get_twice(credential), "confidential-cert")
    (post,) = token_posts(env)
    check(
        "x5t" in post["assertion_header"] or "x5t#S256" in post["assertion_header"],
        "no thumbprint in the assertion header",
    )


@scenario("azure-identity")
def azid_certificate_x5c(env):
    from azure.identity import CertificateCredential

    with open(certificate_pem(env), "rb") as f:
        data = f.read()
    credential = CertificateCredential(
        env.cfg["tenant_id"],
        app_id(env, "confidential-cert"),
        certificate_data=data,
        send_certificate_chain=True,
        **azure_options(env),
    )
    assert_app_token(env, get_twice(credential), "confidential-cert")
    (post,) = token_posts(env)
    check(post["assertion_header"].get("x5c"), "send_certificate_chain sent no x5c")


@scenario("azure-identity")
def azid_client_assertion(env):
    from azure.identity import ClientAssertionCredential

    credential = ClientAssertionCredential(
        env.cfg["tenant_id"],
        app_id(env, "confidential-cert"),
        lambda: signed_assertion(env),
        **azure_options(env),
    )
    assert_app_token(env, get_twice(credential), "confidential-cert")


@scenario("azure-identity")
def azid_on_behalf_of(env):
    from azure.identity import OnBehalfOfCredential

    credential = OnBehalfOfCredential(
        env.cfg["tenant_id"],
        app_id(env, "web-api"),
        client_secret=secret(env, "web-api"),
        user_assertion=env.ask("issue_token"),
        **azure_options(env),
    )
    token = get_twice(credential, USER_READ)
    check(assert_alice_token(env, token)["azp"] == app_id(env, "web-api"), "azp")
    (post,) = token_posts(env)
    check(post["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer", post["grant_type"])


@scenario("azure-identity")
def azid_username_password(env):
    from azure.identity import UsernamePasswordCredential

    alice = env.cfg["alice"]
    # At the real host: user realm discovery drops the authority's port.
    credential = UsernamePasswordCredential(
        app_id(env, "public"),
        alice["username"],
        alice["password"],
        tenant_id=env.cfg["tenant_id"],
        transport=real_host_transport(env),
    )
    assert_alice_token(env, get_twice(credential, USER_READ))
    (post,) = token_posts(env)
    check(post["grant_type"] == "password", post["grant_type"])


@scenario("azure-identity")
def azid_device_code(env):
    from azure.identity import DeviceCodeCredential

    def prompt(verification_uri, user_code, expires_on):
        env.ask("approve_device", user_code=user_code, verification_uri=verification_uri)

    credential = DeviceCodeCredential(
        app_id(env, "public"),
        tenant_id=env.cfg["tenant_id"],
        prompt_callback=prompt,
        timeout=60,
        **azure_options(env),
    )
    assert_alice_token(env, get_twice(credential, USER_READ))


@scenario("azure-identity")
def azid_interactive_browser(env):
    from azure.identity import InteractiveBrowserCredential

    browser = scripted_browser(env)
    credential = InteractiveBrowserCredential(
        client_id=app_id(env, "public"),
        tenant_id=env.cfg["tenant_id"],
        login_hint=env.cfg["alice"]["username"],
        timeout=30,
        **azure_options(env),
    )
    try:
        record = credential.authenticate(scopes=[USER_READ])
    finally:
        joined(browser)
    assert_alice_token(env, credential.get_token(USER_READ))
    check(record.username == env.cfg["alice"]["username"], "record username")
    check(
        record.home_account_id == "{}.{}".format(env.cfg["alice"]["oid"], env.cfg["tenant_id"]),
        "record home_account_id %r" % record.home_account_id,
    )
    check(
        len(browser.opened) == 1 and [page.status_code for page in browser.landed] == [200],
        "one sign-in, landed",
    )
    (post,) = token_posts(env)
    check(post["grant_type"] == "authorization_code" and "code_verifier" in post["form_keys"], "PKCE")


@scenario("azure-identity")
def azid_authorization_code(env):
    from azure.identity import AuthorizationCodeCredential

    client_id, redirect_uri = app_id(env, "web-app"), "http://localhost/callback"
    auth_uri = "{}/{}/oauth2/v2.0/authorize?{}".format(
        env.cfg["base_url"],
        env.cfg["tenant_id"],
        urlencode(
            {
                "client_id": client_id,
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "scope": "openid profile offline_access " + USER_READ,
                "state": "s1",
            }
        ),
    )
    code = parse_qs(urlparse(env.ask("sign_in", auth_uri=auth_uri)).query)["code"][0]
    credential = AuthorizationCodeCredential(
        env.cfg["tenant_id"],
        client_id,
        code,
        redirect_uri,
        client_secret=secret(env, "web-app"),
        **azure_options(env),
    )
    assert_alice_token(env, get_twice(credential, USER_READ))


def family_app_writing(env, path):
    """Our msal family app, its cache the shared cache file of Microsoft developer tools."""
    import msal
    import msal_extensions

    cache = msal_extensions.PersistedTokenCache(msal_extensions.FilePersistence(path))
    return msal.PublicClientApplication(
        app_id(env, "family-a"),
        authority="https://{}/{}".format(LOGIN, env.cfg["tenant_id"]),
        http_client=real_host_session(env),
        token_cache=cache,
    )


def shared_cache_path():
    return os.path.join(os.path.expanduser("~"), ".IdentityService", "msal.cache.nocae")


@scenario("azure-identity")
def azid_shared_token_cache(env):
    from azure.identity import SharedTokenCacheCredential

    alice = env.cfg["alice"]
    written = family_app_writing(env, shared_cache_path()).acquire_token_by_username_password(
        alice["username"], alice["password"], scopes=[USER_READ]
    )
    check("access_token" in written, "sign-in for the shared cache: %s" % written.get("error"))
    env.ask("clear_requests")
    credential = SharedTokenCacheCredential(transport=real_host_transport(env))
    check(credential.get_token(USER_READ).token == written["access_token"], "not the cached token")
    check(token_posts(env) == [], "the cached token needed a request")
    mail = credential.get_token(MAIL_READ)  # the family refresh token written by msal
    check(assert_alice_token(env, mail, "Mail.Read")["azp"] == env.cfg["developer_client_id"], "azp")


@scenario("azure-identity")
def azid_persisted_cache_client_secret(env):
    from azure.identity import ClientSecretCredential, TokenCachePersistenceOptions

    def credential():
        return ClientSecretCredential(
            env.cfg["tenant_id"],
            app_id(env, "confidential-secret"),
            secret(env, "confidential-secret"),
            cache_persistence_options=TokenCachePersistenceOptions(
                name="ecosystem-app", allow_unencrypted_storage=True
            ),
            **azure_options(env),
        )

    first = credential().get_token(GRAPH_DEFAULT)
    check(os.path.exists(os.path.expanduser("~/.IdentityService/ecosystem-app.nocae")), "no cache file")
    second = credential().get_token(GRAPH_DEFAULT)  # a new instance: from the file
    check(second.token == first.token, "the persisted token was not used")
    check(len(token_posts(env)) == 1, "the second instance asked the emulator")


@scenario("azure-identity")
def azid_persisted_interactive_record(env):
    """At the real host (reached through the emulator): a record names the host without port."""
    from azure.identity import InteractiveBrowserCredential, TokenCachePersistenceOptions

    browser = scripted_browser(env)
    persistence = TokenCachePersistenceOptions(name="ecosystem-user", allow_unencrypted_storage=True)
    try:
        record = InteractiveBrowserCredential(
            client_id=app_id(env, "public"),
            tenant_id=env.cfg["tenant_id"],
            timeout=30,
            cache_persistence_options=persistence,
            transport=real_host_transport(env),
        ).authenticate(scopes=[USER_READ])
    finally:
        joined(browser)
    serialized = record.serialize()
    env.ask("clear_requests")
    from azure.identity import AuthenticationRecord

    later = InteractiveBrowserCredential(
        authentication_record=AuthenticationRecord.deserialize(serialized),
        disable_automatic_authentication=True,
        cache_persistence_options=persistence,
        transport=real_host_transport(env),
    )
    assert_alice_token(env, later.get_token(USER_READ))
    check(token_posts(env) == [] and len(browser.opened) == 1, "the record's cache was not used")


def managed_identity_environment(env, source):
    for name, value in env.cfg["managed_identity"]["environ"][source].items():
        os.environ[name] = value


def managed_identity_scenario(source, user_assigned=False):
    def run(env):
        from azure.identity import ManagedIdentityCredential

        managed_identity_environment(env, source)
        identity = env.cfg["managed_identity"]["user_assigned" if user_assigned else "system_assigned"]
        kwargs = {"client_id": identity["client_id"]} if user_assigned else {}
        token = get_twice(ManagedIdentityCredential(**kwargs), ARM + "/.default")
        claims = claims_of(env, token.token)
        check(claims["aud"] == ARM and claims["oid"] == identity["object_id"], "claims %r" % claims)
        check(len(env.ask("requests")) >= 1, "no request reached the source")

    return run


for _source in ("imds", "app_service", "machine_learning", "cloud_shell", "service_fabric", "arc"):
    _run = managed_identity_scenario(_source)
    _run.__name__ = "azid_managed_identity_" + _source
    scenario("azure-identity")(_run)
_run = managed_identity_scenario("app_service", user_assigned=True)
_run.__name__ = "azid_managed_identity_user_assigned"
scenario("azure-identity")(_run)


@scenario("azure-identity")
def azid_default_credential_environment(env):
    from azure.identity import DefaultAzureCredential

    os.environ.update(
        AZURE_TENANT_ID=env.cfg["tenant_id"],
        AZURE_CLIENT_ID=app_id(env, "confidential-secret"),
        AZURE_CLIENT_SECRET=secret(env, "confidential-secret"),
        AZURE_AUTHORITY_HOST=env.cfg["base_url"],
    )
    credential = DefaultAzureCredential(disable_instance_discovery=True)
    assert_app_token(env, get_twice(credential), "confidential-secret")


@scenario("azure-identity")
def azid_default_credential_managed_identity(env):
    from azure.identity import DefaultAzureCredential

    managed_identity_environment(env, "app_service")
    credential = DefaultAzureCredential(
        exclude_cli_credential=True,
        exclude_powershell_credential=True,
        exclude_developer_cli_credential=True,
        exclude_shared_token_cache_credential=True,
    )
    token = get_twice(credential, ARM + "/.default")
    check(claims_of(env, token.token)["aud"] == ARM, "audience")


@scenario("azure-identity")
def azid_cae_claims_challenge(env):
    from azure.identity import ClientSecretCredential

    credential = ClientSecretCredential(
        env.cfg["tenant_id"],
        app_id(env, "confidential-secret"),
        secret(env, "confidential-secret"),
        **azure_options(env),
    )
    first = get_twice(credential, GRAPH_DEFAULT, enable_cae=True)
    challenge = json.dumps({"access_token": {"nbf": {"essential": True, "value": str(int(time.time()))}}})
    second = credential.get_token(GRAPH_DEFAULT, claims=challenge, enable_cae=True)
    check(second.token != first.token, "the claims challenge was served from the cache")
    posts = token_posts(env)
    check(len(posts) == 2, "%d token requests" % len(posts))
    for post in posts:
        check(
            post["claims"] and "CP1" in post["claims"], "client capability CP1 not sent: %r" % post["claims"]
        )
    check("nbf" in json.loads(posts[1]["claims"])["access_token"], "the challenge was not merged")


@scenario("azure-identity")
def azid_get_token_info(env):
    from azure.identity import ClientSecretCredential

    credential = ClientSecretCredential(
        env.cfg["tenant_id"],
        app_id(env, "confidential-secret"),
        secret(env, "confidential-secret"),
        **azure_options(env),
    )
    info = credential.get_token_info(GRAPH_DEFAULT)
    again = credential.get_token_info(GRAPH_DEFAULT)
    check(again.token == info.token and info.token_type == "Bearer", "token info")
    check(info.expires_on > time.time(), "expires_on")
    assert_app_token(env, info, "confidential-secret")


@scenario("azure-identity")
def azid_get_token_info_managed_identity_refresh_on(env):
    from azure.identity import ManagedIdentityCredential

    managed_identity_environment(env, "imds")
    info = ManagedIdentityCredential().get_token_info(ARM + "/.default")
    check(
        info.refresh_on is not None and time.time() < info.refresh_on < info.expires_on,
        "refresh_on %r (the source sent refresh_in)" % info.refresh_on,
    )


# ---- msal-extensions 1.3.1 -----------------------------------------------------------------


def persisted_app(env, path, name="confidential-secret"):
    import msal
    import msal_extensions

    cache = msal_extensions.PersistedTokenCache(msal_extensions.FilePersistence(path))
    options = dict(
        authority="https://{}/{}".format(LOGIN, env.cfg["tenant_id"]),
        token_cache=cache,
        http_client=real_host_session(env),
    )
    if name == "public":
        return msal.PublicClientApplication(app_id(env, name), **options)
    return msal.ConfidentialClientApplication(
        app_id(env, name), client_credential=secret(env, name), **options
    )


def cache_file():
    return os.path.abspath("token_cache.bin")


WRITER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import ecosystem_scenarios as scenarios
env = scenarios.Offline(json.loads(sys.argv[2]))
print(json.dumps(getattr(scenarios, sys.argv[3])(env, *sys.argv[4:])))
"""


class Offline:
    """The env of a helper process: configuration only (it plays no user)."""

    def __init__(self, cfg):
        self.cfg = cfg


def in_other_process(env, function, *args):
    """Run a module function in a second process of this interpreter; its JSON result."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            WRITER,
            os.path.dirname(os.path.abspath(__file__)),
            json.dumps(env.cfg),
            function,
        ]
        + list(args),
        capture_output=True,
        text=True,
        timeout=120,
    )
    check(done.returncode == 0, "the other process failed: " + done.stderr[-1500:])
    return json.loads(done.stdout)


def write_app_token(env, path, scope=GRAPH_DEFAULT):
    result = persisted_app(env, path).acquire_token_for_client([scope])
    check("access_token" in result, "client credentials: %s" % result.get("error"))
    return result.get("token_source", "identity_provider")


def sign_in_alice(env, path, scope=USER_READ):
    alice = env.cfg["alice"]
    result = persisted_app(env, path, "public").acquire_token_by_username_password(
        alice["username"], alice["password"], scopes=[scope]
    )
    check("access_token" in result, "password grant: %s" % result.get("error"))
    return result["access_token"]


def remove_alice(env, path):
    app = persisted_app(env, path, "public")
    for account in app.get_accounts():
        app.remove_account(account)
    return len(app.get_accounts())


@scenario("msal-extensions")
def msalext_reload_in_a_fresh_instance(env):
    write_app_token(env, cache_file())
    check(write_app_token(env, cache_file()) == "cache", "a fresh instance did not read the file")
    check(len(token_posts(env)) == 1, "the fresh instance asked the emulator")


@scenario("msal-extensions")
def msalext_accounts_in_a_fresh_instance(env):
    token = sign_in_alice(env, cache_file())
    app = persisted_app(env, cache_file(), "public")
    (account,) = app.get_accounts()
    check(account["username"] == env.cfg["alice"]["username"], "account")
    result = app.acquire_token_silent([USER_READ], account=account)
    check(result and result["access_token"] == token, "silent call not served from the file")


@scenario("msal-extensions")
def msalext_cross_process_write_seen(env):
    app = persisted_app(env, cache_file())
    check("access_token" in app.acquire_token_for_client([GRAPH_DEFAULT]), "first token")
    in_other_process(env, "write_app_token", cache_file(), "api://{}/.default".format(app_id(env, "web-api")))
    env.ask("clear_requests")
    result = app.acquire_token_for_client(["api://{}/.default".format(app_id(env, "web-api"))])
    check(
        result.get("token_source") == "cache" or token_posts(env) == [],
        "the token the other process wrote was not used",
    )


@scenario("msal-extensions")
def msalext_cross_process_removal_seen(env):
    sign_in_alice(env, cache_file())
    app = persisted_app(env, cache_file(), "public")
    check(len(app.get_accounts()) == 1, "alice signed in")
    check(in_other_process(env, "remove_alice", cache_file()) == 0, "removed in the other process")
    check(app.get_accounts() == [], "this process still sees the removed account")


@scenario("msal-extensions")
def msalext_refresh_token_from_another_process(env):
    in_other_process(env, "sign_in_alice", cache_file())
    app = persisted_app(env, cache_file(), "public")
    (account,) = app.get_accounts()
    result = app.acquire_token_silent([MAIL_READ], account=account)
    check(result and "access_token" in result, "no refresh through the persisted refresh token")
    assert_alice_token(env, result["access_token"], "Mail.Read")
    check([p["grant_type"] for p in token_posts(env)] == ["password", "refresh_token"], "grants")


@scenario("msal-extensions")
def msalext_concurrent_writers(env):
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                os.path.dirname(os.path.abspath(__file__)),
                json.dumps(env.cfg),
                "write_app_token",
                cache_file(),
                scope,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for scope in (GRAPH_DEFAULT, "api://{}/.default".format(app_id(env, "web-api")))
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        check(proc.returncode == 0, "writer failed: %s" % err[-1500:])
    import msal_extensions

    data = json.loads(msal_extensions.FilePersistence(cache_file()).load())
    check(
        len(data["AccessToken"]) == 2, "both writers' tokens are in the file: %d" % len(data["AccessToken"])
    )


@scenario("msal-extensions")
def msalext_find_after_reload(env):
    """The cache's documented lookup (``find``) sees what another process wrote."""
    import msal
    import msal_extensions

    cache = msal_extensions.PersistedTokenCache(msal_extensions.FilePersistence(cache_file()))
    check(cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN) == [], "empty at first")
    in_other_process(env, "write_app_token", cache_file())
    found = cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN)
    check(len(found) == 1, "find() did not reload the file: %d entries" % len(found))


# ---- identity 0.11.0 (the web-app helper) --------------------------------------------------


def web_auth_kwargs(env):
    return dict(
        client_id=app_id(env, "web-app"),
        client_credential=secret(env, "web-app"),
        authority="{}/{}".format(env.cfg["base_url"], env.cfg["tenant_id"]),
    )


def sign_in_on(env, auth_uri):
    """The user signs in; the query the identity provider sends back to the redirect URI."""
    redirect = urlparse(env.ask("sign_in", auth_uri=auth_uri))
    check(redirect.path == "/callback", "redirected to %s" % redirect.path)
    return redirect.path + "?" + redirect.query


def the_auth_uri(page):
    import re

    links = re.findall(r"(https://[^\"'\s>]+/authorize\?[^\"'\s>]+)", page)
    check(links, "the login page has no sign-in link")
    import html

    return html.unescape(links[0])


@scenario("identity")
def identity_web_auth(env):
    from identity.web import Auth

    session = {}
    auth = Auth(session=session, **web_auth_kwargs(env))
    started = auth.log_in(scopes=[USER_READ], redirect_uri="http://localhost/callback")
    query = sign_in_on(env, started["auth_uri"])
    done = auth.complete_log_in({k: v[0] for k, v in parse_qs(urlparse(query).query).items()})
    check("error" not in done, "complete_log_in: %r" % done)
    check(auth.get_user()["preferred_username"] == env.cfg["alice"]["username"], "get_user")
    token = auth.get_token_for_user([USER_READ])
    check("access_token" in token, "get_token_for_user: %r" % token.get("error"))
    assert_alice_token(env, token["access_token"])
    check(
        [p["grant_type"] for p in token_posts(env)] == ["authorization_code"], "silent from the session cache"
    )


@scenario("identity")
def identity_web_auth_device_code(env):
    from identity.web import Auth

    session = {}
    auth = Auth(
        session=session,
        client_id=app_id(env, "public"),
        authority="{}/{}".format(env.cfg["base_url"], env.cfg["tenant_id"]),
    )
    started = auth.log_in(scopes=[USER_READ])
    check("user_code" in started, "no device code: %r" % started)
    env.ask("approve_device", user_code=started["user_code"], verification_uri=started["auth_uri"])
    done = auth.complete_log_in()
    check("error" not in done, "complete_log_in: %r" % done)
    check("access_token" in auth.get_token_for_user([USER_READ]), "get_token_for_user")


def flask_app(env, redirect_uri="http://localhost/callback"):
    from flask import Flask
    from flask_session import Session
    from identity.flask import Auth

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="ecosystem",
        SESSION_TYPE="filesystem",
        TESTING=True,
        SESSION_FILE_DIR=os.path.abspath("flask_session"),
    )
    Session(app)
    auth = Auth(app, redirect_uri=redirect_uri, **web_auth_kwargs(env))

    @app.route("/")
    @auth.login_required(scopes=[USER_READ])
    def index(*, context):
        token = context["access_token"]
        return {"user": context["user"]["preferred_username"], "token": token}

    return app


def browse_and_sign_in(env, client, login_path="/login"):
    """Follow the app to its login page, sign in, come back: the response of the redirect."""
    page = client.get("/")
    check(page.status_code in (200, 302), "index: %s" % page.status_code)
    if page.status_code == 302:
        page = client.get(page.headers["Location"])
    query = sign_in_on(env, the_auth_uri(page.get_data(as_text=True)))
    return client.get(query)


@scenario("identity")
def identity_flask_log_in_and_token(env):
    client = flask_app(env).test_client()
    landed = browse_and_sign_in(env, client)
    check(
        landed.status_code == 302,
        "complete_log_in did not redirect: %s %s" % (landed.status_code, landed.get_data(as_text=True)[:300]),
    )
    index = client.get("/")
    check(index.status_code == 200, "index after sign-in: %s" % index.status_code)
    body = index.get_json()
    check(body["user"] == env.cfg["alice"]["username"], "user")
    assert_alice_token(env, body["token"])


@scenario("identity")
def identity_flask_log_out(env):
    client = flask_app(env).test_client()
    browse_and_sign_in(env, client)
    out = client.get("/logout")
    check(out.status_code == 302, "log out: %s" % out.status_code)
    again = client.get("/")
    check(again.status_code != 200 or again.get_json(silent=True) is None, "still signed in")


@scenario("identity")
def identity_flask_in_chromium(env):
    """The Flask app served on loopback; a person signs in with headless Chromium."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, None)
    port = server.server_port
    server.server_close()
    app = flask_app(env, redirect_uri="http://localhost:%d/callback" % port)
    app.config.update(TESTING=False)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page = env.ask("browse", url="http://localhost:%d/" % port)
    finally:
        server.shutdown()
        thread.join(10)
    body = json.loads(page)
    check(body["user"] == env.cfg["alice"]["username"], "user")
    assert_alice_token(env, body["token"])


def django_client(env):
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=True,
        SECRET_KEY="ecosystem",
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["*"],
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
        INSTALLED_APPS=["django.contrib.sessions", "identity"],
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
    )
    django.setup()
    from django.http import JsonResponse
    from django.urls import path
    from identity.django import Auth

    auth = Auth(redirect_uri="http://localhost/callback", **web_auth_kwargs(env))

    @auth.login_required(scopes=[USER_READ])
    def index(request, *, context):
        return JsonResponse({"user": context["user"]["preferred_username"], "token": context["access_token"]})

    global urlpatterns
    urlpatterns = [path("", index), auth.urlpattern]
    from django.test import Client

    return Client()


@scenario("identity")
def identity_django_log_in_and_token(env):
    client = django_client(env)
    page = client.get("/")
    if page.status_code == 302:
        page = client.get(page["Location"])
    query = sign_in_on(env, the_auth_uri(page.content.decode()))
    landed = client.get(query)
    check(landed.status_code == 302, "complete_log_in: %s %s" % (landed.status_code, landed.content[:300]))
    index = client.get("/")
    check(index.status_code == 200, "index after sign-in: %s" % index.status_code)
    body = json.loads(index.content)
    check(body["user"] == env.cfg["alice"]["username"], "user")
    assert_alice_token(env, body["token"])


@scenario("identity")
def identity_quart_log_in_and_token(env):
    import asyncio
    from quart import Quart
    from identity.quart import Auth

    app = Quart(__name__)
    app.config.update(SECRET_KEY="ecosystem", TESTING=True)
    auth = Auth(app, redirect_uri="http://localhost/callback", **web_auth_kwargs(env))
    # Quart-Session stores only in servers (redis, memcached, mongodb): Quart's own signed
    # cookie session stands in for them.
    from quart.sessions import SecureCookieSessionInterface

    app.session_interface = SecureCookieSessionInterface()

    @app.route("/")
    @auth.login_required(scopes=[USER_READ])
    async def index(*, context):
        return {"user": context["user"]["preferred_username"], "token": context["access_token"]}

    async def play():
        client = app.test_client()
        page = await client.get("/")
        if page.status_code == 302:
            page = await client.get(page.headers["Location"])
        query = sign_in_on(env, the_auth_uri(await page.get_data(as_text=True)))
        path, _, qs = query.partition("?")
        landed = await client.get(path, query_string={k: v[0] for k, v in parse_qs(qs).items()})
        check(landed.status_code == 302, "complete_log_in: %s" % landed.status_code)
        index = await client.get("/")
        check(index.status_code == 200, "index after sign-in: %s" % index.status_code)
        return await index.get_json()

    body = asyncio.run(play())
    check(body["user"] == env.cfg["alice"]["username"], "user")
    assert_alice_token(env, body["token"])
