"""Run by the original msal's interpreter against node-oidc-provider; prints its cache as JSON.

One JSON document per line: the config comes in on stdin, the auth URI goes out, the auth
response comes in, the serialized cache and the accounts go out.
"""

import json
import sys

import msal


def main():
    cfg = json.loads(sys.stdin.readline())
    kw = dict(
        authority=cfg["authority"],
        verify=cfg["ca"],
        validate_authority=False,
        instance_discovery=False,
        token_cache=msal.SerializableTokenCache(),
    )
    daemon = msal.ConfidentialClientApplication(cfg["secret_id"], client_credential=cfg["secret"], **kw)
    daemon.acquire_token_for_client(cfg["daemon_scopes"])
    kw["token_cache"] = msal.SerializableTokenCache()
    public = msal.PublicClientApplication(cfg["public_id"], **kw)
    flow = public.initiate_auth_code_flow(cfg["user_scopes"], redirect_uri=cfg["redirect_uri"])
    print(json.dumps(flow["auth_uri"]), flush=True)
    result = public.acquire_token_by_auth_code_flow(flow, json.loads(sys.stdin.readline()))
    print(
        json.dumps(
            {
                "daemon_cache": json.loads(daemon.token_cache.serialize()),
                "user_cache": json.loads(public.token_cache.serialize()),
                "accounts": public.get_accounts(),
                "error": result.get("error"),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
