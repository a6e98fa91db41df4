"""Benchmarks of msal against the original msal, side by side: ``python -m benchmarks``.

Each implementation runs in its own virtual environment (``worker.py`` in a subprocess), through
the public API only, against an in-process fake identity provider (``fake_idp.py``) and, for one
end-to-end figure, the emulator over HTTPS.
"""
