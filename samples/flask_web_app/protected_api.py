"""The protected web API: one endpoint that answers the caller's claims to a valid token, and,
with credentials and downstream scopes configured, one that gets a token for a downstream API
on behalf of the caller (from the cache when it holds one)."""

from __future__ import annotations

import os
from typing import Optional

import msal
from flask import Flask, jsonify, request

from .bearer import TokenRejected, TokenValidator
from .settings import ApiSettings


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRejected("", "A bearer token is required.")  # RFC 6750 3.1: no error code
    return token.strip()


def create_api(settings: ApiSettings, token_cache: Optional[msal.TokenCache] = None) -> Flask:
    """A Flask app serving GET /api/me (and GET /api/downstream when it may call one); 401 (or
    403 for a missing scope) otherwise. ``token_cache`` keeps the on-behalf-of tokens."""
    api = Flask(__name__)
    validator = TokenValidator(
        settings.authority, settings.audience, settings.required_scope, settings.verify
    )

    @api.errorhandler(TokenRejected)
    def rejected(exc: TokenRejected):
        challenge = "Bearer"
        if exc.error:
            challenge += ' error="%s", error_description="%s"' % (
                exc.error,
                exc.description.replace('"', "'"),
            )
        body = {"error": exc.error or "unauthorized", "error_description": exc.description}
        return jsonify(body), exc.status, {"WWW-Authenticate": challenge}

    @api.get("/api/me")
    def me():
        return jsonify(validator.claims(_bearer_token()))

    if settings.client_id and settings.downstream_scopes:
        middle_tier = msal.ConfidentialClientApplication(
            settings.client_id,
            client_credential=settings.client_secret,
            authority=settings.authority,
            verify=settings.verify,
            instance_discovery=settings.instance_discovery,
            token_cache=token_cache if token_cache is not None else msal.TokenCache(),
        )

        @api.get("/api/downstream")
        def downstream():
            """What a call to the downstream API would carry: a token on behalf of the caller."""
            incoming = _bearer_token()
            validator.claims(incoming)  # Never exchange a token that was not ours to accept
            result = middle_tier.acquire_token_on_behalf_of(incoming, settings.downstream_scopes)
            if "error" in result:
                return jsonify({"error": result["error"]}), 502
            return jsonify(
                {
                    "token_source": result["token_source"],
                    "expires_in": result["expires_in"],
                    "served_by": os.getpid(),
                }
            )

    return api
