"""Alerts through a real broker: the seed gives one `new`, a syndicated copy no second one, the web
views describe the state, and the state survives a restart whole."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import urllib.error
import urllib.request
from typing import Any

import aiokafka
import orjson
import pytest
from faust.types import TP
from jsonschema import Draft202012Validator
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafkaio import produce, read_topic

from agents.broker import EmbeddedBroker
from agents.settings import Settings
from agents.transport import fetch_highwaters
from frontwire.schemas import load_schema, schema_registry

pytestmark = [pytest.mark.broker, pytest.mark.timeout(400)]

DEIR_EZ_ZOR = "geonames:170794"


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name), registry=schema_registry())


def syndicated_copy(seed: dict[str, Any], outlet: str) -> dict[str, Any]:
    story = str(seed["text"]).split("You've read")[0]
    return {
        "id": f"{outlet}-deir",
        "url": f"https://{outlet}/world/syria-deir-el-zour",
        "source": outlet,
        "title": "Syrian army says it has retaken Deir el-Zour",
        "text": f"By Staff Writer, {outlet}\n\nBEIRUT (AP) - {story}\nCopyright 2017 The Associated Press.",
        "published_at": "2017-11-03T15:00:00Z",
    }


def test_embedded_broker_lists_end_offsets_early_and_fetch_reads_them_right(broker: EmbeddedBroker) -> None:
    """The fault table recovery would inherit, and the watermark our transport uses instead."""
    topic = "offsets-fault"
    KafkaAdminClient(bootstrap_servers=broker.bootstrap).create_topics([NewTopic(topic, 1, 1)])

    async def measure() -> tuple[int, int]:
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=50)
        await producer.start()
        for batch in (3, 10):  # two record batches: 13 records, the last batch holding 10
            for _ in range(batch):
                await producer.send(topic, b"x")
            await producer.flush()
        await producer.stop()
        consumer = aiokafka.AIOKafkaConsumer(bootstrap_servers=broker.bootstrap)
        await consumer.start()
        tp = aiokafka.TopicPartition(topic, 0)
        listed = (await consumer.end_offsets([tp]))[tp]
        await consumer.stop()
        fetched = await fetch_highwaters(broker.bootstrap, {TP(topic, 0): listed})
        return listed, fetched[TP(topic, 0)]

    listed, fetched = asyncio.run(measure())
    assert fetched == 13
    assert listed < 13, "the broker now answers ListOffsets right; the transport's workaround may go"


def test_seed_alerts_once_and_views_explain_it(
    isolated_settings: Settings, start_worker: Any, seed_article: dict[str, Any]
) -> None:
    settings = isolated_settings
    worker = start_worker(settings)
    copy = syndicated_copy(seed_article, "example-wire.com")
    produce(
        settings.bootstrap,
        settings.topics.raw,
        [(b"seed", orjson.dumps(seed_article)), (b"copy", orjson.dumps(copy)), (b"seed", orjson.dumps(seed_article))],
    )

    enriched = {v["id"]: v for _k, v in read_topic(settings.bootstrap, settings.topics.enriched, count=3)}  # type: ignore[index]
    assert enriched[copy["id"]]["duplicate_of"] == seed_article["id"] or enriched[seed_article["id"]]["duplicate_of"]

    alerts = [v for _k, v in read_topic(settings.bootstrap, settings.topics.alerts, count=2, timeout_s=60)]
    alert_schema = validator("alert")
    for alert in alerts:
        alert_schema.validate(alert)
    news = [a for a in alerts if a["kind"] == "new"]  # type: ignore[index]
    assert len(news) == 1, alerts
    new = news[0]
    assert new["place"]["id"] == DEIR_EZ_ZOR
    assert (new["gained_by"], new["lost_by"], new["status"], new["occurred_on"]) == ("sy-saa", "isis", "reported", "2017-11-03")
    assert all(a["place"]["id"] == DEIR_EZ_ZOR for a in alerts), "only Deir el-Zour may alert in the seed"
    assert max(a["corroboration"] for a in alerts) == 2  # csmonitor.com and the wire copy
    assert len({a["alert_id"] for a in alerts}) == len(alerts)

    status, place = get_json(f"http://127.0.0.1:{settings.web_port}/places/{DEIR_EZ_ZOR}")
    assert status == 200
    validator("place-view").validate(place)
    assert place["controller"] == "sy-saa"
    assert {s["url"] for s in place["current"]["sources"]} == {seed_article["url"], copy["url"]}
    status, collection = get_json(f"http://127.0.0.1:{settings.web_port}/control.geojson")
    assert status == 200
    validator("control-geojson").validate(collection)
    assert [f["id"] for f in collection["features"]] == [DEIR_EZ_ZOR]
    assert collection["features"][0]["geometry"]["coordinates"] == pytest.approx([40.14, 35.34], abs=0.01)
    status, missing = get_json(f"http://127.0.0.1:{settings.web_port}/places/geonames:1")
    assert status == 404 and "no territorial change" in missing["error"]
    assert worker.alive()


TALIBAN_SWEEP = (
    "Taliban fighters captured Kunduz, Taloqan, Faizabad, Aybak, Sheberghan, Zaranj and Farah on Sunday, "
    "residents said, as Afghan government forces withdrew from the north."
)


def test_control_state_survives_a_restart_whole(isolated_settings: Settings, start_worker: Any) -> None:
    """Seven changes from one article are written to the control changelog back to back, so its
    last record batches hold several updates. After a restart the recovered table must still know
    every one: the same story from another outlet is seven updates, never a second `new`. (Recovery
    up to the embedded broker's ListOffsets answer would stop at the start of each last batch.)"""
    settings = isolated_settings
    worker = start_worker(settings)

    def story(outlet: str) -> bytes:
        return orjson.dumps(
            {
                "id": f"{outlet}-sweep",
                "url": f"https://{outlet}/afghanistan/sweep",
                "source": outlet,
                "published_at": "2021-08-09T12:00:00Z",
                "text": TALIBAN_SWEEP,
            }
        )

    produce(settings.bootstrap, settings.topics.raw, [(None, story("first.example"))])
    first = [v for _k, v in read_topic(settings.bootstrap, settings.topics.alerts, count=7, timeout_s=90)]
    assert sorted(a["kind"] for a in first) == ["new"] * 7  # type: ignore[index]
    places = sorted(a["place"]["id"] for a in first)  # type: ignore[index]
    before = {p: get_json(f"http://127.0.0.1:{settings.web_port}/places/{p}")[1] for p in places}

    assert worker.stop(signal.SIGTERM) == 0, worker.text()[-3000:]
    restarted = start_worker(settings)
    after = {p: get_json(f"http://127.0.0.1:{settings.web_port}/places/{p}")[1] for p in places}
    assert after == before

    produce(settings.bootstrap, settings.topics.raw, [(None, story("second.example"))])
    alerts = [v for _k, v in read_topic(settings.bootstrap, settings.topics.alerts, count=14, timeout_s=90)]
    first_ids = {a["alert_id"] for a in first}  # type: ignore[index]
    later = [a for a in alerts if a["alert_id"] not in first_ids]  # type: ignore[index]
    assert sorted(a["kind"] for a in later) == ["update"] * 7, later  # type: ignore[index]
    assert all(a["corroboration"] == 2 for a in later)  # type: ignore[index]
    assert restarted.alive()


def test_dedup_index_forgets_what_falls_out_of_its_window(
    settings_factory: Any, start_worker: Any, seed_article: dict[str, Any]
) -> None:
    """Memory stays bounded: once the stream has moved a week past an article, its band keys go."""
    settings = settings_factory(dedup_evict_interval_s=1.0)
    worker = start_worker(settings)
    later = {
        "id": "later",
        "url": "https://example.org/later",
        "published_at": "2017-11-20T00:00:00Z",
        "text": "Taliban fighters captured Kunduz on Sunday, residents said.",
    }
    produce(settings.bootstrap, settings.topics.raw, [(None, orjson.dumps(seed_article)), (None, orjson.dumps(later))])
    read_topic(settings.bootstrap, settings.topics.enriched, count=2)
    deadline = time.monotonic() + 30
    while "dedup index evicted keys=" not in worker.text():
        assert time.monotonic() < deadline, worker.text()[-2000:]
        time.sleep(0.5)
    evicted = int(worker.text().split("dedup index evicted keys=")[1].split()[0])
    assert evicted == 32  # the seed's band keys; the later article's stay
