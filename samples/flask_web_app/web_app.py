"""The web app: signs users in with the auth code flow and calls the protected API for them.

Each request builds a ConfidentialClientApplication over the token cache kept in the user's
server-side session, and writes the cache back when a token call changed it. Given a shared
cache (a ``msal.distributed.RedisTokenCache``), the session keeps only the user's account id and
every process reads the same tokens (see fleet.py).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from typing import Any, ContextManager, Dict, Optional
from urllib.parse import urlencode

import msal
import requests
from flask import Flask, redirect, render_template, request, session, url_for

from .server_session import ServerSideSessionInterface, SessionStore
from .settings import WebAppSettings

COOKIE_NAME = "msal_sample_session"


class SessionTokenCache:
    """Load the user's token cache from the session, and save it back only when it changed."""

    key = "token_cache"

    def __init__(self) -> None:
        self.cache = msal.SerializableTokenCache()
        if session.get(self.key):
            self.cache.deserialize(session[self.key])

    def save(self) -> None:
        if self.cache.has_state_changed:
            session[self.key] = self.cache.serialize()

    def remember(self, result: Dict[str, Any]) -> None:
        self.save()

    def user_scope(self) -> ContextManager[Any]:
        return contextlib.nullcontext()


class SharedTokenCache:
    """One cache shared by every user, process and host; the session holds the user's
    home account id, which names the user's partition of the cache."""

    def __init__(self, cache: Any, client_id: str) -> None:
        self.cache, self.client_id = cache, client_id

    def save(self) -> None:
        pass  # Every change is in the shared cache already

    def remember(self, result: Dict[str, Any]) -> None:
        info = str(result.get("client_info") or "")
        if info:  # Entra: the home account id is uid.utid of client_info
            claims = json.loads(base64.urlsafe_b64decode(info + "=" * (-len(info) % 4)))
            session["home_account_id"] = "%s.%s" % (claims["uid"], claims["utid"])
        else:  # Other OpenID providers: the subject
            session["home_account_id"] = result.get("id_token_claims", {}).get("sub")

    def user_scope(self) -> ContextManager[Any]:
        from msal.distributed import user_partition

        return self.cache.use_partition(user_partition(self.client_id, session.get("home_account_id")))


def _api_answer(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def create_app(
    settings: WebAppSettings, store: Optional[Any] = None, shared_cache: Optional[msal.TokenCache] = None
) -> Flask:
    """The Flask app; `store` holds the server-side sessions (a fresh in-process one by default);
    `shared_cache` replaces the per-session token caches (see SharedTokenCache)."""
    app = Flask(__name__)
    app.secret_key = settings.secret_key
    app.config["SESSION_COOKIE_NAME"] = COOKIE_NAME
    app.session_interface = ServerSideSessionInterface(store or SessionStore())
    http_cache: Dict[Any, Any] = {}  # discovery results, shared by the per-request clients

    def user_tokens() -> Any:
        if shared_cache is not None:
            return SharedTokenCache(shared_cache, settings.client_id)
        return SessionTokenCache()

    if shared_cache is not None:

        @app.after_request
        def served_by(response):  # Which worker process answered: the fleet's tests look
            response.headers["X-Served-By"] = str(os.getpid())
            return response

    def client(cache: Optional[msal.TokenCache] = None) -> msal.ConfidentialClientApplication:
        return msal.ConfidentialClientApplication(
            settings.client_id,
            client_credential=settings.client_secret,
            authority=settings.authority,
            token_cache=cache,
            verify=settings.verify,
            instance_discovery=settings.instance_discovery,
            http_cache=http_cache,
        )

    @app.get("/")
    def index():
        return render_template("index.html", user=session.get("user"))

    @app.get("/login")
    def login():
        session["flow"] = client().initiate_auth_code_flow(
            settings.scopes, redirect_uri=url_for("authorized", _external=True)
        )
        return redirect(session["flow"]["auth_uri"])

    @app.get(settings.redirect_path, endpoint="authorized")
    def authorized():
        tokens = user_tokens()
        try:
            result = client(tokens.cache).acquire_token_by_auth_code_flow(
                session.get("flow", {}), request.args
            )
            session.pop("flow", None)
            if "error" in result:
                return render_template("error.html", result=result)
            tokens.remember(result)
            session["user"] = result.get("id_token_claims")
            session.regenerate()
        except ValueError:  # Usually caused by CSRF
            pass  # Simply ignore them
        return redirect(url_for("index"))

    @app.get("/call-api")
    def call_api():
        tokens = user_tokens()
        msal_app = client(tokens.cache)
        with tokens.user_scope():
            accounts = msal_app.get_accounts()
            result = msal_app.acquire_token_silent(settings.scopes, account=accounts[0]) if accounts else None
        tokens.save()
        if not result or "access_token" not in result:
            return redirect(url_for("login"))  # signed out, or the refresh token expired
        response = requests.get(
            settings.api_endpoint, timeout=30, headers={"Authorization": "Bearer " + result["access_token"]}
        )
        return render_template(
            "api.html", status=response.status_code, answer=_api_answer(response), user=session.get("user")
        )

    @app.get("/logout")
    def logout():
        tokens = user_tokens()
        msal_app = client(tokens.cache)
        with tokens.user_scope():
            for account in msal_app.get_accounts():
                msal_app.remove_account(account)
        session.clear()  # the emptied session leaves the store, and its cookie is deleted
        return redirect(
            settings.authority
            + "/oauth2/v2.0/logout?"
            + urlencode({"post_logout_redirect_uri": url_for("index", _external=True)})
        )

    return app
