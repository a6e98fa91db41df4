"""The Flask sample as a fleet: two gunicorn worker processes behind one real redis-server.
A person signs in on one worker in headless Chromium; the next request served by the other
worker finds the token in Redis, with no request to the identity provider."""

import contextlib
from concurrent.futures import ThreadPoolExecutor
import os
import shutil
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import requests

from benchmarks.redis_servers import REDIS_SERVER, SKIP_REASON, RedisServer
from support.wire import token_posts
from samples.flask_web_app import create_api
from samples.flask_web_app.emulated import emulator_api_settings, emulator_web_app_settings
from samples.flask_web_app.serving import SilentRequestHandler, serving
from test_flask_sample import claims_table, page  # noqa: F401 (page is a fixture)

GUNICORN = shutil.which("gunicorn", path=os.path.dirname(sys.executable))
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORKERS = 2


def wait_for_workers(ready, count, process, seconds=120):
    """Until ``count`` workers have loaded the app (tests/samples/gunicorn_ready.py). The
    listening port is no sign: the master opens it before any worker can answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited with %s" % process.returncode)
        if len(os.listdir(ready)) >= count:
            return
        time.sleep(0.1)
    raise RuntimeError("gunicorn's workers did not start")


@contextlib.contextmanager
def gunicorn(factory, env, tmp_path):
    """``factory`` served by gunicorn with two worker processes, both ready; yields its base URL."""
    from benchmarks.redis_servers import free_port

    port = free_port()
    ready = tmp_path / "gunicorn-ready"
    ready.mkdir()
    server = subprocess.Popen(
        [
            GUNICORN,
            "-c",
            os.path.join(HERE, "gunicorn_ready.py"),
            "-w",
            str(WORKERS),
            "-b",
            "127.0.0.1:%d" % port,
            "--log-level",
            "warning",
            "samples.flask_web_app.fleet:%s()" % factory,
        ],
        cwd=ROOT,
        env=dict(os.environ, MSAL_TEST_GUNICORN_READY=str(ready), **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_workers(str(ready), WORKERS, server)
        # localhost, not 127.0.0.1: the redirect URI registered is http://localhost/callback
        yield "http://localhost:%d" % port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


@pytest.fixture
def redis_server():
    pytest.importorskip("redis", reason="redis-py is not installed (pip install -e '.[test]')")
    if not REDIS_SERVER:
        pytest.skip(SKIP_REASON)
    if not GUNICORN:
        pytest.skip("gunicorn is not installed (pip install -e '.[test]')")
    server = RedisServer().start()
    yield server
    server.close()


@pytest.fixture
def fleet(emu, redis_server, tmp_path):
    """The protected API in this process; the web app in gunicorn with two workers; Redis."""
    with serving(create_api(emulator_api_settings(emu)), handler=SilentRequestHandler) as api:
        api_url = "http://127.0.0.1:%d/api/me" % api.server_port
        settings = emulator_web_app_settings(emu, api_url)
        env = dict(
            MSAL_AUTHORITY=settings.authority,
            MSAL_CLIENT_ID=settings.client_id,
            MSAL_CLIENT_SECRET=settings.client_secret,
            MSAL_SCOPE=" ".join(settings.scopes),
            API_ENDPOINT=api_url,
            MSAL_CA_BUNDLE=emu.ca_path,
            MSAL_INSTANCE_DISCOVERY="false",
            REDIRECT_PATH=settings.redirect_path,
            FLASK_SECRET_KEY="fleet-test-key",
            REDIS_URL=redis_server.url,
        )
        with gunicorn("create_fleet_app", env, tmp_path) as url:
            yield SimpleNamespace(url=url, redis=redis_server, settings=settings)


def served_by(response):
    return response.headers["x-served-by"]


def test_signed_in_on_one_worker_silent_on_the_other(emu, fleet, page):  # noqa: F811
    alice = emu.user("alice")
    page.goto(fleet.url + "/")
    page.click("#login")
    page.wait_for_selector("input[name=passwd]")
    page.fill("input[name=login]", alice["username"])
    page.fill("input[name=passwd]", alice["password"])
    with page.expect_response(lambda r: fleet.settings.redirect_path in r.url) as callback:
        page.click("button[value=accept]")
    page.wait_for_selector("#welcome")
    signed_in_on = served_by(callback.value)
    assert len(token_posts(emu, "authorization_code")) == 1

    workers_seen = set()
    for attempt in range(60):  # gunicorn picks the worker; go until the other one answers
        response = page.goto(fleet.url + "/call-api")
        page.wait_for_selector("#claims")
        assert page.inner_text("#status") == "200"
        assert claims_table(page)["preferred_username"] == alice["username"]
        workers_seen.add(served_by(response))
        if served_by(response) != signed_in_on:
            break
        if attempt == 30:  # Ask the signing-in worker to leave; gunicorn starts a fresh one
            os.kill(int(signed_in_on), signal.SIGTERM)
    assert served_by(response) != signed_in_on, workers_seen
    assert len(token_posts(emu)) == 1, "every API call used the token cached in Redis"

    page.click("#home")
    page.click("#logout")
    page.wait_for_selector("#login")
    import redis

    client = redis.Redis.from_url(fleet.redis.url)
    assert not any(b'RefreshToken":{"' in (client.hget(k, "d") or b"") for k in client.keys("msal:*")), (
        "signing out removed the user's tokens"
    )


def test_api_workers_share_their_on_behalf_of_tokens(emu, redis_server, tmp_path):
    settings = emulator_api_settings(emu)
    web_api = emu.app("web-api")
    env = dict(
        MSAL_AUTHORITY=settings.authority,
        API_AUDIENCE=settings.audience,
        API_SCOPE=settings.required_scope,
        MSAL_CA_BUNDLE=emu.ca_path,
        MSAL_INSTANCE_DISCOVERY="false",
        MSAL_CLIENT_ID=web_api["client_id"],
        MSAL_CLIENT_SECRET=emu.client_credential("web-api"),
        DOWNSTREAM_SCOPE="User.Read",
        REDIS_URL=redis_server.url,
    )
    incoming = emu.issue_token(user="alice", client="web-app")  # for the API's access_as_user
    with gunicorn("create_fleet_api", env, tmp_path) as url:

        def call(_):
            return requests.get(url + "/api/downstream", headers={"Authorization": "Bearer " + incoming})

        first = call(0)  # the one that goes to the identity provider
        assert first.status_code == 200, first.text
        answers = [first.json()]
        # Calls four at a time until both workers answered: a busy sync worker leaves the next
        # connection to the other one, where calls one after another may all reach the same.
        with ThreadPoolExecutor(4) as pool:
            for _ in range(15):
                for answer in pool.map(call, range(4)):
                    assert answer.status_code == 200, answer.text
                    answers.append(answer.json())
                if len({a["served_by"] for a in answers}) == 2:
                    break
        refused = requests.get(url + "/api/downstream", headers={"Authorization": "Bearer x"})
    assert len({a["served_by"] for a in answers}) == 2
    assert [a["token_source"] for a in answers] == ["identity_provider"] + ["cache"] * (len(answers) - 1)
    assert len(token_posts(emu, "urn:ietf:params:oauth:grant-type:jwt-bearer")) == 1
    assert refused.status_code == 401
