"""The SAML bearer grants (saml1_1-bearer, saml2-bearer): redeem an assertion the emulated
ADFS issued (endpoints/federation.py). Assertions carry no XML signature: only the ids the
emulator issued are trusted, once each, until they expire."""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any, Dict, Optional

from ... import errors
from ...http import Request
from ..clients import Client
from ..common import TenantRef, parse_scopes
from ..federation import SAML1_NS, SAML2_NS
from ..issue import find_user, user_tokens

if TYPE_CHECKING:  # pragma: no cover
    from ...server import Emulator

SAML1_GRANT = "urn:ietf:params:oauth:grant-type:saml1_1-bearer"
SAML2_GRANT = "urn:ietf:params:oauth:grant-type:saml2-bearer"


def _decode_assertion(text: str) -> Optional[ET.Element]:
    """Standard or URL-safe base64, padded or not."""
    compact = "".join(text.split()).replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
        return ET.fromstring(raw)
    except (binascii.Error, ValueError, ET.ParseError):
        return None


def _invalid_saml(text: str = "SAML token is invalid.") -> errors.EntraError:
    return errors.invalid_grant(text, 50008)


def grant(emu: "Emulator", req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    root = _decode_assertion(req.form.get("assertion", ""))
    saml1 = req.form.get("grant_type") == SAML1_GRANT
    expected_tag = "{%s}Assertion" % (SAML1_NS if saml1 else SAML2_NS)
    if root is None or root.tag != expected_tag:
        raise _invalid_saml()
    record = emu.store.redeem_assertion(root.get("AssertionID" if saml1 else "ID") or "")
    if record is None or record.version != ("1.1" if saml1 else "2.0"):
        raise _invalid_saml("SAML token is invalid: it was not issued by a trusted federation server.")
    if record.redeemed:
        raise _invalid_saml("SAML token is invalid: the assertion was already used.")
    if emu.clock() >= record.not_on_or_after:
        raise errors.invalid_grant("Assertion is not within its valid time range.", 500133)
    user = find_user(emu, record.user_oid)
    if ref.tenant is not None and ref.tenant["id"] != user["tenant"]:
        raise _invalid_saml("SAML token is invalid: the user is not in this tenant.")
    return user_tokens(
        emu,
        req,
        client.app,
        user,
        user["tenant"],
        parse_scopes(emu.directory, req.form.get("scope")),
        auth_time=emu.clock(),
    )
