"""An msal app written for the real cloud: nothing in it knows about the emulator.

    python msal_sample.py daemon | device-code | username-password | web-app

Settings come from the environment, as in Microsoft's samples: AZURE_TENANT_ID,
AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_USERNAME, AZURE_PASSWORD, REDIRECT_URI.
The web-app scenario prints the sign-in URL, then reads the URL the browser was redirected to.
Each scenario prints the outcome as one JSON line (token claims, never the tokens).
"""

import base64
import json
import os
import sys
from urllib.parse import parse_qsl, urlsplit

import msal

AUTHORITY = "https://login.microsoftonline.com/" + os.environ["AZURE_TENANT_ID"]
GRAPH_DEFAULT = ["https://graph.microsoft.com/.default"]
USER_READ = ["User.Read"]


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def report(result, app=None):
    if "access_token" not in result:
        print(
            json.dumps({"error": result.get("error"), "error_description": result.get("error_description")}),
            flush=True,
        )
        return 1
    outcome = {
        "token_type": result.get("token_type"),
        "claims": claims(result["access_token"]),
        "msal": msal.__version__,
    }
    if app is not None:
        accounts = app.get_accounts()
        outcome["accounts"] = [a["username"] for a in accounts]
        silent = app.acquire_token_silent(USER_READ, account=accounts[0]) if accounts else None
        outcome["silent"] = bool(silent and "access_token" in silent)
    print(json.dumps(outcome), flush=True)
    return 0


def daemon():
    app = msal.ConfidentialClientApplication(
        os.environ["AZURE_CLIENT_ID"],
        authority=AUTHORITY,
        client_credential=os.environ["AZURE_CLIENT_SECRET"],
    )
    return report(app.acquire_token_for_client(scopes=GRAPH_DEFAULT))


def device_code():
    app = msal.PublicClientApplication(os.environ["AZURE_CLIENT_ID"], authority=AUTHORITY)
    flow = app.initiate_device_flow(scopes=USER_READ)
    if "user_code" not in flow:
        return report(flow)
    print(flow["message"], flush=True)
    return report(app.acquire_token_by_device_flow(flow), app)


def username_password():
    app = msal.PublicClientApplication(os.environ["AZURE_CLIENT_ID"], authority=AUTHORITY)
    return report(
        app.acquire_token_by_username_password(
            os.environ["AZURE_USERNAME"], os.environ["AZURE_PASSWORD"], scopes=USER_READ
        ),
        app,
    )


def web_app():
    app = msal.ConfidentialClientApplication(
        os.environ["AZURE_CLIENT_ID"],
        authority=AUTHORITY,
        client_credential=os.environ["AZURE_CLIENT_SECRET"],
    )
    flow = app.initiate_auth_code_flow(USER_READ, redirect_uri=os.environ["REDIRECT_URI"])
    print(flow["auth_uri"], flush=True)
    redirected_to = sys.stdin.readline().strip()
    auth_response = dict(parse_qsl(urlsplit(redirected_to).query))
    return report(app.acquire_token_by_auth_code_flow(flow, auth_response), app)


SCENARIOS = {
    "daemon": daemon,
    "device-code": device_code,
    "username-password": username_password,
    "web-app": web_app,
}

if __name__ == "__main__":
    sys.exit(SCENARIOS[sys.argv[1]]())
