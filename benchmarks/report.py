"""The side-by-side table: one row per figure, one column per implementation, then the
ratio to the latest original and the target."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

Results = Dict[str, Dict[str, Any]]  # implementation label -> figure name -> value


def _get(results: Results, label: str, scenario: str, field: str) -> Optional[float]:
    value = results.get(label, {}).get(scenario, {}).get(field)
    return value if isinstance(value, (int, float)) else None


# (title, unit, scenario, field, scale)
ROWS: List[Tuple[str, str, str, str, float]] = [
    ("client credentials, cache hit, 1 tenant x 10 tokens", "us", "cc_hit_1", "us", 1),
    ("same, 1,000 tenants x 10 tokens in one cache", "us", "cc_hit_1000", "us", 1),
    ("same, 1,000 apps (one per tenant) over one cache, in turn", "us", "cc_hit_1000_apps", "us", 1),
    ("  first call of each of those 1,000 apps", "us", "cc_hit_1000_apps", "first_us", 1),
    ("  interleaved in one process: 1 app, its 10 tokens in turn", "us", "cc_hit_1000_apps", "one_app_us", 1),
    ("  interleaved in one process: the 1,000 apps in turn", "us", "cc_hit_1000_apps", "many_apps_us", 1),
    ("  floor: a plain object serving a cached token, 1 object", "us", "cc_hit_1000_apps", "floor_one_us", 1),
    ("  floor: the same, 1,000 objects in turn", "us", "cc_hit_1000_apps", "floor_many_us", 1),
    ("client credentials, cache miss, 1 tenant", "us", "cc_miss_1", "us", 1),
    ("client credentials, cache miss, 1,000 tenants", "us", "cc_miss_1000", "us", 1),
    ("  interleaved in one process: 1 tenant's cache", "us", "cc_miss_1000", "one_tenant_us", 1),
    ("  interleaved in one process: the 1,000 tenants' cache", "us", "cc_miss_1000", "many_tenants_us", 1),
    ("silent hit, subset of cached scopes, 10,000 accounts", "us", "silent_hit_10k", "us", 1),
    ("web request: new cache + app, get_accounts(), silent hit", "us", "web_app_cycle", "us", 1),
    ("  HTTP requests per web request", "", "web_app_cycle", "requests", 1),
    ("  floor: json.loads of the session", "us", "web_app_cycle", "floor_loads_us", 1),
    ("silent miss -> refresh, 10 accounts", "us", "silent_refresh_10", "us", 1),
    ("silent miss -> refresh, 10,000 accounts", "us", "silent_refresh_10k", "us", 1),
    ("get_accounts(), 10,000 accounts", "ms", "get_accounts_10k", "us", 1e-3),
    ("serialize(), 10,000 accounts", "ms", "serialization_10k", "serialize_us", 1e-3),
    ("  floor: compact json.dumps of the same state", "ms", "serialization_10k", "floor_dumps_us", 1e-3),
    ("deserialize(), 10,000 accounts", "ms", "serialization_10k", "deserialize_us", 1e-3),
    ("  floor: json.loads of the same state", "ms", "serialization_10k", "floor_loads_us", 1e-3),
    ("deserialize() + first get_accounts() + silent hit", "ms", "serialization_10k", "first_use_us", 1e-3),
    ("first cc hit after deserialize(), 1,000 tenants x 10 tokens", "us", "first_lookup", "cc_us", 1),
    ("first silent hit after deserialize(), 10,000 accounts", "us", "first_lookup", "silent_us", 1),
    ("serialized size, 10,000 accounts", "MB", "serialization_10k", "bytes", 1e-6),
    ("peak RSS with 10,000 accounts loaded and used", "MB", "memory_10k", "peak_mb", 1),
    ("cold python -c 'import msal'", "ms", "import", "ms", 1),
    ("  floor: interpreter start", "ms", "import", "floor_ms", 1),
    ("cache hits/s, 1 thread", "/s", "threads_8", "single_per_s", 1),
    ("cache hits/s, 8 threads on one app", "/s", "threads_8", "threads_per_s", 1),
    ("client credentials over HTTPS to the emulator", "us", "emulator", "us", 1),
    ("web request, RedisTokenCache, L1 hit", "ms", "distributed", "redis_l1_hit_ms", 1),
    ("web request, RedisTokenCache, L2 (Redis) hit", "ms", "distributed", "redis_l2_hit_ms", 1),
    ("web request, RedisTokenCache, miss -> refresh", "ms", "distributed", "redis_miss_refresh_ms", 1),
    ("  beside: SerializableTokenCache in a Redis session, hit", "ms", "distributed", "session_hit_ms", 1),
    ("  beside: same, miss -> refresh", "ms", "distributed", "session_miss_refresh_ms", 1),
    (
        "8 processes refresh one expired token, RedisTokenCache",
        "requests",
        "distributed",
        "refresh_requests_redis",
        1,
    ),
    ("  beside: a TokenCache per process", "requests", "distributed", "refresh_requests_memory", 1),
]

# A target's check: (results, our label, the latest original's label or None) -> (measured, met)
Check = Callable[[Results, str, Optional[str]], Optional[Tuple[float, bool]]]


def _ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return a / b if a is not None and b else None


def _vs_latest(scenario: str, field: str, limit: float, lower_is_better: bool = True) -> Check:
    def check(results: Results, ours: str, latest: Optional[str]) -> Optional[Tuple[float, bool]]:
        if latest is None:
            return None
        r = _ratio(_get(results, ours, scenario, field), _get(results, latest, scenario, field))
        return None if r is None else (r, r <= limit if lower_is_better else r >= limit)

    return check


def _within(num: Tuple[str, str], den: Tuple[str, str], limit: float, at_least: bool = False) -> Check:
    def check(results: Results, ours: str, latest: Optional[str]) -> Optional[Tuple[float, bool]]:
        r = _ratio(_get(results, ours, *num), _get(results, ours, *den))
        return None if r is None else (r, r >= limit if at_least else r <= limit)

    return check


def _flat_beside_floor(scenario: str, pairs: Tuple[Tuple[str, str], Tuple[str, str]], limit: float) -> Check:
    """How much more a figure grows from one to many than its floor grows, timed alike: the
    (many / one) ratio of this implementation over the (many / one) ratio of plain objects.
    What the machine's memory costs any Python code that serves many objects is left out."""
    (many, one), (floor_many, floor_one) = pairs

    def check(results: Results, ours: str, latest: Optional[str]) -> Optional[Tuple[float, bool]]:
        r = _ratio(
            _ratio(_get(results, ours, scenario, many), _get(results, ours, scenario, one)),
            _ratio(_get(results, ours, scenario, floor_many), _get(results, ours, scenario, floor_one)),
        )
        return None if r is None else (r, r <= limit)

    return check


def _below(scenario: str, field: str, limit: float) -> Check:
    def check(results: Results, ours: str, latest: Optional[str]) -> Optional[Tuple[float, bool]]:
        v = _get(results, ours, scenario, field)
        return None if v is None else (v, v < limit)

    return check


TARGETS: List[Tuple[str, Check]] = [
    ("cc hit, 1 tenant: <= 0.25x latest original", _vs_latest("cc_hit_1", "us", 0.25)),
    ("cc hit, 1,000 tenants: <= 0.25x latest original", _vs_latest("cc_hit_1000", "us", 0.25)),
    (
        "cc hit flat: 1,000 tenants / 1 tenant <= 1.25",
        _within(("cc_hit_1000", "us"), ("cc_hit_1", "us"), 1.25),
    ),
    ("cc hit, 1,000 apps: <= 0.25x latest original", _vs_latest("cc_hit_1000_apps", "us", 0.25)),
    (
        "cc hit, 1,000 apps flat: 1,000 apps / 1 app, interleaved <= 1.25",
        _within(("cc_hit_1000_apps", "many_apps_us"), ("cc_hit_1000_apps", "one_app_us"), 1.25),
    ),
    (
        "  the same beside its floor: / (1,000 plain objects / 1), interleaved <= 1.1",
        _flat_beside_floor(
            "cc_hit_1000_apps", (("many_apps_us", "one_app_us"), ("floor_many_us", "floor_one_us")), 1.1
        ),
    ),
    (
        "cc hit, first call of each of 1,000 apps: <= 1.0x latest original",
        _vs_latest("cc_hit_1000_apps", "first_us", 1.0),
    ),
    ("web request cycle: <= 0.25x latest original", _vs_latest("web_app_cycle", "us", 0.25)),
    ("web request cycle on a cache hit: no HTTP request", _below("web_app_cycle", "requests", 1e-9)),
    (
        "cc miss: 1,000 tenants / 1 tenant, interleaved <= 1.5",
        _within(("cc_miss_1000", "many_tenants_us"), ("cc_miss_1000", "one_tenant_us"), 1.5),
    ),
    ("silent hit at 10,000 accounts < 10 us", _below("silent_hit_10k", "us", 10.0)),
    (
        "refresh: 10,000 accounts / 10 accounts <= 1.5",
        _within(("silent_refresh_10k", "us"), ("silent_refresh_10", "us"), 1.5),
    ),
    ("get_accounts: <= 0.25x latest original", _vs_latest("get_accounts_10k", "us", 0.25)),
    (
        "serialize / compact json.dumps <= 1.3",
        _within(("serialization_10k", "serialize_us"), ("serialization_10k", "floor_dumps_us"), 1.3),
    ),
    (
        "deserialize / json.loads <= 1.5",
        _within(("serialization_10k", "deserialize_us"), ("serialization_10k", "floor_loads_us"), 1.5),
    ),
    ("first lookup after deserialize (cc): <= 2x latest original", _vs_latest("first_lookup", "cc_us", 2.0)),
    (
        "first lookup after deserialize (silent): <= 2x latest original",
        _vs_latest("first_lookup", "silent_us", 2.0),
    ),
    ("cold import: <= 0.5x latest original", _vs_latest("import", "ms", 0.5)),
    ("peak memory: <= 1.0x latest original", _vs_latest("memory_10k", "peak_mb", 1.0)),
    (
        "8 threads / 1 thread throughput >= 0.8",
        _within(("threads_8", "threads_per_s"), ("threads_8", "single_per_s"), 0.8, at_least=True),
    ),
]


def _fmt(value: Optional[float]) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return "{:,.0f}".format(value)
    if value >= 100:
        return "{:.0f}".format(value)
    if value >= 10:
        return "{:.1f}".format(value)
    return "{:.2f}".format(value)


def render(results: Results, labels: List[str], versions: Dict[str, str]) -> str:
    """Markdown tables: the figures, then the targets."""
    ours = labels[0]
    latest = labels[-1] if len(labels) > 1 else None
    head = ["scenario", "unit"] + labels  # ("this msal", then "original <version>"s)
    if latest:
        head.append("ours / latest")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "--:|" * (len(head) - 2)]
    for title, unit, scenario, field, scale in ROWS:
        values = [_get(results, label, scenario, field) for label in labels]
        cells = [
            _fmt(v * scale) if v is not None else _error(results, label, scenario)
            for v, label in zip(values, labels)
        ]
        if latest:
            r = _ratio(values[0], values[-1])
            cells.append("%.2fx" % r if r is not None else "-")
        lines.append("| " + " | ".join([title, unit] + cells) + " |")
    lines += ["", "%s: this working tree, which reports version %s." % (ours, versions.get(ours, "?"))]
    if any(label.endswith(" 1.22.0") for label in labels[1:]):
        lines += [
            "",
            "The original 1.22.0's acquire_token_for_client() does not look in the cache: "
            "its cache-hit rows are token requests to the fake identity provider.",
        ]
    lines += ["", "| target | measured | met |", "|---|--:|:-:|"]
    for title, check in TARGETS:
        outcome = check(results, ours, latest) if latest or "latest" not in title else None
        if outcome is None:
            lines.append("| %s | - | - |" % title)
        else:
            lines.append("| %s | %.2f | %s |" % (title, outcome[0], "yes" if outcome[1] else "NO"))
    return "\n".join(lines)


def _error(results: Results, label: str, scenario: str) -> str:
    return "error" if "error" in results.get(label, {}).get(scenario, {}) else "-"
