"""Regional token endpoints for the client credentials flow (``azure_region``)."""

from __future__ import annotations

import logging
import os
import re
import threading
from typing import Any, Optional
from urllib.parse import urlparse, urlunparse

from ..oauth2cli.http import HttpClientProtocol

logger = logging.getLogger(__name__)

IMDS_URL = "http://169.254.169.254/metadata/instance/compute/location?format=text&api-version=2021-01-01"
IMDS_TIMEOUT = 2
_REGION = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


FORCE_REGION_VARIABLE = "MSAL_FORCE_REGION"


def check(azure_region: Any) -> Any:
    """Validate the application's ``azure_region``: None, True (detect), False (none, whatever
    the environment says) or a region name. ``None`` takes ``MSAL_FORCE_REGION`` when set, as
    later msal versions do, so a deployment can pin its region without a code change."""
    if azure_region is None:
        forced = os.environ.get(FORCE_REGION_VARIABLE, "").strip()
        if forced and not _REGION.match(forced.lower()):
            raise ValueError(
                "The {} environment variable must be a region name such as 'westus'; got {!r}".format(
                    FORCE_REGION_VARIABLE, forced
                )
            )
        return forced.lower() or None
    if azure_region is True or azure_region is False:
        return azure_region or None
    if not isinstance(azure_region, str) or not _REGION.match(azure_region.lower()):
        raise ValueError(
            "azure_region must be a region name such as 'westus' (a hostname "
            "label), ClientApplication.ATTEMPT_REGION_DISCOVERY, or None; got {!r}".format(azure_region)
        )
    return azure_region.lower()


def resolver(azure_region: Any, http_client: HttpClientProtocol) -> Optional["RegionResolver"]:
    """The region resolver of an application; None when it uses the global token endpoint.
    ``ValueError`` for a malformed region, when the application is created."""
    configured = check(azure_region)
    return None if configured is None else RegionResolver(configured, http_client)


class RegionResolver(object):
    """Works out the region once per application: configured, detected, or none."""

    def __init__(self, azure_region: Any, http_client: HttpClientProtocol) -> None:
        self._configured = check(azure_region)
        self._http = http_client
        self._lock = threading.Lock()
        self._resolved = False
        self._region: Optional[str] = None

    def region(self) -> Optional[str]:
        if self._configured is None:
            return None
        if isinstance(self._configured, str):
            return self._configured
        if not self._resolved:
            with self._lock:
                if not self._resolved:
                    self._region = self._detect()
                    self._resolved = True
                    logger.info(
                        "Region detected: %s", self._region or "none, so the global token endpoint serves"
                    )
        return self._region

    def _detect(self) -> Optional[str]:
        """``REGION_NAME`` (Azure Functions), else the VM metadata service, else none."""
        from_env = os.environ.get("REGION_NAME", "").strip().replace(" ", "").lower()
        if from_env and _REGION.match(from_env):
            logger.debug("Region from the REGION_NAME environment variable")
            return from_env
        try:
            resp = self._http.get(IMDS_URL, headers={"Metadata": "true"}, timeout=IMDS_TIMEOUT)
        except Exception as exc:  # Not on an Azure VM: the global endpoint serves
            logger.debug("Region discovery found no metadata service (%s)", type(exc).__name__)
            return None
        text = (getattr(resp, "text", "") or "").strip().lower()
        if getattr(resp, "status_code", None) == 200 and _REGION.match(text):
            logger.debug("Region from the VM metadata service")
            return text
        logger.debug("The VM metadata service named no region (HTTP %s)", getattr(resp, "status_code", None))
        return None


def regional_token_endpoint(token_endpoint: str, region: str) -> str:
    """``https://<region>.login.microsoft.com/...`` for the public cloud, ``<region>.<host>`` elsewhere."""
    parts = urlparse(token_endpoint)
    host = parts.hostname or ""
    if host in ("login.microsoftonline.com", "login.microsoft.com", "login.windows.net", "sts.windows.net"):
        regional = "{}.login.microsoft.com".format(region)
    else:
        regional = "{}.{}".format(region, host)
    netloc = regional if parts.port is None else "{}:{}".format(regional, parts.port)
    return urlunparse(parts._replace(netloc=netloc))
