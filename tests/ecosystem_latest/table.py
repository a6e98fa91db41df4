"""Print how many ecosystem scenarios pass over the original msal 1.39.0 and over this package.

    .venv/bin/python tests/ecosystem_latest/table.py [--azure-identity-suite DIR]

Runs every scenario of ecosystem_scenarios under both interpreters (./dev setup makes them)
against one emulator, prints a Markdown table per library, then each scenario that fails on
this package with the first line of its error. With ``--azure-identity-suite DIR`` (the
unpacked azure-identity 1.27.0 sdist), it also runs that package's own offline tests with
pytest in both interpreters and counts the passes (this takes several minutes; it needs
pytest, pytest-asyncio and aiohttp in both venvs; azure_suite/ stands in for the Azure SDK's
unpublished test utilities and writes the certificate files the sdist leaves out).
"""

import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: support
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ecosystem_driver as driver  # noqa: E402
from azure_suite import make_certificates  # noqa: E402
from ecosystem_scenarios import LIBRARIES, SCENARIOS  # noqa: E402

SUITE_STUBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "azure_suite")
TITLES = {
    "azure-identity": "azure-identity 1.27.0",
    "msal-extensions": "msal-extensions 1.3.1",
    "identity": "identity 0.11.0",
}


def run_all():
    """{side: {scenario: run}} for every scenario, both sides on the same emulator."""
    runs = {"original": {}, "ours": {}}
    with driver.ecosystem_emulator() as emu:
        for name in sorted(SCENARIOS):
            for side in runs:
                runs[side][name] = driver.run(emu, side, name)
    return runs


def first_line(run):
    return (run.get("error") or "").strip().splitlines()[0][:160] if run.get("error") else ""


def table(runs):
    lines = ["| library (scenarios) | original msal 1.39.0 | this package |", "| --- | ---: | ---: |"]
    for library, title in TITLES.items():
        names = [n for n in sorted(SCENARIOS) if LIBRARIES[n] == library]
        passed = {side: sum(runs[side][n]["passed"] for n in names) for side in runs}
        lines.append("| %s (%d) | %d | %d |" % (title, len(names), passed["original"], passed["ours"]))
    return "\n".join(lines)


def failures(runs):
    lines = []
    for name in sorted(SCENARIOS):
        original, ours = runs["original"][name], runs["ours"][name]
        if not ours["passed"] or not original["passed"]:
            lines.append(
                "- %s: original %s, ours %s%s"
                % (
                    name,
                    "passes" if original["passed"] else "fails (%s)" % first_line(original),
                    "passes" if ours["passed"] else "fails",
                    "" if ours["passed"] else " (%s)" % first_line(ours),
                )
            )
    return "\n".join(lines)


def own_suite(source, side):
    """azure-identity's offline tests under one interpreter: pytest's summary line."""
    make_certificates.main(os.path.join(source, "tests"))
    pytest = os.path.join(os.path.dirname(driver.INTERPRETERS[side]), "pytest")  # not -m: no cwd on sys.path
    env = {k: v for k, v in os.environ.items() if k not in driver.FOREIGN_VARIABLES}
    env["PYTHONPATH"] = SUITE_STUBS
    done = subprocess.run(
        [
            pytest,
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:msal_emulator",
            "-p",
            "devtools_testutils",
            "tests",
            "--ignore=tests/perfstress_tests",
            "--ignore=tests/integration",
            "--ignore=tests/managed-identity-live",
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=3600,
        env=env,
    )
    summary = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    return summary[-1] if summary else done.stdout[-500:] + done.stderr[-500:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--azure-identity-suite",
        metavar="DIR",
        help="the unpacked azure-identity 1.27.0 sdist, to run its own tests",
    )
    args = parser.parse_args()
    for side in driver.INTERPRETERS:
        if not driver.available(side):
            sys.exit("missing %s (./dev setup makes it)" % driver.INTERPRETERS[side])
    runs = run_all()
    print(table(runs))
    print("\nScenarios that do not pass on both:\n" + (failures(runs) or "- none"))
    if args.azure_identity_suite:
        print("\nazure-identity 1.27.0's own offline tests:")
        for side in ("original", "ours"):
            print("- %s: %s" % (side, own_suite(args.azure_identity_suite, side)))


if __name__ == "__main__":
    main()
