"""Directory content of the emulated identity platform: tenants, users, apps and resources.

The built-in default is fixed (same GUIDs on every run) so that tests and the demo are
reproducible. A JSON file or a dict of the same shape adds to it (or, with `"builtin": false`,
is the whole directory); `validate` names the bad key of a broken one.
"""

from __future__ import annotations

import copy
import hmac
import json
import os
import uuid
import functools
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Union

if TYPE_CHECKING:  # pragma: no cover
    from .certs import CertificateAuthority, KeyPair
    from .tokens import SigningKey

GRAPH_RESOURCE_ID = "00000003-0000-0000-c000-000000000000"
RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})

PUBLIC_CLOUD_HOSTS = [
    "login.microsoftonline.com",
    "login.windows.net",
    "login.microsoft.com",
    "sts.windows.net",
]
CHINA_CLOUD_HOSTS = ["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"]
US_GOV_CLOUD_HOSTS = ["login.microsoftonline.us", "login.usgovcloudapi.net"]
MICROSOFT_HOSTS = PUBLIC_CLOUD_HOSTS + CHINA_CLOUD_HOSTS + US_GOV_CLOUD_HOSTS
REGIONAL_HOST_SUFFIX = ".login.microsoft.com"
# Hosts of tenants with their own login domain; only the hosts a config declares are served.
B2C_HOST_SUFFIX, CIAM_HOST_SUFFIX = ".b2clogin.com", ".ciamlogin.com"
TENANT_HOST_SUFFIXES = (B2C_HOST_SUFFIX, CIAM_HOST_SUFFIX)

_TENANT = "43f09088-6f38-42ac-9b8d-c6318686ff47"
_WEB_API = "e89f734f-6b35-485e-a95b-495bd118c9cd"
_TASKS_API = "5c1f8e3a-2b7d-4e96-a0c4-7d9e1b3f6a28"
_B2C_TENANT = "7d3c2b1a-5e4f-4a8b-9c6d-0e1f2a3b4c5d"
_B2C_API = "0c9b8a7d-6e5f-4d3c-8b2a-1f0e9d8c7b6a"
_CIAM_TENANT = "a61c0d5e-2f3b-4c7a-8e9d-1b2c3d4e5f60"

DEFAULT_CONFIG: Dict[str, Any] = {
    "tenants": [
        {
            "id": _TENANT,
            "domain": "contoso.example",
            "display_name": "Contoso (emulated)",
            "domains": ["contoso.onmicrosoft.com"],
            "region_scope": "NA",
            "federated_domains": ["fabrikam.example"],
        },
        {
            "id": _B2C_TENANT,
            "domain": "contosob2c.onmicrosoft.com",
            "kind": "b2c",
            "host": "contosob2c.b2clogin.com",
            "display_name": "Contoso B2C (emulated)",
            "policies": [{"name": "B2C_1_signupsignin"}, {"name": "B2C_1_ropc", "password_grant": True}],
        },
        {
            "id": _CIAM_TENANT,
            "domain": "contosociam.onmicrosoft.com",
            "kind": "ciam",
            "host": "contosociam.ciamlogin.com",
            "display_name": "Contoso CIAM (emulated)",
            "region_scope": "NA",
        },
    ],
    "users": [
        {
            "username": "alice@contoso.example",
            "password": "Alice-Passw0rd!",
            "oid": "d4da8fa9-3653-4831-b315-9773f0c3b669",
            "name": "Alice Smith",
            "given_name": "Alice",
            "family_name": "Smith",
        },
        {
            "username": "bob@contoso.example",
            "password": "Bob-Passw0rd!",
            "oid": "4412c476-f1d3-4569-986b-0fd63214e9a1",
            "name": "Bob Jones",
            "given_name": "Bob",
            "family_name": "Jones",
        },
        {
            "username": "carol@fabrikam.example",
            "password": "Carol-Passw0rd!",
            "oid": "9b2c7e51-0d4a-4f38-8e6b-2a5c1d7f3e90",
            "name": "Carol Diaz",
            "given_name": "Carol",
            "family_name": "Diaz",
            "immutable_id": "Xb8rZ4RvE0S2m1aQhT3kYg==",
        },
        {
            "username": "dana@contosob2c.example",
            "password": "Dana-Passw0rd!",
            "oid": "5f3e2d1c-0b9a-4876-a543-21fedcba9876",
            "name": "Dana Lee",
            "tenant": _B2C_TENANT,
        },
        {
            "username": "erin@contosociam.example",
            "password": "Erin-Passw0rd!",
            "oid": "c2d4e6f8-1a3b-4c5d-9e7f-a0b1c2d3e4f5",
            "name": "Erin Park",
            "tenant": _CIAM_TENANT,
        },
    ],
    "apps": [
        {
            "name": "confidential-secret",
            "client_id": "122d7d86-8fc9-4d0d-a652-5980c4c9ea42",
            "kind": "confidential",
            "client_secret": "confidential-secret-value-0001",
            "redirect_uris": ["http://localhost", "https://localhost/callback"],
        },
        {
            "name": "confidential-cert",
            "client_id": "24e9f80a-a185-47ea-9838-5c38a08f9d26",
            "kind": "confidential",
            "certificate": True,
            "redirect_uris": ["http://localhost", "https://localhost/callback"],
        },
        {
            "name": "public",
            "client_id": "e3c60c9f-794d-4e9b-87c0-dbcb64df6fbd",
            "kind": "public",
            "is_fallback_public_client": True,
            "redirect_uris": [
                "http://localhost",
                "https://login.microsoftonline.com/common/oauth2/nativeclient",
            ],
        },
        {
            "name": "web-api",
            "client_id": _WEB_API,
            "kind": "confidential",
            "client_secret": "web-api-secret-value-0001",
            "app_id_uri": "api://" + _WEB_API,
            "scopes": ["access_as_user"],
            "app_roles": ["Data.Read.All"],
            "redirect_uris": [],
        },
        {
            "name": "tasks-api",
            "client_id": _TASKS_API,
            "kind": "confidential",
            "client_secret": "tasks-api-secret-value-0001",
            "app_id_uri": "api://" + _TASKS_API,
            "scopes": ["Tasks.Read", "Tasks.Write"],
            "user_consent_required": True,
            "redirect_uris": [],
        },
        {
            "name": "web-app",
            "client_id": "714e7938-2ebd-4f47-a393-1ab299519b1c",
            "kind": "confidential",
            "client_secret": "web-app-secret-value-0001",
            "redirect_uris": ["https://localhost/callback", "http://localhost/callback", "http://localhost"],
        },
        {
            "name": "family-a",
            "client_id": "b912a68a-b3db-4c08-bac3-ecd6d23e24c2",
            "kind": "public",
            "foci": "1",
            "is_fallback_public_client": True,
            "redirect_uris": ["http://localhost"],
        },
        {
            "name": "family-b",
            "client_id": "fa192fc0-d169-485b-891b-a20b9e360d22",
            "kind": "public",
            "foci": "1",
            "is_fallback_public_client": True,
            "redirect_uris": ["http://localhost"],
        },
        {
            "name": "b2c-api",
            "client_id": _B2C_API,
            "kind": "confidential",
            "tenant": _B2C_TENANT,
            "client_secret": "b2c-api-secret-value-0001",
            "app_id_uri": "https://contosob2c.onmicrosoft.com/api",
            "scopes": ["read", "write"],
            "redirect_uris": [],
        },
        {
            "name": "b2c-public",
            "client_id": "3b6e9c2f-8d1a-4f7e-b5c4-9a2d6e1f8c37",
            "kind": "public",
            "tenant": _B2C_TENANT,
            "is_fallback_public_client": True,
            "redirect_uris": ["http://localhost"],
        },
        {
            "name": "b2c-web-app",
            "client_id": "e8a1f4c7-2b5d-4e9a-8c3f-6d0b7a2e5f14",
            "kind": "confidential",
            "tenant": _B2C_TENANT,
            "client_secret": "b2c-web-app-secret-value-0001",
            "redirect_uris": ["https://localhost/callback", "http://localhost/callback", "http://localhost"],
        },
        {
            "name": "ciam-public",
            "client_id": "9d2f5a8c-1e4b-4c7d-a0e3-5b8f1c4d7a92",
            "kind": "public",
            "tenant": _CIAM_TENANT,
            "is_fallback_public_client": True,
            "redirect_uris": ["http://localhost"],
        },
    ],
    "resources": [
        {
            "name": "graph",
            "resource_id": GRAPH_RESOURCE_ID,
            "uris": ["https://graph.microsoft.com", GRAPH_RESOURCE_ID],
            "scopes": ["User.Read", "User.ReadBasic.All", "Mail.Read", "Calendars.Read"],
            "default_scopes": ["User.Read"],
            "app_roles": ["User.Read.All"],
            "short_scope_names": True,
        },
    ],
    "trusted_hosts": MICROSOFT_HOSTS + ["localhost", "127.0.0.1"],
    # Entra's defaults; tests usually want {"interval": 1} (the client sleeps that long per poll).
    "device_code": {"interval": 5, "expires_in": 900},
}


class ConfigError(ValueError):
    """The configuration is not usable; the message names the bad key."""


# The schema: for each list, its entries' keys and the type of each value. Required keys first.
_STR, _BOOL, _INT, _STRS = str, bool, int, list
ENTRY_SCHEMA: Dict[str, Dict[str, Any]] = {
    "tenants": {
        "id": _STR,
        "domain": _STR,
        "display_name": _STR,
        "domains": _STRS,
        "federated_domains": _STRS,
        "region_scope": _STR,
        "kind": _STR,
        "host": _STR,
        "policies": list,
    },
    "users": {
        "username": _STR,
        "password": _STR,
        "oid": _STR,
        "name": _STR,
        "given_name": _STR,
        "family_name": _STR,
        "email": _STR,
        "tenant": _STR,
        "immutable_id": _STR,
    },
    "apps": {
        "client_id": _STR,
        "name": _STR,
        "kind": _STR,
        "client_secret": _STR,
        "certificate": _BOOL,
        "certificates": _STRS,
        "redirect_uris": _STRS,
        "tenant": _STR,
        "display_name": _STR,
        "is_fallback_public_client": _BOOL,
        "foci": _STR,
        "app_id_uri": _STR,
        "scopes": _STRS,
        "app_roles": _STRS,
        "user_consent_required": _BOOL,
        "device_code_interval": _INT,
        "device_code_expires_in": _INT,
        "service_principal_oid": _STR,
    },
    "resources": {
        "name": _STR,
        "resource_id": _STR,
        "uris": _STRS,
        "scopes": _STRS,
        "default_scopes": _STRS,
        "app_roles": _STRS,
        "short_scope_names": _BOOL,
        "audience": _STR,
        "user_consent_required": _BOOL,
    },
}
REQUIRED = {
    "tenants": ("id", "domain"),
    "users": ("username", "password"),
    "apps": ("client_id",),
    "resources": ("name", "resource_id", "uris"),
}
IDENTITY = {"tenants": "id", "users": "username", "apps": "client_id", "resources": "name"}
TOP_LEVEL = {
    "builtin": _BOOL,
    "trusted_hosts": _STRS,
    "device_code": dict,
    "adfs_host": _STR,
    **{name: list for name in ENTRY_SCHEMA},
}
_TYPE_NAMES = {str: "a string", bool: "true or false", int: "a number", list: "a list", dict: "an object"}


def load(
    config: Union[None, str, "os.PathLike[str]", Dict[str, Any]], builtin: Optional[bool] = None
) -> "Directory":
    """Build a Directory: the built-in one plus what `config` (a dict or a JSON file) adds.

    Entries of the config with the id (tenants), username, client id or name (resources) of a
    built-in one replace it. `"builtin": false` in the config (or builtin=False) starts empty.
    """
    data = _read(config) if config is not None else {}
    validate(data)
    base_dir = (
        os.path.dirname(os.path.abspath(config)) if isinstance(config, (str, os.PathLike)) else os.getcwd()
    )
    _read_certificate_files(data, base_dir)
    use_builtin = data.pop("builtin", True) if builtin is None else builtin
    data.pop("builtin", None)
    base = copy.deepcopy(DEFAULT_CONFIG) if use_builtin else _empty()
    return Directory(merge(base, data))


def _empty() -> Dict[str, Any]:
    empty: Dict[str, Any] = {name: [] for name in ENTRY_SCHEMA}
    empty.update(
        trusted_hosts=list(DEFAULT_CONFIG["trusted_hosts"]), device_code=dict(DEFAULT_CONFIG["device_code"])
    )
    return empty


def _read(config: Union[str, "os.PathLike[str]", Dict[str, Any]]) -> Dict[str, Any]:
    if isinstance(config, dict):
        return copy.deepcopy(config)
    try:
        with open(config, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise ConfigError("cannot read the config file %s: %s" % (config, exc.strerror or exc))
    except ValueError as exc:
        raise ConfigError("the config file %s is not valid JSON: %s" % (config, exc))
    if not isinstance(data, dict):
        raise ConfigError("the config file %s must hold a JSON object" % config)
    return data


def _check_type(where: str, value: Any, wanted: type) -> None:
    ok = isinstance(value, wanted) and not (wanted is int and isinstance(value, bool))
    if wanted is list and ok and where.rsplit(".", 1)[-1] in _STRING_LISTS:
        ok = all(isinstance(v, str) for v in value)
        if not ok:
            raise ConfigError("%s must be a list of strings" % where)
    if not ok:
        raise ConfigError("%s must be %s, not %s" % (where, _TYPE_NAMES[wanted], json.dumps(value)[:60]))


_STRING_LISTS = {
    k for schema in ENTRY_SCHEMA.values() for k, t in schema.items() if t is _STRS and k != "policies"
} | {"trusted_hosts"}


def _unknown(where: str, key: str, known: Iterable[str]) -> ConfigError:
    import difflib

    close = difflib.get_close_matches(key, list(known), n=1)
    hint = " (did you mean %r?)" % close[0] if close else ""
    return ConfigError("%s: unknown key %r%s; known keys: %s" % (where, key, hint, ", ".join(sorted(known))))


def validate(data: Dict[str, Any]) -> None:
    """Raise ConfigError naming the first bad key: unknown, missing, or of the wrong type."""
    for key, value in data.items():
        if key not in TOP_LEVEL:
            raise _unknown("config", key, TOP_LEVEL)
        _check_type(key, value, TOP_LEVEL[key])
    for name, schema in ENTRY_SCHEMA.items():
        for index, entry in enumerate(data.get(name, [])):
            where = "%s[%d]" % (name, index)
            if not isinstance(entry, dict):
                raise ConfigError("%s must be an object" % where)
            for key in REQUIRED[name]:
                if key not in entry:
                    raise ConfigError("%s: missing required key %r" % (where, key))
            for key, value in entry.items():
                if key not in schema:
                    raise _unknown(where, key, schema)
                _check_type("%s.%s" % (where, key), value, schema[key])
            _check_entry(name, where, entry)
    for key, value in data.get("device_code", {}).items():
        if key not in ("interval", "expires_in"):
            raise _unknown("device_code", key, ("interval", "expires_in"))
        _check_type("device_code." + key, value, int)


def _check_entry(name: str, where: str, entry: Dict[str, Any]) -> None:
    if name == "apps" and entry.get("kind", "confidential") not in ("confidential", "public"):
        raise ConfigError("%s.kind must be 'confidential' or 'public'" % where)
    if name == "users" and "@" not in entry["username"]:
        raise ConfigError("%s.username must be an email-like name (user@domain)" % where)
    if name == "tenants" and entry.get("kind", "aad") not in ("aad", "b2c", "ciam"):
        raise ConfigError("%s.kind must be 'b2c' or 'ciam' (or absent)" % where)
    for index, policy in enumerate(entry.get("policies", [])):
        if not isinstance(policy, dict) or not isinstance(policy.get("name"), str):
            raise ConfigError("%s.policies[%d] must be an object with a 'name'" % (where, index))


def _read_certificate_files(data: Dict[str, Any], base_dir: str) -> None:
    """App `certificates` may be PEM text or paths of PEM files (relative to the config)."""
    for index, app in enumerate(data.get("apps", [])):
        pems = []
        for item in app.get("certificates", []):
            if "-----BEGIN" in item:
                pems.append(item)
                continue
            path = os.path.join(base_dir, os.path.expanduser(item))
            try:
                with open(path, encoding="ascii") as f:
                    pems.append(f.read())
            except (OSError, ValueError) as exc:
                raise ConfigError(
                    "apps[%d].certificates: cannot read %s: %s"
                    % (index, item, getattr(exc, "strerror", None) or exc)
                )
        if "certificates" in app:
            app["certificates"] = pems


def merge(base: Dict[str, Any], added: Dict[str, Any]) -> Dict[str, Any]:
    """`added` on top of `base`: entries with the same identity replace, others append."""
    own_tenants = added.get("tenants", [])
    home = (own_tenants or base["tenants"] or [{}])[0].get("id")
    for name, key in IDENTITY.items():
        for entry in added.get(name, []):
            if name in ("users", "apps") and home and "tenant" not in entry:
                entry = dict(entry, tenant=_home_tenant(entry, base, own_tenants, home))
            _replace_or_append(base[name], entry, key)
    base["trusted_hosts"] = list(dict.fromkeys(base["trusted_hosts"] + added.get("trusted_hosts", [])))
    base["device_code"].update(added.get("device_code", {}))
    if added.get("adfs_host"):
        base["adfs_host"] = added["adfs_host"]
    return base


def _home_tenant(entry: Dict[str, Any], base: Dict[str, Any], own: List[Dict[str, Any]], home: str) -> str:
    """A user's tenant is the one that owns its domain; otherwise the config's first tenant."""
    domain = entry.get("username", "").rsplit("@", 1)[-1].lower()
    for tenant in own + base["tenants"]:
        if domain and domain in _domains(tenant):
            tid: str = tenant["id"]
            return tid
    return home


def _replace_or_append(entries: List[Dict[str, Any]], entry: Dict[str, Any], key: str) -> None:
    wanted = str(entry[key]).lower()
    for index, existing in enumerate(entries):
        if str(existing.get(key, "")).lower() == wanted:
            entries[index] = entry
            return
    entries.append(entry)


def _domains(tenant: Dict[str, Any]) -> List[str]:
    names = [tenant["domain"]] + list(tenant.get("domains", []))
    return [d.lower() for d in names + list(tenant.get("federated_domains", []))]


def _service_principal_oid(client_id: str) -> str:
    """A stable object id for an app's service principal (Entra gives each app one)."""
    return str(uuid.uuid5(uuid.UUID(_TENANT), "sp:" + client_id))


class Directory:
    """The directory part of an emulator: tenants, apps, users and resources as configured,
    with the look-ups the endpoints need, the one password check, and the keys (the token
    signing key, the certificates made for apps) once `add_keys` has run."""

    signing_key: "SigningKey"

    def __init__(self, data: Dict[str, Any]):
        self.data = data
        self.tenants: List[Dict[str, Any]] = data["tenants"]
        if not self.tenants:
            raise ConfigError("at least one tenant is required")
        self.default_tenant = self.tenants[0]
        self.users: List[Dict[str, Any]] = [self._user(u) for u in data["users"]]
        self.apps: List[Dict[str, Any]] = [self._app(a) for a in data["apps"]]
        self.resources: List[Dict[str, Any]] = [dict(r) for r in data["resources"]]
        self.resources += [self._app_resource(a) for a in self.apps if a.get("app_id_uri")]
        self.trusted_hosts = [h.lower() for h in data["trusted_hosts"]]
        self.device_code = dict(DEFAULT_CONFIG["device_code"], **data["device_code"])
        self.tenant_hosts = frozenset(
            t["host"].lower()
            for t in self.tenants
            if t.get("host") and t["host"].lower().endswith(TENANT_HOST_SUFFIXES)
        )
        self.adfs_hosts = frozenset([data["adfs_host"].lower()] if data.get("adfs_host") else [])
        self.app_keys: Dict[str, "KeyPair"] = {}
        self._key_dir = ""

    def add_keys(self, ca: "CertificateAuthority", key_dir: str) -> None:
        """The signing key, and a certificate for each app with `certificate: true` (kept in
        `key_dir`, issued by the CA)."""
        from . import certs
        from .tokens import SigningKey

        self.signing_key = SigningKey(ca)
        self._key_dir = key_dir
        for app in self.apps:
            if app.get("certificate") is True:
                name = app["name"]
                pair = certs.stored_pair(key_dir, name + ".pem", functools.partial(ca.issue, name), ca.pair)
                self.app_keys[name] = pair
                app["certificates"] = list(app["certificates"]) + [pair.cert_pem]

    def describe_app(self, name: str) -> Dict[str, Any]:
        """Description of an app (by name or client id), as a fresh dict; KeyError if none."""
        app = self.app_by_name(name)
        if app is None:
            raise KeyError("no app named %r" % name)
        described = {k: v for k, v in app.items() if k not in ("certificates", "certificate")}
        if app["name"] in self.app_keys:
            described["certificate_thumbprint"] = self.app_keys[app["name"]].thumbprint
            described["certificate_path"] = os.path.join(self._key_dir, app["name"] + ".pem")
        return described

    def client_credential(self, name: str) -> Union[str, Dict[str, str], None]:
        """What msal's `client_credential` wants for the app: a secret, a cert dict, or None."""
        app = self.describe_app(name)
        pair = self.app_keys.get(app["name"])
        if pair is not None:
            return {
                "private_key": pair.key_pem,
                "thumbprint": pair.thumbprint,
                "public_certificate": pair.cert_pem,
            }
        secret: Optional[str] = app.get("client_secret")
        return secret

    def describe_user(self, name: str) -> Dict[str, Any]:
        """A user (see `user`) as a fresh dict; KeyError if none."""
        user = self.user(name)
        if user is None:
            raise KeyError("no user named %r" % name)
        return dict(user)

    def tenant_of_kind(self, kind: str) -> Dict[str, Any]:
        """The first tenant of a kind (`b2c`, `ciam`); KeyError if none."""
        found = next((t for t in self.tenants if t.get("kind") == kind), None)
        if found is None:
            raise KeyError("the configuration has no %s tenant" % kind)
        return found

    def describe(self) -> Dict[str, Any]:
        """Tenants, apps with their credentials, users (what `--print-config` shows)."""
        tenants = [
            {k: t[k] for k in ("id", "domain", "display_name", "kind", "host", "domains") if k in t}
            for t in self.tenants
        ]
        return {
            "tenants": tenants,
            "apps": [self.describe_app(a["name"]) for a in self.apps],
            "users": [
                {k: u.get(k) for k in ("username", "password", "oid", "name", "tenant")} for u in self.users
            ],
        }

    def _user(self, user: Dict[str, Any]) -> Dict[str, Any]:
        user = dict(user)
        user.setdefault("oid", str(uuid.uuid5(uuid.NAMESPACE_URL, "user:" + user["username"].lower())))
        user.setdefault("tenant", self.default_tenant["id"])
        user.setdefault("name", user["username"].split("@")[0])
        return user

    def _app(self, app: Dict[str, Any]) -> Dict[str, Any]:
        app = dict(app)
        app.setdefault("name", app["client_id"])
        app.setdefault(
            "kind",
            "confidential"
            if app.get("client_secret") or app.get("certificate") or app.get("certificates")
            else "public",
        )
        if app["kind"] not in ("confidential", "public"):
            raise ConfigError("app %r: kind must be 'confidential' or 'public'" % app.get("name"))
        app.setdefault("tenant", self.default_tenant["id"])
        app.setdefault("redirect_uris", [])
        app.setdefault("service_principal_oid", _service_principal_oid(app["client_id"]))
        app.setdefault("certificates", [])  # PEM strings of registered certificates
        return app

    @staticmethod
    def _app_resource(app: Dict[str, Any]) -> Dict[str, Any]:
        """An app with an app id URI is also a resource (a web API) others can ask scopes of."""
        return {
            "name": app["name"],
            "resource_id": app["client_id"],
            "uris": [app["app_id_uri"], app["client_id"]],
            "audience": app["app_id_uri"],
            "scopes": list(app.get("scopes", [])),
            "default_scopes": list(app.get("scopes", [])),
            "app_roles": list(app.get("app_roles", [])),
            "short_scope_names": False,
            "user_consent_required": bool(app.get("user_consent_required")),
        }

    def tenant(self, name: str) -> Optional[Dict[str, Any]]:
        """A tenant by GUID or any verified domain, managed or federated (case-insensitive)."""
        name = name.lower()
        for tenant in self.tenants:
            if name == tenant["id"].lower() or name in _domains(tenant):
                return tenant
        return None

    def domain_kind(self, domain: str) -> Optional[str]:
        """ "Managed", "Federated", or None for a domain no tenant has verified."""
        domain = domain.lower()
        for tenant in self.tenants:
            if domain in (d.lower() for d in tenant.get("federated_domains", [])):
                return "Federated"
            if domain in _domains(tenant):
                return "Managed"
        return None

    def check_password(self, user: Dict[str, Any], password: str) -> bool:
        """The one password check of every sign-in (ROPC, WS-Trust, the sign-in pages): True
        when `password` is the user's, compared in constant time."""
        return hmac.compare_digest(user["password"].encode(), password.encode())

    def is_federated(self, user: Dict[str, Any]) -> bool:
        return self.domain_kind(user["username"].rsplit("@", 1)[-1]) == "Federated"

    def policy(self, tenant: Dict[str, Any], name: str) -> Optional[Dict[str, Any]]:
        """A B2C tenant's user flow by name (case-insensitive, as B2C matches them)."""
        return next((p for p in tenant.get("policies", []) if p["name"].lower() == name.lower()), None)

    def app_by_client_id(self, client_id: str) -> Optional[Dict[str, Any]]:
        return next((a for a in self.apps if a["client_id"].lower() == client_id.lower()), None)

    def app_by_name(self, name: str) -> Optional[Dict[str, Any]]:
        return next((a for a in self.apps if name in (a["name"], a["client_id"])), None)

    def user(self, name: str) -> Optional[Dict[str, Any]]:
        """A user by username (case-insensitive), object id, or the part before the '@'."""
        name = name.lower()
        for user in self.users:
            username = user["username"].lower()
            if name in (username, user["oid"].lower(), username.split("@")[0]):
                return user
        return None

    def user_by_oid(self, oid: str) -> Optional[Dict[str, Any]]:
        return next((u for u in self.users if u["oid"] == oid), None)

    def resource_for(self, prefix: str) -> Optional[Dict[str, Any]]:
        """The resource named by a scope prefix: an URI, an app id URI or a client id."""
        prefix = prefix.rstrip("/").lower()
        for resource in self.resources:
            if prefix in (u.rstrip("/").lower() for u in resource["uris"]):
                return resource
        return None

    def graph(self) -> Dict[str, Any]:
        return next(r for r in self.resources if r["resource_id"] == GRAPH_RESOURCE_ID)

    def family(self, foci: str) -> Iterable[Dict[str, Any]]:
        return [a for a in self.apps if a.get("foci") == foci]
