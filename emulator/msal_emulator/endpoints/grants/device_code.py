"""The device code grant (RFC 8628): the client polls with the device code until the user
settles it on the verification pages (endpoints/device.py)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Dict

from ... import errors
from ...http import Request
from ..clients import Client
from ..common import TenantRef, parse_scopes
from ..issue import find_user, user_tokens

if TYPE_CHECKING:  # pragma: no cover
    from ...server import Emulator

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
POLL_SLACK = 0.2  # seconds a poll may come early (timers and the network are not exact)


def grant(emu: "Emulator", req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    value = req.form.get("device_code") or req.form.get("code")
    if not value:
        raise errors.invalid_request("The request body must contain the following parameter: 'device_code'.")
    record = emu.store.device_code(value)
    if record is None or record.client_id != client.app["client_id"] or record.adfs != ref.adfs:
        raise errors.EntraError(
            "bad_verification_code", 70018, "Invalid verification code: the device code is not recognized."
        )
    if record.status == "redeemed":
        raise errors.invalid_grant("The device code was already redeemed.", 54005)
    if emu.clock() - record.issued_at > record.expires_in:
        raise errors.EntraError("expired_token", 70019, "Verification code expired.")
    if record.status == "pending":
        if emu.store.poll_too_soon(record, time.monotonic(), POLL_SLACK):
            raise errors.EntraError(
                "slow_down",
                70016,
                "OAuth 2.0 device flow error. Polling too frequently: wait "
                "the interval (%d s) between requests." % record.interval,
            )
        raise errors.EntraError(
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )
    if record.status == "declined":
        raise errors.EntraError(
            "authorization_declined", 70000, "The end user declined the authorization request."
        )
    if not emu.store.redeem_device_code(record):
        raise errors.invalid_grant("The device code was already redeemed.", 54005)
    assert record.user_oid is not None and record.auth_time is not None, "set on approval"
    user = find_user(emu, record.user_oid)
    return user_tokens(
        emu,
        req,
        client.app,
        user,
        user["tenant"],
        parse_scopes(emu.directory, record.scope),
        auth_time=record.auth_time,
        adfs=record.adfs,
    )
