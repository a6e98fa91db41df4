"""azure-identity 1.27.0, msal-extensions 1.3.1 and identity 0.11.0 on top of this package,
with the original msal 1.39.0 underneath as the control.

Each scenario of ``ecosystem_scenarios`` runs in both interpreters (see ``ecosystem_driver``) against the same
emulator. A scenario the control passes must pass on ours, except for the gaps listed in
``KNOWN_GAPS`` (API of msal 1.23-1.39 this package does not have yet): each must still fail,
for the reason given, so the list never goes stale. ``python tests/ecosystem_latest/table.py``
prints the same comparison as a table.
"""

import pytest

import ecosystem_driver as driver
from ecosystem_scenarios import LIBRARIES, SCENARIOS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (driver.available("ours") and driver.available("original")),
        reason="the venvs with azure-identity 1.27.0 over this package and over the original msal "
        "1.39.0 are missing (./dev setup makes them)",
    ),
]
BROWSER_SCENARIOS = {"identity_flask_in_chromium"}
# Failing on the control but passing here, on purpose (docs/differences.md): the original cannot
# store a Cloud Shell answer whose refresh_in is a string.
BEYOND_THE_CONTROL = {"azid_managed_identity_cloud_shell"}

# Scenario -> text its failure on this package must contain (API of msal 1.23-1.39 it lacks).
KNOWN_GAPS: dict = {}


@pytest.fixture(scope="module")
def ecosystem_emu():
    with driver.ecosystem_emulator() as emu:
        yield emu


def describe(run):
    return run.get("error", "") + "\n" + run.get("trace", "")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=[pytest.mark.browser] if name in BROWSER_SCENARIOS else [])
        for name in sorted(SCENARIOS)
    ],
)
def test_what_passes_on_the_original_passes_here(ecosystem_emu, name):
    control = driver.run(ecosystem_emu, "original", name)
    assert control["msal"] == "1.39.0"
    if not control["passed"] and name in BEYOND_THE_CONTROL:
        assert control["error"].startswith("TypeError: unsupported operand"), control["error"]
        ours = driver.run(ecosystem_emu, "ours", name)
        assert ours["passed"], describe(ours)
        return
    if not control["passed"]:
        pytest.skip("the control fails this %s scenario too: %s" % (LIBRARIES[name], control["error"]))
    ours = driver.run(ecosystem_emu, "ours", name)
    if name in KNOWN_GAPS:
        assert not ours["passed"], "%s passes now: remove it from KNOWN_GAPS" % name
        assert KNOWN_GAPS[name] in describe(ours), describe(ours)
    else:
        assert ours["passed"], describe(ours)
