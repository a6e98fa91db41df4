"""A Flask web app that signs users in with msal and calls a protected API for them.

`create_app` builds the web app, `create_api` the API that validates its bearer tokens.
See README.md for running it against a tenant or the emulator.
"""

from .protected_api import create_api
from .settings import ApiSettings, WebAppSettings
from .web_app import create_app

__all__ = ["ApiSettings", "WebAppSettings", "create_api", "create_app"]
