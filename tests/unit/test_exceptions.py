"""Every error code the library makes up is listed, and documented, in msal.exceptions."""

import ast
import os

from msal.exceptions import LIBRARY_ERROR_CODES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# RFC 6749 §5.2 and §4.1.2.1, RFC 8628 §3.5: codes the library may relay or imitate
STANDARD_ERROR_CODES = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "server_error",
    "temporarily_unavailable",
    "interaction_required",
    "authorization_pending",
    "slow_down",
    "expired_token",
}


def _error_literals(path):
    """The string literals a source file puts in an error dict's ``error``."""
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == "error" and isinstance(value, ast.Constant):
                    yield value.value
        elif (
            isinstance(node, ast.keyword)
            and node.arg == "error"
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            yield node.value.value


def test_every_error_code_the_library_makes_up_is_listed_in_exceptions():
    package = os.path.join(ROOT, "msal")
    found = {}
    for folder, _, files in os.walk(package):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                for code in _error_literals(path):
                    found.setdefault(code, os.path.relpath(path, ROOT))
    unlisted = {
        code: where for code, where in found.items() if code not in LIBRARY_ERROR_CODES | STANDARD_ERROR_CODES
    }
    assert unlisted == {}
    assert found, "the scan found no error dict at all"
    with open(os.path.join(package, "exceptions.py"), encoding="utf-8") as doc:
        text = doc.read()
    assert all("``{}``".format(code) in text for code in LIBRARY_ERROR_CODES)
