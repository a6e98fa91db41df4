"""Run the guides' Python examples against the emulator, so that the documentation cannot rot.

Every ``python`` code block in ``docs/guides`` starts with ``# doc-test`` (optionally
``# doc-test: <step>``). The blocks of one page run in order in one namespace, after the
``<placeholders>`` are replaced with the emulator's apps and users. The default HTTP client
of applications built without an explicit ``verify`` reaches the emulator under the real
Microsoft host names, so the examples can keep their real-tenant authorities.

Steps run before a block: ``sign-in`` plays the user on ``flow["auth_uri"]`` (alice, or the
user of the B2C or CIAM tenant whose host the URL names) and binds ``auth_response``. A pytest test a block defines is called with the emulator fixtures. Each page's ``print`` is captured; a device code flow message is answered
by approving its code as alice.
"""

import inspect
import os
import re
import threading
import webbrowser
from urllib.parse import urlparse

import pytest
import requests

import msal
import msal.application
from msal_emulator import auth_response as auth_response_of

GUIDES = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "docs", "guides")
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
MARKER = re.compile(r"^# doc-test(?::\s*(?P<step>[\w-]+))?\s*$")
PLACEHOLDER = re.compile(r"<[a-z][a-z0-9.-]*>")
SIGN_IN_USERS = {"contosob2c.b2clogin.com": "dana", "contosociam.ciamlogin.com": "erin"}


def guide_pages():
    return sorted(name for name in os.listdir(GUIDES) if name.endswith(".md"))


def python_blocks(page):
    with open(os.path.join(GUIDES, page), encoding="utf-8") as f:
        return BLOCK.findall(f.read())


def runnable_blocks(page):
    """(step, code) of each block; a block without the marker fails the test."""
    blocks = []
    for code in python_blocks(page):
        marker = MARKER.match(code.split("\n", 1)[0])
        assert marker, "{}: a python example lacks the '# doc-test' marker:\n{}".format(page, code)
        blocks.append((marker.group("step"), code))
    return blocks


def _redis_url(request):
    """A redis-server of this page's examples, started on first use."""
    from benchmarks.redis_servers import REDIS_SERVER, SKIP_REASON, RedisServer

    if not REDIS_SERVER:
        pytest.skip(SKIP_REASON)
    server = RedisServer().start()
    request.addfinalizer(server.close)
    return server.url


@pytest.fixture
def placeholders(emu, tmp_path, request):
    """What each placeholder of the guides stands for, in the emulator's directory."""
    cert = emu.client_credential("confidential-cert")
    key_path, cert_path = tmp_path / "private-key.pem", tmp_path / "certificate.pem"
    key_path.write_text(cert["private_key"])
    cert_path.write_text(cert["public_certificate"])
    alice, carol = emu.user("alice"), emu.user("carol@fabrikam.example")
    values = {
        "<tenant-id>": emu.tenant_id,
        "<client-id>": emu.app("confidential-secret")["client_id"],
        "<client-secret>": emu.client_credential("confidential-secret"),
        "<cert-client-id>": emu.app("confidential-cert")["client_id"],
        "<private-key.pem>": str(key_path),
        "<certificate.pem>": str(cert_path),
        "<thumbprint>": cert["thumbprint"],
        "<web-app-client-id>": emu.app("web-app")["client_id"],
        "<web-app-client-secret>": emu.client_credential("web-app"),
        "<redirect-uri>": "http://localhost/callback",
        "<public-client-id>": emu.app("public")["client_id"],
        "<web-api-client-id>": emu.app("web-api")["client_id"],
        "<web-api-client-secret>": emu.client_credential("web-api"),
        "<username>": alice["username"],
        "<password>": alice["password"],
        "<federated-username>": carol["username"],
        "<federated-password>": carol["password"],
        "<cache-file>": str(tmp_path / "token_cache.bin"),
        "<b2c-client-id>": emu.app("b2c-web-app")["client_id"],
        "<b2c-client-secret>": emu.client_credential("b2c-web-app"),
        "<b2c-public-client-id>": emu.app("b2c-public")["client_id"],
        "<b2c-username>": emu.user("dana")["username"],
        "<b2c-password>": emu.user("dana")["password"],
        "<ciam-client-id>": emu.app("ciam-public")["client_id"],
    }
    lazy = {
        "<incoming-access-token>": lambda: emu.issue_token(
            user=alice["username"], host="login.microsoftonline.com"
        ),
        "<refresh-token>": lambda: _refresh_token_from_elsewhere(alice),
        "<redis-url>": lambda: _redis_url(request),
    }
    return values, lazy


def _refresh_token_from_elsewhere(user):
    """A refresh token the public app obtained outside this page (e.g. by an older library)."""
    other = msal.PublicClientApplication(
        "e3c60c9f-794d-4e9b-87c0-dbcb64df6fbd", authority="https://login.microsoftonline.com/organizations"
    )
    result = other.acquire_token_by_username_password(user["username"], user["password"], ["User.Read"])
    return result["refresh_token"]


def substitute(code, placeholders):
    values, lazy = placeholders

    def value(match):
        name = match.group(0)
        if name not in values and name in lazy:
            values[name] = lazy[name]()
        assert name in values, "unknown placeholder {}".format(name)
        return values[name]

    return PLACEHOLDER.sub(value, code)


@pytest.fixture
def routed_to_emulator(emu, monkeypatch):
    """Applications without an explicit ``verify`` reach the emulator as the Microsoft hosts."""
    default = msal.application._default_http_client

    def client(verify, proxies, timeout):
        return emu.http_client() if verify is True else default(verify, proxies, timeout)

    monkeypatch.setattr(msal.application, "_default_http_client", client)


@pytest.fixture
def scripted_browser(emu, monkeypatch):
    """The "system browser": alice signs in, and the redirect reaches the loopback listener."""
    threads = []

    def play(url):
        target = urlparse(emu.sign_in(url, emu.user("alice")["username"], emu.user("alice")["password"]))
        requests.get(
            "http://127.0.0.1:{}{}?{}".format(target.port, target.path or "/", target.query), timeout=10
        )

    def open_url(url, *args, **kwargs):
        threads.append(threading.Thread(target=play, args=(url,), daemon=True))
        threads[-1].start()
        return True

    monkeypatch.setattr(webbrowser, "open", open_url)
    yield threads
    for thread in threads:
        thread.join(30)


class Page(object):
    """One guide's namespace, its printed lines, and the steps between its blocks."""

    def __init__(self, emu):
        self.emu, self.printed = emu, []
        self.namespace = {"__name__": "__doc_example__", "print": self.print}

    def print(self, *args, **kwargs):
        text = " ".join(str(a) for a in args)
        self.printed.append(text)
        code = re.search(r"enter the code (\S+)", text)
        if code:  # The user approves the device code on another device
            alice = self.emu.user("alice")
            self.emu.approve_device_code(code.group(1), alice["username"], alice["password"])

    def call_test(self, test):
        """A pytest test shown in a guide: call it with the emulator fixtures it names."""
        self.emu.clear_requests()
        fixtures = {"emulator": self.emu, "emulator_requests": self.emu}
        test(**{name: fixtures[name] for name in inspect.signature(test).parameters})

    def step(self, name):
        if name == "sign-in":
            auth_uri = self.namespace["flow"]["auth_uri"]
            user = self.emu.user(SIGN_IN_USERS.get(urlparse(auth_uri).hostname, "alice"))
            redirect = self.emu.sign_in(auth_uri, user["username"], user["password"])
            self.namespace["auth_response"] = auth_response_of(redirect)
        elif name is not None:
            raise AssertionError("unknown step {}".format(name))

    def run(self, page, step, code):
        self.step(step)
        before = set(self.namespace)
        exec(compile(code, "{} (example)".format(page), "exec"), self.namespace)
        for name in sorted(set(self.namespace) - before):
            if name.startswith("test_") and callable(self.namespace[name]):
                self.call_test(self.namespace[name])
        result = self.namespace.get("result")
        if isinstance(result, dict):
            assert "error" not in result, "{}: {}".format(page, result)


@pytest.mark.parametrize("page", guide_pages())
def test_guide_examples_run(page, emu, placeholders, routed_to_emulator, scripted_browser):
    blocks = runnable_blocks(page)
    doc = Page(emu)
    for step, code in blocks:
        doc.run(page, step, substitute(code, placeholders))
    if blocks:
        assert emu.requests, "{}: the examples never reached the emulator".format(page)


def test_every_flow_guide_has_runnable_examples():
    """The flow guides must keep at least one runnable example each."""
    for page in guide_pages():
        if page not in ("migration.md",):
            assert runnable_blocks(page), "{} has no runnable example".format(page)
