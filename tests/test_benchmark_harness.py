"""The benchmark harness measures what it claims: its fake identity provider speaks the wire
format well enough for hits to be hits and misses to reach the token endpoint."""

import importlib
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER = os.path.join(ROOT, "benchmarks", "worker.py")


def run_worker(options):
    proc = subprocess.run(
        [sys.executable, WORKER, json.dumps(options)],
        capture_output=True,
        text=True,
        cwd=os.path.dirname(WORKER),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_worker_runs_small_scenarios_against_the_fake_identity_provider(tmp_path):
    states = {name: str(tmp_path / (name + ".json")) for name in ("apps_1", "users_1", "users_10")}
    run_worker({"make_states": states})
    assert set(json.loads(open(states["users_10"]).read())) >= {"AccessToken", "Account", "RefreshToken"}
    out = run_worker(
        {
            "quick": True,
            "states": states,
            "scenarios": ["cc_hit_1", "cc_miss_1", "silent_refresh_10", "threads_8", "web_app_cycle"],
        }
    )
    results = out["results"]
    assert all("error" not in figures for figures in results.values()), results
    assert results["cc_hit_1"]["us"] > 0 and results["cc_miss_1"]["us"] > 0
    assert results["threads_8"]["threads_per_s"] > 0
    assert results["web_app_cycle"]["us"] > 0
    assert results["web_app_cycle"]["requests"] == 0, "a web request's cache hit went out"


def test_report_flags_a_missed_target():
    sys.path.insert(0, ROOT)
    try:
        from benchmarks import report
    finally:
        sys.path.remove(ROOT)
    results = {"ours": {"cc_hit_1": {"us": 5.0}}, "theirs": {"cc_hit_1": {"us": 10.0}}}
    table = report.render(results, ["ours", "theirs"], {"ours": "1"})
    assert "| cc hit, 1 tenant: <= 0.25x latest original | 0.50 | NO |" in table
    results["ours"]["cc_hit_1"]["us"] = 2.0
    assert "| 0.20 | yes |" in report.render(results, ["ours", "theirs"], {"ours": "1"})


def test_flatness_is_judged_beside_the_floor_of_the_same_pattern():
    sys.path.insert(0, ROOT)
    try:
        from benchmarks import report
    finally:
        sys.path.remove(ROOT)
    figures = {"one_app_us": 2.0, "many_apps_us": 2.6, "floor_one_us": 0.5, "floor_many_us": 0.6}
    results = {"ours": {"cc_hit_1000_apps": dict(figures)}, "theirs": {}}
    row = "|   the same beside its floor: / (1,000 plain objects / 1), interleaved <= 1.1 |"
    # 1.3x one app's figure, where plain objects take 1.2x: 1.08, flat
    assert row + " 1.08 | yes |" in report.render(results, ["ours", "theirs"], {"ours": "1"})
    results["ours"]["cc_hit_1000_apps"]["many_apps_us"] = 3.0  # 1.5x against 1.2x: 1.25, not flat
    assert row + " 1.25 | NO |" in report.render(results, ["ours", "theirs"], {"ours": "1"})


def test_rounds_report_the_median_of_each_figure():
    sys.path.insert(0, ROOT)
    try:
        from benchmarks.__main__ import median_of
    finally:
        sys.path.remove(ROOT)
    rounds = [
        {"cc_hit_1": {"us": 9.0, "error": "first"}},
        {"cc_hit_1": {"us": 3.0, "error": "second"}},
        {"cc_hit_1": {"us": 4.0, "error": "third"}},
    ]
    assert median_of(rounds) == {"cc_hit_1": {"us": 4.0, "error": "first"}}
    # A round that failed is not hidden behind the others' figures, nor does it take their place
    rounds = [{"cc_hit_1": {"us": 9.0}}, {"cc_hit_1": {"error": "second"}}, {"cc_hit_1": {"us": 3.0}}]
    assert median_of(rounds) == {"cc_hit_1": {"us": 6.0, "error": "second"}}
    assert median_of([{"cc_hit_1": {"error": "first"}}, {"cc_hit_1": {"us": 3.0}}]) == {
        "cc_hit_1": {"error": "first", "us": 3.0}
    }


def harness(module):
    """A module of the benchmarks package, which is not installed: from the repository root,
    looked at last so that msal stays the one under test."""
    sys.path.append(ROOT)
    try:
        return importlib.import_module("benchmarks." + module)
    finally:
        sys.path.remove(ROOT)


def test_only_refuses_an_unknown_name_and_lists_the_known_ones(capsys):
    bench = harness("__main__")
    with pytest.raises(SystemExit) as exited:
        bench.main(["--only", "web_app_cycle", "web_app_cylce"])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "unknown scenario 'web_app_cylce'; the known ones are: cc_hit_1, " in error
    assert all(name in error for name in bench.KNOWN)
    assert {"emulator", "memory_10k", "import", "distributed"} <= set(bench.KNOWN)
    with pytest.raises(ValueError, match="unknown scenario 'nope'"):
        bench.select(["nope"])


def fake_bench(monkeypatch):
    """The harness with its expensive parts replaced by recorders: the workers, the emulator,
    the distributed rows and the cold-import timing. Returns the list of what ran."""
    bench, figures, envs = harness("__main__"), harness("distributed_figures"), harness("envs")
    ran = []

    def worker(python, options):
        if "make_states" in options:
            ran.append("states")
            return {}
        ran.append((python, tuple(options["scenarios"])))
        return {"version": "1.2.3", "results": {s: {"us": 1.0} for s in options["scenarios"]}}

    class Emulator(object):
        def close(self):
            ran.append("emulator closed")

    def start_emulator():
        ran.append("emulator")
        return Emulator()

    def bench_rows(emu, quick):
        ran.append("distributed")
        return {"redis_l1_hit_ms": 0.25}

    def import_times(pythons, runs):
        ran.append("import")
        return {label: {"ms": 50.0, "floor_ms": 10.0} for label in pythons}

    impls = [envs.Implementation("this msal", "ours"), envs.Implementation("original 1.39.0", "theirs")]
    monkeypatch.setattr(bench.envs, "implementations", lambda with_originals, log: impls)
    monkeypatch.setattr(bench.envs, "installed_version", lambda python: "9.9.9")
    monkeypatch.setattr(bench, "worker", worker)
    monkeypatch.setattr(bench, "start_emulator", start_emulator)
    monkeypatch.setattr(bench, "emulator_options", lambda emu: {})
    monkeypatch.setattr(bench, "import_times", import_times)
    monkeypatch.setattr(figures, "bench_rows", bench_rows)
    return bench, ran


@pytest.mark.parametrize(
    "only, expected",
    [
        (["web_app_cycle"], ["states", ("ours", ("web_app_cycle",)), ("theirs", ("web_app_cycle",))]),
        (["distributed"], ["emulator", "distributed", "emulator closed"]),
        (["import"], ["import"]),
        (
            ["import", "emulator", "cc_hit_1"],  # run in the table's order
            [
                "states",
                "emulator",
                ("ours", ("cc_hit_1",)),
                ("theirs", ("cc_hit_1",)),
                ("ours", ("emulator",)),
                ("theirs", ("emulator",)),
                "import",
                "emulator closed",
            ],
        ),
    ],
)
def test_only_runs_just_the_scenarios_it_names(monkeypatch, capsys, only, expected):
    bench, ran = fake_bench(monkeypatch)
    assert bench.main(["--quick", "--only"] + only) == 0
    assert ran == expected
    table = capsys.readouterr().out
    l1_row = "| web request, RedisTokenCache, L1 hit | ms | %s | - | - |"
    assert l1_row % ("0.25" if "distributed" in only else "-") in table
    # The version a worker reported; without any worker, the installed one's
    version = "1.2.3" if any(isinstance(r, tuple) for r in ran) else "9.9.9"
    assert "this msal: this working tree, which reports version %s." % version in table


def test_without_only_everything_runs(monkeypatch):
    bench, ran = fake_bench(monkeypatch)
    assert bench.main(["--quick"]) == 0
    assert [r for r in ran if isinstance(r, str)] == [
        "states",
        "emulator",
        "distributed",
        "import",
        "emulator closed",
    ]
    assert [r[1] for r in ran if isinstance(r, tuple) and r[0] == "ours"] == [
        (name,) for name in bench.WORKER_SCENARIOS
    ]
