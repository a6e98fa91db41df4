"""The flows' layering, as the module docstrings of msal._flows describe it: a flow imports the
shared steps (context, redeem, cache_first, hits, single_flight), never another flow."""

import ast
import os

FLOWS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "msal", "_flows")
STEPS = {"__init__", "context", "redeem", "cache_first", "hits", "single_flight"}
# Interactive sign-in is the auth code flow with a loopback listener in front of it
ALLOWED = {("interactive", "auth_code")}


def flow_imports(module):
    """The sibling modules of msal._flows that ``module`` imports."""
    with open(os.path.join(FLOWS_DIR, module + ".py"), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_no_flow_imports_another():
    modules = [name[:-3] for name in os.listdir(FLOWS_DIR) if name.endswith(".py")]
    flows = set(modules) - STEPS
    assert {
        "silent",
        "client_credentials",
        "auth_code",
        "on_behalf_of",
        "refresh_token",
        "username_password",
    } <= flows
    crossing = {(m, imported) for m in modules for imported in flow_imports(m) & flows if imported != m}
    assert crossing <= ALLOWED, crossing


def test_the_shared_steps_import_no_flow():
    for step in STEPS - {"__init__"}:
        assert not flow_imports(step) - STEPS, step
