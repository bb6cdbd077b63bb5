"""Scale out through a real broker: two workers share the partitions, give the alerts one worker gives,
and when one stops the other takes over its partitions and its share of the control table."""

from __future__ import annotations

import dataclasses
import json
import signal
import time
import urllib.request
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from kafkaio import produce

from agents.broker import free_port
from agents.kafkaio import iter_topic
from agents.settings import Settings
from bench.corpus import gold_articles
from frontwire.enrich import Enricher
from frontwire.ingest import article_from_dict
from frontwire.models import PlaceKind

pytestmark = [pytest.mark.broker, pytest.mark.timeout(900)]


def one_change_per_place(limit: int = 60) -> list[dict[str, Any]]:
    """Gold originals whose alerting places no other chosen article names, so alerts do not depend on order."""
    enricher = Enricher.shared()
    chosen: list[dict[str, Any]] = []
    taken: set[str] = set()
    for raw in gold_articles():
        enriched = enricher.enrich(article_from_dict(raw, received_at=datetime.now(UTC)))
        alerting = {e.place.id for e in enriched.events if e.status.value in ("reported", "claimed")}
        named = alerting | {p.id for p in enriched.places if p.kind is PlaceKind.CITY}
        if alerting and not (named & taken):
            chosen.append(raw)
            taken |= named
        if len(chosen) == limit:
            break
    return chosen


def assigned(settings: Settings) -> int:
    """Source-topic partitions the worker at ``settings.web_port`` is assigned, from its /health view."""
    with urllib.request.urlopen(f"http://127.0.0.1:{settings.web_port}/health", timeout=10) as response:
        return int(json.loads(response.read())["assigned_partitions"])


def settled_alerts(settings: Settings, articles: int, timeout_s: float, worker: Any) -> list[dict[str, Any]]:
    """The alerts once every article is enriched and the alerts topic has stopped growing."""
    deadline = time.monotonic() + timeout_s
    enriched = 0
    while enriched < articles:
        assert worker.alive(), worker.text()[-3000:]
        assert time.monotonic() < deadline, f"{enriched} of {articles} articles enriched after {timeout_s} s"
        time.sleep(1)
        enriched = sum(1 for _ in iter_topic(settings.bootstrap, settings.topics.enriched, idle_timeout_s=1.0))
    alerts: list[dict[str, Any]] = []
    while True:
        time.sleep(3)
        now = alerts_of(settings)
        if len(now) == len(alerts):
            return now
        alerts = now


def wait_for_assignment(workers: list[Settings], *, total: int, timeout_s: float) -> None:
    """Until every worker holds some partitions and together they hold all of them."""
    deadline = time.monotonic() + timeout_s
    while True:
        counts = [assigned(w) for w in workers]
        if all(counts) and sum(counts) == total:
            return
        assert time.monotonic() < deadline, f"partitions held: {counts}, wanted {total} in all"
        time.sleep(1)


def alerts_of(settings: Settings) -> list[dict[str, Any]]:
    return [orjson.loads(m.value) for m in iter_topic(settings.bootstrap, settings.topics.alerts, idle_timeout_s=2.0) if m.value]


def wait_for_alerts(settings: Settings, count: int, timeout_s: float, workers: list[Any]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while True:
        alerts = alerts_of(settings)
        if len(alerts) >= count:
            return alerts
        for worker in workers:
            assert worker.alive(), worker.text()[-3000:]
        assert time.monotonic() < deadline, f"{len(alerts)} of {count} alerts after {timeout_s} s; " + "; ".join(
            w.text()[-1500:] for w in workers
        )
        time.sleep(2)


def copies(articles: list[dict[str, Any]], outlet: str) -> list[tuple[bytes, bytes]]:
    return [
        (
            f"{a['id']}-{outlet}".encode(),
            orjson.dumps({**a, "id": f"{a['id']}-{outlet}", "source": outlet, "url": f"https://{outlet}/{a['id']}"}),
        )
        for a in articles
    ]


def test_two_workers_share_partitions_and_take_over(settings_factory: Any, start_worker: Any) -> None:
    articles = one_change_per_place()
    stream = [(a["id"].encode(), orjson.dumps(a)) for a in articles]
    assert len(articles) >= 20

    alone = settings_factory(partitions=4)
    single = start_worker(alone)
    produce(alone.bootstrap, alone.topics.raw, stream)
    reference = settled_alerts(alone, len(articles), 300, single)
    assert len(reference) >= 15
    single.stop()

    shared = settings_factory(partitions=4)
    first = start_worker(shared)
    shared_second = dataclasses.replace(shared, web_port=free_port(), data_dir=shared.data_dir + "-2")
    second = start_worker(shared_second)
    wait_for_assignment([shared, shared_second], total=4 * 4, timeout_s=120)  # both in the group before the stream
    produce(shared.bootstrap, shared.topics.raw, stream)
    together = wait_for_alerts(shared, len(reference), 300, [first, second])
    time.sleep(3)
    together = alerts_of(shared)
    assert sorted(a["alert_id"] for a in together) == sorted(a["alert_id"] for a in reference)
    for worker, settings in ((first, shared), (second, shared_second)):
        assert worker.alive(), worker.text()[-3000:]
        assert assigned(settings) > 0, "each worker holds some partitions"
    assert assigned(shared) + assigned(shared_second) == 4 * 4  # ingest, enrich, detect, alert: 4 partitions each

    # The second worker goes; the first takes its partitions and its part of the control table:
    # the same stories from another outlet are updates everywhere, never a second `new`.
    assert second.stop(signal.SIGTERM) == 0
    produce(shared.bootstrap, shared.topics.raw, copies(articles, "later.example"))
    after = wait_for_alerts(shared, len(together) + len({a["place"]["id"] for a in together}), 300, [first])
    time.sleep(3)
    after = alerts_of(shared)
    assert assigned(shared) == 4 * 4
    known = {a["alert_id"] for a in together}
    later = [a for a in after if a["alert_id"] not in known]
    assert later, "no alert after the takeover"
    assert {a["kind"] for a in later} == {"update"}, [(a["kind"], a["place"]["name"]) for a in later]
    assert {a["place"]["id"] for a in later} == {a["place"]["id"] for a in together}
