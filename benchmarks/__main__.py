"""Run every scenario for this package and the original msal, and print the table.

python -m benchmarks [--quick] [--ours-only] [--only SCENARIO ...] [--rounds N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, NamedTuple, Optional, Sequence

from . import envs, report

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "worker.py")
STATES = ("apps_1", "apps_1000", "users_1", "users_10", "users_10k")
MAIN_SCENARIOS = [
    "cc_hit_1",
    "cc_hit_1000",
    "cc_hit_1000_apps",
    "cc_miss_1",
    "cc_miss_1000",
    "silent_hit_10k",
    "web_app_cycle",
    "silent_refresh_10",
    "silent_refresh_10k",
    "get_accounts_10k",
    "serialization_10k",
    "first_lookup",
    "threads_8",
    "emulator",
]
# Run by each implementation's worker, in this order (the table's).
WORKER_SCENARIOS = MAIN_SCENARIOS + ["memory_10k"]
# Taken by the harness itself: the cold import of each implementation, and the distributed
# token cache's rows (this package only, with a redis-server and the emulator).
IMPORT, DISTRIBUTED = "import", "distributed"
KNOWN = WORKER_SCENARIOS + [IMPORT, DISTRIBUTED]


class Selection(NamedTuple):
    """What one run measures."""

    scenarios: List[str]  # worker scenarios, in the table's order
    import_times: bool
    distributed: bool

    @property
    def needs_emulator(self) -> bool:
        return self.distributed or "emulator" in self.scenarios


def select(only: Optional[Sequence[str]]) -> Selection:
    """Everything without ``--only``; with it, exactly the names it lists."""
    if not only:
        return Selection(list(WORKER_SCENARIOS), True, True)
    unknown = [name for name in only if name not in KNOWN]
    if unknown:
        raise ValueError(unknown_message(unknown[0]))
    return Selection([s for s in WORKER_SCENARIOS if s in only], IMPORT in only, DISTRIBUTED in only)


def unknown_message(name: str) -> str:
    return "unknown scenario %r; the known ones are: %s" % (name, ", ".join(KNOWN))


def scenario_name(name: str) -> str:
    """``--only``'s argument type: a known name, else a usage error that lists them."""
    if name not in KNOWN:
        raise argparse.ArgumentTypeError(unknown_message(name))
    return name


def positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError("expected a whole number of at least 1, got %r" % text)
    return number


def log(message: str) -> None:
    print("[bench] " + message, file=sys.stderr, flush=True)


def worker(python: str, options: Dict[str, Any]) -> Dict[str, Any]:
    # The original sets its requests Session's verify; these variables would override it.
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    proc = subprocess.run(
        [python, WORKER, json.dumps(options)], capture_output=True, text=True, env=env, cwd=HERE, timeout=900
    )
    if proc.returncode != 0:
        raise RuntimeError("worker failed (%s):\n%s" % (python, proc.stderr[-3000:]))
    out: Dict[str, Any] = json.loads(proc.stdout)
    return out


def import_times(pythons: Dict[str, str], runs: int) -> Dict[str, Dict[str, float]]:
    """Per implementation, the median wall time of a fresh ``python -c "import msal"`` and of a
    bare interpreter. The implementations take turns, run after run, so that a busy moment on
    the machine reaches all of them alike."""

    def once_ms(python: str, code: str) -> float:
        start = time.perf_counter()
        subprocess.run([python, "-c", code], check=True, cwd=tempfile.gettempdir())  # (not in the tree)
        return (time.perf_counter() - start) * 1e3

    for python in pythons.values():
        once_ms(python, "import msal")  # warm the file system cache
    samples: Dict[str, Dict[str, List[float]]] = {label: {"ms": [], "floor_ms": []} for label in pythons}
    for _ in range(runs):
        for label, python in pythons.items():
            samples[label]["ms"].append(once_ms(python, "import msal"))
            samples[label]["floor_ms"].append(once_ms(python, "pass"))
    return {
        label: {k: statistics.median(v) for k, v in figures.items()} for label, figures in samples.items()
    }


def start_emulator() -> Any:
    try:
        from msal_emulator import Emulator
    except ImportError:
        log("msal_emulator is not installed: the HTTPS and distributed figures are skipped")
        return None
    return Emulator().start()


def emulator_options(emu: Any) -> Dict[str, Any]:
    app = emu.app("confidential-secret")
    return {
        "client_id": app["client_id"],
        "client_secret": emu.client_credential("confidential-secret"),
        "authority": emu.authority(),
        "ca_path": emu.ca_path,
        "scope": "https://graph.microsoft.com/.default",
    }


def median_of(outs: List[Dict[str, Dict[str, Any]]]) -> Dict[str, Dict[str, Any]]:
    """Per scenario and figure, the median of the numbers of the rounds that have it (else the
    first value met). Every figure of every round is kept, so that a round's error is logged
    even when another round succeeded."""
    merged: Dict[str, Dict[str, Any]] = {}
    for out in outs:
        for scenario, figures in out.items():
            for name, value in figures.items():
                merged.setdefault(scenario, {}).setdefault(name, value)
    for scenario, figures in merged.items():
        for name in figures:
            values = [o.get(scenario, {}).get(name) for o in outs]
            numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
            if numbers:
                figures[name] = statistics.median(numbers)
    return merged


def run(args: argparse.Namespace) -> Dict[str, Any]:
    selection = select(args.only)
    impls = envs.implementations(with_originals=not args.ours_only, log=log)
    results: Dict[str, Dict[str, Any]] = {}
    versions: Dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="msal-bench-") as tmp:
        states = {name: os.path.join(tmp, name + ".json") for name in STATES}
        if selection.scenarios:
            log("writing cache states (10,000 accounts; 1,000 tenants x 10 tokens)")
            worker(sys.executable, {"make_states": states})
        emu = start_emulator() if selection.needs_emulator else None
        try:
            options = {
                "quick": args.quick,
                "states": states,
                "emulator": emulator_options(emu) if emu else None,
            }
            scenarios = [s for s in selection.scenarios if emu or s != "emulator"]
            # Scenario by scenario, each implementation in turn (a fresh process each), so
            # that a noisy moment on a shared machine hits all of them alike; with several
            # rounds, each figure is the median of its rounds.
            for scenario in scenarios:
                log("%s: %s" % (scenario, ", ".join(i.label for i in impls)))
                rounds: Dict[str, List[Dict[str, Any]]] = {}
                for _ in range(args.rounds):
                    for impl in impls:
                        out = worker(impl.python, dict(options, scenarios=[scenario]))
                        rounds.setdefault(impl.label, []).append(out["results"])
                        versions[impl.label] = out["version"]
                for label, outs in rounds.items():
                    results.setdefault(label, {}).update(median_of(outs))
            if emu and selection.distributed:
                log("distributed: RedisTokenCache, this package only")
                from .distributed_figures import bench_rows

                results.setdefault(impls[0].label, {})["distributed"] = bench_rows(emu, args.quick)
            if selection.import_times:
                pythons = {impl.label: impl.python for impl in impls}
                for label, figures in import_times(pythons, 5 if args.quick else 15).items():
                    results.setdefault(label, {})["import"] = figures
            for impl in impls:
                for name, value in results.get(impl.label, {}).items():
                    if "error" in value:
                        log("%s / %s failed:\n%s" % (impl.label, name, value["error"]))
        finally:
            if emu:
                emu.close()
    for impl in impls:
        if impl.label not in versions:  # no worker ran: only the import or distributed figures
            versions[impl.label] = envs.installed_version(impl.python) or "?"
    return {"results": results, "versions": versions, "labels": [i.label for i in impls]}


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (about two minutes)")
    parser.add_argument("--ours-only", action="store_true", help="skip the original msal")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="SCENARIO",
        type=scenario_name,
        help="run only these scenarios: %s" % ", ".join(KNOWN),
    )
    parser.add_argument(
        "--rounds",
        type=positive,
        default=1,
        metavar="N",
        help="run each scenario N times, implementations in turn, and report the medians",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the raw figures to FILE")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    outcome = run(args)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(outcome, f, indent=2)
    print(report.render(outcome["results"], outcome["labels"], outcome["versions"]))
    log("done in %.0f s" % (time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
