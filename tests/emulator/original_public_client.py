"""Run by the original msal's interpreter: the public-client flows against the emulator.

Reads one JSON config line; prints the device flow dict as one line (the test approves it
meanwhile), then one line with every result.
"""

import json
import sys
from urllib.parse import urlsplit, urlunsplit

import msal
import requests
from requests.adapters import HTTPAdapter


def session_to(port, ca):
    """The original msal drops the authority's port for the user realm call: put it back."""

    class ToEmulator(HTTPAdapter):
        def send(self, request, **kwargs):
            parts = urlsplit(request.url)
            if parts.hostname == "localhost" and parts.port is None:
                request.url = urlunsplit(parts._replace(netloc="localhost:%d" % port))
            return super().send(request, **kwargs)

    session = requests.Session()
    session.trust_env = False
    session.verify = ca
    session.mount("https://", ToEmulator())
    return session


def summary(result):
    return {k: v for k, v in (result or {}).items() if k != "id_token_claims"} if result else result


def main():
    cfg = json.loads(sys.stdin.readline())
    kw = dict(http_client=session_to(cfg["port"], cfg["ca"]), instance_discovery=False)
    out = {}
    app = msal.PublicClientApplication(cfg["public_id"], authority=cfg["authority"], **kw)
    flow = app.initiate_device_flow(["User.Read"])
    print(json.dumps(flow), flush=True)
    out["device"] = summary(app.acquire_token_by_device_flow(flow))
    out["managed"] = summary(
        app.acquire_token_by_username_password(cfg["alice"][0], cfg["alice"][1], ["User.Read"])
    )
    out["wrong_password"] = summary(
        app.acquire_token_by_username_password(cfg["alice"][0], "wrong", ["User.Read"])
    )
    out["federated"] = summary(
        app.acquire_token_by_username_password(cfg["carol"][0], cfg["carol"][1], ["User.Read"])
    )
    try:  # the original raises when ADFS answers a SOAP fault
        out["federated_wrong"] = summary(
            app.acquire_token_by_username_password(cfg["carol"][0], "wrong", ["User.Read"])
        )
    except RuntimeError as exc:
        out["federated_wrong"] = {"raised": str(exc)}
    adfs = msal.PublicClientApplication(cfg["public_id"], authority=cfg["adfs"], **kw)
    out["adfs"] = summary(
        adfs.acquire_token_by_username_password(cfg["carol"][0], cfg["carol"][1], [cfg["api_scope"]])
    )
    out["adfs_accounts"] = adfs.get_accounts()
    accounts = adfs.get_accounts()
    out["adfs_silent"] = (
        summary(adfs.acquire_token_silent([cfg["api_scope"]], account=accounts[0], force_refresh=True))
        if accounts
        else None
    )
    out["accounts"] = app.get_accounts()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
