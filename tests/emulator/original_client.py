"""Run by the original msal's interpreter: talks to the emulator, prints results as JSON.

Protocol on stdin/stdout, one JSON document per line: the config comes in, the auth URI goes
out, the auth response comes in, the results go out.
"""

import json
import sys

import msal


def summary(result):
    return {k: v for k, v in result.items() if k not in ("id_token_claims",)}


def main():
    cfg = json.loads(sys.stdin.readline())
    kw = dict(authority=cfg["authority"], verify=cfg["ca"], instance_discovery=False)
    out = {}
    graph = ["https://graph.microsoft.com/.default"]
    out["secret"] = summary(
        msal.ConfidentialClientApplication(
            cfg["secret_id"], client_credential=cfg["secret"], **kw
        ).acquire_token_for_client(graph)
    )
    out["cert"] = summary(
        msal.ConfidentialClientApplication(
            cfg["cert_id"], client_credential=cfg["cert"], **kw
        ).acquire_token_for_client(graph)
    )
    public = msal.PublicClientApplication(cfg["public_id"], **kw)
    flow = public.initiate_auth_code_flow([cfg["api_scope"]], redirect_uri="http://localhost:8400")
    print(json.dumps({"auth_uri": flow["auth_uri"]}), flush=True)
    out["auth_code"] = summary(public.acquire_token_by_auth_code_flow(flow, json.loads(sys.stdin.readline())))
    account = public.get_accounts()[0]
    out["account"] = account
    out["silent"] = summary(public.acquire_token_silent(["User.Read"], account=account))
    api = msal.ConfidentialClientApplication(cfg["api_id"], client_credential=cfg["api_secret"], **kw)
    out["obo"] = summary(api.acquire_token_on_behalf_of(out["auth_code"]["access_token"], ["User.Read"]))
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
