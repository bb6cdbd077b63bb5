"""The Faust application: topics, agents and web views, wired to the frontwire domain library.

The pipeline::

    articles.raw --ingest--> articles.valid --enrich--> articles.enriched --detect--> events.territorial
         \\                        \\   (dedup-index)                                    |
          `--> articles.deadletter <-'                                    alerts.territorial <--alert--'
                                                                                     (control, control-view)

Tables: ``dedup-index`` (global: band key -> first article, so every worker sees every
article's band keys), ``control`` (per place, co-partitioned with events.territorial: the
authoritative control state) and ``control-view`` (global: the same state for the web views,
so any worker can answer for any place).

Raw topics are read as bytes so that a message Faust could not decode still reaches the
dead-letter topic with its reason instead of vanishing in a log line. Agents only convert
messages to frontwire values and back; every decision lives in ``frontwire``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import faust
from faust.serializers import codecs
from faust.types import EventT

from agents.api import register_api
from agents.codec import OrjsonCodec
from agents.deadletter import dead_letter_record
from agents.settings import Settings
from agents.topics import TABLE_CONTROL, TABLE_CONTROL_VIEW, TABLE_DEDUP
from agents.transport import FrontwireApp
from agents.views import control_feature_collection, place_document
from agents.webhooks import register_webhooks
from frontwire.control import PlaceState, SourceRef
from frontwire.control import apply as apply_event
from frontwire.dedup import IndexEntry
from frontwire.enrich import Enricher
from frontwire.errors import InvalidArticle
from frontwire.ingest import article_from_dict, article_to_dict, parse_raw_article
from frontwire.models import TerritorialEvent

__all__ = ["Pipeline", "build_app"]

log = logging.getLogger("frontwire.agents")

codecs.register("orjson", OrjsonCodec())


@dataclass(frozen=True, slots=True)
class Pipeline:
    """A configured app and the topics its agents read and write."""

    app: faust.App
    settings: Settings
    raw: faust.TopicT
    valid: faust.TopicT
    deadletter: faust.TopicT
    enriched: faust.TopicT
    events: faust.TopicT
    alerts: faust.TopicT
    dedup_index: Any  # faust GlobalTable: band key -> IndexEntry dict
    control: Any  # faust Table: place id -> PlaceState dict
    control_view: Any  # faust GlobalTable: place id -> {"state": ..., "last_alert": ...}


def build_app(settings: Settings, *, enricher: Enricher | None = None) -> Pipeline:
    """A Faust app with every frontwire topic, agent and view, configured from ``settings``."""
    app = FrontwireApp(
        settings.app_id,
        broker=f"kafka://{settings.bootstrap}",
        store="memory://",
        autodiscover=False,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        topic_disable_leader=True,
        # Topics are created up front by ensure_topics with agreeing partition counts; Faust's own
        # declaration then finds them in place and changes nothing.
        topic_allow_declare=True,
        broker_rebalance_timeout=settings.rebalance_timeout_s,
        broker_session_timeout=max(settings.rebalance_timeout_s * 2, 6.0),
        broker_heartbeat_interval=1.0,
        processing_guarantee=settings.processing_guarantee,
        consumer_auto_offset_reset="earliest",
        consumer_max_fetch_size=64 * 1024 * 1024,
        producer_max_request_size=8 * 1024 * 1024,
        producer_linger_ms=10,
        producer_max_batch_size=1024 * 1024,
        web_port=settings.web_port,
        web_host=settings.web_host,
        web_bind=settings.web_host,
        datadir=settings.data_dir,
        stream_wait_empty=False,
        # Table keys are strings (place ids, band keys) and values JSON documents.
        key_serializer="json",
        value_serializer="orjson",
    )
    names = settings.topics

    def topic(name: str, value_serializer: str) -> faust.TopicT:
        return app.topic(
            name,
            partitions=settings.partitions,
            key_serializer="raw",
            value_serializer=value_serializer,
        )

    pipeline = Pipeline(
        app=app,
        settings=settings,
        raw=topic(names.raw, "raw"),
        valid=topic(names.valid, "orjson"),
        deadletter=topic(names.deadletter, "orjson"),
        enriched=topic(names.enriched, "orjson"),
        events=topic(names.events, "orjson"),
        alerts=topic(names.alerts, "orjson"),
        # use_partitioner: the eviction timer deletes keys outside any stream event.
        dedup_index=app.GlobalTable(TABLE_DEDUP, partitions=settings.partitions, use_partitioner=True),
        control=app.Table(TABLE_CONTROL, partitions=settings.partitions),
        control_view=app.GlobalTable(TABLE_CONTROL_VIEW, partitions=settings.partitions),
    )
    _register_agents(pipeline, enricher or Enricher.shared())
    _register_views(pipeline)
    register_webhooks(pipeline)
    register_api(pipeline)
    return pipeline


def _register_agents(p: Pipeline, enricher: Enricher) -> None:
    max_bytes = p.settings.max_article_bytes

    async def send_dead_letter(event: EventT, stage: str, error: Exception) -> None:
        message = event.message
        record = dead_letter_record(
            error=error,
            stage=stage,
            received_at=_now(),
            original=_as_bytes(message.value),
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
        )
        log.warning(
            "dead letter stage=%s topic=%s partition=%d offset=%d reason=%s",
            stage, message.topic, message.partition, message.offset, record["error"],
        )
        await p.deadletter.send(key=message.key, value=record)

    @p.app.agent(p.raw, name="ingest")
    async def ingest(stream: faust.StreamT[Any]) -> None:
        async for event in stream.events():
            try:
                article = parse_raw_article(_as_bytes(event.value), received_at=_now(), max_bytes=max_bytes)
            except InvalidArticle as exc:
                await send_dead_letter(event, "ingest", exc)
                continue
            await p.valid.send(key=article.id.encode(), value=article_to_dict(article))

    stream_time: list[datetime] = []  # the latest published_at this worker has enriched

    @p.app.agent(p.valid, name="enrich")
    async def enrich(stream: faust.StreamT[Any]) -> None:
        async for event in stream.events():
            try:
                article = article_from_dict(event.value, received_at=_now())
                enriched = enricher.enrich(article, seen=p.dedup_index)
            except Exception as exc:  # noqa: BLE001 -- one bad article must never stop the worker
                await send_dead_letter(event, "enrich", exc)
                continue
            if not stream_time or article.published_at > stream_time[0]:
                stream_time[:] = [article.published_at]
            await p.enriched.send(key=enriched.id.encode(), value=enriched.to_dict())

    @p.app.timer(interval=p.settings.dedup_evict_interval_s)
    async def evict_band_keys() -> None:
        """Bound the dedup index: drop entries older than the window, in stream time (archives replay too)."""
        if not stream_time:
            return
        expired = [
            key for key, value in list(p.dedup_index.items())
            if enricher.deduplicator.is_expired(IndexEntry.from_dict(value), stream_time[0])
        ]
        for key in expired:
            del p.dedup_index[key]
        if expired:
            log.info("dedup index evicted keys=%d kept=%d", len(expired), len(p.dedup_index))

    @p.app.agent(p.enriched, name="detect")
    async def detect(stream: faust.StreamT[Any]) -> None:
        async for event in stream.events():
            article = event.value
            reference = {
                "id": article["id"],
                "url": article["url"],
                "source": article["source"],
                "published_at": article["published_at"],
                "duplicate_of": article["duplicate_of"],
            }
            for territorial in article["events"]:
                place_id = territorial["place"]["id"]
                await p.events.send(key=place_id.encode(), value={**territorial, "article": reference})

    @p.app.agent(p.events, name="alert")
    async def alert(stream: faust.StreamT[Any]) -> None:
        async for event in stream.events():
            value = event.value
            try:
                territorial = TerritorialEvent.from_dict(value)
                reference = value["article"]
                source = SourceRef(
                    reference["id"], reference["url"], reference["source"],
                    datetime.fromisoformat(reference["published_at"]),
                )
                place_id = territorial.place.id
                stored = p.control.get(place_id)
                state = PlaceState.from_dict(stored) if stored is not None else None
                new_state, made = apply_event(state, territorial, source, reference.get("duplicate_of"))
            except Exception as exc:  # noqa: BLE001 -- one bad event must never stop the worker
                await send_dead_letter(event, "alert", exc)
                continue
            if new_state == state:
                continue
            view = {"state": new_state.to_dict(), "last_alert": None}
            if made is not None:
                body = made.to_dict()
                view["last_alert"] = body
                # The alert is acknowledged by the broker before the state that remembers it is written:
                # a crash in between replays the event, and the replay makes the same alert (same id).
                delivered = await p.alerts.send(key=place_id.encode(), value=body)
                await delivered
                log.info("alert kind=%s place=%s gained_by=%s alert_id=%s corroboration=%d", body["kind"],
                         place_id, body["gained_by"], body["alert_id"], body["corroboration"])
            elif (previous := p.control_view.get(place_id)) is not None:
                view["last_alert"] = previous["last_alert"]
            p.control[place_id] = new_state.to_dict()
            p.control_view[place_id] = view


def _register_views(p: Pipeline) -> None:
    @p.app.page("/health")
    async def health(web: Any, request: Any) -> Any:
        sources = {p.settings.topics.raw, p.settings.topics.valid, p.settings.topics.enriched, p.settings.topics.events}
        assigned = [tp for tp in p.app.consumer.assignment() if tp.topic in sources]
        return web.json({
            "status": "ok",
            "app_id": p.settings.app_id,
            "topics": p.settings.topics.all(),
            "assigned_partitions": len(assigned),  # partitions of the agents' source topics this worker reads
        })

    @p.app.page("/places/{place_id}")
    async def place(web: Any, request: Any, place_id: str) -> Any:
        view = p.control_view.get(place_id)
        if view is None:
            return web.json({"error": f"no territorial change known for place {place_id!r}"}, status=404)
        return web.json(place_document(place_id, view))

    @p.app.page("/control.geojson")
    async def control_geojson(web: Any, request: Any) -> Any:
        return web.json(control_feature_collection(p.control_view.items()))


def _as_bytes(value: object) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise TypeError(f"raw topic delivered {type(value).__name__}, expected bytes")


def _now() -> datetime:
    return datetime.now(UTC)
