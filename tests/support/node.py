"""Node.js fixtures: their pinned npm packages, installed once per lock file."""

import hashlib
import os
import subprocess


def npm_ci(directory):
    """Install a fixture's pinned npm packages unless node_modules already matches its lock."""
    with open(os.path.join(directory, "package-lock.json"), "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()
    stamp = os.path.join(directory, "node_modules", ".installed-lock")
    try:
        with open(stamp) as f:
            if f.read() == want:
                return
    except OSError:
        pass
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"], cwd=directory, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise RuntimeError("npm ci failed:\n" + done.stdout + done.stderr)
    with open(stamp, "w") as f:
        f.write(want)
