"""The benchmark scenarios, written against msal's public API only.

Each scenario takes a ``Run`` (sizes, repetitions, state files) and returns a dict of figures.
Times are medians per call, in microseconds. Standard library and msal only: this module runs
inside each implementation's own virtual environment.
"""

from __future__ import annotations

import gc
import itertools
import json
import random
import resource
import statistics
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Sequence, Tuple

import msal

if TYPE_CHECKING:  # type-checked as a module of the benchmarks package
    from . import fake_idp as idp
else:  # imported by worker.py, run as a script in each implementation's environment
    import fake_idp as idp

Figures = Dict[str, float]


class Run(object):
    """What one worker was asked to do."""

    def __init__(self, options: Dict[str, Any]) -> None:
        self.quick = bool(options.get("quick"))
        self.states: Dict[str, str] = options.get("states", {})
        self.emulator: Dict[str, Any] = options.get("emulator") or {}
        self._loaded: Dict[str, str] = {}

    def repeats(self, full: int) -> int:
        return max(3, full // 3) if self.quick else full

    def state(self, name: str) -> str:
        if name not in self._loaded:
            with open(self.states[name], encoding="utf-8") as f:
                self._loaded[name] = f.read()
        return self._loaded[name]

    def cache(self, name: str) -> "msal.SerializableTokenCache":
        cache = msal.SerializableTokenCache()
        cache.deserialize(self.state(name))
        return cache


def per_call_us(fn: Callable[[], Any], calls: int, repeats: int) -> float:
    """Median over ``repeats`` batches of the time per call, in microseconds."""
    return per_call_us_alternating([fn], calls, repeats)[0]


def per_call_us_alternating(fns: Sequence[Callable[[], Any]], calls: int, repeats: int) -> List[float]:
    """``per_call_us`` of each of ``fns``, timed in alternating batches (a batch of the first,
    a batch of the second, ..., ``repeats`` rounds), so that a change in the machine's load
    between two moments reaches every side alike and their ratio leaves it out."""
    gc.collect()
    samples: List[List[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, times in zip(fns, samples):
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            times.append((time.perf_counter() - start) / calls * 1e6)
    return [statistics.median(times) for times in samples]


def confidential_app(tenant: str, cache: Any, http: Any = None) -> "msal.ConfidentialClientApplication":
    return msal.ConfidentialClientApplication(
        idp.CLIENT_ID,
        client_credential="bench-secret",
        authority="https://%s/%s" % (idp.HOST, tenant),
        http_client=http or idp.FakeIdentityProvider(),
        token_cache=cache,
    )


def public_app(cache: Any, http: Any = None) -> "msal.PublicClientApplication":
    return msal.PublicClientApplication(
        idp.CLIENT_ID,
        authority="https://%s/%s" % (idp.HOST, idp.USER_TENANT),
        http_client=http or idp.FakeIdentityProvider(),
        token_cache=cache,
    )


def _expect_token(result: Any) -> Any:
    if not result or "access_token" not in result:
        raise AssertionError("no token: %r" % (result,))
    return result


def _per_token_request_us(run: Run, http: Any, call: Callable[[], Any]) -> float:
    """Time calls that each must reach the token endpoint (checked), after one warm-up."""
    call()
    before = http.posts
    figure = per_call_us(call, 10, run.repeats(9))
    if http.posts == before:
        raise AssertionError("the calls made no token request: they were not cache misses")
    return figure


# ---------------------------------------------------------------- client credentials


Hit = Tuple[Any, List[str]]  # an application, and scopes it has a cached token for


def _app_hit_pairs(cache: Any, tenants: int, tokens: int, sample: int) -> List[Hit]:
    """(app, scopes) pairs over a sample of tenants, in a shuffled order; every pair is a
    cache hit (checked)."""
    rng = random.Random(7)
    http = idp.FakeIdentityProvider()
    chosen = rng.sample(range(tenants), min(sample, tenants))
    pairs = []
    for t in chosen:
        app = confidential_app(idp.tenant_id(t), cache, http)
        for s in range(tokens):
            pairs.append((app, [idp.resource_scope(s)]))
    for app, scopes in pairs:  # warm up: discovery, and a check that these are hits
        _expect_token(app.acquire_token_for_client(scopes))
    rng.shuffle(pairs)
    return pairs


def _hits_in_turn(pairs: List[Hit]) -> Callable[[], Any]:
    """A call that gets the token of the next pair, cycling through them."""
    it = itertools.cycle(pairs)

    def call() -> Any:
        app, scopes = next(it)
        return app.acquire_token_for_client(scopes)

    return call


def client_credentials_hit(run: Run, state: str, tenants: int) -> Figures:
    cache = run.cache(state)
    call = _hits_in_turn(_app_hit_pairs(cache, tenants, 10, 20))
    return {"us": per_call_us(call, 2000, run.repeats(15))}


def _missing_calls(cache: Any, tenants: int, http: Any) -> Callable[[], Any]:
    """A call that asks one of the apps of a sample of tenants, in turn, for a scope not in
    the cache (after each app's discovery)."""
    apps = [confidential_app(idp.tenant_id(t), cache, http) for t in range(0, tenants, max(1, tenants // 10))]
    counter = itertools.count(1000)

    def call() -> Any:
        n = next(counter)
        return _expect_token(apps[n % len(apps)].acquire_token_for_client([idp.resource_scope(n)]))

    for _ in range(len(apps) - 1):
        call()  # discovery
    return call


def client_credentials_miss(run: Run, state: str, tenants: int) -> Figures:
    http = idp.FakeIdentityProvider()
    missing = _missing_calls(run.cache(state), tenants, http)
    figures = {"us": _per_token_request_us(run, http, missing)}
    if tenants > 1:  # Beside one tenant's cache, timed in alternating batches in this process
        calls = [_missing_calls(run.cache("apps_1"), 1, http), missing]
        calls[0]()  # (its discovery)
        before = http.posts
        figures["one_tenant_us"], figures["many_tenants_us"] = per_call_us_alternating(
            calls, 10, run.repeats(15)
        )
        if http.posts - before < 2 * 10 * run.repeats(15):
            raise AssertionError("some calls made no token request: they were not cache misses")
    return figures


def client_credentials_hit_many_apps(run: Run, state: str, tenants: int) -> Figures:
    """One application per tenant over one shared cache, every call to the next app in turn:
    the first call of each app (``first_us``), then hits spread across all of them (``us``).
    Then, for flatness, the same hits against those of one application cycling its ten
    scopes (as ``cc_hit_1`` does), in alternating batches over the same cache in this process:
    ``one_app_us`` and ``many_apps_us``. The one application is tenant 0's, made first: its
    first call loads the shared cache, a cost that is not any app's own."""
    cache = run.cache(state)
    one_app = _hits_in_turn(_app_hit_pairs(cache, 1, 10, 1))  # tenant 0, its ten scopes
    http = idp.FakeIdentityProvider()
    scopes = [idp.resource_scope(0)]
    apps = [confidential_app(idp.tenant_id(t), cache, http) for t in range(1, tenants)]
    start = time.perf_counter()
    for app in apps:
        _expect_token(app.acquire_token_for_client(scopes))
    first = (time.perf_counter() - start) / len(apps) * 1e6
    order = list(apps)
    random.Random(11).shuffle(order)
    many_apps = _hits_in_turn([(app, scopes) for app in order])
    repeats = run.repeats(15)
    figures = {"us": per_call_us(many_apps, 2000, repeats), "first_us": first}
    figures["one_app_us"], figures["many_apps_us"] = per_call_us_alternating(
        [one_app, many_apps], 2000, repeats
    )
    figures.update(_many_objects_floor(cache, scopes, len(apps), repeats))
    return figures


class _Remembers(object):
    """The least an object serving a remembered token can be: itself, a dict, a tuple."""

    __slots__ = ("memo",)

    def __init__(self, scope: str, token: str) -> None:
        self.memo = {scope: (token, "Bearer", 2**40)}

    def get(self, scope: str) -> Dict[str, Any]:
        found = self.memo[scope]
        return {"access_token": found[0], "token_type": found[1], "expires_in": found[2] - int(time.time())}


def _many_objects_floor(cache: Any, scopes: List[str], count: int, repeats: int) -> Figures:
    """The floor of "flat in the number of apps" on this machine: the same call pattern on
    plain objects, each serving one of the cache's own tokens (strings allocated among the
    rest of the cache), one object against ``count`` of them in turn. Same code on every side."""
    tokens = [at["secret"] for at in cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN)]
    objects = [_Remembers(scopes[0], tokens[i * len(tokens) // count]) for i in range(count)]
    one = objects[0]
    random.Random(11).shuffle(objects)
    it = itertools.cycle(objects)
    one_us, many_us = per_call_us_alternating(
        [lambda: one.get(scopes[0]), lambda: next(it).get(scopes[0])], 2000, repeats
    )
    return {"floor_one_us": one_us, "floor_many_us": many_us}


# ---------------------------------------------------------------- silent


def silent_hit(run: Run, state: str) -> Figures:
    cache = run.cache(state)
    app = public_app(cache)
    accounts = app.get_accounts()
    sample = random.Random(3).sample(accounts, min(200, len(accounts)))
    it = itertools.cycle(sample)
    for account in sample:
        _expect_token(app.acquire_token_silent(["User.Read"], account))

    def call() -> Any:
        return app.acquire_token_silent(["User.Read"], next(it))

    return {"us": per_call_us(call, 200, run.repeats(15))}


def silent_refresh(run: Run, state: str) -> Figures:
    cache = run.cache(state)
    http = idp.FakeIdentityProvider()
    app = public_app(cache, http)
    accounts = app.get_accounts()
    rng = random.Random(5)
    counter = itertools.count()

    def call() -> Any:
        scopes = ["Files.Read.%d" % next(counter)]
        return _expect_token(app.acquire_token_silent(scopes, rng.choice(accounts)))

    return {"us": _per_token_request_us(run, http, call)}


def get_accounts(run: Run, state: str) -> Figures:
    app = public_app(run.cache(state))
    count = len(app.get_accounts())
    return {"us": per_call_us(app.get_accounts, 1, run.repeats(21)), "accounts": count}


def web_app_request_cycle(run: Run, state: str) -> Figures:
    """What a web app does per request, as in the Flask samples: a new cache loaded from the
    session, a new application over it, ``get_accounts()``, a silent hit, and ``serialize()``
    if the cache changed. ``requests`` counts the HTTP requests per cycle."""
    session = run.state(state)
    http = idp.FakeIdentityProvider()

    def cycle() -> Any:
        cache = msal.SerializableTokenCache()
        cache.deserialize(session)
        app = confidential_app(idp.USER_TENANT, cache, http)
        accounts = app.get_accounts()
        result = _expect_token(app.acquire_token_silent(["User.Read"], accounts[0]))
        if cache.has_state_changed:
            cache.serialize()
        return result

    cycle()  # a first web request may discover the authority
    before = http.gets + http.posts
    calls, repeats = 50, run.repeats(9)
    figure = per_call_us(cycle, calls, repeats)
    requests = (http.gets + http.posts - before) / float(calls * repeats)
    floor = per_call_us(lambda: json.loads(session), calls, repeats)
    return {"us": figure, "requests": requests, "floor_loads_us": floor}


# ---------------------------------------------------------------- persistence


def serialization(run: Run, state: str) -> Figures:
    text = run.state(state)
    cache = msal.SerializableTokenCache()
    reps = run.repeats(9)
    deserialize = per_call_us(lambda: cache.deserialize(text), 1, reps)
    serialized = cache.serialize()
    figures = {
        "serialize_us": per_call_us(cache.serialize, 1, reps),
        "deserialize_us": deserialize,
        "bytes": len(serialized),
    }
    figures["first_use_us"] = per_call_us(lambda: _first_use(text), 1, reps)
    data = json.loads(text)
    figures["floor_dumps_us"] = per_call_us(lambda: json.dumps(data, separators=(",", ":")), 1, reps)
    figures["floor_loads_us"] = per_call_us(lambda: json.loads(text), 1, reps)
    return figures


def _first_use(text: str) -> None:
    """Load a state, then what an application does first: list accounts, get a token."""
    cache = msal.SerializableTokenCache()
    cache.deserialize(text)
    app = public_app(cache)
    _expect_token(app.acquire_token_silent(["User.Read"], app.get_accounts()[0]))


def first_lookup(run: Run) -> Figures:
    """The first cache hit after deserialize() of a big cache, each time on a freshly loaded
    state: a client credentials hit among 1,000 tenants x 10 tokens, a silent hit among
    10,000 accounts (11,000 access tokens in the two states together)."""
    figures = {}
    for name, state, make_call in (
        ("cc_us", "apps_1000", _first_cc_hit),
        ("silent_us", "users_10k", _first_silent_hit),
    ):
        text = run.state(state)
        cache = msal.SerializableTokenCache()
        cache.deserialize(text)
        call = make_call(cache)
        samples = []
        for _ in range(run.repeats(9)):
            cache.deserialize(text)
            start = time.perf_counter()
            _expect_token(call())
            samples.append((time.perf_counter() - start) * 1e6)
        figures[name] = statistics.median(samples)
    return figures


def _first_cc_hit(cache: Any) -> Callable[[], Any]:
    app = confidential_app(idp.tenant_id(7), cache)
    _expect_token(app.acquire_token_for_client([idp.resource_scope(1)]))  # discovery
    return lambda: app.acquire_token_for_client([idp.resource_scope(2)])


def _first_silent_hit(cache: Any) -> Callable[[], Any]:
    app = public_app(cache)
    account = app.get_accounts()[123]
    _expect_token(app.acquire_token_silent(["User.Read"], account))  # discovery
    return lambda: app.acquire_token_silent(["User.Read"], account)


def _peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS counts bytes, Linux KiB


def peak_memory(run: Run, state: str) -> Figures:
    """The worker's peak RSS (``peak_mb``, in MB of 10**6 bytes like the serialized size) after
    loading the state, listing its accounts, a silent hit for each of 100 of them and a
    serialize(); ``growth_mb`` is what that work added to the peak."""
    before = _peak_rss_bytes()
    text = run.state(state)
    cache = msal.SerializableTokenCache()
    cache.deserialize(text)
    app = public_app(cache)
    for account in app.get_accounts()[:100]:
        _expect_token(app.acquire_token_silent(["User.Read"], account))
    cache.serialize()
    after = _peak_rss_bytes()
    return {"peak_mb": after / 1e6, "growth_mb": (after - before) / 1e6}


# ---------------------------------------------------------------- concurrency and the wire


def threads(run: Run, state: str, count: int = 8) -> Figures:
    """Hits per second of one thread, and of ``count`` threads on one app: the median of short
    slices of each, alternating, so that a busy moment of the machine reaches both alike."""
    cache = run.cache(state)
    pairs = _app_hit_pairs(cache, 1, 10, 1)
    slices = 3 if run.quick else 5
    seconds = 0.15 if run.quick else 0.3

    def loop(out: List[int], index: int) -> None:
        rng = random.Random(index)
        done, deadline = 0, time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            for _ in range(50):
                app, scopes = pairs[rng.randrange(len(pairs))]
                app.acquire_token_for_client(scopes)
            done += 50
        out[index] = done

    def throughput(n: int) -> float:
        out = [0] * n
        workers = [threading.Thread(target=loop, args=(out, i)) for i in range(n)]
        start = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return sum(out) / (time.perf_counter() - start)

    single: List[float] = []
    threaded: List[float] = []
    for _ in range(slices):
        single.append(throughput(1))
        threaded.append(throughput(count))
    return {"single_per_s": statistics.median(single), "threads_per_s": statistics.median(threaded)}


def emulator_round_trip(run: Run) -> Figures:
    """Client credentials over HTTPS to the emulator; a claims challenge makes every call a
    token request, on one kept-alive connection."""
    emu = run.emulator
    app = msal.ConfidentialClientApplication(
        emu["client_id"],
        client_credential=emu["client_secret"],
        authority=emu["authority"],
        verify=emu["ca_path"],
        instance_discovery=False,
    )
    claims = json.dumps({"access_token": {"nbf": {"essential": True, "value": "1"}}})
    scopes = [emu["scope"]]

    def call() -> Any:
        return _expect_token(app.acquire_token_for_client(scopes, claims_challenge=claims))

    call()
    return {"us": per_call_us(call, 20, run.repeats(6))}


SCENARIOS: Dict[str, Callable[[Run], Figures]] = {
    "cc_hit_1": lambda run: client_credentials_hit(run, "apps_1", 1),
    "cc_hit_1000": lambda run: client_credentials_hit(run, "apps_1000", 1000),
    "cc_miss_1": lambda run: client_credentials_miss(run, "apps_1", 1),
    "cc_miss_1000": lambda run: client_credentials_miss(run, "apps_1000", 1000),
    "cc_hit_1000_apps": lambda run: client_credentials_hit_many_apps(run, "apps_1000", 1000),
    "silent_hit_10k": lambda run: silent_hit(run, "users_10k"),
    "web_app_cycle": lambda run: web_app_request_cycle(run, "users_1"),
    "silent_refresh_10": lambda run: silent_refresh(run, "users_10"),
    "silent_refresh_10k": lambda run: silent_refresh(run, "users_10k"),
    "get_accounts_10k": lambda run: get_accounts(run, "users_10k"),
    "serialization_10k": lambda run: serialization(run, "users_10k"),
    "memory_10k": lambda run: peak_memory(run, "users_10k"),
    "first_lookup": first_lookup,
    "threads_8": lambda run: threads(run, "apps_1"),
    "emulator": emulator_round_trip,
}
