"""The web app: signs users in with the auth code flow and calls the protected API for them.

Each request builds a ConfidentialClientApplication over the token cache kept in the user's
server-side session, and writes the cache back when a token call changed it.
"""
from __future__ import annotations

from typing import Any, Dict, Optional
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


def _api_answer(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def create_app(settings: WebAppSettings, store: Optional[SessionStore] = None) -> Flask:
    """The Flask app; `store` holds the server-side sessions (a fresh in-process one by default)."""
    app = Flask(__name__)
    app.secret_key = settings.secret_key
    app.config["SESSION_COOKIE_NAME"] = COOKIE_NAME
    app.session_interface = ServerSideSessionInterface(store or SessionStore())
    http_cache: Dict[Any, Any] = {}  # discovery results, shared by the per-request clients

    def client(cache: Optional[msal.TokenCache] = None) -> msal.ConfidentialClientApplication:
        return msal.ConfidentialClientApplication(
            settings.client_id, client_credential=settings.client_secret,
            authority=settings.authority, token_cache=cache, verify=settings.verify,
            instance_discovery=settings.instance_discovery, http_cache=http_cache)

    @app.get("/")
    def index():
        return render_template("index.html", user=session.get("user"))

    @app.get("/login")
    def login():
        session["flow"] = client().initiate_auth_code_flow(
            settings.scopes, redirect_uri=url_for("authorized", _external=True))
        return redirect(session["flow"]["auth_uri"])

    @app.get(settings.redirect_path, endpoint="authorized")
    def authorized():
        tokens = SessionTokenCache()
        try:
            result = client(tokens.cache).acquire_token_by_auth_code_flow(
                session.get("flow", {}), request.args)
            session.pop("flow", None)
            if "error" in result:
                return render_template("error.html", result=result)
            tokens.save()
            session["user"] = result.get("id_token_claims")
            session.regenerate()
        except ValueError:  # Usually caused by CSRF
            pass  # Simply ignore them
        return redirect(url_for("index"))

    @app.get("/call-api")
    def call_api():
        tokens = SessionTokenCache()
        msal_app = client(tokens.cache)
        accounts = msal_app.get_accounts()
        result = msal_app.acquire_token_silent(settings.scopes, account=accounts[0]) \
            if accounts else None
        tokens.save()
        if not result or "access_token" not in result:
            return redirect(url_for("login"))  # signed out, or the refresh token expired
        response = requests.get(settings.api_endpoint, timeout=30, headers={
            "Authorization": "Bearer " + result["access_token"]})
        return render_template("api.html", status=response.status_code,
                               answer=_api_answer(response), user=session.get("user"))

    @app.get("/logout")
    def logout():
        tokens = SessionTokenCache()
        msal_app = client(tokens.cache)
        for account in msal_app.get_accounts():
            msal_app.remove_account(account)
        session.clear()  # the emptied session leaves the store, and its cookie is deleted
        return redirect(settings.authority + "/oauth2/v2.0/logout?" + urlencode(
            {"post_logout_redirect_uri": url_for("index", _external=True)}))

    return app
