"""The token endpoint: the client authenticates, then the grant its `grant_type` names
answers. One module per grant; which `grant_type` runs which grant is declared with the
routes (msal_emulator.routes)."""

from __future__ import annotations


from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

import jwt

from ... import errors
from ...http import Handler, Request, Response, json_response
from ..clients import Client, authenticate_client
from ..common import TenantRef, resolve_tenant

if TYPE_CHECKING:  # pragma: no cover
    from ...server import Emulator

Grant = Callable[["Emulator", Request, TenantRef, Client], Dict[str, Any]]


def token_endpoint(grants: Dict[str, Grant]) -> Handler:
    """The handler of a token route: dispatch by `grant_type` to one of `grants`."""

    def token(emu: "Emulator", req: Request, tenant: str) -> Response:
        ref = resolve_tenant(emu.directory, tenant)
        grant = grants.get(req.form.get("grant_type", ""))
        if grant is None:
            raise unsupported_grant_type(req)
        client = authenticate_client(emu, req, ref)
        return json_response(grant(emu, req, ref, client))

    return token


def unsupported_grant_type(req: Request) -> errors.EntraError:
    return errors.EntraError(
        "unsupported_grant_type",
        70003,
        "The app requested an unsupported grant type '%s'." % req.form.get("grant_type", ""),
    )


def _credential_required() -> errors.EntraError:
    return errors.invalid_client(
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        7000218,
    )


def require_confidential(client: Client) -> None:
    """App-only and on-behalf grants need a client that proved itself with a credential."""
    if not client.confidential:
        raise _credential_required()


def require_public_flows(client: Client) -> None:
    """Device code and password grants need "allow public client flows" on a public client."""
    if not client.confidential and not client.app.get("is_fallback_public_client"):
        raise _credential_required()


def verify_issued_token(emu: "Emulator", token: str) -> Dict[str, Any]:
    """The claims of a token this emulator signed (an OBO assertion, a user FIC); Entra's
    invalid_grant when it is expired or not ours."""
    try:
        return emu.signing_key.verify(token, emu.clock())
    except jwt.ExpiredSignatureError:
        raise errors.invalid_grant("Assertion is not within its valid time range.", 500133)
    except jwt.InvalidTokenError:
        raise errors.invalid_grant("Assertion failed signature validation.", 50013)


def other_endpoint(issued_by: Optional[str], asked: Optional[str]) -> errors.EntraError:
    """B2C codes and refresh tokens are bound to the user flow that issued them."""
    return errors.B2CError(
        "invalid_grant",
        90088,
        "The provided grant has not been issued for this endpoint. "
        "Actual Value : %s and Expected Value : %s" % (asked, issued_by),
    )
