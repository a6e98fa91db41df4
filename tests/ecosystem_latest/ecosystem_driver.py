"""Run the ecosystem scenarios in another interpreter against an emulator of this process.

Two interpreters run the same scenario scripts: ``ours`` (this package installed editable with
azure-identity 1.27.0, msal-extensions 1.3.1 and identity 0.11.0 on top, without their
dependencies) and ``original`` (the same libraries over the original msal 1.39.0 from PyPI),
the control. The parent plays the user (sign-in pages, device code approval) and tells the
scenario which requests reached the emulator.
"""

from __future__ import annotations

import copy
import os
import tempfile
from typing import Any, Dict

import jwt

from msal_emulator import Emulator
from msal_emulator.browser import Browser
from msal_emulator.config import DEFAULT_CONFIG

from support import original

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
INTERPRETERS = {
    "original": os.environ.get("MSAL_ORIGINAL_LATEST_PYTHON")
    or os.path.join(ROOT, ".venv-original-1.39.0", "bin", "python"),
    "ours": os.environ.get("MSAL_ECOSYSTEM_LATEST_PYTHON")
    or os.path.join(ROOT, ".venv-ecosystem-latest", "bin", "python"),
}
# The client id azure-identity uses for user sign-in and the shared cache (a FOCI member).
DEVELOPER_SIGN_ON_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
# Variables that would make a scenario reach something other than the emulator.
FOREIGN_VARIABLES = (
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "AZUREPS_HOST_ENVIRONMENT",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "PYTHONPATH",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_AUTHORITY_HOST",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "MSAL_FORCE_REGION",
    "REGIONAL_AUTHORITY_NAME",
)
SOURCES = ("imds", "app_service", "machine_learning", "cloud_shell", "service_fabric", "arc")


def available(side: str) -> bool:
    return os.access(INTERPRETERS[side], os.X_OK)


def ecosystem_emulator() -> Emulator:
    """An emulator that also knows azure-identity's developer sign-on client (FOCI)."""
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
    return Emulator(config, device_code_interval=1)


def scenario_config(emu: Emulator) -> Dict[str, Any]:
    apps = {
        name: {"client_id": emu.app(name)["client_id"], "credential": emu.client_credential(name)}
        for name in ("confidential-secret", "confidential-cert", "public", "web-api", "web-app", "family-a")
    }
    alice = emu.user("alice")
    host = emu.managed_identity
    return {
        "base_url": emu.base_url,
        "port": emu.port,
        "ca": emu.ca_path,
        "tenant_id": emu.tenant_id,
        "apps": apps,
        "developer_client_id": DEVELOPER_SIGN_ON_CLIENT_ID,
        "alice": {"username": alice["username"], "password": alice["password"], "oid": alice["oid"]},
        "managed_identity": {
            "environ": {source: host.environ(source) for source in SOURCES},
            "user_assigned": dict(host.user_assigned),
            "system_assigned": dict(host.system_assigned),
            "arc_key_folder": host.arc_key_folder,
        },
    }


def _request_summary(request: Dict[str, Any]) -> Dict[str, Any]:
    """What a scenario may check about a request, without secrets or tokens."""
    form = request.get("form") or {}
    summary = {
        "method": request["method"],
        "path": request["path"],
        "host": request.get("host"),
        "query_keys": sorted(request.get("query") or {}),
        "form_keys": sorted(form),
        "grant_type": form.get("grant_type"),
        "client_id": form.get("client_id"),
        "claims": form.get("claims") or (request.get("query") or {}).get("claims"),
    }
    if form.get("client_assertion"):
        summary["assertion_header"] = jwt.get_unverified_header(form["client_assertion"])
    return summary


class UserAgent:
    """Answers a scenario's asks: the user's part and what the emulator saw."""

    def __init__(self, emu: Emulator):
        self.emu = emu

    def __call__(self, kind: str, payload: Dict[str, Any]) -> Any:
        return getattr(self, "do_" + kind)(**payload)

    def do_sign_in(self, auth_uri: str) -> Any:
        alice = self.emu.user("alice")
        return Browser(self.emu).sign_in(auth_uri, alice["username"], alice["password"])

    def do_browse(self, url: str) -> str:
        """A person with headless Chromium opens the web app, signs in on the emulator's page
        and is sent back to the app; the text of the page they end on."""
        from support.chromium import CHROMIUM, CHROMIUM_ARGS
        from playwright.sync_api import sync_playwright

        if not CHROMIUM:
            raise RuntimeError("Chromium is not installed")
        alice = self.emu.user("alice")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(ignore_https_errors=True).new_page()
                response = page.goto(url)
                if response is not None and response.status >= 500:
                    raise RuntimeError(
                        "the web app answered %d: %s" % (response.status, page.inner_text("body")[:300])
                    )
                try:
                    page.wait_for_selector("input[name=login]", timeout=30000)
                except Exception:
                    raise RuntimeError(
                        "no sign-in page at %s: %s" % (page.url, page.inner_text("body")[:300])
                    )
                page.fill("input[name=login]", alice["username"])
                page.fill("input[name=passwd]", alice["password"])
                page.click("button[value=accept]")
                page.wait_for_url(url, timeout=30000)
                return page.inner_text("body")
            finally:
                browser.close()

    def do_approve_device(self, user_code: str, verification_uri: str) -> str:
        alice = self.emu.user("alice")
        return self.emu.approve_device_code(
            user_code, alice["username"], alice["password"], verification_uri=verification_uri
        )

    def do_issue_token(self) -> str:
        return self.emu.issue_token(user="alice@" + self.emu.tenant_domain)

    def do_requests(self) -> Any:
        return [_request_summary(r) for r in self.emu.requests.snapshot()]

    def do_clear_requests(self) -> None:
        self.emu.clear_requests()

    def do_verify(self, token: str) -> Dict[str, Any]:
        """The claims of a token the emulator signed and that has not expired (raises otherwise)."""
        return self.emu.signing_key.verify(token, self.emu.clock())


def run(emu: Emulator, side: str, scenario: str, timeout: float = 180) -> Dict[str, Any]:
    """Run a scenario under one interpreter; its final line as a dict."""
    emu.reset_overrides()
    emu.device_code_interval = 1
    emu.clear_requests()
    agent = UserAgent(emu)
    with tempfile.TemporaryDirectory(prefix="ecosystem-") as home:
        env = dict(
            HOME=home,
            REQUESTS_CA_BUNDLE=emu.ca_path,
            SSL_CERT_FILE=emu.ca_path,
            CURL_CA_BUNDLE=emu.ca_path,
            PYTHONDONTWRITEBYTECODE="1",
        )
        child_py = os.path.join(HERE, "child.py")
        child = original.Conversation(
            INTERPRETERS[side], [child_py], timeout, env=env, drop=FOREIGN_VARIABLES
        )
        try:
            return _converse(child, agent, scenario, scenario_config(emu))
        finally:
            child.close(wait=0)  # The final line is the outcome: nothing more to wait for


def _converse(child, agent, scenario, cfg):
    child.send({"scenario": scenario, "cfg": cfg})
    try:
        message = child.receive()
        while "ask" in message:
            try:
                answer = agent(message["ask"], message["payload"])
            except Exception as exc:  # the scenario sees the user's failure
                answer = {"failed": "%s: %s" % (type(exc).__name__, exc)}
            child.send({"answer": answer})
            message = child.receive()
    except AssertionError as exc:  # The child ended without an outcome
        return {"passed": False, "error": "the scenario died: %s" % exc}
    return message
