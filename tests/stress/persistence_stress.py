"""Stress figures for msal.persistence.PersistedTokenCache, from real processes.

    python tests/stress/persistence_stress.py [--writers 4] [--tokens 50] [--kills 100]

prints (a) how many tokens survive when several processes add distinct tokens to one file at
once, and whether a reader polling the raw file ever saw invalid content; (b) over many trials,
whether a writer killed with SIGKILL while saving ever left a torn file. The test suite runs
smaller versions of the same two experiments (tests/test_persistence_processes.py).

The same file is the worker program: ``add``, ``read`` and ``churn`` sub-commands.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

AUTHORITY_HOST = "login.microsoftonline.com"
CLIENT_ID = "stress-client"
SEED_TOKENS = 300  # makes each save long enough for kills to land inside it


def token_event(n: int) -> Dict[str, Any]:
    """A token response event whose access token (scope ``s<n>``) has a key of its own."""
    return {
        "client_id": CLIENT_ID,
        "scope": ["s%d" % n],
        "token_endpoint": "https://%s/tenant/oauth2/v2.0/token" % AUTHORITY_HOST,
        "response": {"access_token": "at-%d" % n, "token_type": "Bearer", "expires_in": 3600},
    }


def open_cache(path: str) -> Any:
    from msal.persistence import PersistedTokenCache

    return PersistedTokenCache(path, encryption=None, allow_plaintext=True)


def token_numbers(path: str) -> List[int]:
    """The numbers of the access tokens in a cache file (raises if the file is unusable)."""
    entries = open_cache(path).find("AccessToken")
    return sorted(int(e["secret"].split("-", 1)[1]) for e in entries)


# ------------------------------------------------------------------ workers (child processes)


def _worker_add(path: str, first: int, count: int) -> None:
    cache = open_cache(path)
    for n in range(first, first + count):
        cache.add(token_event(n))


def _worker_read(path: str, stop_file: str) -> None:
    """Poll the raw file until ``stop_file`` appears; print how many reads were invalid."""
    reads = invalid = 0
    while not os.path.exists(stop_file):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            continue
        reads += 1
        try:
            doc = json.loads(data.decode("utf-8"))
            if not isinstance(doc, dict):
                raise ValueError("not an object")
        except ValueError:
            invalid += 1
    print(json.dumps({"reads": reads, "invalid": invalid}), flush=True)


def _worker_churn(path: str) -> None:
    """Add tokens 0, 1, 2, ... forever; the parent kills this process at a random moment.

    fsync is slowed down (a slow disk) so that most kills land while a save is under way.
    """
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        real_fsync(fd)
        time.sleep(0.005)

    os.fsync = slow_fsync
    cache = open_cache(path)
    print("ready", flush=True)
    n = 0
    while True:
        cache.add(token_event(SEED_TOKENS + n))
        n += 1


# ------------------------------------------------------------------ experiments (parent side)


def _spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, os.path.abspath(__file__)] + list(args), stdout=subprocess.PIPE, text=True
    )


def concurrent_writers(directory: str, writers: int = 4, tokens: int = 50) -> Dict[str, Any]:
    """``writers`` processes add ``tokens`` distinct tokens each while one process reads."""
    path = os.path.join(directory, "shared-cache.json")
    stop_file = os.path.join(directory, "stop")
    reader = _spawn("read", path, stop_file)
    procs = [_spawn("add", path, str(i * tokens), str(tokens)) for i in range(writers)]
    codes = [p.wait(timeout=300) for p in procs]
    open(stop_file, "w").close()
    out, _ = reader.communicate(timeout=60)
    seen = json.loads(out.strip().splitlines()[-1])
    numbers = token_numbers(path)
    return {
        "writers": writers,
        "expected": writers * tokens,
        "survived": len(set(numbers)),
        "writer_exit_codes": codes,
        "reader_reads": seen["reads"],
        "reader_invalid": seen["invalid"],
    }


def _seed(path: str) -> None:
    cache = open_cache(path)
    # One write of many tokens: add them to memory, then persist once through deserialize().
    from msal import SerializableTokenCache

    staging = SerializableTokenCache()
    for n in range(SEED_TOKENS):
        staging.add(token_event(n))
    cache.deserialize(staging.serialize())


def _kill_trial(seed_path: str, path: str, rng: random.Random) -> Dict[str, Any]:
    shutil.copy2(seed_path, path)
    proc = _spawn("churn", path)
    assert proc.stdout is not None
    proc.stdout.readline()  # "ready": the cache is loaded, saving starts now
    time.sleep(rng.uniform(0.0, 0.03))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    directory, name = os.path.split(path)
    leftovers = [e for e in os.listdir(directory) if e.startswith("." + name + ".")]
    try:
        numbers = token_numbers(path)
    except ValueError as e:
        return {"valid": False, "error": str(e), "mid_save": bool(leftovers)}
    expected_prefix = list(range(len(numbers)))
    return {
        "valid": numbers == expected_prefix and len(numbers) >= SEED_TOKENS,
        "saved": len(numbers) - SEED_TOKENS,
        "mid_save": bool(leftovers),
        "mode": oct(os.stat(path).st_mode & 0o777),
    }


def kill_trials(directory: str, trials: int = 100, seed: int = 1) -> Dict[str, Any]:
    """SIGKILL a writer at a random moment, ``trials`` times; count torn files."""
    seed_path = os.path.join(directory, "seed.json")
    _seed(seed_path)
    rng = random.Random(seed)
    results = []
    for i in range(trials):
        trial_dir = os.path.join(directory, "trial-%d" % i)
        os.mkdir(trial_dir)
        results.append(_kill_trial(seed_path, os.path.join(trial_dir, "cache.json"), rng))
    return {
        "trials": trials,
        "valid": sum(r["valid"] for r in results),
        "killed_mid_save": sum(r["mid_save"] for r in results),
        "failures": [r for r in results if not r["valid"]],
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=50)
    parser.add_argument("--kills", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        a = concurrent_writers(directory, args.writers, args.tokens)
        print(
            "concurrent writers: {survived}/{expected} tokens survived ({writers} processes); "
            "a raw-file reader made {reader_reads} reads, {reader_invalid} invalid".format(**a)
        )
        b = kill_trials(directory, args.kills)
        print(
            "SIGKILL during saves: {valid}/{trials} files valid (previous or new state); "
            "{killed_mid_save} kills landed mid-save (a temporary file was left)".format(**b)
        )
        for failure in b["failures"]:
            print("  torn:", failure)
    ok = a["survived"] == a["expected"] and a["reader_invalid"] == 0 and b["valid"] == b["trials"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "add":
        _worker_add(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif command == "read":
        _worker_read(sys.argv[2], sys.argv[3])
    elif command == "churn":
        _worker_churn(sys.argv[2])
    else:
        sys.exit(main())
