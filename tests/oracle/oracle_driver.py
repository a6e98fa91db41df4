"""Run an oracle scenario under both libraries and reduce each run to comparable facts.

A run is ``{"requests": {step: [request, ...]}, "result": {...}}``: the requests the emulator
received from the library (grouped by the scenario's ``env.mark`` steps, the user's own
browser traffic left out) and what the scenario returned. ``normalise`` replaces every
random value by a label numbered in order of appearance (``<refresh_token#1>``), so two runs
compare equal exactly when they send and return the same things in the same places.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

import jwt

from msal_emulator import auth_response
from msal_emulator.browser import Browser

from oracle_scenarios import SCENARIOS
from support import original

HERE = os.path.dirname(os.path.abspath(__file__))
ORIGINAL_PYTHON = original.PYTHON
# The original's latest release, 1.39.0, which this package's 1.39 API follows.
ORIGINAL_139_PYTHON = original.PYTHON_139
USERS = {"alice": "alice@contoso.example", "bob": "bob@contoso.example", "carol": "carol@fabrikam.example"}


# ---- the user's part, played by the test process -----------------------------------------


def scenario_config(emu) -> Dict[str, Any]:
    apps = {
        name: {"client_id": emu.app(name)["client_id"], "credential": emu.client_credential(name)}
        for name in ("confidential-secret", "confidential-cert", "public", "web-api", "web-app")
    }
    users = {short: [emu.user(name)["username"], emu.user(name)["password"]] for short, name in USERS.items()}
    return {"authority": emu.authority(), "ca": emu.ca_path, "port": emu.port, "apps": apps, "users": users}


class UserAgent:
    """Answers a scenario's asks and keeps track of which logged requests are the library's."""

    def __init__(self, emu):
        self.emu = emu
        self.steps: List[Tuple[str, int]] = [("start", 0)]
        self.skipped: List[Tuple[int, int]] = []

    def __call__(self, kind: str, payload: Dict[str, Any]) -> Any:
        if kind == "mark":
            self.steps.append((payload["label"], len(self.emu.requests)))
            return None
        before = len(self.emu.requests)
        try:
            return getattr(self, "do_" + kind)(**payload)
        finally:
            self.skipped.append((before, len(self.emu.requests)))

    def do_sign_in(self, auth_uri: str, user: str) -> Dict[str, str]:
        username = USERS[user]
        return auth_response(
            Browser(self.emu).sign_in(auth_uri, username, self.emu.user(username)["password"])
        )

    def do_approve_device(self, user_code: str, user: str, verification_uri: str) -> str:
        username = USERS[user]
        return self.emu.approve_device_code(
            user_code, username, self.emu.user(username)["password"], verification_uri=verification_uri
        )

    def do_issue_token(self, user: str) -> str:
        return self.emu.issue_token(user=USERS[user], client="public")

    def do_revoke(self, user: str) -> int:
        return self.emu.revoke_refresh_tokens(USERS[user])

    def library_requests(self) -> Dict[str, List[Dict[str, Any]]]:
        log = self.emu.requests.snapshot()
        skip = {i for start, end in self.skipped for i in range(start, end)}
        bounds = self.steps + [(None, len(log))]
        return {
            label: [log[i] for i in range(start, bounds[n + 1][1]) if i not in skip]
            for n, (label, start) in enumerate(self.steps)
        }


# ---- the two runners ----------------------------------------------------------------------


class InProcessEnv:
    def __init__(self, cfg, agent):
        self.cfg, self.agent = cfg, agent

    def ask(self, kind, **payload):
        return self.agent(kind, payload)

    def mark(self, label):
        self.agent("mark", {"label": label})


def run_ours(emu, name: str) -> Dict[str, Any]:
    import msal

    emu.clear_requests()
    agent = UserAgent(emu)
    result = json.loads(json.dumps(SCENARIOS[name](msal, InProcessEnv(scenario_config(emu), agent))))
    return {"requests": agent.library_requests(), "result": result}


def run_original(emu, name: str, python: Optional[str] = None, timeout: float = 120) -> Dict[str, Any]:
    """Replay the scenario under an original msal (1.22.0 unless ``python`` names another)."""
    emu.clear_requests()
    agent = UserAgent(emu)
    child_py = os.path.join(HERE, "oracle_child.py")
    with original.Conversation(python or ORIGINAL_PYTHON, [child_py], timeout) as child:
        child.send({"scenario": name, "cfg": scenario_config(emu)})
        message = child.receive()
        while "ask" in message:
            child.send({"answer": agent(message["ask"], message["payload"])})
            message = child.receive()
    if "raised" in message:
        raise AssertionError("the original raised " + message["trace"])
    ours = os.path.join(os.path.dirname(os.path.dirname(HERE)), "msal") + os.sep
    assert not os.path.abspath(message["module"]).startswith(ours), (
        "the child imported this package instead of the original: " + message["module"]
    )
    return {"requests": agent.library_requests(), "result": message["result"]}


# ---- normalising ---------------------------------------------------------------------------

# JWT claims that change on every issue.
VOLATILE_CLAIMS = {"iat", "nbf", "exp", "jti", "uti", "aio", "rh", "auth_time", "sid"}
# Keys whose values are random or issued per run: compared by label only.
LABELLED = {
    "state",
    "nonce",
    "code_verifier",
    "code_challenge",
    "client-request-id",
    "correlation_id",
    "trace_id",
    "device_code",
    "user_code",
    "code",
    "refresh_token",
    "timestamp",
    "session_state",
    "assertion",
    "cached_at",
    "_correlation_id",
}
JWTS = {"access_token", "id_token", "client_assertion"}
CACHE_SECRETS = {"AccessToken": "access_token", "RefreshToken": "refresh_token", "IdToken": "id_token"}
DURATIONS = {"expires_in", "ext_expires_in", "refresh_in"}
EPOCHS = {"expires_on", "extended_expires_on", "refresh_on", "expires_at", "last_modification_time"}
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class Normaliser:
    def __init__(self, sort_targets: bool = False) -> None:
        self.labels: Dict[Tuple[str, str], str] = {}
        self.sort_targets = sort_targets

    def label(self, kind: str, value: Any) -> str:
        key = (kind, json.dumps(value, sort_keys=True))
        if key not in self.labels:
            count = sum(1 for k in self.labels if k[0] == kind)
            self.labels[key] = "<%s#%d>" % (kind, count + 1)
        return self.labels[key]

    def value(self, key: Optional[str], value: Any) -> Any:
        if isinstance(value, dict):
            return self.mapping(value, key)
        if isinstance(value, list):
            items = [self.value(key, v) for v in value]
            # The original keeps scopes in a set: their order is random.
            return sorted(items) if key == "scope" and all(isinstance(i, str) for i in items) else items
        if key in LABELLED and value is not None:
            return self.label(key, value)
        if key in JWTS and isinstance(value, str):
            return self.jwt(key, value)
        if key in DURATIONS and isinstance(value, (int, float, str)):
            return "<about %d min>" % round(float(value) / 60)
        if key in EPOCHS and value:
            return "<epoch>"
        if key == "error_description" and isinstance(value, str):
            return self.description(value)
        if key == "message" and isinstance(value, str):  # a device flow's, naming its user code
            return re.sub(r"code (\w+)", lambda m: "code " + self.label("user_code", m.group(1)), value)
        if isinstance(value, str) and value.startswith("https://") and "?" in value:
            return self.url(value)
        if key in ("x-client-current-telemetry", "x-client-last-telemetry"):
            return re.sub(GUID, lambda m: self.label("client-request-id", m.group(0)), value)
        if key == "user-agent":
            return re.sub(r"/[\d.]+", "/<version>", value)
        if key == "x-client-ver":  # each library's own version number
            return "<version>"
        return value

    def mapping(self, data: Dict[str, Any], parent: Optional[str]) -> Dict[str, Any]:
        if parent in CACHE_SECRETS:
            data = dict(self.by_sorted_target(key, entry) for key, entry in data.items())
            return {key: self.cache_entries(entry, CACHE_SECRETS[parent]) for key, entry in data.items()}
        if parent == "id_token_claims":
            data = {k: v for k, v in data.items() if k not in VOLATILE_CLAIMS}
        out = {}
        for key, value in data.items():
            if key in ("content-length", "time", "latency_ms"):
                continue
            if key == "expires_on" and isinstance(data.get("cached_at"), str):
                out[key] = "<cached_at + about %d min>" % round((int(value) - int(data["cached_at"])) / 60)
                continue
            out[key] = self.value(key, value)
        return out

    def by_sorted_target(self, key: str, entry: Any) -> Tuple[str, Any]:
        """A cache entry filed under its scopes in sorted order, as 1.39 files them, and
        ``target_as_written`` where the entry had them in another order; otherwise as it is."""
        target = entry.get("target") if isinstance(entry, dict) else None
        if not self.sort_targets or not isinstance(target, str) or not key.endswith(target.lower()):
            return key, entry
        ordered = " ".join(sorted(target.split()))
        entry = dict(entry, target=ordered)
        if ordered != target:
            entry["target_as_written"] = target
        return key[: len(key) - len(target)] + ordered.lower(), entry

    def cache_entries(self, entry: Any, kind: str) -> Any:
        """A cached credential: its secret compared like the token it holds."""
        if not isinstance(entry, dict):
            return self.value(None, entry)
        out = self.mapping({k: v for k, v in entry.items() if k != "secret"}, None)
        if "secret" in entry:
            out["secret"] = self.value(kind, entry["secret"])
        return out

    def jwt(self, kind: str, token: str) -> Any:
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return self.label(kind, token)
        return {
            "label": self.label(kind, token),
            "header": {k: v for k, v in header.items() if k != "kid"},
            "claims": {k: self.value(k, v) for k, v in claims.items() if k not in VOLATILE_CLAIMS},
        }

    def description(self, text: str) -> str:
        text = re.sub(
            r"(Trace ID|Correlation ID): (%s)" % GUID,
            lambda m: (
                "%s: %s"
                % (
                    m.group(1),
                    self.label("trace_id" if m.group(1) == "Trace ID" else "correlation_id", m.group(2)),
                )
            ),
            text,
        )
        return re.sub(r"Timestamp: [\d\-: Z.]+", "Timestamp: <time>", text)

    def url(self, url: str) -> Dict[str, Any]:
        query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        return {"url": url.split("?")[0], "query": self.mapping(query, None)}


def normalise(run: Dict[str, Any], sort_targets: bool = False) -> Dict[str, Any]:
    """One run as comparable facts (labels are numbered within the run). ``sort_targets``
    files cache entries as if their scopes were in sorted order (see ``by_sorted_target``)."""
    normaliser = Normaliser(sort_targets)
    requests = {
        step: [normaliser.mapping(request, None) for request in entries]
        for step, entries in run["requests"].items()
    }
    return {"requests": requests, "result": normaliser.value(None, run["result"])}


# ---- comparing ------------------------------------------------------------------------------


def differences(original: Any, ours: Any, path: str = "") -> List[Tuple[str, Any, Any]]:
    """Where the two normalised runs disagree, as (path, original, ours)."""
    if isinstance(original, dict) and isinstance(ours, dict):
        found = []
        for key in sorted(set(original) | set(ours), key=str):
            sub = "%s.%s" % (path, key) if path else str(key)
            if key not in ours:
                found.append((sub, original[key], "<absent>"))
            elif key not in original:
                found.append((sub, "<absent>", ours[key]))
            else:
                found += differences(original[key], ours[key], sub)
        return found
    if isinstance(original, list) and isinstance(ours, list):
        if len(original) != len(ours):
            return [(path + "[]", summary(original), summary(ours))]
        found = []
        for n, (a, b) in enumerate(zip(original, ours)):
            found += differences(a, b, "%s[%d]" % (path, n))
        return found
    return [] if original == ours else [(path, original, ours)]


def summary(items: List[Any]) -> List[Any]:
    """A list's items in short: requests as 'METHOD path'."""
    return ["%s %s" % (i["method"], i["path"]) if isinstance(i, dict) and "method" in i else i for i in items]


@dataclass(frozen=True)
class Difference:
    """A known way our package's behaviour departs from the original, and why.

    ``paths`` are shell-style patterns over difference paths; ``[`` and ``]`` are literal."""

    key: str
    scenarios: Tuple[str, ...]
    paths: Tuple[str, ...]
    reason: str

    def covers(self, scenario: str, path: str) -> bool:
        return any(fnmatch.fnmatchcase(scenario, s) for s in self.scenarios) and any(
            fnmatch.fnmatchcase(path, p.replace("[", "[[]")) for p in self.paths
        )


def unexplained(
    scenario: str, found: List[Tuple[str, Any, Any]], table: List[Difference]
) -> Tuple[list, list]:
    """Differences no table entry covers, and the table entries for this scenario never seen."""
    loose = [d for d in found if not any(t.covers(scenario, d[0]) for t in table)]
    named = [t for t in table if scenario in t.scenarios]  # wildcard entries may not apply
    unused = [t.key for t in named if not any(t.covers(scenario, d[0]) for d in found)]
    return loose, unused
