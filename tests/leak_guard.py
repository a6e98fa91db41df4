"""pytest plugin: fail any test during which a secret reached a log record.

For every test, the library's loggers (``msal``) and the HTTP stack's (``urllib3``, ``requests``,
which log request lines with their query strings) are set to DEBUG, and a handler on the root
logger keeps what the library emits, directly or through the HTTP stack. At the end of the test each record's message (and traceback) is
searched for:

* JWT-shaped strings (access, ID tokens and client assertions all are JWTs);
* the emulator's client secrets and user passwords;
* the authorization codes and refresh tokens the emulator issued, when the test used it;
* strings the test registered itself through the ``secret_values`` fixture.

Registered in tests/conftest.py with ``pytest_plugins = ["leak_guard"]``.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import Iterable, Iterator, List, Set

import pytest

import msal

WATCHED_LOGGERS = ("msal", "urllib3", "requests")
JWT = re.compile(r"eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*")


MSAL_DIR = os.path.dirname(os.path.abspath(msal.__file__)) + os.sep


def made_by_the_library(record: logging.LogRecord) -> bool:
    """The library's own loggers, or the HTTP stack while the library's code is on the stack.

    The tests' scripted browsers use requests too (from their own threads); what a browser
    logs is not the library's doing.
    """
    if record.name == "msal" or record.name.startswith("msal."):
        return True
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename.startswith(MSAL_DIR):
            return True
        frame = frame.f_back
    return False


class _Keeper(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if made_by_the_library(record):
            self.records.append(record)


def record_text(record: logging.LogRecord) -> str:
    """Everything a log handler could write out for this record."""
    try:
        text = record.getMessage()
    except Exception:  # a bad format string must not hide the arguments
        text = "{} {}".format(record.msg, record.args)
    if record.exc_info:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    return text


def secrets_in(text: str, known: Iterable[str]) -> List[str]:
    """The secrets found in ``text``: JWT-shaped strings, then known values."""
    found = JWT.findall(text)
    found += [s for s in known if s and s in text]
    return found


def emulator_secrets(emulator) -> Set[str]:
    """Client secrets, passwords, and the codes and refresh tokens the emulator issued."""
    directory = emulator.directory
    values = {a["client_secret"] for a in directory.apps if a.get("client_secret")}
    values |= {u["password"] for u in directory.users if u.get("password")}
    with emulator.store.lock:
        values |= set(emulator.store.codes) | set(emulator.store.refresh_tokens)
    return values


def _redacted(secret: str) -> str:
    return secret[:6] + "…(%d chars)" % len(secret)


@pytest.fixture
def secret_values() -> Set[str]:
    """A set a test may add its own secrets to; the leak guard looks for them too."""
    return set()


@pytest.fixture(autouse=True)
def _leak_guard(request: pytest.FixtureRequest, secret_values: Set[str]) -> Iterator[None]:
    keeper = _Keeper()
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in WATCHED_LOGGERS}
    for name in WATCHED_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    root.addHandler(keeper)
    try:
        yield
    finally:
        root.removeHandler(keeper)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
    known = set(secret_values)
    for name in ("emulator", "emu", "emulator_requests"):
        if name in request.fixturenames:
            known |= emulator_secrets(request.getfixturevalue(name))
            break
    leaks = []
    for record in keeper.records:
        for secret in secrets_in(record_text(record), known):
            leaks.append("%s (%s): %s" % (record.name, record.levelname, _redacted(secret)))
    if leaks:
        pytest.fail("secrets reached the logs:\n  " + "\n  ".join(leaks), pytrace=False)
