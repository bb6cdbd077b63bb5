"""`frontwire demo`: the whole pipeline on the embedded broker, fed with real news articles.

Starts the embedded broker and a worker process, publishes the seed article and the gold
corpus's real articles to articles.raw, then shows what came out: each enriched article's
places, actors and territorial events, and every alert. Stops everything at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click
import orjson

from agents.broker import EmbeddedBroker, free_port, port_is_free
from agents.kafkaio import iter_topic, produce
from agents.settings import Settings

__all__ = ["demo_articles", "run_demo"]

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seed" / "seed-article.json"
GOLD = ROOT / "tests" / "gold"


def demo_articles(limit: int | None = None) -> list[dict[str, Any]]:
    """Raw-article messages: the seed (when ../shared is beside the project) and the gold corpus's texts."""
    articles: list[dict[str, Any]] = []
    if SEED.exists():
        articles.append(orjson.loads(SEED.read_bytes()))
    for path in sorted(GOLD.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = orjson.loads(line)
            articles.append({
                "id": item["doc_id"],
                "url": item["url"],
                "title": item.get("title"),
                "text": item["text"],
                "published_at": item["published_at"],
                "source": item.get("source"),
                "language": "en",
            })
    return articles[:limit] if limit is not None else articles


def run_demo(settings: Settings, *, limit: int | None, show: int) -> None:
    """Run the demo end to end and print what a subscriber would see."""
    embedded = None
    if settings.broker is None:
        port = settings.embedded_port if port_is_free(settings.embedded_port) else free_port()
        embedded = EmbeddedBroker(port=port)
        click.echo(f"starting the embedded broker on 127.0.0.1:{port} ...", err=True)
        embedded.start()
        settings = Settings.from_env(broker=f"kafka://{embedded.bootstrap}", web_port=_web_port(settings))
    worker = None
    try:
        worker = _start_worker(settings)
        articles = demo_articles(limit)
        click.echo(f"publishing {len(articles)} real articles to {settings.topics.raw} ...", err=True)
        sent, errors = produce(
            settings.bootstrap,
            settings.topics.raw,
            ((str(a["id"]).encode(), orjson.dumps(a)) for a in articles),
        )
        if errors:
            raise click.ClickException(f"{len(errors)} articles were refused by the broker: {errors[0]}")
        enriched = _collect(settings, settings.topics.enriched, sent)
        dead = _collect(settings, settings.topics.deadletter, 0)
        _show_enriched(enriched, show)
        alerts = _collect(settings, settings.topics.alerts, 0)
        _show_alerts(alerts)
        click.echo(
            f"\n{sent} articles in: {len(enriched)} enriched, {len(dead)} dead letters, {len(alerts)} alerts. "
            f"Worker log: {settings.data_dir}/worker.log",
            err=True,
        )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        if embedded is not None:
            embedded.stop()


def _web_port(settings: Settings) -> int:
    return settings.web_port if port_is_free(settings.web_port) else free_port()


def _start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    log_path = Path(settings.data_dir) / "worker.log"
    env = {
        **os.environ,
        "FRONTWIRE_BROKER": settings.broker or "",
        "FRONTWIRE_WEB_PORT": str(settings.web_port),
        "PYTHONUNBUFFERED": "1",
    }
    click.echo("starting a worker (loading the gazetteer takes a few seconds) ...", err=True)
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "agents.cli", "worker"], env=env, stdout=subprocess.PIPE, stderr=log_file
        )
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(b"frontwire ready"):
                click.echo(line.decode().rstrip(), err=True)
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 120
    while not ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise click.ClickException(f"the worker did not start; its log:\n{log_path.read_text()[-3000:]}")
    return process


def _collect(settings: Settings, topic: str, expected: int, timeout_s: float = 300.0) -> list[dict[str, Any]]:
    """Read a topic until it holds ``expected`` messages (or is quiet for 3 s when expected is 0)."""
    deadline = time.monotonic() + timeout_s
    values: list[dict[str, Any]] = []
    while True:
        values = [orjson.loads(m.value) for m in iter_topic(settings.bootstrap, topic, idle_timeout_s=3.0) if m.value]
        if len(values) >= expected or time.monotonic() > deadline:
            return values
        click.echo(f"  {len(values)}/{expected} on {topic} ...", err=True)


def _show_enriched(articles: list[dict[str, Any]], show: int) -> None:
    click.echo(f"\n== enriched articles ({len(articles)}; showing {min(show, len(articles))}) ==")
    for article in _interesting_first(articles)[:show]:
        places = ", ".join(f"{p['name']} ({p['country']}, {p['kind']})" for p in article["places"][:6]) or "-"
        actors = ", ".join(a["id"] for a in article["actors"][:6]) or "-"
        click.echo(f"\n{article['published_at'][:10]} {article['source']}: {article['title'] or article['url']}")
        click.echo(f"  places: {places}")
        click.echo(f"  actors: {actors}")
        for event in article["events"]:
            click.echo(
                f"  event:  {event['status']:<10} {event['change']:<10} {event['place']['name']}"
                f" gained_by={event['gained_by']} lost_by={event['lost_by']} on={event['occurred_on']}"
            )
        if article["duplicate_of"]:
            click.echo(f"  duplicate of {article['duplicate_of']}")


def _interesting_first(articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(articles, key=lambda a: (-len(a["events"]), -len(a["places"])))


def _show_alerts(alerts: list[dict[str, Any]]) -> None:
    click.echo(f"\n== alerts ({len(alerts)}) ==")
    for alert in alerts:
        click.echo(
            f"{alert['kind']:<8} {alert['place']['name']} ({alert['place']['country']}): "
            f"{alert['gained_by']} took it from {alert['lost_by']} on {alert['occurred_on']} "
            f"[{alert['status']}, {alert['corroboration']} source(s)]\n  \"{alert['evidence']['sentence']}\""
        )

