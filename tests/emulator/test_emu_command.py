"""The `msal-emulator` command starts a server that answers over HTTPS until interrupted."""
import re
import signal
import subprocess
import sys

import requests


def test_command_serves_until_interrupted(tmp_path):
    ca_copy = tmp_path / "ca.pem"
    proc = subprocess.Popen([sys.executable, "-m", "msal_emulator", "--write-ca", str(ca_copy)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
        resp = requests.get("%s/%s/v2.0/.well-known/openid-configuration" % (base, tenant),
                            verify=str(ca_copy), timeout=10)
        assert resp.json()["issuer"] == "%s/%s/v2.0" % (base, tenant)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
