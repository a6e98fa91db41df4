"""TokenCache lookups stay equal to a brute-force scan, whatever happened before;
and concurrent use neither raises nor loses entries."""

import json
import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msal import token_cache as token_cache_module
from msal._cache import index as cache_index
from msal.token_cache import SerializableTokenCache, TokenCache

from support.tokens import client_info, unsigned_jwt

NOW = 1700000000
CT = TokenCache.CredentialType
CLIENTS = ["C1", "C2"]
ENVS = ["login.microsoftonline.com", "login.windows.net"]
REALMS = ["r1", "R2"]
UIDS = [None, "u1", "u2"]
SCOPES = ["A", "b", "C", "d", "E"]  # Enough targets to fill buckets past the scope sub-index threshold


def make_event(client, env, realm, uid, scopes, foci, with_rt, with_idt, expires_in, username):
    response = {"access_token": "at-%s-%s" % (client, uid), "expires_in": expires_in}
    if uid:
        response["client_info"] = client_info(uid, "t")
        if with_rt:
            response["refresh_token"] = "rt-%s-%s" % (client, uid)
        if with_idt:
            response["id_token"] = unsigned_jwt({"sub": uid, "preferred_username": username})
    if foci:
        response["foci"] = "1"
    return {
        "client_id": client,
        "scope": scopes,
        "grant_type": "authorization_code",
        "token_endpoint": "https://%s/%s/oauth2/v2.0/token" % (env, realm),
        "response": response,
        "data": {},
        "params": {},
    }


events = st.builds(
    make_event,
    st.sampled_from(CLIENTS),
    st.sampled_from(ENVS),
    st.sampled_from(REALMS),
    st.sampled_from(UIDS),
    st.lists(st.sampled_from(SCOPES), max_size=3),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.sampled_from([100, 400, 3600, 7200]),
    st.sampled_from(["Ann@X.com", "bob@x.com", None]),
)

SECTIONS = [CT.ACCESS_TOKEN, CT.REFRESH_TOKEN, CT.ID_TOKEN, CT.ACCOUNT, CT.APP_METADATA]
EDITS = {
    "home_account_id": st.sampled_from(["u1.t", "u2.t", None]),
    "realm": st.sampled_from(REALMS),
    "client_id": st.sampled_from(CLIENTS),
    "environment": st.sampled_from(ENVS),
    "target": st.sampled_from(["A", "b C", "", None]),  # (None: a document's target need not be a string)
    "family_id": st.sampled_from(["1", None]),
    "expires_on": st.sampled_from([str(NOW + 100), str(NOW + 7200), "junk"]),
    "username": st.sampled_from(["ann@x.com", "BOB@X.COM", None]),
}

operations = st.one_of(
    st.tuples(st.just("add"), events),
    st.tuples(st.just("remove"), st.sampled_from(SECTIONS), st.integers(0, 20)),
    st.tuples(
        st.just("modify"),
        st.sampled_from(SECTIONS),
        st.integers(0, 20),
        st.sampled_from(sorted(EDITS)).flatmap(lambda k: EDITS[k].map(lambda v: {k: v})),
    ),
    st.tuples(
        st.just("forget"),
        st.sampled_from(["u1.t", "u2.t"]),
        st.sampled_from(CLIENTS),
        st.sets(st.sampled_from(ENVS), min_size=1),
    ),
    st.tuples(st.just("roundtrip")),
    st.tuples(
        st.just("lookup"),
        st.sampled_from(CLIENTS),
        st.sampled_from(REALMS),
        st.sampled_from([None, "u1.t", "u2.t"]),
        st.lists(st.sampled_from(SCOPES), max_size=2),
    ),
    st.tuples(st.just("load"), st.lists(events, max_size=3)),
)


def apply(cache, op):
    kind = op[0]
    if kind == "add":
        cache.add(op[1], now=NOW)
    elif kind == "remove":
        entries = cache.find(op[1])
        if entries:
            cache.modify(op[1], entries[op[2] % len(entries)])
    elif kind == "modify":
        entries = cache.find(op[1])
        if entries:
            cache.modify(op[1], entries[op[2] % len(entries)], op[3])
    elif kind == "forget":
        cache.remove_account_data(home_account_id=op[1], client_id=op[2], environments=op[3])
    elif kind == "roundtrip":
        cache.deserialize(cache.serialize())
    elif kind == "lookup":  # Fills the lazily built sub-indexes and memos mid-sequence
        cache.find_access_token(
            client_id=op[1], environments=ENVS, realm=op[2], home_account_id=op[3], scopes=op[4], now=NOW
        )
        cache.find_accounts(environments=ENVS)
        cache.find_accounts(environments=ENVS[:1])
    elif kind == "load":
        other = SerializableTokenCache()
        for e in op[1]:
            other.add(e, now=NOW)
        cache.deserialize(other.serialize())


def canon(entries):
    return sorted(json.dumps(e, sort_keys=True) for e in entries)


def expiry(entry):
    value = entry.get("expires_on")
    return int(value) if isinstance(value, str) and value.isdigit() else None


SCOPE_QUERIES = ([], ["a"], ["A", "c"], ["B"])


def check_against_brute_force(cache, now, scope_queries=SCOPE_QUERIES):
    ats = cache.find(CT.ACCESS_TOKEN, now=0)  # now=0: nothing pruned
    # Lookups skip entries filed under no account (or an empty one): they cannot be used.
    rts = [e for e in cache.find(CT.REFRESH_TOKEN) if e["home_account_id"]]
    idts = [e for e in cache.find(CT.ID_TOKEN) if e["home_account_id"]]
    accounts = [e for e in cache.find(CT.ACCOUNT) if e["home_account_id"]]
    apps = cache.find(CT.APP_METADATA)
    homes = [None, "u1.t", "u2.t"]
    env_sets = [{ENVS[0]}, {ENVS[1]}, set(ENVS)]
    for client in CLIENTS:
        for envs in env_sets:
            expected = [e for e in apps if e["client_id"] == client and e["environment"] in envs]
            got = cache.find_app_metadata(client_id=client, environments=envs)
            assert (got is None) == (not expected) and (got is None or got in expected)
            for home in homes:
                for realm in REALMS:
                    for scopes in scope_queries:
                        wanted = {s.lower() for s in scopes}
                        live = [
                            e
                            for e in ats
                            if e["client_id"] == client
                            and e["realm"] == realm
                            and e["home_account_id"] == home
                            and e["environment"] in envs
                            and expiry(e) is not None
                            and expiry(e) > now + 300
                            and isinstance(e["target"], str)
                            and wanted <= {s.lower() for s in e["target"].split()}
                        ]
                        got = cache.find_access_token(
                            client_id=client,
                            environments=envs,
                            realm=realm,
                            home_account_id=home,
                            scopes=scopes,
                            now=now,
                        )
                        if not live:
                            assert got is None
                        else:
                            best = max(expiry(e) for e in live)
                            assert got in [e for e in live if expiry(e) == best]
                    expected = [
                        e
                        for e in idts
                        if e["home_account_id"] == home
                        and e["client_id"] == client
                        and e["environment"] in envs
                        and e["realm"] == realm
                    ]
                    got = cache.find_id_token(
                        home_account_id=home, environments=envs, client_id=client, realm=realm
                    )
                    assert (got is None) == (not expected) and (got is None or got in expected)
                for family in (None, "1"):
                    got = cache.find_refresh_tokens(
                        home_account_id=home, environments=envs, client_id=client, family_id=family
                    )
                    mine = [
                        e
                        for e in rts
                        if e["home_account_id"] == home
                        and e["environment"] in envs
                        and e["client_id"] == client
                    ]
                    newest_first = [int(e["last_modification_time"]) for e in got[: len(mine)]]
                    assert newest_first == sorted(newest_first, reverse=True)
                    fam = [
                        e
                        for e in rts
                        if family
                        and e["home_account_id"] == home
                        and e["environment"] in envs
                        and e["client_id"] != client
                        and e.get("family_id") == family
                    ]
                    assert canon(got[: len(mine)]) == canon(mine)
                    assert canon(got[len(mine) :]) == canon(fam)
        for username in (None, "ANN@x.com", "nobody"):
            dedup = {}
            for e in accounts:
                if e["environment"] in envs and (
                    username is None or (e["username"] or "").lower() == username.lower()
                ):
                    dedup[e["home_account_id"]] = e
            assert cache.find_accounts(environments=envs, username=username) == list(dedup.values())


PINNED_QUERIES = {
    CT.ACCESS_TOKEN: [
        {"client_id": c, "realm": r, "home_account_id": h}
        for c in CLIENTS
        for r in REALMS
        for h in (None, "u1.t", "u2.t")
    ],
    CT.REFRESH_TOKEN: [{"home_account_id": h} for h in (None, "u1.t", "u2.t")],
    CT.ID_TOKEN: [{"home_account_id": h, "client_id": c} for h in ("u1.t", "u2.t") for c in CLIENTS],
    CT.ACCOUNT: [{"home_account_id": h} for h in ("u1.t", "u2.t")],
    CT.APP_METADATA: [{"client_id": c} for c in CLIENTS],
}


def check_pinned_find_equals_scan(cache):
    """find() answers an indexed query with the same entries, in the same order, as a scan."""
    for section, queries in PINNED_QUERIES.items():
        everything = cache.find(section, now=0)
        for query in queries:
            for target in (None, ["A"], ["b", "C"]):
                expected = [
                    e
                    for e in everything
                    if all(e.get(k) == v for k, v in query.items())
                    and (not target or set(target) <= set(str(e.get("target")).split()))
                ]
                assert cache.find(section, target=target, query=query, now=0) == expected
                assert list(cache.search(section, target=target, query=query, now=0)) == expected


class SubclassedCache(SerializableTokenCache):
    """A subclass in the style of persistence layers: overrides add and modify, calls super."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def add(self, event, **kwargs):
        self.calls += 1
        super().add(dict(event), **kwargs)

    def modify(self, credential_type, old_entry, new_key_value_pairs=None):
        self.calls += 1
        super().modify(credential_type, old_entry, new_key_value_pairs)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, max_size=25), st.sampled_from([NOW, NOW + 3400, NOW + 7000]))
def test_lookups_equal_brute_force_scan(ops, now):
    cache = SerializableTokenCache()
    for op in ops:
        apply(cache, op)
    check_against_brute_force(cache, now)
    # And a fresh cache loaded from the same state answers the same way.
    reloaded = SerializableTokenCache()
    reloaded.deserialize(cache.serialize())
    check_against_brute_force(reloaded, now)
    check_pinned_find_equals_scan(cache)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, max_size=15), st.sampled_from([NOW, NOW + 3400, NOW + 7000]))
def test_lookups_through_the_scope_sub_index_equal_brute_force_scan(ops, now):
    """Same, with every access-token bucket big enough for the per-scope sub-index, checked
    after every step (so sub-indexes built by one lookup must follow later writes)."""
    saved = cache_index._SCOPE_INDEX_THRESHOLD
    cache_index._SCOPE_INDEX_THRESHOLD = 0
    try:
        cache = SerializableTokenCache()
        for op in ops:
            apply(cache, op)
            check_against_brute_force(cache, now)
    finally:
        cache_index._SCOPE_INDEX_THRESHOLD = saved


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, max_size=25), st.sampled_from([NOW, NOW + 7000]))
def test_a_subclass_overriding_add_and_modify_keeps_the_indexes_right(ops, now):
    cache = SubclassedCache()
    plain = SerializableTokenCache()
    for op in ops:
        apply(cache, op)
        apply(plain, op)
    assert json.loads(cache.serialize()) == json.loads(plain.serialize())
    check_against_brute_force(cache, now)
    check_pinned_find_equals_scan(cache)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(operations, max_size=20),
    st.lists(operations, max_size=6),
    st.sampled_from([NOW, NOW + 3400, NOW + 7000]),
    st.permutations(SCOPE_QUERIES),
)
def test_lookups_of_tokens_loaded_but_not_parsed_equal_brute_force_scan(ops, later, now, queries):
    """Loaded access tokens are parsed by the lookups that want them (a bucket's first lookup
    parses only the tokens covering its scopes, a later one the rest): checked after every
    write that follows the load, and whether or not buckets get their per-scope sub-index."""
    cache = SerializableTokenCache()
    for op in ops:
        apply(cache, op)
    state = cache.serialize()
    saved = cache_index.SCAN_LIMIT, cache_index._SCOPE_INDEX_THRESHOLD
    try:
        for threshold in (0, saved[1]):
            cache_index.SCAN_LIMIT, cache_index._SCOPE_INDEX_THRESHOLD = 0, threshold
            loaded = SerializableTokenCache()
            loaded.deserialize(state)
            check_against_brute_force(loaded, now, queries)
            for op in later:
                apply(loaded, op)
                check_against_brute_force(loaded, now, queries)
    finally:
        cache_index.SCAN_LIMIT, cache_index._SCOPE_INDEX_THRESHOLD = saved


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, max_size=25))
def test_accounts_just_loaded_are_the_same_scanned_or_indexed(ops):
    """find_accounts() looks at each of a few accounts just loaded instead of indexing them:
    scanned or indexed, every listing is the same."""
    cache = SerializableTokenCache()
    for op in ops:
        apply(cache, op)
    state = cache.serialize()
    answers = []
    saved = token_cache_module.SCAN_LIMIT
    try:
        for limit in (0, 10**6):
            token_cache_module.SCAN_LIMIT = limit
            loaded = SerializableTokenCache()
            loaded.deserialize(state)
            answers.append(
                [
                    loaded.find_accounts(environments=envs, username=username)
                    for envs in (ENVS, tuple(ENVS), ENVS[:1], ("elsewhere",))
                    for username in (None, "ANN@x.com", "nobody")
                ]
            )
    finally:
        token_cache_module.SCAN_LIMIT = saved
    assert answers[0] == answers[1]


def test_concurrent_adds_and_lookups():
    cache = SerializableTokenCache()
    errors = []
    writers, per_writer = 4, 60

    def writer(n):
        try:
            for i in range(per_writer):
                event = make_event(
                    "C1",
                    ENVS[0],
                    "r1",
                    "u%d" % n,
                    ["s%d" % i],
                    i % 2 == 0,
                    True,
                    True,
                    3600,
                    "user%d@x.com" % n,
                )
                cache.add(event, now=NOW)
                if i % 10 == 0:
                    json.loads(cache.serialize())
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    stop = threading.Event()

    def reader():
        try:
            while not stop.is_set():
                for n in range(writers):
                    cache.find_access_token(
                        client_id="C1",
                        environments=ENVS,
                        realm="r1",
                        home_account_id="u%d.t" % n,
                        scopes=["s1"],
                        now=NOW,
                    )
                    cache.find_refresh_tokens(
                        home_account_id="u%d.t" % n, environments=ENVS, client_id="C1", family_id="1"
                    )
                cache.find_accounts(environments=ENVS)
                cache.find(CT.ACCESS_TOKEN, target=["s2"], now=NOW)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in readers + threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert errors == []
    assert len(cache.find(CT.ACCESS_TOKEN, now=NOW)) == writers * per_writer
    for n in range(writers):
        for i in range(per_writer):
            found = cache.find_access_token(
                client_id="C1",
                environments=ENVS,
                realm="r1",
                home_account_id="u%d.t" % n,
                scopes=["S%d" % i],
                now=NOW,
            )
            assert found is not None and found["target"] == "s%d" % i
    assert len(cache.find_accounts(environments=ENVS)) == writers
    check_against_brute_force(cache, NOW)
