"""Apps nobody here wrote, unmodified, reaching the emulator through its HTTPS proxy.

The apps (apps/, node/) are written for https://login.microsoftonline.com/<tenant>; only the
environment differs: HTTPS_PROXY names the emulator's proxy, and REQUESTS_CA_BUNDLE,
SSL_CERT_FILE and NODE_EXTRA_CA_CERTS its CA. They run under the original msal 1.22
(MSAL_ORIGINAL_PYTHON), the original msal 1.39 with azure-identity 1.27
(MSAL_ORIGINAL_LATEST_PYTHON; both set up by ./dev test) and Node.js with @azure/msal-node.
"""

from __future__ import annotations

from typing import List

import pytest

from app_process import APPS, SAMPLE_CONFIG, AppProcess, app_environment
from msal_emulator import Emulator


@pytest.fixture(scope="session")
def proxied_emulator():
    """An emulator with its proxy, the built-in directory plus a sample's app registration."""
    with Emulator(SAMPLE_CONFIG, proxy_port=0, device_code_interval=1) as emu:
        yield emu
    emu.close()


@pytest.fixture
def proxy_emu(proxied_emulator):
    """The proxied emulator with its request log cleared."""
    proxied_emulator.clear_requests()
    return proxied_emulator


@pytest.fixture
def start_app(proxy_emu):
    """Start an app with the environment of the emulator's proxy and the given settings."""
    started: List[AppProcess] = []

    def start(command: List[str], cwd: str = APPS, **settings: str) -> AppProcess:
        app = AppProcess(command, app_environment(proxy_emu, settings), cwd)
        started.append(app)
        return app

    yield start
    for app in started:
        app.close()
