"""B2C and CIAM sign-ins against the emulator, reported as comparable facts.

Imported by tests/test_b2c_ciam.py for this package, and run as a script by the original
msal's interpreter (from a directory where `import msal` finds the original): both must report
the same accounts, cache keys and requests.
"""

import json

DANA = ("dana@contosob2c.example", "Dana-Passw0rd!")
ERIN = ("erin@contosociam.example", "Erin-Passw0rd!")
API_READ = "https://contosob2c.onmicrosoft.com/api/read"


def _signed_in(msal, emu, app, authority, scopes, user):
    from msal_emulator import auth_response

    kwargs = dict(
        authority=authority, http_client=emu.http_client(), token_cache=msal.SerializableTokenCache()
    )
    if emu.app(app)["kind"] == "public":
        client = msal.PublicClientApplication(emu.app(app)["client_id"], **kwargs)
    else:
        client = msal.ConfidentialClientApplication(
            emu.app(app)["client_id"], client_credential=emu.client_credential(app), **kwargs
        )
    flow = client.initiate_auth_code_flow(scopes, redirect_uri=emu.app(app)["redirect_uris"][0])
    result = client.acquire_token_by_auth_code_flow(flow, auth_response(emu.sign_in(flow["auth_uri"], *user)))
    assert "access_token" in result, result
    return client


def _cache_keys(client):
    return {
        section: sorted(entries) for section, entries in json.loads(client.token_cache.serialize()).items()
    }


def facts(msal, emu):
    """What an msal does for B2C (auth code, silent refresh, ROPC) and CIAM (both forms)."""
    emu.clear_requests()
    out = {}
    web = _signed_in(msal, emu, "b2c-web-app", emu.b2c_authority(), [API_READ], DANA)
    out["b2c_accounts"] = web.get_accounts()
    refreshed = web.acquire_token_silent([API_READ], out["b2c_accounts"][0], force_refresh=True)
    out["b2c_refreshed"] = "access_token" in refreshed
    out["b2c_cache"] = _cache_keys(web)
    ropc = msal.PublicClientApplication(
        emu.app("b2c-public")["client_id"],
        authority=emu.b2c_authority("B2C_1_ropc"),
        http_client=emu.http_client(),
    )
    ropc.acquire_token_by_username_password(DANA[0], DANA[1], [API_READ])
    out["ropc_accounts"] = ropc.get_accounts()
    for with_tenant in (True, False):
        ciam = _signed_in(msal, emu, "ciam-public", emu.ciam_authority(with_tenant), ["User.Read"], ERIN)
        out["ciam_accounts_%s" % with_tenant] = ciam.get_accounts()
        out["ciam_cache_%s" % with_tenant] = _cache_keys(ciam)
    out["requests"] = [[r["method"], r["host"], r["path"], r["form"].get("grant_type")] for r in emu.requests]
    return out


if __name__ == "__main__":
    import msal
    from msal_emulator import Emulator

    with Emulator() as emulator:
        print(json.dumps(facts(msal, emulator)))
