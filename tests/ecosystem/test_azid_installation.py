"""The libraries under test run on this msal, not on one pip brought from PyPI."""

import importlib.metadata
import os
import sysconfig

import pytest

import msal

identity = pytest.importorskip("azure.identity")
msal_extensions = pytest.importorskip("msal_extensions")
from azure.identity._internal import msal_credentials  # noqa: E402
from msal_extensions import token_cache as extensions_cache  # noqa: E402

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE_PACKAGES = sysconfig.get_paths()["purelib"]
# Under ./dev wheel-test this package is the wheel installed in site-packages; otherwise the
# source tree, installed in editable mode.
INSTALLED = bool(os.environ.get("MSAL_TEST_INSTALLED"))
THIS_MSAL = os.path.join(SITE_PACKAGES if INSTALLED else PROJECT, "msal")


def test_both_libraries_import_this_msal():
    assert os.path.dirname(os.path.abspath(msal.__file__)) == os.path.abspath(THIS_MSAL)
    assert msal_credentials.msal is msal and extensions_cache.msal is msal
    assert issubclass(msal_extensions.PersistedTokenCache, msal.SerializableTokenCache)


def test_no_other_msal_installed_and_the_pinned_versions():
    if not INSTALLED:
        assert not os.path.exists(os.path.join(SITE_PACKAGES, "msal")), "pip brought another msal"
    assert importlib.metadata.version("msal") == msal.__version__ == "1.22.0"
    assert importlib.metadata.version("azure-identity") == "1.14.1"
    assert importlib.metadata.version("msal-extensions") == "1.1.0"
