"""What the tests share, one job per module: ``apps`` (applications wired to the emulator),
``tokens`` (JWTs, client_info, token responses and cache events), ``wire`` (reading the
emulator's request log and redirect URLs), ``browser`` (the scripted system browser),
``original`` (running the original msal in its own interpreter), ``chromium`` and ``node``
(the real third-party parts some tests start).

Imported as ``support`` (``tests/`` is on ``sys.path`` through the suite's rootdir conftest,
never the repository root), so the same imports serve the source tree and the installed wheel.
Importing this package imports nothing: interpreters that run the original msal use some of
its modules too.
"""
