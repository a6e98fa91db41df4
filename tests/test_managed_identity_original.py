"""The original msal 1.39.0 and this package side by side on the emulator's managed identity
sources: the same requests, the same result keys, the same cache entries.

Runs when MSAL_ORIGINAL_139_PYTHON names a Python with msal 1.39.0 installed (e.g. a venv
made with ``pip install msal==1.39.0``); skipped otherwise. Azure Arc is left out: the
original reads its key file only from the agent's system folder.
"""

import json

import pytest

from support import original

ORIGINAL = original.PYTHON_139
pytestmark = pytest.mark.skipif(not ORIGINAL, reason="MSAL_ORIGINAL_139_PYTHON is not set")

RESOURCE = "https://management.azure.com"
SOURCE_VARIABLES = (
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "AZUREPS_HOST_ENVIRONMENT",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
)

# Run by both libraries: two calls per identity (the second from the cache), then the cache.
SCENARIO = r"""
import json, requests, msal
def scenario(identities, resource):
    cache = msal.SerializableTokenCache()
    results = []
    for identity in identities:
        client = msal.ManagedIdentityClient(identity, http_client=requests.Session(),
                                            token_cache=cache)
        for _ in range(2):
            result = client.acquire_token_for_client(resource=resource)
            results.append({k: (type(v).__name__ if k != "token_source" else v)
                            for k, v in result.items()})
    return results, json.loads(cache.serialize())
"""


def _identities(host):
    return [
        {"ManagedIdentityIdType": "SystemAssigned", "Id": None},
        {"ManagedIdentityIdType": "ClientId", "Id": host.user_assigned["client_id"]},
        {"ManagedIdentityIdType": "ObjectId", "Id": host.user_assigned["object_id"]},
    ]


def _run_original(env, identities):
    code = SCENARIO + "\nimport sys\nprint(json.dumps(scenario(json.loads(sys.argv[1]), %r)))" % RESOURCE
    return original.run_json(ORIGINAL, ["-c", code, json.dumps(identities)], env=env, drop=SOURCE_VARIABLES)


def _comparable(cache):
    """Cache entries without the secrets and times, which differ by nature."""
    volatile = ("secret", "cached_at", "expires_on", "extended_expires_on", "refresh_on")
    return {
        section: {
            key: {k: v for k, v in entry.items() if k not in volatile} for key, entry in entries.items()
        }
        for section, entries in cache.items()
    }


def _wire(emu):
    skip = {"user-agent", "host", "accept", "accept-encoding", "connection", "x-ms-client-request-id"}
    return [
        (
            r["method"],
            r["path"],
            sorted(r["query"].items()),
            sorted((k, v) for k, v in r["headers"].items() if k not in skip and k != "x-client-ver"),
        )
        for r in emu.requests
    ]


@pytest.mark.parametrize(
    "source", ["imds", "app_service", "machine_learning", "cloud_shell", "service_fabric"]
)
def test_same_requests_results_and_cache_as_the_original(emu, monkeypatch, source):
    host = emu.managed_identity
    env = host.environ(source)
    identities = _identities(host) if source != "service_fabric" else _identities(host)[:1]

    emu.clear_requests()
    original_results, original_cache = _run_original(env, identities)
    original_wire = _wire(emu)

    for name in SOURCE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    emu.clear_requests()
    namespace = {}
    exec(SCENARIO, namespace)
    results, cache = namespace["scenario"](identities, RESOURCE)

    assert results == original_results
    assert _wire(emu) == original_wire
    assert _comparable(cache) == _comparable(original_cache)
