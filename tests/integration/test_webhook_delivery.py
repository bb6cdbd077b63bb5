"""Webhooks end to end: a worker process, real receivers on 127.0.0.1, alerts published to the alerts topic.

Receivers: one that answers 200, one that fails three times per alert then answers 200, one that
answers after the timeout, one that is down (a closed port), one that always answers 429 with
Retry-After. Every signature is checked with the standardwebhooks package's own Webhook.verify.
"""

from __future__ import annotations

import base64
import http.server
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from kafkaio import produce, read_topic
from standardwebhooks import Webhook

from agents.cli_webhooks import subscribe, subscriptions, unsubscribe
from agents.settings import Settings
from frontwire.schemas import load_schema, schema_registry

pytestmark = [pytest.mark.broker, pytest.mark.timeout(300)]

TOKEN = "test-token-" + "x" * 20
ALERTS = 12
MAX_ATTEMPTS = 4
TIMEOUT_S = 0.5
RETRY_AFTER_S = 1


def make_alert(index: int, *, country: str = "SY") -> dict[str, Any]:
    """A schemas/alert.schema.json alert for a made-up report about Deir ez-Zor."""
    return {
        "alert_id": f"alrt_{index:04d}", "kind": "new", "event_id": f"ev_{index:04d}",
        "place": {"id": "geonames:170794", "name": "Deir ez-Zor", "lat": 35.336, "lon": 40.141, "country": country,
                  "admin1": "Deir ez-Zor", "kind": "city", "mentions": 2},
        "gained_by": "sy-saa", "lost_by": "isis", "change": "recapture", "status": "reported",
        "occurred_on": "2017-11-03",
        "evidence": {"sentence": "Syrian government forces took Deir el-Zour from the Islamic State.", "start": 0, "end": 66},
        "confidence": 0.9, "acled_sub_event_type": "Government regains territory", "previous_controller": "isis",
        "sources": [{"article_id": f"a{index}", "url": f"https://example.org/{index}", "source": "example.org",
                     "published_at": "2017-11-03T10:00:00Z"}],
        "first_reported_at": "2017-11-03T10:00:00Z", "corroboration": 1,
    }


class Receiver(http.server.ThreadingHTTPServer):
    """A webhook receiver on 127.0.0.1 that verifies every request and answers as ``behaviour`` says."""

    daemon_threads = True

    def __init__(self, behaviour: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour
        self.secret: str | None = None
        self.requests: list[str] = []  # webhook-id of every request, in arrival order
        self.unverified: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server = self.server
        msg_id = self.headers.get("webhook-id", "")
        try:
            assert server.secret is not None
            Webhook(server.secret).verify(body, {k: v for k, v in self.headers.items()})
        except Exception as exc:  # noqa: BLE001 -- any failure is an unverifiable delivery
            with server.lock:
                server.unverified.append(f"{msg_id}: {exc!r}")
        with server.lock:
            server.requests.append(msg_id)
            seen = server.requests.count(msg_id)
        if server.behaviour == "slow":
            time.sleep(TIMEOUT_S * 3)
            status, headers = 200, {}
        elif server.behaviour == "flaky":
            status, headers = (500 if seen <= 3 else 200), {}
        elif server.behaviour == "throttled":
            status, headers = 429, {"Retry-After": str(RETRY_AFTER_S)}
        else:
            status, headers = 200, {}
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except OSError:
            pass  # the slow receiver's client gave up long ago

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receivers() -> Iterator[dict[str, Receiver]]:
    servers = {name: Receiver(name) for name in ("good", "other", "flaky", "slow", "throttled")}
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers.values()]
    for thread in threads:
        thread.start()
    yield servers
    for server in servers.values():
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"  # nothing listens there once the probe is closed


def api(settings: Settings, method: str, path: str, body: object = None, token: str | None = TOKEN) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{settings.web_port}{path}", method=method,
        data=None if body is None else orjson.dumps(body),
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, orjson.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read())


def webhook_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> dict[str, str]:
    values = {
        "FRONTWIRE_API_TOKEN": TOKEN,
        "FRONTWIRE_WEBHOOK_ALLOW_PRIVATE": "1",
        "FRONTWIRE_WEBHOOK_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        "FRONTWIRE_WEBHOOK_BASE_DELAY_S": "0.1",
        "FRONTWIRE_WEBHOOK_MAX_DELAY_S": "2",
        "FRONTWIRE_WEBHOOK_TIMEOUT_S": str(TIMEOUT_S),
        "FRONTWIRE_WEB_PORT": str(settings.web_port),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)  # start_worker passes the environment on
    return values


def test_webhooks_deliver_retry_and_dead_letter(
    isolated_settings: Settings, start_worker: Any, receivers: dict[str, Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = isolated_settings
    env = webhook_env(monkeypatch, settings)
    worker = start_worker(settings)

    # The API refuses requests without the token, and bad requests with the reason.
    assert api(settings, "GET", "/subscriptions", token=None)[0] == 401
    assert api(settings, "GET", "/subscriptions", token="wrong")[0] == 401
    for body, words in [
        ({"url": "ftp://example.org/hook"}, "scheme must be http or https"),
        ({"url": receivers["good"].url, "filters": {"colour": ["red"]}}, "unknown filter 'colour'"),
        ({"url": receivers["good"].url, "filters": {"bbox": [40, 30, 35, 36]}}, "bbox"),
        ({"url": receivers["good"].url, "filters": {"bbox": [1, 2, 3]}}, "bbox"),
    ]:
        status, answer = api(settings, "POST", "/subscriptions", body)
        assert status == 400 and words in answer["error"], (body, status, answer)

    # Subscribe: the good receiver through the CLI, as a user would; the others through the API.
    runner = CliRunner()
    cli_env = {**env, "FRONTWIRE_API_URL": f"http://127.0.0.1:{settings.web_port}"}
    result = runner.invoke(subscribe, [receivers["good"].url, "--country", "SY", "--actor", "isis",
                                       "--bbox", "35,32,42,37.5", "--kinds", "new,reversal"], env=cli_env)
    assert result.exit_code == 0, result.output
    created = orjson.loads(result.stdout)
    receivers["good"].secret = created["secret"]
    ids = {"good": created["id"]}
    targets = {"other": receivers["other"].url, "flaky": receivers["flaky"].url, "slow": receivers["slow"].url,
               "throttled": receivers["throttled"].url, "down": closed_port_url()}
    secrets_seen = [created["secret"]]
    for name, url in targets.items():
        filters = {"countries": ["IQ"]} if name == "other" else {}
        status, body = api(settings, "POST", "/subscriptions", {"url": url, "filters": filters})
        assert status == 201, body
        ids[name] = body["id"]
        secrets_seen.append(body["secret"])
        if name in receivers:
            receivers[name].secret = body["secret"]

    listed = runner.invoke(subscriptions, ["--json"], env=cli_env)
    assert listed.exit_code == 0, listed.output
    listing = [orjson.loads(line) for line in listed.stdout.splitlines()]
    assert {s["id"] for s in listing} == set(ids.values())
    assert all("secret" not in s for s in listing)
    status, one = api(settings, "GET", f"/subscriptions/{ids['good']}")
    assert status == 200 and "secret" not in one and one["filters"]["bbox"] == [35, 32, 42, 37.5]

    # Alerts go straight to the alerts topic, as the alert agent would publish them.
    alerts = [make_alert(i) for i in range(ALERTS)]
    produce(settings.bootstrap, settings.topics.alerts,
            [(a["place"]["id"].encode(), orjson.dumps(a)) for a in alerts])
    alert_ids = {a["alert_id"] for a in alerts}

    failing = ("slow", "down", "throttled")
    expected_records = ALERTS * (1 + 4 + MAX_ATTEMPTS * len(failing))  # good once, flaky 4 times, the rest all attempts
    records = [v for _k, v in read_topic(settings.bootstrap, settings.topics.deliveries, count=expected_records,
                                         timeout_s=120)]
    dead = [v for _k, v in read_topic(settings.bootstrap, settings.topics.deadletter, count=ALERTS * len(failing),
                                      timeout_s=60)]
    assert len(records) == expected_records, (len(records), worker.text()[-3000:])
    assert len(dead) == ALERTS * len(failing)

    # The good receiver got every alert exactly once; the flaky one once it stopped failing; nothing unverifiable.
    good = receivers["good"]
    assert Counter(good.requests) == Counter({alert_id: 1 for alert_id in alert_ids})
    assert Counter(receivers["flaky"].requests) == Counter({alert_id: 4 for alert_id in alert_ids})
    assert receivers["other"].requests == []  # its filter (IQ) matches none of them
    for receiver in receivers.values():
        assert receiver.unverified == [], receiver.unverified

    registry = schema_registry()
    record_schema = Draft202012Validator(load_schema("webhook-delivery"), registry=registry)
    dead_schema = Draft202012Validator(load_schema("dead-letter"), registry=registry)
    by_subscription: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        assert isinstance(record, dict)
        record_schema.validate(record)
        by_subscription.setdefault(record["subscription_id"], []).append(record)
    name_of = {v: k for k, v in ids.items()}
    assert ids["other"] not in by_subscription
    for subscription_id, items in by_subscription.items():
        name = name_of[subscription_id]
        per_alert: dict[str, list[dict[str, Any]]] = {}
        for record in items:
            per_alert.setdefault(record["alert_id"], []).append(record)
        assert set(per_alert) == alert_ids, name
        for attempts in per_alert.values():
            attempts.sort(key=lambda r: r["attempt"])
            numbers = [r["attempt"] for r in attempts]
            outcomes = [r["outcome"] for r in attempts]
            if name == "good":
                assert outcomes == ["delivered"]
            elif name == "flaky":
                assert numbers == [1, 2, 3, 4] and outcomes == ["retry"] * 3 + ["delivered"]
                assert [r["status"] for r in attempts] == [500, 500, 500, 200]
            else:
                assert numbers == list(range(1, MAX_ATTEMPTS + 1))
                assert outcomes == ["retry"] * (MAX_ATTEMPTS - 1) + ["dead_letter"], (name, attempts)
            if name == "slow":
                assert all(r["status"] is None and "timed out" in r["error"] for r in attempts)
            if name == "down":
                assert all(r["status"] is None and "cannot connect" in r["error"] for r in attempts)
            if name == "throttled":
                assert all(r["status"] == 429 for r in attempts)
                assert all(r["retry_in_s"] == RETRY_AFTER_S for r in attempts[:-1])  # Retry-After, not backoff
                stamps = [r["attempted_at"] for r in attempts]
                assert stamps == sorted(stamps)

    dead_pairs: Counter[tuple[str, str]] = Counter()
    for letter in dead:
        assert isinstance(letter, dict)
        dead_schema.validate(letter)
        assert letter["stage"] == "webhook"
        assert letter["topic"] == settings.topics.alerts
        assert letter["attempts"] == MAX_ATTEMPTS
        assert orjson.loads(base64.b64decode(letter["original"]))["alert_id"] == letter["alert_id"]
        dead_pairs[(name_of[letter["subscription_id"]], letter["alert_id"])] += 1
    assert dead_pairs == Counter({(name, a): 1 for name in failing for a in alert_ids})

    # The secrets appear nowhere but in the responses that created the subscriptions.
    published = orjson.dumps(records) + orjson.dumps(dead) + worker.text().encode()
    for secret in secrets_seen:
        assert secret.encode() not in published
        assert secret.removeprefix("whsec_").encode() not in published

    # Unsubscribe, then a restart: the subscriptions come back from their changelog.
    removed = runner.invoke(unsubscribe, [ids["other"]], env=cli_env)
    assert removed.exit_code == 0, removed.output
    assert api(settings, "GET", f"/subscriptions/{ids['other']}")[0] == 404
    assert api(settings, "DELETE", f"/subscriptions/{ids['other']}")[0] == 404
    assert worker.stop() == 0
    restarted = start_worker(settings)
    status, body = api(settings, "GET", "/subscriptions")
    assert status == 200, restarted.text()[-2000:]
    assert {s["id"] for s in body["subscriptions"]} == set(ids.values()) - {ids["other"]}


def test_api_is_off_without_a_token(isolated_settings: Settings, start_worker: Any,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRONTWIRE_API_TOKEN", raising=False)
    settings = isolated_settings
    start_worker(settings)
    status, body = api(settings, "GET", "/subscriptions")
    assert status == 503
    assert "FRONTWIRE_API_TOKEN" in body["error"]
    status, body = api(settings, "POST", "/subscriptions", {"url": "https://example.org/hook"})
    assert status == 503

