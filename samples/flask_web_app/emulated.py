"""Wire the sample to a running msal-emulator: its web-app registration and its web API."""

from __future__ import annotations

from msal_emulator import Emulator

from .settings import ApiSettings, WebAppSettings

# The emulator registers http://localhost/callback for the web-app; loopback redirect URIs
# match on any port (RFC 8252 section 7.3), so the sample listens on localhost:<any port>.
EMULATOR_REDIRECT_PATH = "/callback"
API_SCOPE = "access_as_user"


def emulator_api_settings(emu: Emulator) -> ApiSettings:
    """The protected API is the emulator's `web-api` resource."""
    return ApiSettings(
        authority=emu.authority(),
        audience=emu.app("web-api")["app_id_uri"],
        required_scope=API_SCOPE,
        verify=emu.ca_path,
    )


def emulator_web_app_settings(emu: Emulator, api_endpoint: str) -> WebAppSettings:
    """The web app is the emulator's `web-app` client, asking for the web API's scope."""
    return WebAppSettings(
        authority=emu.authority(),
        client_id=emu.app("web-app")["client_id"],
        client_secret=emu.client_credential("web-app"),
        scopes=[emu.app("web-api")["app_id_uri"] + "/" + API_SCOPE],
        api_endpoint=api_endpoint,
        verify=emu.ca_path,
        instance_discovery=False,
        redirect_path=EMULATOR_REDIRECT_PATH,
    )
