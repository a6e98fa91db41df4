"""The interpreters to compare: this package's, and the original msal's in ``.venv-bench-*``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import venv
from typing import Callable, List, NamedTuple, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORIGINAL_BASELINE = "1.22.0"
Log = Callable[[str], None]


class Implementation(NamedTuple):
    label: str
    python: str


def _pip(python: str, *args: str) -> str:
    proc = subprocess.run(
        [python, "-m", "pip", "--disable-pip-version-check", *args], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError("pip %s failed:\n%s" % (" ".join(args), proc.stderr[-2000:]))
    return proc.stdout


def installed_version(python: str) -> Optional[str]:
    """The msal version importable by that interpreter (outside any source tree), or None."""
    proc = subprocess.run(
        [python, "-c", "import msal; print(msal.__version__)"],
        capture_output=True,
        text=True,
        cwd=os.path.dirname(python),
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def latest_release(python: str) -> str:
    """The newest msal on the package index."""
    out = _pip(python, "index", "versions", "msal")
    match = re.search(r"^msal \(([^)]+)\)", out, re.M)
    if not match:
        raise RuntimeError("could not tell the latest msal release from: %r" % out[:300])
    return match.group(1)


def original(name: str, version: Optional[str], log: Log = print) -> Implementation:
    """An environment under the repository holding the original msal at ``version``
    (the latest release when None), created or updated as needed."""
    path = os.path.join(ROOT, ".venv-bench-msal-" + name)
    python = os.path.join(path, "bin", "python")
    if not os.path.exists(python):
        log("creating %s" % os.path.relpath(path, ROOT))
        venv.EnvBuilder(with_pip=True, clear=True, symlinks=True).create(path)
    want = version or latest_release(python)
    if installed_version(python) != want:
        log("installing msal==%s into %s" % (want, os.path.relpath(path, ROOT)))
        _pip(python, "install", "-q", "msal==" + want)
    return Implementation("original " + want, python)


def this_package(log: Log = print) -> Implementation:
    """This working tree, installed as a user would (a regular, not editable, install) in an
    environment of its own, so that import time and start-up compare like for like."""
    path = os.path.join(ROOT, ".venv-bench-this")
    python = os.path.join(path, "bin", "python")
    if not os.path.exists(python):
        log("creating %s" % os.path.relpath(path, ROOT))
        venv.EnvBuilder(with_pip=True, clear=True, symlinks=True).create(path)
        _pip(python, "install", "-q", ROOT)
    log("installing this working tree into %s" % os.path.relpath(path, ROOT))
    had_build_dir = os.path.exists(os.path.join(ROOT, "build"))
    _pip(python, "install", "-q", "--no-deps", "--force-reinstall", ROOT)
    if not had_build_dir:  # setuptools' leftovers would otherwise outlive deleted modules
        shutil.rmtree(os.path.join(ROOT, "build"), ignore_errors=True)
    return Implementation("this msal", python)


def implementations(with_originals: bool = True, log: Log = print) -> List[Implementation]:
    ours = this_package(log)
    if not with_originals:
        return [ours]
    return [ours, original(ORIGINAL_BASELINE, ORIGINAL_BASELINE, log), original("latest", None, log)]
