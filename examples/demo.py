"""The main job: get real tokens and show what a developer wants to see.

With no configuration it starts the embedded identity-platform emulator (HTTPS on 127.0.0.1)
and runs every flow against it. To use a real Entra tenant instead, set:

    MSAL_AUTHORITY      e.g. https://login.microsoftonline.com/<tenant id>
    MSAL_CLIENT_ID      the application (client) id
    MSAL_CLIENT_SECRET  a client secret of that application
    MSAL_SCOPE          optional, default https://graph.microsoft.com/.default

and the demo gets an app token with the client credentials flow (from the network, then from the cache).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from typing import Any, Dict, List, Optional

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


def parse_args(argv: List[str]) -> argparse.Namespace:
    """Read before anything else is imported, so that --help works before the set-up."""
    parser = argparse.ArgumentParser(
        prog="./dev demo",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Get real tokens with msal and show where each came from, when it expires\n"
        "and its decoded claims. Without configuration it starts the identity\n"
        "emulator (HTTPS on 127.0.0.1) and runs every flow against it: client\n"
        "credentials, auth code, silent, on-behalf-of, device code, interactive\n"
        "and federated username/password.",
        epilog="To use a real Entra tenant instead (client credentials only), set:\n"
        "  MSAL_AUTHORITY      e.g. https://login.microsoftonline.com/<tenant id>\n"
        "  MSAL_CLIENT_ID      the application (client) id\n"
        "  MSAL_CLIENT_SECRET  a client secret of that application\n"
        "  MSAL_SCOPE          optional, default " + GRAPH_DEFAULT + "\n\n"
        "The first run creates .venv and installs the packages (a minute or two).",
    )
    parser.add_argument(
        "--by-hand",
        action="store_true",
        help="sign in yourself on the emulator's pages (the demo prints the URLs) "
        "instead of letting the demo play the user",
    )
    parser.add_argument(
        "--log",
        action="store_true",
        help="also print the library's log (logger 'msal', DEBUG): each cache "
        "hit or miss, discovery and token request with its correlation id",
    )
    return parser.parse_args(argv)


ARGS = parse_args(sys.argv[1:]) if __name__ == "__main__" else None
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import jwt  # noqa: E402

import msal  # noqa: E402


def show(title: str, result: Optional[Dict[str, Any]]) -> None:
    """Print where a token came from, when it expires, and its decoded claims (never the token)."""
    print("\n== {}".format(title))
    if not result:
        print("   (no token)")
        return
    if "error" in result:
        print("   error: {} {}".format(result["error"], result.get("error_description", "")[:200]))
        return
    print("   source:     {}".format(result.get("token_source", "?")))
    print(
        "   expires in: {} s (at {})".format(
            result.get("expires_in"),
            time.strftime("%H:%M:%S", time.localtime(time.time() + int(result.get("expires_in", 0)))),
        )
    )
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    wanted = ("aud", "iss", "tid", "oid", "azp", "appid", "scp", "roles", "preferred_username", "name")
    print("   access token claims: " + json.dumps({k: claims[k] for k in wanted if k in claims}))
    if result.get("id_token_claims"):
        idc = result["id_token_claims"]
        print(
            "   id token:   preferred_username={} name={} tid={}".format(
                idc.get("preferred_username"), idc.get("name"), idc.get("tid")
            )
        )
    if "refresh_token" in result:
        print("   refresh token: received (kept in the token cache)")


def real_tenant() -> int:
    app = msal.ConfidentialClientApplication(
        os.environ["MSAL_CLIENT_ID"],
        client_credential=os.environ["MSAL_CLIENT_SECRET"],
        authority=os.environ["MSAL_AUTHORITY"],
    )
    scope = [os.environ.get("MSAL_SCOPE", GRAPH_DEFAULT)]
    show("client credentials (network)", app.acquire_token_for_client(scope))
    show("client credentials (again: cache)", app.acquire_token_for_client(scope))
    return 0


def emulated() -> int:
    from msal_emulator import Emulator

    with Emulator() as emu:
        print(
            "Identity emulator at {} (tenant {}); CA: {}".format(emu.base_url, emu.tenant_domain, emu.ca_path)
        )
        common = dict(authority=emu.authority(), verify=emu.ca_path, instance_discovery=False)

        daemon = msal.ConfidentialClientApplication(
            emu.app("confidential-secret")["client_id"],
            client_credential=emu.client_credential("confidential-secret"),
            **common,
        )
        show("client credentials with a secret (network)", daemon.acquire_token_for_client([GRAPH_DEFAULT]))
        show("client credentials again (cache)", daemon.acquire_token_for_client([GRAPH_DEFAULT]))

        cert_daemon = msal.ConfidentialClientApplication(
            emu.app("confidential-cert")["client_id"],
            client_credential=emu.client_credential("confidential-cert"),
            **common,
        )
        show("client credentials with a certificate", cert_daemon.acquire_token_for_client([GRAPH_DEFAULT]))

        web_api = emu.app("web-api")
        cache = msal.SerializableTokenCache()
        web_app = msal.ConfidentialClientApplication(
            emu.app("web-app")["client_id"],
            client_credential=emu.client_credential("web-app"),
            token_cache=cache,
            **common,
        )
        user = emu.user("alice@" + emu.tenant_domain)
        flow = web_app.initiate_auth_code_flow(
            ["User.Read"], redirect_uri=emu.app("web-app")["redirect_uris"][0]
        )
        redirect = emu.sign_in(flow["auth_uri"], user["username"], user["password"])
        show(
            "auth code flow: {} signs in to the web app".format(user["username"]),
            web_app.acquire_token_by_auth_code_flow(flow, _query(redirect)),
        )
        account = web_app.get_accounts()[0]
        print("   account in cache: {} ({})".format(account["username"], account["home_account_id"]))
        show("silent (cache)", web_app.acquire_token_silent(["User.Read"], account))
        show(
            "silent with force_refresh (refresh token)",
            web_app.acquire_token_silent(["User.Read"], account, force_refresh=True),
        )

        api_scope = "{}/access_as_user".format(web_api["app_id_uri"])
        user_token = web_app.acquire_token_silent([api_scope], account)
        show("silent for another resource (multi-resource refresh token)", user_token)
        middle_tier = msal.ConfidentialClientApplication(
            web_api["client_id"], client_credential=emu.client_credential("web-api"), **common
        )
        show(
            "on-behalf-of: the web API calls Graph as the user",
            middle_tier.acquire_token_on_behalf_of(user_token["access_token"], ["User.Read"]),
        )

        public_client_flows(emu, common, by_hand=bool(ARGS and ARGS.by_hand))

        web_app.remove_account(account)
        print("\n== sign-out: accounts left in the web app's cache: {}".format(len(web_app.get_accounts())))
        print("   serialized cache: {} bytes".format(len(cache.serialize())))
    return 0


def public_client_flows(emu: Any, common: Dict[str, Any], by_hand: bool) -> None:
    """Device code, interactive and username/password sign-in for a desktop or CLI app.

    Nobody is expected at the keyboard: the demo plays the user on the emulator's pages,
    unless --by-hand is given (then open the printed URL yourself; your browser will warn
    about the emulator's private CA).
    """
    import threading
    import webbrowser

    desktop = msal.PublicClientApplication(emu.app("public")["client_id"], **common)
    user = emu.user("bob@" + emu.tenant_domain)
    emu.device_code_interval = 1
    flow = desktop.initiate_device_flow(["User.Read"])
    print("\n== device code: the app shows\n   " + flow["message"])
    if not by_hand:
        threading.Timer(
            1, emu.approve_device_code, (flow["user_code"], user["username"], user["password"])
        ).start()
    show(
        "device code: {} approved the sign-in".format(user["username"]),
        desktop.acquire_token_by_device_flow(flow),
    )

    if not by_hand:
        webbrowser.register("demo-user", None, _ScriptedUser(emu, user), preferred=True)
    show(
        "interactive: the browser opens, {} signs in".format(user["username"]),
        desktop.acquire_token_interactive(["User.Read"], prompt="login", timeout=120),
    )

    carol = emu.user("carol@fabrikam.example")
    show(
        "username/password: {} is federated, so ADFS (WS-Trust) checks the password".format(
            carol["username"]
        ),
        desktop.acquire_token_by_username_password(carol["username"], carol["password"], ["User.Read"]),
    )
    print(
        "   accounts in the desktop app: {}".format(", ".join(a["username"] for a in desktop.get_accounts()))
    )


class _ScriptedUser(object):
    """A stand-in for the system browser: signs in on the emulator's pages, then follows the
    redirect back to the app's loopback listener, as a browser would."""

    def __init__(self, emu: Any, user: Dict[str, str]) -> None:
        self.emu, self.user = emu, user

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        import threading

        threading.Thread(target=self._play, args=(url,)).start()
        return True

    def _play(self, url: str) -> None:
        import requests

        redirect = self.emu.sign_in(url, self.user["username"], self.user["password"])
        requests.get(redirect.replace("//localhost:", "//127.0.0.1:", 1), timeout=30)


def _query(url: str) -> Dict[str, str]:
    from urllib.parse import parse_qsl, urlparse

    return dict(parse_qsl(urlparse(url).query))


if __name__ == "__main__":
    if ARGS and ARGS.log:
        logging.basicConfig(format="   log %(name)s: %(message)s")
        logging.getLogger("msal").setLevel(logging.DEBUG)
    configured = all(os.environ.get(k) for k in ("MSAL_AUTHORITY", "MSAL_CLIENT_ID", "MSAL_CLIENT_SECRET"))
    sys.exit(real_tenant() if configured else emulated())
