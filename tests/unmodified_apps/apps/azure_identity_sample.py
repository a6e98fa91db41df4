"""An azure-identity app written for the real cloud: nothing in it knows about the emulator.

    python azure_identity_sample.py client-secret | device-code

Settings come from the environment: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET.
Prints the outcome as one JSON line (token claims, never the token).
"""

import base64
import json
import os
import sys

from azure.identity import ClientSecretCredential, DeviceCodeCredential

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def client_secret():
    return ClientSecretCredential(
        os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"], os.environ["AZURE_CLIENT_SECRET"]
    )


def device_code():
    def show(verification_uri, user_code, expires_on):
        print("To sign in, open %s and enter the code %s" % (verification_uri, user_code), flush=True)

    return DeviceCodeCredential(
        client_id=os.environ["AZURE_CLIENT_ID"], tenant_id=os.environ["AZURE_TENANT_ID"], prompt_callback=show
    )


if __name__ == "__main__":
    credential = {"client-secret": client_secret, "device-code": device_code}[sys.argv[1]]()
    token = credential.get_token(GRAPH_DEFAULT)
    print(json.dumps({"claims": claims(token.token), "expires_on": token.expires_on}), flush=True)
