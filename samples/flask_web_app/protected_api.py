"""The protected web API: one endpoint that answers the caller's claims to a valid token."""
from __future__ import annotations

from flask import Flask, jsonify, request

from .bearer import TokenRejected, TokenValidator
from .settings import ApiSettings


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRejected("", "A bearer token is required.")  # RFC 6750 3.1: no error code
    return token.strip()


def create_api(settings: ApiSettings) -> Flask:
    """A Flask app serving GET /api/me; 401 (or 403 for a missing scope) otherwise."""
    api = Flask(__name__)
    validator = TokenValidator(settings.authority, settings.audience,
                               settings.required_scope, settings.verify)

    @api.errorhandler(TokenRejected)
    def rejected(exc: TokenRejected):
        challenge = "Bearer"
        if exc.error:
            challenge += ' error="%s", error_description="%s"' % (
                exc.error, exc.description.replace('"', "'"))
        body = {"error": exc.error or "unauthorized", "error_description": exc.description}
        return jsonify(body), exc.status, {"WWW-Authenticate": challenge}

    @api.get("/api/me")
    def me():
        return jsonify(validator.claims(_bearer_token()))

    return api
