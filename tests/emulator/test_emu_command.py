"""The `msal-emulator` command starts a server (and its proxy) that answers over HTTPS until
interrupted, logging each request, and says when it stops."""

import re
import signal
import subprocess
import sys

import pytest
import requests


@pytest.mark.e2e  # the command serves the emulator over HTTPS
def test_command_serves_until_interrupted(tmp_path):
    ca_copy = tmp_path / "ca.pem"
    proc = subprocess.Popen(
        [sys.executable, "-m", "msal_emulator", "--write-ca", str(ca_copy)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not any("Ctrl-C" in line for line in lines):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line)
        banner = "".join(lines)
        base = re.search(r"listening on (https://localhost:\d+)", banner).group(1)
        tenant = re.search(r"Tenant: ([0-9a-f-]{36})", banner).group(1)
        assert "alice@contoso.example" in banner and "confidential-secret" in banner
        assert "CA certificate copied to: %s" % ca_copy in banner
        proxy = re.search(r"HTTPS proxy: (http://127\.0\.0\.1:\d+)", banner).group(1)
        assert "export HTTPS_PROXY=%s" % proxy in banner
        resp = requests.get(
            "https://login.microsoftonline.com/%s/v2.0/.well-known/openid-configuration" % tenant,
            proxies={"https": proxy},
            verify=str(ca_copy),
            timeout=10,
        )
        assert resp.json()["issuer"] == "https://login.microsoftonline.com/%s/v2.0" % tenant
        resp = requests.get(
            "%s/%s/v2.0/.well-known/openid-configuration" % (base, tenant), verify=str(ca_copy), timeout=10
        )
        assert resp.json()["issuer"] == "%s/%s/v2.0" % (base, tenant)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0
        logged = [line for line in out.splitlines() if "openid-configuration" in line]
        assert len(logged) == 2 and all(" -> 200 (" in line for line in logged)
        assert "GET login.microsoftonline.com /%s/v2.0/" % tenant in logged[0]
        assert out.rstrip().endswith("msal-emulator stopped (2 requests served)")
    finally:
        if proc.poll() is None:
            proc.kill()
