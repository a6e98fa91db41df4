"""The documentation builds without a warning, and its API reference covers the public API."""

import os
import subprocess
import sys

import pytest

pytest.importorskip("sphinx", reason="sphinx is not installed (pip install -e '.[docs]')")
pytest.importorskip("myst_parser", reason="myst-parser is not installed (pip install -e '.[docs]')")

DOCS = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "docs")

SHARED_METHODS = [
    "acquire_token_by_auth_code_flow",
    "acquire_token_by_authorization_code",
    "acquire_token_by_refresh_token",
    "acquire_token_by_username_password",
    "acquire_token_silent",
    "acquire_token_silent_with_error",
    "get_accounts",
    "get_authorization_request_url",
    "initiate_auth_code_flow",
    "remove_account",
    "__init__",
]
DOCUMENTED = (
    [
        "msal.PublicClientApplication." + m
        for m in SHARED_METHODS
        + ["acquire_token_interactive", "initiate_device_flow", "acquire_token_by_device_flow"]
    ]
    + [
        "msal.ConfidentialClientApplication." + m
        for m in SHARED_METHODS
        + [
            "acquire_token_for_client",
            "acquire_token_on_behalf_of",
            "acquire_token_by_user_federated_identity_credential",
            "remove_tokens_for_client",
            "is_pop_supported",
        ]
    ]
    + [
        "msal.TokenCache",
        "msal.TokenCache.add",
        "msal.SerializableTokenCache",
        "msal.SerializableTokenCache.add",
        "msal.SerializableTokenCache.serialize",
        "msal.SerializableTokenCache.deserialize",
        "msal.authority.AuthorityBuilder",
        "msal.authority.AZURE_PUBLIC",
        "msal.authority.AZURE_CHINA",
        "msal.authority.AZURE_US_GOVERNMENT",
        "msal.oauth2cli.http.HttpClient",
        "msal.exceptions.MsalError",
        "msal.persistence.PersistedTokenCache",
    ]
    + [
        "msal.ManagedIdentityClient",
        "msal.ManagedIdentityClient.acquire_token_for_client",
        "msal.SystemAssignedManagedIdentity",
        "msal.UserAssignedManagedIdentity",
        "msal.ManagedIdentityError",
        "msal.ArcPlatformNotSupportedError",
        "msal.managed_identity.get_managed_identity_source",
    ]
    + [
        "msal.Prompt",
        "msal.PopAuthScheme",
        "msal.AutoRefresher",
        "msal.exceptions.IdTokenError",
        "msal.exceptions.BrowserInteractionTimeoutError",
        "msal.authority.tenant_discovery",
        "msal.authority.canonicalize",
        "msal.authority.DEPRECATED_AZURE_CHINA",
        "msal.authority.AZURE_GOV_FR",
        "msal.authority.AZURE_GOV_DE",
        "msal.authority.AZURE_GOV_SG",
    ]
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build the HTML once, as CI does: warnings are errors."""
    out = tmp_path_factory.mktemp("html")
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", DOCS, str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        universal_newlines=True,
    )
    return run, out


def test_docs_build_without_warnings(built):
    run, _ = built
    assert run.returncode == 0, run.stdout


def test_api_reference_documents_the_public_surface(built):
    run, out = built
    assert run.returncode == 0, run.stdout
    with open(os.path.join(str(out), "api.html"), encoding="utf-8") as f:
        html = f.read()
    missing = [name for name in DOCUMENTED if 'id="{}"'.format(name) not in html]
    assert not missing, missing


def test_api_reference_carries_the_parameter_documentation(built):
    """The constructors' shared parameter prose reaches both application classes."""
    _, out = built
    with open(os.path.join(str(out), "api.html"), encoding="utf-8") as f:
        html = f.read()
    for parameter in (
        "azure_region",
        "http_cache",
        "instance_discovery",
        "client_claims",
        "exclude_scopes",
        "allow_broker",
        "client_capabilities",
        "enable_pii_log",
        "oidc_authority",
    ):
        assert html.count("<strong>{}</strong>".format(parameter)) >= 2, parameter


def test_built_pages_show_the_diagrams(built):
    """Sphinx copies the images and the pages point at them."""
    _, out = built
    images = os.listdir(os.path.join(str(out), "_images"))
    for page, image in (
        ("web-app", "auth-code.svg"),
        ("on-behalf-of", "on-behalf-of.svg"),
        ("device-code", "device-code.svg"),
        ("emulator", "emulator-parts.svg"),
    ):
        assert image in images
        with open(os.path.join(str(out), "guides", page + ".html"), encoding="utf-8") as f:
            assert 'src="../_images/{}"'.format(image) in f.read(), page
