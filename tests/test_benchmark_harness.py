"""The benchmark harness measures what it claims: its fake identity provider speaks the wire
format well enough for hits to be hits and misses to reach the token endpoint."""

import json
import os
import subprocess
import sys

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
