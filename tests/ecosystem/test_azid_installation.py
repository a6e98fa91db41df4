"""The libraries under test run on this msal, not on one pip brought from PyPI."""

import glob
import importlib.metadata
import os
import subprocess
import sys
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
    assert importlib.metadata.version("msal") == msal.__version__ == "1.39.0"
    assert importlib.metadata.version("azure-identity") == "1.14.1"
    assert importlib.metadata.version("msal-extensions") == "1.1.0"


# ---- pip's resolver keeps this package under today's libraries -----------------------------

# What each library declares on msal: azure-identity 1.27 `msal>=1.39.0`, msal-extensions 1.3.1
# `>=1.29`, identity 0.11 `>=1.28`, azure-identity-broker `msal[broker]>=1.33`.
TODAYS_LIBRARIES = ["azure-identity==1.27.0", "msal-extensions==1.3.1", "identity==0.11.0"]


def _pip(venv, *args):
    python = os.path.join(venv, "bin", "python")
    return subprocess.run(
        [python, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=900,
    )


def _our_wheel(tmp_path):
    """The wheel under test: ./dev wheel-test's, or one built from this tree."""
    if INSTALLED:
        return glob.glob(os.path.join(PROJECT, "dist", "msal-*.whl"))[0]
    out = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), PROJECT],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if built.returncode != 0 and "setuptools" in built.stderr and "No matching" in built.stderr:
        pytest.skip("the package index is unreachable: cannot get the build backend")
    assert built.returncode == 0, built.stderr[-3000:]
    return glob.glob(str(out / "msal-*.whl"))[0]


@pytest.mark.interop
def test_pip_keeps_this_msal_under_todays_libraries(tmp_path):
    """With this wheel installed, pip resolves today's libraries (and the broker extra that
    azure-identity-broker asks for) against it instead of bringing the original from the index."""
    wheel = _our_wheel(tmp_path)
    venv = str(tmp_path / "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=300)
    probe = _pip(venv, "download", "--no-deps", "-q", "-d", str(tmp_path / "probe"), TODAYS_LIBRARIES[0])
    if probe.returncode != 0:
        pytest.skip("the package index is unreachable: " + probe.stderr.strip()[-300:])
    first = _pip(venv, "install", wheel + "[broker]")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "does not provide the extra" not in first.stderr, first.stderr

    installed = _pip(venv, "install", *TODAYS_LIBRARIES, "msal[broker]>=1.33")
    assert installed.returncode == 0, installed.stderr[-3000:]
    assert "does not provide the extra" not in installed.stderr, installed.stderr
    assert "Uninstalling msal" not in installed.stdout, installed.stdout
    check = subprocess.run(
        [
            os.path.join(venv, "bin", "python"),
            "-c",
            "import importlib.metadata as m, msal, azure.identity, msal_extensions, identity;"
            "print(m.version('msal'), msal.__version__, m.metadata('msal')['Summary'], sep='\\n')",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr[-3000:]
    dist_version, module_version, summary = check.stdout.splitlines()
    assert dist_version == module_version == "1.39.0"
    assert summary.startswith("A clean-room implementation"), "pip brought the original msal"
    conflicts = _pip(venv, "check")
    assert conflicts.returncode == 0, conflicts.stdout
