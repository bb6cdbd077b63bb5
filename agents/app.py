"""The Faust application: topics, agents and web views, wired to the frontwire domain library.

The pipeline::

    articles.raw --ingest--> articles.valid --enrich--> articles.enriched --detect--> events.territorial
         \\                        \\
          `--> articles.deadletter <-'

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

from agents.codec import OrjsonCodec
from agents.deadletter import dead_letter_record
from agents.settings import Settings
from agents.transport import FrontwireApp
from frontwire.enrich import Enricher
from frontwire.errors import InvalidArticle
from frontwire.ingest import article_from_dict, article_to_dict, parse_raw_article

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
    )
    _register_agents(pipeline, enricher or Enricher.shared())
    _register_views(pipeline)
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

    @p.app.agent(p.valid, name="enrich")
    async def enrich(stream: faust.StreamT[Any]) -> None:
        async for event in stream.events():
            try:
                article = article_from_dict(event.value, received_at=_now())
                enriched = enricher.enrich(article)
            except Exception as exc:  # noqa: BLE001 -- one bad article must never stop the worker
                await send_dead_letter(event, "enrich", exc)
                continue
            await p.enriched.send(key=enriched.id.encode(), value=enriched.to_dict())

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


def _register_views(p: Pipeline) -> None:
    @p.app.page("/health")
    async def health(web: Any, request: Any) -> Any:
        return web.json({"status": "ok", "app_id": p.settings.app_id, "topics": p.settings.topics.all()})


def _as_bytes(value: object) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise TypeError(f"raw topic delivered {type(value).__name__}, expected bytes")


def _now() -> datetime:
    return datetime.now(UTC)
